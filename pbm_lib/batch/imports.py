"""Import-time savings for the processes that run the batch (not for report kernels).

``nbformat`` validates notebooks with ``jsonschema``, whose format checkers import
``rfc3987_syntax`` when it is installed (it comes with ``jsonschema[format-nongpl]``, which the
Jupyter server packages require). That import builds three Earley parsers of the RFC 3987 grammar:
about 3 s of CPU in every process that imports nbformat, on the critical path of ``pbm run`` before
any kernel starts — for an ``iri`` format check that notebook validation never makes.
:func:`defer_iri_grammar` puts a stand-in in its place that imports the real package on first use,
so the check, if ever made, gives the same answer.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

_IRI = "rfc3987_syntax"


def defer_iri_grammar() -> None:
    """Make ``import rfc3987_syntax`` cheap in this process until the package is actually used.

    Does nothing when the package is absent, already imported, or when ``jsonschema``'s format
    checkers are already loaded (they have imported it, or chosen not to).
    """
    if _IRI in sys.modules or "jsonschema._format" in sys.modules:
        return
    spec = importlib.util.find_spec(_IRI)
    if spec is None:
        return
    stand_in = types.ModuleType(
        _IRI, "Stand-in importing rfc3987_syntax on first use (pbm_lib.batch.imports)."
    )
    stand_in.__path__ = list(spec.submodule_search_locations or [])  # submodules import as usual

    def real() -> Any:
        if sys.modules.get(_IRI) is stand_in:
            del sys.modules[_IRI]
        return importlib.import_module(_IRI)

    def is_valid_syntax(term: str, value: str) -> bool:
        return real().is_valid_syntax(term, value)

    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]  # what jsonschema imports
    stand_in.__getattr__ = lambda name: getattr(real(), name)  # type: ignore[method-assign]
    sys.modules[_IRI] = stand_in
