"""Cost indicators and cost-effectiveness: rules.md §4.1–4.3, test vectors A and B, dominance edge cases."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import itertools
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbm_lib import cost
from pbm_lib.errors import ModelInputError, PbmError

VECTOR_A = pd.DataFrame(
    {
        "name": ["1", "2", "3", "4", "5", "6", "7", "8"],
        "cost": [14807, 26041, 49706, 64266, 40022, 57392, 91744, 54651],
        "effect": [9.635, 10.2497, 11.1654, 11.5152, 11.582, 11.6248, 11.6296, 11.6588],
    }
)

VECTOR_B = pd.DataFrame(
    {
        "name": list("ABCDEFHG"),
        "cost": [0, 100, 200, 200, 200, 300, 350, 400],
        "effect": [0, 1, 2, 2, 1.5, 2, 2.5, 3],
    }
)


def frame(rows):
    return pd.DataFrame(rows, columns=["name", "cost", "effect"])


def by_name(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("name")


# ---------------------------------------------------------------------------------------------
# Test vector A (heemod issue #182 inputs)
# ---------------------------------------------------------------------------------------------


def test_vector_a_statuses_and_dominators():
    t = by_name(cost.icer_frontier(VECTOR_A))
    assert t["status"].to_dict() == {
        "1": "frontier",
        "2": "extended-dominated",
        "3": "dominated",
        "4": "dominated",
        "5": "frontier",
        "6": "dominated",
        "7": "dominated",
        "8": "frontier",
    }
    assert t.loc["3", "dominated_by"] == "5"
    assert t.loc["4", "dominated_by"] == "5"
    assert t.loc["6", "dominated_by"] == "8"
    assert t.loc["7", "dominated_by"] == "8"
    assert (t.loc["2", "bracket_lower"], t.loc["2", "bracket_upper"]) == ("1", "5")


def test_vector_a_icers():
    t = by_name(cost.icer_frontier(VECTOR_A))
    assert bool(t.loc["1", "reference"]) and pd.isna(t.loc["1", "icer"])
    assert t.loc["5", "icer"] == pytest.approx(12950.69, abs=0.005)
    assert t.loc["5", "comparator"] == "1"
    assert t.loc["8", "icer"] == pytest.approx(190481.77, abs=0.005)
    assert t.loc["8", "comparator"] == "5"
    assert t.loc["8", "delta_cost"] == pytest.approx(54651 - 40022)
    assert t.loc["8", "delta_effect"] == pytest.approx(11.6588 - 11.582)
    # The reason 2 is extended-dominated: its ICER vs 1 exceeds 2 → 5.
    assert (26041 - 14807) / (10.2497 - 9.635) == pytest.approx(18275.6, abs=0.05)
    assert (40022 - 26041) / (11.582 - 10.2497) == pytest.approx(10493.9, abs=0.05)
    off = t[t["status"] != "frontier"]
    assert off["icer"].isna().all() and off["comparator"].isna().all()


def test_sorted_output_order():
    t = cost.icer_frontier(VECTOR_A)
    assert t["name"].tolist() == ["1", "2", "5", "3", "8", "6", "4", "7"]


# ---------------------------------------------------------------------------------------------
# Test vector B (tie rules) and textbook dominance edge cases
# ---------------------------------------------------------------------------------------------


def test_vector_b_statuses():
    t = by_name(cost.icer_frontier(VECTOR_B))
    assert t["status"].to_dict() == {
        "A": "frontier",
        "B": "frontier",
        "C": "frontier",
        "D": "dominated",
        "E": "dominated",
        "F": "dominated",
        "H": "extended-dominated",
        "G": "frontier",
    }
    assert t["icer"].dropna().to_dict() == {"B": 100.0, "C": 100.0, "G": 200.0}
    assert t.loc["G", "comparator"] == "C"
    assert t.loc["D", "duplicate_of"] == "C" and t.loc["D", "dominated_by"] == "C"
    assert "exact duplicate of C" in t.loc["D", "note"]
    assert "equal cost" in t.loc["E", "note"] and t.loc["E", "dominated_by"] == "C"
    assert "equal effect" in t.loc["F", "note"] and t.loc["F", "dominated_by"] == "C"
    assert (t.loc["H", "bracket_lower"], t.loc["H", "bracket_upper"]) == ("C", "G")


@pytest.mark.parametrize(
    ("wtp", "tie", "expected"),
    [
        (100, "effective", "C"),  # A, B, C tie at NMB 0
        (100, "cheaper", "A"),
        (150, "effective", "C"),
        (150, "cheaper", "C"),
        (200, "effective", "G"),  # C and G tie
        (200, "cheaper", "C"),
        (0, "effective", "A"),
        (99.99, "effective", "A"),
        (1e6, "effective", "G"),
    ],
)
def test_vector_b_decisions(wtp, tie, expected):
    t = cost.icer_frontier(VECTOR_B)
    assert cost.optimal_strategy(t, wtp, tie=tie) == expected
    nb = by_name(cost.net_benefit(VECTOR_B, wtp, tie=tie))
    assert nb["optimal"].sum() == 1 and bool(nb.loc[expected, "optimal"])
    # The chosen alternative maximises NMB = λE − C.
    assert nb.loc[expected, "nmb"] == pytest.approx(nb["nmb"].max())


def test_optimal_strategy_over_a_grid():
    t = cost.icer_frontier(VECTOR_B)
    chosen = cost.optimal_strategy(t, [0, 50, 100, 150, 200, 250])
    assert chosen.tolist() == ["A", "A", "C", "C", "G", "G"]
    assert chosen.index.tolist() == [0, 50, 100, 150, 200, 250]


def test_nmb_and_nhb_values():
    nb = by_name(cost.net_benefit(VECTOR_B, 150))
    assert nb.loc["G", "nmb"] == 150 * 3 - 400
    assert nb.loc["G", "nhb"] == pytest.approx(3 - 400 / 150)
    assert nb.attrs["wtp"] == 150
    assert nb["nhb"].notna().all()
    zero = cost.net_benefit(VECTOR_B, 0)
    assert zero["nhb"].isna().all()


def test_tie_in_cost_lower_effect_is_dominated():
    t = by_name(cost.icer_frontier(frame([("a", 10, 1), ("b", 10, 2), ("c", 20, 3)])))
    assert t["status"].to_dict() == {"a": "dominated", "b": "frontier", "c": "frontier"}
    assert t.loc["a", "dominated_by"] == "b"
    assert bool(t.loc["b", "reference"])


def test_tie_in_effect_higher_cost_is_dominated():
    t = by_name(cost.icer_frontier(frame([("a", 10, 1), ("b", 15, 1), ("c", 20, 3)])))
    assert t["status"].to_dict() == {"a": "frontier", "b": "dominated", "c": "frontier"}
    assert t.loc["b", "dominated_by"] == "a"
    assert t.loc["c", "icer"] == pytest.approx(5.0)


def test_exact_duplicates_later_one_is_dominated_whatever_the_row_order():
    t = by_name(cost.icer_frontier(frame([("x", 0, 0), ("twin2", 50, 2), ("twin1", 50, 2)])))
    assert t.loc["twin2", "status"] == "frontier"
    assert t.loc["twin1", "status"] == "dominated"
    assert t.loc["twin1", "duplicate_of"] == "twin2"


def test_extended_dominance_only_after_another_is_removed():
    # ICERs on the kept list: B 10, C 20, D 0.4. Only C violates at first; once C is removed,
    # B → D has ICER 11/2.5 = 4.4 < 10, so B becomes extended-dominated on the second pass.
    data = frame([("A", 0, 0), ("B", 10, 1), ("C", 20, 1.5), ("D", 21, 4)])
    t = by_name(cost.icer_frontier(data))
    assert t["status"].to_dict() == {
        "A": "frontier",
        "B": "extended-dominated",
        "C": "extended-dominated",
        "D": "frontier",
    }
    assert t.loc["D", "icer"] == pytest.approx(21 / 4)
    assert t.loc["D", "comparator"] == "A"
    assert (t.loc["B", "bracket_lower"], t.loc["B", "bracket_upper"]) == ("A", "D")
    assert (t.loc["C", "bracket_lower"], t.loc["C", "bracket_upper"]) == ("A", "D")


def test_collinear_points_stay_unless_drop():
    data = frame([("A", 0, 0), ("B", 100, 1), ("C", 200, 2), ("D", 300, 3), ("E", 500, 4)])
    keep = by_name(cost.icer_frontier(data))
    assert (keep["status"] == "frontier").all()
    assert keep["icer"].dropna().tolist() == [100.0, 100.0, 100.0, 200.0]
    drop = by_name(cost.icer_frontier(data, collinear="drop"))
    assert drop["status"].to_dict() == {
        "A": "frontier",
        "B": "extended-dominated",
        "C": "extended-dominated",
        "D": "frontier",
        "E": "frontier",
    }
    assert drop.loc["D", "icer"] == pytest.approx(100.0)
    assert drop.loc["D", "comparator"] == "A"
    assert (drop.loc["B", "bracket_lower"], drop.loc["B", "bracket_upper"]) == ("A", "D")


def test_collinear_within_relative_tolerance():
    # 1e-12 relative noise must not create extended dominance.
    data = frame([("A", 0, 0), ("B", 100 * (1 + 1e-12), 1), ("C", 200, 2)])
    assert (cost.icer_frontier(data)["status"] == "frontier").all()


def test_single_alternative_is_the_reference():
    t = cost.icer_frontier(frame([("only", 5, 1)]))
    assert t["status"].tolist() == ["frontier"] and bool(t["reference"].iloc[0])


def test_negative_effects_are_allowed():
    t = by_name(cost.icer_frontier(frame([("a", 0, -2), ("b", 10, -1)])))
    assert t.loc["b", "icer"] == pytest.approx(10.0)


def test_negative_cost_allowed_only_on_request():
    data = frame([("saving", -10, 1), ("b", 10, 2)])
    with pytest.raises(ModelInputError, match="negative cost for 'saving'"):
        cost.icer_frontier(data)
    t = by_name(cost.icer_frontier(data, allow_negative_cost=True))
    assert t.loc["b", "icer"] == pytest.approx(20.0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (frame([]), "empty"),
        (frame([("a", 1, 1), ("a", 2, 2)]), "duplicate alternative names a"),
        (frame([("a", 1, 1), ("b", 1, 1), ("c", 1, 1)]), "all 3 alternatives have the same cost"),
        (frame([("a", 1, 1), ("b", "x", 2)]), "non-numeric values at 'b'"),
        (frame([("a", 1, 1), (None, 2, 2)]), "has no name"),
        (pd.DataFrame({"name": ["a"], "cost": [1]}), "'effect' not found"),
    ],
)
def test_bad_input_raises_model_input_error(data, message):
    with pytest.raises(ModelInputError, match=message) as info:
        cost.icer_frontier(data)
    assert isinstance(info.value, PbmError)


def test_bad_options():
    with pytest.raises(ModelInputError, match="collinear"):
        cost.icer_frontier(VECTOR_B, collinear="maybe")
    t = cost.icer_frontier(VECTOR_B)
    with pytest.raises(ModelInputError, match="tie"):
        cost.optimal_strategy(t, 100, tie="random")
    with pytest.raises(ModelInputError, match="≥ 0"):
        cost.optimal_strategy(t, -1)


# ---------------------------------------------------------------------------------------------
# Property: the frontier is the lower convex boundary (checked by brute force with exact fractions)
# ---------------------------------------------------------------------------------------------


def brute_force_frontier(points: list[tuple[int, int]]) -> set[int]:
    """Indices of points on the frontier by definition, with exact rational arithmetic."""
    n = len(points)
    order = sorted(range(n), key=lambda i: (points[i][0], -points[i][1], i))
    kept, best = [], None
    for i in order:  # strong dominance
        if best is None or points[i][1] > best:
            kept.append(i)
            best = points[i][1]
    frontier = set()
    for k in kept:
        ck, ek = points[k]
        below_chord = False
        for i, j in itertools.combinations(kept, 2):
            (ci, ei), (cj, ej) = points[i], points[j]
            if ei > ej:
                (ci, ei), (cj, ej) = (cj, ej), (ci, ei)
            if ei < ek < ej:
                chord = Fraction(ci) + Fraction(cj - ci) * Fraction(ek - ei, ej - ei)
                if chord < ck:
                    below_chord = True
                    break
        if not below_chord:
            frontier.add(k)
    return frontier


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(-20, 20)), min_size=2, max_size=9))
def test_frontier_matches_lower_convex_boundary(points):
    if len(set(points)) == 1:
        return  # all identical: rejected by design (tested above)
    data = frame([(f"s{i}", c, e) for i, (c, e) in enumerate(points)])
    t = cost.icer_frontier(data)
    got = {int(n[1:]) for n in t.loc[t["status"] == "frontier", "name"]}
    assert got == brute_force_frontier(points)
    icers = t.loc[t["status"] == "frontier", "icer"].dropna().to_numpy(dtype=float)
    assert (np.diff(icers) >= -1e-9 * np.abs(icers[1:])).all()  # non-decreasing along the frontier
    # Every λ's choice maximises NMB over all alternatives.
    for wtp in (0.0, 0.5, 1.0, 3.0, 10.0):
        best = cost.optimal_strategy(t, wtp)
        nmb = wtp * t["effect"] - t["cost"]
        assert nmb[t["name"] == best].iloc[0] == pytest.approx(nmb.max())


# ---------------------------------------------------------------------------------------------
# CEAC, probability best, CEAF, EVPI
# ---------------------------------------------------------------------------------------------


def draws():
    # Two draws, three alternatives, hand-computable.
    costs = pd.DataFrame({"A": [0.0, 0.0], "B": [10.0, 30.0], "C": [20.0, 20.0]})
    effects = pd.DataFrame({"A": [0.0, 0.0], "B": [1.0, 1.0], "C": [1.0, 2.0]})
    return costs, effects


def test_ceac_hand_computed():
    costs, effects = draws()
    curve = cost.ceac(costs, effects, [0, 10, 15, 25], seed=7)
    # λ = 0: A best in both draws.
    assert curve.loc[0.0].tolist() == [1.0, 0.0, 0.0]
    # λ = 10: draw 1 NMB A 0, B 0, C −10 → A and B tie (½ each); draw 2: A 0, B −20, C 0 → A, C tie.
    assert curve.loc[10.0].tolist() == pytest.approx([0.5, 0.25, 0.25])
    # λ = 15: draw 1 A 0, B 5, C −5 → B; draw 2 A 0, B −15, C 10 → C.
    assert curve.loc[15.0].tolist() == pytest.approx([0.0, 0.5, 0.5])
    # λ = 25: draw 1 A 0, B 15, C 5 → B; draw 2 A 0, B −5, C 30 → C.
    assert curve.loc[25.0].tolist() == pytest.approx([0.0, 0.5, 0.5])
    assert np.allclose(curve.sum(axis=1), 1.0)
    assert curve.attrs["draws"] == 2 and curve.attrs["seed"] == 7 and curve.attrs["wtp"] == [0, 10, 15, 25]


def test_probability_best_and_ceaf_differ_from_the_ceac_envelope():
    # B wins more often; C has the higher expected NMB (Fenwick et al.: the CEAF is not the envelope).
    costs = pd.DataFrame({"B": [0.0, 0.0, 0.0], "C": [0.0, 0.0, 0.0]})
    effects = pd.DataFrame({"B": [1.0, 1.0, 1.0], "C": [0.9, 0.9, 3.0]})
    p = cost.probability_best(costs, effects, 1.0)
    assert p.to_dict() == pytest.approx({"B": 2 / 3, "C": 1 / 3})
    frontier = cost.ceaf(costs, effects, [1.0])
    assert frontier.loc[1.0, "optimal"] == "C"
    assert frontier.loc[1.0, "expected_nmb"] == pytest.approx(1.6)
    assert frontier.loc[1.0, "probability"] == pytest.approx(1 / 3)


def test_evpi_hand_computed():
    costs = pd.DataFrame({"B": [0.0, 0.0, 0.0], "C": [0.0, 0.0, 0.0]})
    effects = pd.DataFrame({"B": [1.0, 1.0, 1.0], "C": [0.9, 0.9, 3.0]})
    # mean of per-draw max = (1 + 1 + 3)/3 = 5/3; max of means = 1.6 → EVPI = 1/15 at λ = 1.
    value = cost.evpi(costs, effects, [0.0, 1.0, 2.0])
    assert value.loc[1.0] == pytest.approx(5 / 3 - 1.6)
    assert value.loc[2.0] == pytest.approx(2 * (5 / 3 - 1.6))
    assert value.loc[0.0] == 0.0


def test_ceac_is_vectorised_and_sums_to_one_on_many_draws():
    rng = np.random.default_rng(3)
    names = ["a", "b", "c", "d"]
    costs = pd.DataFrame(rng.normal([0, 100, 200, 300], 30, (5000, 4)), columns=names)
    effects = pd.DataFrame(rng.normal([0, 1, 1.8, 2.2], 0.3, (5000, 4)), columns=names)
    grid = np.linspace(0, 1000, 201)
    curve = cost.ceac(costs, effects, grid)
    assert curve.shape == (201, 4)
    assert np.allclose(curve.sum(axis=1), 1.0)
    for wtp in (0.0, 500.0, 1000.0):  # against a plain per-draw count
        winners = (wtp * effects.to_numpy() - costs.to_numpy()).argmax(axis=1)
        expected = np.bincount(winners, minlength=4) / 5000
        assert curve.loc[wtp].to_numpy() == pytest.approx(expected)


def test_draws_must_match():
    costs, effects = draws()
    with pytest.raises(ModelInputError, match="same shape"):
        cost.ceac(costs, effects[["A", "B"]], [1.0])
    with pytest.raises(ModelInputError, match="finite"):
        cost.ceac(costs.assign(A=[np.nan, 0.0]), effects, [1.0])


# ---------------------------------------------------------------------------------------------
# Cost indicators
# ---------------------------------------------------------------------------------------------


def test_cost_saving_rate():
    assert cost.cost_saving_rate(100.0, 90.0) == pytest.approx(0.10)
    s = cost.cost_saving_rate(pd.Series([200.0, 50.0], index=["x", "y"]), pd.Series([220.0, 50.0], index=["x", "y"]))
    assert s.to_dict() == pytest.approx({"x": -0.10, "y": 0.0})
    with pytest.raises(ModelInputError, match="planned cost must be > 0"):
        cost.cost_saving_rate(0.0, 1.0)
    with pytest.raises(ModelInputError, match="actual cost must be ≥ 0"):
        cost.cost_saving_rate(1.0, -1.0)


def test_unit_costs_against_benchmarks():
    data = pd.DataFrame(
        {
            "project": ["路1", "路2", "校1"],
            "cost": [300.0, 500.0, 1200.0],  # 万元
            "km": [3.0, 4.0, 1.0],
            "standard": [110.0, 110.0, 1000.0],  # 万元 per km / per school
            "basis": ["行业标准", "plan", "历史"],
        }
    )
    t = cost.unit_costs(data, cost="cost", quantity="km", benchmark="standard", basis="basis", name="project")
    assert t["unit_cost"].tolist() == pytest.approx([100.0, 125.0, 1200.0])
    assert t["benchmark_ratio"].tolist() == pytest.approx([100 / 110, 125 / 110, 1.2])
    assert t["saving_rate"].tolist() == pytest.approx([10 / 110, -15 / 110, -0.2])
    assert t["within_benchmark"].tolist() == [True, False, False]
    assert t["basis"].tolist() == ["industry", "plan", "history"]


def test_unit_costs_errors_name_the_row():
    data = pd.DataFrame({"project": ["a", "b"], "cost": [1.0, 2.0], "quantity": [1.0, 0.0]})
    with pytest.raises(ModelInputError, match=r"'quantity' must be > 0; found 'b' \(0\)"):
        cost.unit_costs(data, name="project")
    data = pd.DataFrame({"project": ["a"], "cost": [-1.0], "quantity": [1.0]})
    with pytest.raises(ModelInputError, match=r"'cost' must be ≥ 0; found 'a'"):
        cost.unit_costs(data, name="project")
    data = pd.DataFrame({"project": ["a"], "cost": [1.0], "quantity": [1.0], "basis": ["猜的"]})
    with pytest.raises(ModelInputError, match="unknown values at 'a'"):
        cost.unit_costs(data, name="project", basis="basis")


def test_cost_indicators():
    data = pd.DataFrame(
        {"kind": ["经济成本指标", "social", "生态环境成本"], "planned": [100.0, 10.0, 5.0], "actual": [90.0, 12.0, 5.0]}
    )
    t = cost.cost_indicators(data)
    assert t["kind"].tolist() == ["economic", "social", "environmental"]
    assert t["saving_rate"].tolist() == pytest.approx([0.1, -0.2, 0.0])
    assert t["over_plan"].tolist() == [False, True, False]


def test_compare_units_within_groups():
    data = pd.DataFrame(
        {
            "town": ["甲镇", "乙镇", "丙镇", "甲镇", "乙镇"],
            "kind": ["road", "road", "road", "school", "school"],
            "unit_cost": [100.0, 120.0, 90.0, 1000.0, 800.0],
        }
    )
    t = cost.compare_units(data, group="kind")
    assert t["group_median"].tolist() == [100.0, 100.0, 100.0, 900.0, 900.0]
    assert t["ratio_to_median"].tolist() == pytest.approx([1.0, 1.2, 0.9, 1000 / 900, 800 / 900])
    assert t["rank"].tolist() == [2, 3, 1, 2, 1]
    assert t["group_size"].tolist() == [3, 3, 3, 2, 2]


def test_compare_years():
    current = pd.DataFrame({"project": ["a", "b", "c"], "unit_cost": [110.0, 90.0, 5.0]})
    previous = pd.DataFrame({"project": ["a", "b", "d"], "unit_cost": [100.0, 100.0, 7.0]})
    t = cost.compare_years(current, previous, key="project").set_index("project")
    assert t.loc["a", "change"] == pytest.approx(10.0)
    assert t.loc["a", "change_rate"] == pytest.approx(0.10)
    assert t.loc["b", "change_rate"] == pytest.approx(-0.10)
    assert t["status"].to_dict() == {"a": "both", "b": "both", "c": "new", "d": "dropped"}
    assert pd.isna(t.loc["c", "change"]) and pd.isna(t.loc["d", "change_rate"])
    with pytest.raises(ModelInputError, match="duplicate 'project' values a"):
        cost.compare_years(pd.concat([current, current.head(1)]), previous, key="project")


# ---------------------------------------------------------------------------------------------
# Chart
# ---------------------------------------------------------------------------------------------


def test_plot_frontier_returns_axes_with_the_frontier_line():
    import matplotlib.pyplot as plt

    t = cost.icer_frontier(VECTOR_B)
    fig, ax = plt.subplots()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # CJK glyphs may be missing in the test environment
        out = cost.plot_frontier(t, ax, wtp=150, xlabel="effect", ylabel="cost")
    assert out is ax
    frontier_line = ax.get_lines()[0]
    assert list(frontier_line.get_xdata()) == [0, 1, 2, 3]
    assert list(frontier_line.get_ydata()) == [0, 100, 200, 400]
    threshold = ax.get_lines()[1]
    assert list(threshold.get_xdata()) == [0, 1, 2]  # up to C, the choice at λ = 150
    assert ax.get_xlabel() == "effect"
    plt.close(fig)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        created = cost.plot_frontier(t)
    assert created is not None and len(created.collections) >= 3
    plt.close(created.figure)
