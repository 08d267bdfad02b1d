"""A notebook run on a warm (reused, reset) kernel is the notebook a fresh papermill run gives.

The pool runs, on one kernel and in this order, a notebook that changes every piece of global state
the reset promises to restore, then a probe that prints that state, then real report notebooks (one
of them failing). The same plan is then run with plain ``papermill.execute_notebook`` (a fresh kernel
each), and every executed notebook is compared cell by cell, outputs and metadata included, apart
from timestamps, durations, cell ids and the output path.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from batch_support import EXPORTER, PROJECT_REPORT, project, sanitise, write_notebook, write_parameters

from pbm_lib.batch import run_year

POLLUTE = """\
%config InlineBackend.figure_formats = ['svg']
import os, sys, warnings
import matplotlib, matplotlib.pyplot as plt, numpy as np, pandas as pd
import pbm_lib.batch.record as recording
from pbm_lib.batch import read_year_cached
read_year_cached(data_path).projects.loc[:, "project_name"] = "polluted"  # a private copy
os.environ["PBM_POLLUTED"] = "1"
warnings.simplefilter("ignore")
matplotlib.rcParams["figure.figsize"] = (1.0, 1.0)
pd.set_option("display.max_rows", 3)
np.set_printoptions(precision=2)
recording.POLLUTED = True
sys.path.insert(0, "/polluted")
left_open = plt.figure()
polluted_global = 1
"""

PROBE_STATE = """\
import os, sys, warnings
import matplotlib, numpy as np, pandas as pd
import pbm_lib.batch.record as recording
print(sorted(k for k in globals() if not k.startswith("_")))
print(os.environ.get("PBM_POLLUTED"), list(matplotlib.rcParams["figure.figsize"]), pd.get_option("display.max_rows"))
print(np.get_printoptions()["precision"], "/polluted" in sys.path, hasattr(recording, "POLLUTED"))
print(get_ipython().execution_count, len(In), os.path.basename(os.getcwd()))
warnings.warn("a warning a fresh kernel shows")
"""

PROBE_CACHE = """\
from pbm_lib.batch import read_year_cached
print(read_year_cached(data_path).projects["project_name"].tolist())  # cached in the pool, not polluted
"""

PROBE_OUTPUTS = """\
import matplotlib.pyplot as plt
print(plt.get_fignums())
fig, ax = plt.subplots(figsize=(2, 1.5))
ax.plot([1, 2, 3], [3, 1, 2])
plt.show()
pd.DataFrame(np.arange(20).reshape(10, 2), columns=["a", "b"])
"""


def _tree(out: Path) -> dict[str, dict]:
    return {
        str(p.relative_to(out)): sanitise(nbformat.read(p, as_version=4))
        for p in sorted(out.rglob("*.ipynb"))
    }


def test_pool_outputs_equal_fresh_papermill_runs(tmp_path: Path, tiny_workbook: Path) -> None:
    parameters = "year: int = 0  # 年度\ndata_path: str = None  # 必填：数据\n"
    write_notebook(
        tmp_path / "notebooks" / "pollute.ipynb", [("code", parameters, ["parameters"]), ("code", POLLUTE)]
    )
    write_notebook(
        tmp_path / "notebooks" / "probe.ipynb",
        [
            ("code", parameters, ["parameters"]),
            ("code", PROBE_STATE),
            ("code", PROBE_OUTPUTS),
            ("code", PROBE_CACHE),
        ],
    )
    reports = [
        {"id": "a_pollute", "notebook": "notebooks/pollute.ipynb", "object": "city"},
        {"id": "b_probe", "notebook": "notebooks/probe.ipynb", "object": "city"},
        {**PROJECT_REPORT, "where": {"project_id": ["P001", "P002"]}},
    ]
    params = project(tmp_path, reports)
    write_parameters(
        params,
        {"overrides": [{"object": "P001", "report": "project_eval", "parameters": {"fail": True}}]},
        name="2025.yaml",
    )
    common = {"exporter": EXPORTER, "parameters_dir": params, "progress": False}
    # one worker: every notebook on the same kernel, in plan order (the failure recycles it)
    pool = run_year(tiny_workbook, tmp_path / "pool", jobs=1, engine="pool", **common)
    fresh = run_year(tiny_workbook, tmp_path / "fresh", jobs=2, engine="papermill", **common)
    assert (pool.succeeded, len(pool.failed)) == (fresh.succeeded, len(fresh.failed)) == (3, 1)

    pool_nbs, fresh_nbs = _tree(tmp_path / "pool" / "2025"), _tree(tmp_path / "fresh" / "2025")
    assert (
        sorted(pool_nbs)
        == sorted(fresh_nbs)
        == [
            "failed/project_eval/P001.ipynb",
            "notebooks/a_pollute/city.ipynb",
            "notebooks/b_probe/city.ipynb",
            "notebooks/project_eval/P002.ipynb",
        ]
    )
    for name in pool_nbs:
        a, b = pool_nbs[name], fresh_nbs[name]
        assert a["metadata"] == b["metadata"], name
        assert len(a["cells"]) == len(b["cells"]), name
        for i, (cell_a, cell_b) in enumerate(zip(a["cells"], b["cells"], strict=True)):
            assert cell_a == cell_b, f"{name} cell {i}"

    probe = nbformat.read(tmp_path / "pool/2025/notebooks/b_probe/city.ipynb", as_version=4)
    state = "".join(o["text"] for o in probe.cells[2].outputs if o.get("name") == "stdout").splitlines()
    assert state[1].startswith("None [") and state[2] == "8 False False"
    assert (
        probe.cells[4].outputs[0]["text"]
        == str(["义务教育营养改善计划", "农村公路养护", "高标准农田建设"]) + "\n"
    )
    assert any(
        o.get("name") == "stderr" and "a fresh kernel shows" in o["text"] for o in probe.cells[2].outputs
    )
    assert "image/png" in probe.cells[3].outputs[1]["data"]  # the svg setting did not survive
    assert probe.cells[3].outputs[0]["text"] == "[]\n"  # no figure left open

    pool_results = json.loads((tmp_path / "pool/2025/results.json").read_text(encoding="utf-8"))["reports"]
    fresh_results = json.loads((tmp_path / "fresh/2025/results.json").read_text(encoding="utf-8"))["reports"]
    strip = lambda rows: [{k: v for k, v in r.items() if k != "error"} for r in rows]  # noqa: E731
    assert strip(pool_results) == strip(fresh_results)
