"""Errors that reach the user as plain messages, never as tracebacks."""

from __future__ import annotations


class PbmError(Exception):
    """Base class for every error the ``pbm`` command reports to its user.

    The command-line entry point catches it, prints ``str(error)`` and exits non-zero.
    """

    exit_code = 2


class ModelInputError(PbmError, ValueError):
    """Bad input to an analytical model (cost-effectiveness, cost-benefit, DEA).

    Raised with a message that names the offending row or column and says what was expected,
    for example a negative cost, a duplicate alternative name or an empty set of units.
    """
