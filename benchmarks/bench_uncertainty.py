"""Benchmark: Monte Carlo grade of a 10-indicator project, 10,000 draws (issue 4: target under 1 s).

Run as ``python benchmarks/bench_uncertainty.py [--draws N] [--loop-sample K] [--seed S] [--repeat R]``.

The project has ten rows of every kind the scorer reads (``≥95%``, ``≥100人``, ``≤30天``, ``=100%``,
``≤90万元`` against an actual in 元, a share ``0.91`` against ``≥90%``, ``>80%``, two qualitative rows with
reported scores) and a budget row executed at 62 % (a deterministic total of 90.79, 优, close to the
edge). :func:`pbm_lib.uncertainty.grade_distribution` draws Dirichlet weights
(κ = 200, level-1 blocks) and lognormal actuals (CV 5 %, 512 strata) and scores every draw with
:func:`~pbm_lib.scoring.score_indicators`, :func:`~pbm_lib.scoring.score_budget` and
:func:`~pbm_lib.scoring.score_totals`; it is timed on all draws (best and median of ``R`` runs, wall and
CPU time).

Baselines, in the same process:

1. **Per-draw loop through pbm** — a plain Python loop that scores one draw at a time with the same
   three pbm functions, on the same drawn weights, actuals and qualitative scores (taken from the
   vectorised run, so drawing random numbers is not in its time). Run on the first ``K`` draws and
   **extrapolated** linearly to ``N``; the output says so. Its totals are checked against the
   vectorised ones.
2. **Hand-written formula loop** — for reference only: a per-draw loop that draws its own random numbers
   (``Generator.dirichlet`` per block, ``Generator.lognormal`` per row) and applies the formulas of the
   row types of this project (positive, reverse R1, one-sided equal, reported qualitative, capped budget
   score), re-implemented here in plain Python. It runs on all ``N`` draws. Its formulas are checked
   against the vectorised run's draws in a separate, untimed pass. pbm itself never uses this code.

No assertion is made; the figures are printed.
"""

from __future__ import annotations

import argparse
import bisect
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source tree without install

from pbm_lib.schemes import load_scheme  # noqa: E402
from pbm_lib.scoring import round_half_up, score_budget, score_indicators, score_totals  # noqa: E402
from pbm_lib.uncertainty import (  # noqa: E402
    DEFAULT_CONCENTRATION,
    DEFAULT_CV,
    describe,
    grade_distribution,
    grade_labels,
)

TARGET_SECONDS = 1.0


def project() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A 10-indicator project (weights 50/30/10) and its budget row."""
    rows = [
        ("产出指标", "≥95%", "93%", 10.0, np.nan),
        ("产出指标", "≥100人", "98人", 10.0, np.nan),
        ("产出指标", "≤30天", "33天", 10.0, np.nan),
        ("产出指标", "=100%", "100%", 10.0, np.nan),
        ("产出指标", "≤90万元", "850000元", 5.0, np.nan),
        ("产出指标", "≥90%", "0.91", 5.0, np.nan),
        ("效益指标", "及时", "达成", 10.0, 9.0),
        ("效益指标", "显著提升", "部分达成", 10.0, 7.0),
        ("效益指标", ">80%", "85%", 10.0, np.nan),
        ("满意度指标", "≥90%", "92%", 10.0, np.nan),
    ]
    frame = pd.DataFrame(
        {
            "project_id": "P1",
            "level1": [r[0] for r in rows],
            "level2": "指标",
            "level3": [f"指标{i + 1}" for i in range(len(rows))],
            "direction": None,
            "target": [r[1] for r in rows],
            "measure_unit": None,
            "weight": [r[3] for r in rows],
            "actual": [r[2] for r in rows],
            "self_score": [r[4] for r in rows],
            "deviation_note": None,
        }
    )
    budget = pd.DataFrame({"project_id": ["P1"], "initial": [100.0], "annual": [100.0], "executed": [62.0]})
    return frame, budget


# ---------------------------------------------------------------------------------------------
# Baseline 1: one draw at a time through pbm
# ---------------------------------------------------------------------------------------------


def loop_through_pbm(frame, budget, scheme, draws, count: int) -> np.ndarray:
    """Score draws 0 … count−1 one at a time with score_indicators / score_budget / score_totals."""
    scored = score_indicators(frame, scheme)
    quantitative = (scored["state"] == "measured").to_numpy() & (scored["kind"] == "quantitative").to_numpy()
    qualitative = (scored["state"] == "measured").to_numpy() & (scored["kind"] == "qualitative").to_numpy()
    unit = scored["target_unit"].astype(object).to_numpy()
    suffix = [u if isinstance(u, str) else "" for u in unit]
    budget_scores = score_budget(budget, scheme)
    out = np.empty((count, 2))
    for d in range(count):
        one = frame.copy()
        one["weight"] = draws.weights[d]
        actual = one["actual"].to_numpy(dtype=object)
        for i in np.flatnonzero(quantitative):
            actual[i] = np.format_float_positional(draws.actuals[d, i], unique=True, trim="-") + suffix[i]
        one["actual"] = actual
        self_score = one["self_score"].to_numpy(dtype=float).copy()
        self_score[qualitative] = draws.score_lo[d, qualitative]
        one["self_score"] = self_score
        totals = score_totals(score_indicators(one, scheme), budget_scores, scheme)
        out[d] = totals.loc[0, ["total_lo", "total_hi"]].to_numpy(dtype=float)
    return out


# ---------------------------------------------------------------------------------------------
# Baseline 2: hand-written formulas (reference only)
# ---------------------------------------------------------------------------------------------


def row_rules(frame, scheme) -> list[tuple]:
    """(kind, target, actual, printed weight, reported share, block) per row, from the pbm scorer."""
    scored = score_indicators(frame, scheme)
    rules = []
    for i in range(len(scored)):
        r = scored.iloc[i]
        if r["kind"] == "qualitative":
            rules.append(
                ("qualitative", math.nan, math.nan, r["weight"], r["self_score"] / r["weight"], r["level1"])
            )
        else:
            rules.append(
                (
                    r["direction_rule"],
                    r["target_value"],
                    r["actual_value"],
                    r["weight"],
                    math.nan,
                    r["level1"],
                )
            )
    return rules


def formula_total(rules, weights, actuals, budget_score: float) -> float:
    total = budget_score
    for (kind, t, _, _, reported, _), w, a in zip(rules, weights, actuals, strict=True):
        if kind == "qualitative":
            share = reported
        elif kind in ("reverse", "reverse_strict"):
            share = 1.0 if a <= t else max(0.0, 2.0 - a / t)
        else:  # positive, positive_strict, one-sided equal
            share = 1.0 if a >= t else max(a, 0.0) / t
        total += w * share
    return total


def formula_loop(rules, budget_score, scheme, draws: int, seed: int) -> list[str]:
    """Plain per-draw loop: draw weights and actuals with scalar numpy calls, apply the formulas, grade."""
    rng = np.random.default_rng(seed)
    minimums = list(scheme.grades.minimums[::-1])
    names = list(scheme.grades.grades[::-1])
    blocks: dict[str, list[int]] = {}
    for i, rule in enumerate(rules):
        blocks.setdefault(rule[5], []).append(i)
    sigma = math.sqrt(math.log1p(DEFAULT_CV**2))
    grades = []
    for _ in range(draws):
        weights = [0.0] * len(rules)
        for members in blocks.values():
            printed = [rules[i][3] for i in members]
            block_total = sum(printed)
            if len(members) == 1:
                weights[members[0]] = block_total
                continue
            q = rng.dirichlet([DEFAULT_CONCENTRATION * w / block_total for w in printed])
            for i, share in zip(members, q, strict=True):
                weights[i] = share * block_total
        actuals = [
            a * rng.lognormal(-sigma * sigma / 2, sigma) if kind != "qualitative" else math.nan
            for kind, _, a, _, _, _ in rules
        ]
        total = float(round_half_up(formula_total(rules, weights, actuals, budget_score), 2))
        grades.append(names[bisect.bisect_right(minimums, total) - 1])
    return grades


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--loop-sample", type=int, default=300, help="draws scored one at a time through pbm")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of the vectorised Monte Carlo")
    args = parser.parse_args(argv)

    scheme = load_scheme("cz2020-10-self")
    frame, budget = project()
    print(
        f"pbm grade Monte Carlo benchmark · Python {platform.python_version()} · pandas {pd.__version__} · "
        f"numpy {np.__version__} · {os.cpu_count()} CPU(s) · load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"project: {len(frame)} indicator rows + budget row; {args.draws:,} draws; "
        f"Dirichlet κ = {DEFAULT_CONCENTRATION:g} (level-1 blocks), lognormal actuals CV {DEFAULT_CV:.0%}, "
        "512 strata"
    )

    grade_distribution(frame, budget, scheme, draws=100, seed=args.seed)  # warm-up: imports, regexes
    times, cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        summary, draws = grade_distribution(frame, budget, scheme, draws=args.draws, seed=args.seed)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    best, median = min(times), float(np.median(times))
    row = summary.iloc[0]
    print(
        f"vectorised grade_distribution, {args.draws:,} draws: best {best:.3f} s, median {median:.3f} s of "
        f"{args.repeat} (CPU time best {min(cpu):.3f} s)"
    )
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(
            f"  note: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s) — other processes compete; "
            "wall times are inflated, CPU times less so"
        )
    probabilities = ", ".join(f"{x} {row[f'p_{x}']:.1%}" for x in grade_labels(scheme) if row[f"p_{x}"] > 0)
    print(
        f"  result: {describe(summary, others=True)} · {probabilities} · total mean {row['total_mean']:.2f}, "
        f"5–95 % [{row['total_p5']:.2f}, {row['total_p95']:.2f}] · deterministic {row['deterministic_lo']:.2f} "
        f"({row['deterministic_grade']})"
    )

    t0 = time.perf_counter()
    grade_distribution(frame, budget, scheme, draws=args.draws, seed=args.seed, strata=None)
    print(
        f"  for reference, continuous draws (strata=None, one parsed text per draw and row): "
        f"{time.perf_counter() - t0:.2f} s"
    )

    k = min(args.loop_sample, args.draws)
    t0, c0 = time.perf_counter(), time.process_time()
    looped = loop_through_pbm(frame, budget, scheme, draws, k)
    loop_seconds, loop_cpu = time.perf_counter() - t0, time.process_time() - c0
    per_draw = loop_seconds / k
    extrapolated = per_draw * args.draws
    fast = draws.totals[["total_lo", "total_hi"]].to_numpy()[:k]
    agree = np.isclose(looped, fast, rtol=0, atol=1e-9).all(axis=1).mean()
    print(
        f"baseline 1, per-draw loop through pbm (same scorer, same drawn inputs): {k:,} draws in "
        f"{loop_seconds:.2f} s ({per_draw * 1e3:.2f} ms/draw) → EXTRAPOLATED to {args.draws:,} draws: "
        f"{extrapolated:.1f} s (CPU {loop_cpu / k * args.draws:.1f} s); totals agree on {agree:.1%} of the "
        f"{k:,} draws"
    )
    print(
        f"  speed-up (extrapolated loop ÷ best vectorised): {extrapolated / best:.0f}× wall, "
        f"{loop_cpu / k * args.draws / min(cpu):.0f}× CPU time"
    )

    rules = row_rules(frame, scheme)
    budget_score = float(score_budget(budget, scheme)["budget_score"].iloc[0])
    check = np.array(
        [
            formula_total(rules, draws.weights[d], draws.actuals[d], budget_score)
            for d in range(min(2_000, args.draws))
        ]
    )
    same = np.isclose(check, draws.totals["total"].to_numpy()[: len(check)], rtol=0, atol=1e-9).mean()
    t0, c0 = time.perf_counter(), time.process_time()
    grades = formula_loop(rules, budget_score, scheme, args.draws, args.seed)
    formula_seconds, formula_cpu = time.perf_counter() - t0, time.process_time() - c0
    shares = pd.Series(grades).value_counts(normalize=True)
    print(
        f"baseline 2, hand-written formula loop (reference only; draws its own random numbers): all "
        f"{args.draws:,} draws in {formula_seconds:.2f} s (CPU {formula_cpu:.2f} s) → vectorised is "
        f"{formula_seconds / best:.1f}× faster wall, {formula_cpu / min(cpu):.1f}× CPU; its formulas match the "
        f"vectorised totals on {same:.1%} of {len(check):,} draws; its grades: "
        + ", ".join(f"{g} {p:.1%}" for g, p in shares.items())
    )
    print(
        f"target: under {TARGET_SECONDS:.0f} s → {'met' if best < TARGET_SECONDS else 'NOT met'} (best wall time)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
