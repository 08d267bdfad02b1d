"""Benchmark: reading and validating a large synthetic year workbook.

Target (issue 2): a 3,000-project workbook is read and validated in under 10 s on a 2-core machine.
Baseline, run in the same process on the same file: pandas ``read_excel`` with the openpyxl engine
loading the same sheets with no validation at all.

Run: ``python benchmarks/bench_read.py [--projects 3000]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from pbm_lib.workbook import read_year, schema
from pbm_lib.workbook.synth import synthetic_year
from pbm_lib.workbook.writer import write_workbook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"synthetic_{args.projects}.xlsx"
        started = time.perf_counter()
        tables, meta = synthetic_year(args.projects, seed=1)
        write_workbook(path, tables, meta)
        rows = sum(len(t) for t in tables.values())
        print(f"synthetic year: {args.projects} projects, {rows} rows, {path.stat().st_size / 1e6:.1f} MB "
              f"(generated and written in {time.perf_counter() - started:.1f} s)")

        pbm_times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            data = read_year(path)
            pbm_times.append(time.perf_counter() - started)
        print(f"pbm read_year (read + validate): best {min(pbm_times):.2f} s of {args.repeat}; "
              f"{len(data.projects)} projects, {len(data.indicators)} indicators, {len(data.warnings)} warnings")

        started = time.perf_counter()
        pd.read_excel(path, sheet_name=[s.title for s in schema.SHEETS], engine="openpyxl")
        baseline = time.perf_counter() - started
        print(f"baseline pandas.read_excel(openpyxl), no validation: {baseline:.2f} s")
        print(f"ratio baseline / pbm: {baseline / min(pbm_times):.1f}x   target: pbm < 10 s -> "
              f"{'met' if min(pbm_times) < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
