"""Errors that reach the user as plain messages, never as tracebacks."""

from __future__ import annotations


class PbmError(Exception):
    """Base class for every error the ``pbm`` command reports to its user.

    The command-line entry point catches it, prints ``str(error)`` and exits non-zero.
    """

    exit_code = 2
