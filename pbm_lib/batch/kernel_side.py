"""Code that runs *inside* a warm kernel: warm-up, and the reset that makes it look fresh again.

:mod:`pbm_lib.batch.kernels` sends this file's source to each kernel once, where it lives as the
private module ``_pbm_kernel_side`` (outside ``pbm_lib``, so the reset never purges it).

What a reset restores, so that the next notebook sees what a freshly started kernel shows it:

- the IPython namespace, history and execution counter (``shell.reset(new_session=True)``: the next
  cell is ``In [1]``);
- matplotlib: every figure closed, ``rcParams`` and the inline backend's figure formats as after
  warm-up;
- the warning filters (and every module's once-only warning registry), ``os.environ``, ``sys.path``,
  the working directory, pandas options and numpy print/error settings;
- modules under the *fresh* prefixes (default ``pbm_lib``) are removed from ``sys.modules`` and
  imported again, so module-level state (counters, caches) starts anew exactly as in a new process.
  Heavy third-party modules (pandas, numpy, matplotlib) stay imported: that is the point of warmth.

Not restored (notebooks must not rely on changing them): logging configuration, threads a notebook
starts, state hidden inside third-party modules, and the random seed (unseeded in a fresh kernel too).

Speed: the re-imports run every module body again, but compile each source file only once per
kernel (:func:`_memoise_compile`): without bytecode files (``PYTHONDONTWRITEBYTECODE``, a read-only
install) compiling pbm's modules costs more than running them.

Profiling: with ``PBM_KERNEL_PROFILE=<folder>`` in the environment of the process that starts the
kernels, each kernel runs under :mod:`cProfile` and writes ``nb-<pid>-<n>.prof`` (a notebook's
execution) and ``reset-<pid>-<n>.prof`` (the reset after it) into that folder.
"""

from __future__ import annotations

import gc
import importlib
import importlib.machinery
import os
import sys
import warnings
from typing import Any

_state: dict = {}


def _shell():
    from IPython import get_ipython

    return get_ipython()


def _figure_printers(shell) -> dict:
    """The display formatters' entries for matplotlib figures (set by ``set_matplotlib_formats``)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return {}
    saved = {}
    for mime, formatter in shell.display_formatter.formatters.items():
        saved[mime] = formatter.type_printers.get(Figure)
    return saved


def _memoise_compile() -> None:
    """Compile each source file once per kernel: the reset re-imports the fresh modules every notebook.

    Keyed by the file's path *and* its exact bytes, so an edited file is compiled again; code objects
    are immutable, so a module run again from the same code object is the module a new process gets.
    """
    loader = importlib.machinery.SourceFileLoader
    if getattr(loader.source_to_code, "_pbm_memo", None) is not None:
        return
    compile_source = loader.source_to_code
    memo: dict[str, tuple[Any, Any]] = {}  # path -> (source bytes, code): one entry per file

    def source_to_code(self: Any, data: Any, path: Any, *, _optimize: int = -1) -> Any:
        key = (path, _optimize)
        hit = memo.get(key)
        if hit is not None and hit[0] == data:
            return hit[1]
        code = compile_source(self, data, path, _optimize=_optimize)
        memo[key] = (data, code)
        return code

    source_to_code._pbm_memo = memo  # type: ignore[attr-defined]
    loader.source_to_code = source_to_code  # type: ignore[method-assign]


def _profile(step: str) -> None:
    """With ``PBM_KERNEL_PROFILE`` set at warm-up: write the profile of what ran since the last step."""
    profiler = _state.get("profiler")
    if profiler is None:
        return
    import cProfile

    profiler.disable()
    if step == "notebook":
        _state["profiled"] += 1
    profiler.dump_stats(
        os.path.join(_state["profile_dir"], f"{step}-{os.getpid()}-{_state['profiled']}.prof")
    )
    _state["profiler"] = cProfile.Profile()
    _state["profiler"].enable()


def warm_up(modules: list[str], fresh: list[str]) -> list[str]:
    """Import ``modules`` and take the snapshots the reset restores. Returns the modules that failed."""
    _memoise_compile()
    failed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # a missing optional module must not stop the kernel
                failed.append(name)
    _warm_render()
    shell = _shell()
    _state["environ"] = dict(os.environ)
    _state["path"] = list(sys.path)
    _state["filters"] = list(warnings.filters)
    _state["showwarning"] = warnings.showwarning
    _state["fresh"] = tuple(fresh)
    _state["warm"] = [m for m in modules if m not in failed]
    if "matplotlib" in sys.modules:
        import matplotlib

        _state["rc"] = dict(dict.items(matplotlib.rcParams))  # raw: no backend resolution
        _state["figure_printers"] = _figure_printers(shell)
        try:
            from matplotlib_inline.config import InlineBackend

            backend = InlineBackend.instance()
            _state["inline"] = {
                k: v
                for k, v in backend.trait_values().items()
                if not k.startswith(("config", "parent", "log"))
            }
        except Exception:  # pragma: no cover - older matplotlib-inline
            _state["inline"] = None
    if "pandas" in sys.modules:
        _state["pandas"] = _pandas_options()
    if "numpy" in sys.modules:
        import numpy

        _state["np_print"] = numpy.get_printoptions()
        _state["np_err"] = numpy.geterr()
    # Everything loaded so far lives as long as the kernel: keep it out of the garbage collector's
    # sight, so the full collections of each reset scan only what notebooks create.
    gc.collect()
    gc.freeze()
    if os.environ.get("PBM_KERNEL_PROFILE"):
        import cProfile

        _state.update(profile_dir=os.environ["PBM_KERNEL_PROFILE"], profiled=0, profiler=cProfile.Profile())
        _state["profiler"].enable()
    return failed


def _warm_render() -> None:
    """Draw and discard one chart and one table: loads fonts, the Agg renderer and pandas' HTML formatter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "matplotlib.pyplot" in sys.modules:
            import io

            plt = sys.modules["matplotlib.pyplot"]
            figure = plt.figure(figsize=(2, 1))
            axes = figure.add_subplot()
            axes.bar(["预算", "执行"], [1.0, 0.8])
            axes.set_title("预热 warm-up")
            figure.savefig(io.BytesIO(), format="png")
            plt.close(figure)
        if "pandas" in sys.modules:
            frame = sys.modules["pandas"].DataFrame({"项目": ["甲"], "金额": [1.5]})
            frame._repr_html_()
            frame.to_string()


def _pandas_options() -> dict:
    import pandas

    options = {}
    registered = getattr(pandas._config.config, "_registered_options", {})
    deprecated = getattr(pandas._config.config, "_deprecated_options", {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key in registered:
            if key in deprecated:
                continue
            try:
                options[key] = pandas.get_option(key)
            except Exception:  # pragma: no cover
                pass
    return options


def _restore_pandas(saved: dict) -> None:
    import pandas

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, value in saved.items():
            try:
                if pandas.get_option(key) != value:
                    pandas.set_option(key, value)
            except Exception:  # pragma: no cover
                pass


def reset(cwd: str | None = None) -> list[str]:
    """Make the kernel look freshly started (see the module docstring). Returns modules that failed to re-import."""
    _profile("notebook")
    shell = _shell()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    shell.reset(new_session=True)  # also runs a full garbage collection
    # Fresh modules: purge and import again those that were loaded (the last notebook's set).
    fresh = _state.get("fresh", ())
    loaded = sorted(name for name in sys.modules if any(name == p or name.startswith(p + ".") for p in fresh))
    for name in loaded:
        del sys.modules[name]
    importlib.invalidate_caches()
    if "matplotlib" in sys.modules and "rc" in _state:
        import matplotlib

        update_raw = getattr(matplotlib.rcParams, "_update_raw", None)
        if update_raw is not None:
            update_raw(_state["rc"])
        else:  # pragma: no cover - matplotlib < 3.10
            dict.update(matplotlib.rcParams, _state["rc"])
        _restore_figure_printers(shell)
    if "pandas" in _state:
        _restore_pandas(_state["pandas"])
    if "np_print" in _state:
        import numpy

        numpy.set_printoptions(**_state["np_print"])
        numpy.seterr(**_state["np_err"])
    os.environ.clear()
    os.environ.update(_state.get("environ", {}))
    sys.path[:] = _state.get("path", sys.path)
    if cwd:
        os.chdir(cwd)
    failed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in loaded:
            try:
                importlib.import_module(name)
            except Exception:
                failed.append(name)
    # After the re-imports: module code may have touched rcParams or filters while importing, as it
    # would in a fresh kernel, so take the warm-up snapshot of those only if nothing changed them.
    warnings.filters[:] = _state.get("filters", warnings.filters)
    warnings.showwarning = _state.get("showwarning", warnings.showwarning)
    warnings._filters_mutated()  # every module's once-only registry is stale now
    _profile("reset")
    return failed


def _restore_figure_printers(shell) -> None:
    from matplotlib.figure import Figure

    inline = _state.get("inline")
    if inline:
        try:
            from matplotlib_inline.config import InlineBackend

            backend = InlineBackend.instance()
            for key, value in inline.items():
                if getattr(backend, key, value) != value:
                    setattr(backend, key, value)
        except Exception:  # pragma: no cover
            pass
    for mime, printer in _state.get("figure_printers", {}).items():
        formatter = shell.display_formatter.formatters.get(mime)
        if formatter is None:
            continue
        if printer is None:
            formatter.type_printers.pop(Figure, None)
        else:
            formatter.type_printers[Figure] = printer


def chdir(cwd: str) -> None:
    """Enter the notebook's folder (as Jupyter and ``papermill --cwd`` do)."""
    os.chdir(cwd)
