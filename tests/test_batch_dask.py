"""``--executor dask``: the same plan on a Dask LocalCluster gives the same outputs as a local run."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from batch_support import EXPORTER, LIGHT_REPORT, UNIT_REPORT, project, sanitise

from pbm_lib.batch import run_year

pytest.importorskip("distributed")


def test_dask_local_cluster_matches_local_run(tmp_path: Path, tiny_workbook: Path) -> None:
    params = project(tmp_path, [UNIT_REPORT, {**LIGHT_REPORT, "where": {"project_id": ["P001", "P002"]}}])
    common = {"exporter": EXPORTER, "parameters_dir": params, "progress": False}
    local = run_year(tiny_workbook, tmp_path / "local", jobs=1, executor="local", **common)
    dask = run_year(tiny_workbook, tmp_path / "dask", jobs=1, executor="dask", **common)
    assert (local.succeeded, dask.succeeded, dask.exit_code) == (4, 4, 0)
    names = sorted(str(p.relative_to(tmp_path / "local")) for p in (tmp_path / "local").rglob("*.ipynb"))
    assert names == sorted(
        str(p.relative_to(tmp_path / "dask")) for p in (tmp_path / "dask").rglob("*.ipynb")
    )
    for name in names:
        a = sanitise(nbformat.read(tmp_path / "local" / name, as_version=4))
        b = sanitise(nbformat.read(tmp_path / "dask" / name, as_version=4))
        assert a == b, name
    for name in ("2025/results.json",):
        a = json.loads((tmp_path / "local" / name).read_text(encoding="utf-8"))["reports"]
        b = json.loads((tmp_path / "dask" / name).read_text(encoding="utf-8"))["reports"]
        assert a == b
    html = sorted(p.name for p in (tmp_path / "dask" / "2025" / "site").rglob("*.html"))
    assert len(html) == 5  # four reports and the index
