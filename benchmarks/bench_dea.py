"""Benchmark: CCR and BCC (input orientation, two-phase slacks) for 1,000 units × 3 inputs × 3 outputs.

Run as ``python benchmarks/bench_dea.py [--units N] [--baseline-sample K] [--seed S]``.

Prints the wall time of :func:`pbm_lib.dea.dea` for each model and compares it with a naive
baseline run in the same process: a fresh LP built from the DataFrame for every unit and every
phase, against the full reference set, without matrix reuse or reference-set reduction. The
baseline is timed on a random subsample of units and **extrapolated** linearly to all units (the
output says so); its scores are checked against the fast run on that subsample.

Target (issue 4): CCR + BCC for 1,000 units under 30 s on a 2-core machine. No assertion is made
here; the figures are printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source tree without install

from pbm_lib import dea  # noqa: E402

INPUTS = ["执行数", "人员", "设备"]
OUTPUTS = ["产出一", "产出二", "产出三"]
TARGET_SECONDS = 30.0


def synthetic_units(n: int, seed: int) -> pd.DataFrame:
    """Units with a Cobb–Douglas-like technology and one-sided inefficiency, in mixed units of measure."""
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [rng.lognormal(6.0, 0.8, n), rng.integers(2, 60, n).astype(float), rng.lognormal(2.0, 0.5, n)]
    )  # 万元, persons, sets
    base = x[:, 0] ** 0.4 * x[:, 1] ** 0.3 * x[:, 2] ** 0.2
    efficiency = np.exp(-rng.exponential(0.25, n))
    mix = rng.dirichlet([2.0, 2.0, 2.0], n)
    y = base[:, None] * efficiency[:, None] * mix * np.array([100.0, 3.0, 0.5])
    data = pd.DataFrame(np.column_stack([x, y]), columns=INPUTS + OUTPUTS)
    data.index = pd.Index([f"单位{i:04d}" for i in range(n)], name="unit")
    return data


def naive_unit(data: pd.DataFrame, o: int, vrs: bool) -> float:
    """One unit, both phases, everything rebuilt from the DataFrame (the baseline)."""
    x = data[INPUTS].to_numpy(dtype=float).T
    y = data[OUTPUTS].to_numpy(dtype=float).T
    x = x / x.mean(axis=1, keepdims=True)
    y = y / y.mean(axis=1, keepdims=True)
    m, n = x.shape
    s = y.shape[0]
    a_ub = np.vstack([np.column_stack([-x[:, o], x]), np.column_stack([np.zeros(s), -y])])
    b_ub = np.concatenate([np.zeros(m), -y[:, o]])
    a_eq = np.concatenate([[0.0], np.ones(n)])[None, :] if vrs else None
    b_eq = [1.0] if vrs else None
    bounds = [(None, None)] + [(0, None)] * n
    res = linprog(
        np.r_[1.0, np.zeros(n)], A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs"
    )
    theta = res.x[0]
    a2 = np.block([[x, np.eye(m), np.zeros((m, s))], [y, np.zeros((s, m)), -np.eye(s)]])
    b2 = np.concatenate([theta * x[:, o], y[:, o]])
    if vrs:
        a2 = np.vstack([a2, np.concatenate([np.ones(n), np.zeros(m + s)])])
        b2 = np.append(b2, 1.0)
    c2 = np.concatenate([np.zeros(n), -np.ones(m + s)])
    res2 = linprog(c2, A_eq=a2, b_eq=b2, bounds=[(0, None)] * (n + m + s), method="highs")
    if res2.status != 0:
        b2[:m] *= 1 + 1e-9
        linprog(c2, A_eq=a2, b_eq=b2, bounds=[(0, None)] * (n + m + s), method="highs")
    return theta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--baseline-sample", type=int, default=60)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)

    data = synthetic_units(args.units, args.seed)
    print(
        f"DEA benchmark: {args.units} units × {len(INPUTS)} inputs × {len(OUTPUTS)} outputs, seed {args.seed}"
    )
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print()

    total = 0.0
    results = {}
    for model in ("ccr", "bcc"):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            results[model] = dea.dea(data, INPUTS, OUTPUTS, model=model)
        elapsed = time.perf_counter() - start
        total += elapsed
        counts = results[model]["status"].value_counts().to_dict()
        print(f"pbm_lib.dea {model.upper()}: {elapsed:6.2f} s   statuses {counts}")
    verdict = "met" if total < TARGET_SECONDS else "NOT met"
    print(f"pbm_lib.dea CCR + BCC: {total:6.2f} s   (target < {TARGET_SECONDS:.0f} s: {verdict})")
    print()

    rng = np.random.default_rng(args.seed + 1)
    sample = np.sort(rng.choice(args.units, size=min(args.baseline_sample, args.units), replace=False))
    naive_total = 0.0
    worst = 0.0
    for model in ("ccr", "bcc"):
        start = time.perf_counter()
        thetas = [naive_unit(data, int(o), vrs=model == "bcc") for o in sample]
        elapsed = time.perf_counter() - start
        per_unit = elapsed / len(sample)
        extrapolated = per_unit * args.units
        naive_total += extrapolated
        fast = results[model]["score"].astype(float).to_numpy()[sample]
        worst = max(worst, float(np.max(np.abs(fast - np.array(thetas)))))
        print(
            f"naive baseline {model.upper()}: {per_unit * 1000:6.1f} ms/unit measured on {len(sample)} units, "
            f"extrapolated to {args.units} units: {extrapolated:6.1f} s"
        )
    print(
        f"naive baseline CCR + BCC (extrapolated from a {len(sample)}-unit subsample): {naive_total:6.1f} s"
    )
    print(f"speed-up of pbm_lib.dea over the naive baseline: {naive_total / total:4.1f}×")
    print(f"largest |θ difference| between the two on the subsample: {worst:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
