"""Errors of the batch engine: each names the file and, where there is one, the object it concerns."""

from __future__ import annotations

from ..errors import PbmError


class NotebookParametersError(PbmError):
    """A notebook's ``parameters`` cell cannot be read (missing notebook, no kernelspec, a line papermill skips)."""


class ParameterError(PbmError):
    """Parameter values do not fit a notebook's declared parameters.

    Raised before any kernel starts. ``problems`` holds one :class:`ParameterProblem` per finding, so a
    caller (or a test) can tell unknown names, missing required values and wrong types apart.
    """

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class ConfigError(PbmError):
    """A YAML file in ``parameters/`` is malformed; the message gives the file and the entry."""


class PlanError(PbmError):
    """The plan cannot be built: a missing notebook, an unknown filter column, invalid parameters …"""


class ExecutionSetupError(PbmError):
    """The run cannot start: the HTML exporter or an optional dependency (dask) is missing."""
