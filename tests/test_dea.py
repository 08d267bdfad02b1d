"""DEA: rules.md §4.4 test vectors D1, D2 and M, and properties checked against a plain LP."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from pbm_lib import dea
from pbm_lib.errors import ModelInputError

D1 = pd.DataFrame(
    {"x1": [4, 7, 8, 4, 2, 10], "x2": [3, 3, 1, 2, 4, 1], "y": [1, 1, 1, 1, 1, 1]},
    index=pd.Index(list("ABCDEF"), name="unit"),
)
D2 = pd.DataFrame({"x": [2, 3, 6, 9, 5], "y": [1, 3, 4, 4.5, 2]}, index=list("PQRST"))


def run(data, inputs, outputs, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # small test sets trip the sample-size warning
        return dea.dea(data, inputs, outputs, **options)


# ---------------------------------------------------------------------------------------------
# Test vector D1: 2 inputs, output 1, CCR input
# ---------------------------------------------------------------------------------------------


def test_d1_scores_and_statuses():
    r = run(D1, ["x1", "x2"], ["y"])
    assert r["efficiency"].tolist() == pytest.approx([6 / 7, 12 / 19, 1, 1, 1, 1], abs=1e-9)
    assert round(float(r.loc["A", "efficiency"]), 4) == 0.8571
    assert round(float(r.loc["B", "efficiency"]), 4) == 0.6316
    assert r["status"].to_dict() == {
        "A": "inefficient",
        "B": "inefficient",
        "C": "efficient",
        "D": "efficient",
        "E": "efficient",
        "F": "weakly-efficient",
    }


def test_d1_peers_lambdas_and_slacks():
    r = run(D1, ["x1", "x2"], ["y"])
    assert r.loc["A", "peers"] == ["D", "E"]
    assert r.loc["A", "lambdas"] == pytest.approx({"D": 5 / 7, "E": 2 / 7})
    assert r.loc["B", "peers"] == ["C", "D"]
    assert r.loc["B", "lambdas"] == pytest.approx({"C": 2 / 19, "D": 17 / 19})
    assert {k: round(v, 3) for k, v in r.loc["B", "lambdas"].items()} == {"C": 0.105, "D": 0.895}
    for unit in "CDE":
        assert r.loc[unit, "peers"] == []  # efficient: its own reference, shown as no peer ("–")
    assert r.loc["F", "peers"] == ["C"]
    assert r.loc["F", "slack_x1"] == pytest.approx(2.0)
    assert r.loc["F", "slack_x2"] == 0 and r.loc["F", "slack_y"] == 0
    assert (r.drop(index="F")[["slack_x1", "slack_x2", "slack_y"]] == 0).all().all()


def test_d1_targets():
    r = run(D1, ["x1", "x2"], ["y"])
    assert r.loc["A", ["target_x1", "target_x2", "target_y"]].tolist() == pytest.approx([24 / 7, 18 / 7, 1.0])
    assert r.loc["F", ["target_x1", "target_x2", "target_y"]].tolist() == pytest.approx([8.0, 1.0, 1.0])
    assert r.loc["C", ["target_x1", "target_x2"]].tolist() == pytest.approx([8.0, 1.0])


def test_d1_super_efficiency():
    r = run(D1, ["x1", "x2"], ["y"], super_efficiency=True)
    expected = {"A": 6 / 7, "B": 12 / 19, "C": 8 / 7, "D": 1.25, "E": 2.0, "F": 1.0}
    assert r["efficiency"].astype(float).to_dict() == pytest.approx(expected, abs=1e-9)
    assert round(float(r.loc["C", "efficiency"]), 4) == 1.1429
    assert r["standard_efficiency"].tolist() == pytest.approx([6 / 7, 12 / 19, 1, 1, 1, 1])
    assert r.loc["F", "status"] == "weakly-efficient"
    assert (r["status"] != "infeasible").all()  # CRS, strictly positive data: always feasible


# ---------------------------------------------------------------------------------------------
# Test vector D2: 1 input, 1 output
# ---------------------------------------------------------------------------------------------


def test_d2_ccr_input():
    r = run(D2, ["x"], ["y"], model="ccr")
    assert r["efficiency"].tolist() == pytest.approx([0.5, 1, 4 / 6, 0.5, 0.4])


def test_d2_ccr_output_is_reciprocal():
    r = run(D2, ["x"], ["y"], model="ccr", orientation="output")
    assert r["score"].tolist() == pytest.approx([2.0, 1.0, 1.5, 2.0, 2.5])
    assert r["efficiency"].tolist() == pytest.approx([0.5, 1, 4 / 6, 0.5, 0.4])


def test_d2_bcc_input_and_output():
    r = run(D2, ["x"], ["y"], model="bcc")
    assert r["efficiency"].tolist() == pytest.approx([1, 1, 1, 1, 0.5])
    assert r.loc["T", "lambdas"] == pytest.approx({"P": 0.5, "Q": 0.5})
    out = run(D2, ["x"], ["y"], model="bcc", orientation="output")
    assert out["score"].tolist() == pytest.approx([1, 1, 1, 1, 1.8333333333], abs=1e-9)
    assert round(float(out.loc["T", "score"]), 4) == 1.8333
    assert out.loc["T", "efficiency"] == pytest.approx(1 / 1.8333333333)
    assert out.loc["T", "target_y"] == pytest.approx(11 / 3)
    assert out.loc["T", "lambdas"] == pytest.approx({"Q": 1 / 3, "R": 2 / 3})


def test_d2_vrs_super_efficiency_input():
    r = run(D2, ["x"], ["y"], model="bcc", super_efficiency=True)
    expected = {"P": 1.5, "Q": 1.5556, "R": 1.1667, "T": 0.5}
    got = {k: round(float(v), 4) for k, v in r["efficiency"].drop("S").items()}
    assert got == expected
    assert r.loc["S", "status"] == "infeasible"
    assert r.loc["S", "efficiency"] is pd.NA and r.loc["S", "score"] is pd.NA
    assert "infeasible" in r.loc["S", "note"] and "Seiford & Zhu" in r.loc["S", "note"]
    assert r.loc["S", "peers"] == [] and r.loc["S", "lambdas"] == {}
    assert r.loc["S", "standard_efficiency"] == 1.0


def test_d2_vrs_super_efficiency_output():
    r = run(D2, ["x"], ["y"], model="bcc", orientation="output", super_efficiency=True)
    assert r.loc["P", "status"] == "infeasible" and r.loc["P", "score"] is pd.NA
    got = {k: round(float(v), 4) for k, v in r["score"].drop("P").items()}
    assert got == {"Q": 0.5833, "R": 0.9375, "S": 0.8889, "T": 1.8333}


def test_infeasible_output_has_no_nan_or_inf():
    r = run(D2, ["x"], ["y"], model="bcc", super_efficiency=True)
    values = r["efficiency"]
    assert str(values.dtype) == "Float64"
    assert not np.isinf(values.dropna().to_numpy(dtype=float)).any()
    assert values.isna().sum() == 1  # the one infeasible unit, as <NA>
    assert not any(isinstance(v, float) and np.isnan(v) for v in values.tolist())


# ---------------------------------------------------------------------------------------------
# Test vector M: Malmquist
# ---------------------------------------------------------------------------------------------


def test_malmquist_vector_m():
    before = pd.DataFrame({"x": [2, 4], "y": [2, 2]}, index=["U1", "U2"])
    after = pd.DataFrame({"x": [2, 4], "y": [3, 4]}, index=["U1", "U2"])
    m = dea.malmquist(before, after, ["x"], ["y"])
    assert m.loc["U1", ["malmquist", "efficiency_change", "technical_change"]].tolist() == pytest.approx([1.5, 1, 1.5])
    assert m.loc["U2", ["malmquist", "efficiency_change", "technical_change"]].tolist() == pytest.approx(
        [2, 4 / 3, 1.5]
    )
    assert m.loc["U1", ["e_t_t", "e_t_t1", "e_t1_t", "e_t1_t1"]].tolist() == pytest.approx([1, 1.5, 2 / 3, 1])
    assert m.loc["U2", ["e_t_t", "e_t_t1", "e_t1_t", "e_t1_t1"]].tolist() == pytest.approx([0.5, 1, 1 / 3, 2 / 3])
    assert (m["malmquist"] == m["efficiency_change"] * m["technical_change"]).all()
    assert (m["status"] == "ok").all()


def test_malmquist_skips_unbalanced_units():
    before = pd.DataFrame({"x": [2, 4, 1], "y": [2, 2, 1]}, index=["U1", "U2", "only-before"])
    after = pd.DataFrame({"x": [2, 4, 3], "y": [3, 4, 1]}, index=["U1", "U2", "only-after"])
    with pytest.warns(UserWarning, match="only-after, only-before"):
        m = dea.malmquist(before, after, ["x"], ["y"])
    assert m.index.tolist() == ["U1", "U2"]
    assert m.attrs["skipped"] == ["only-after", "only-before"]
    assert m.loc["U2", "malmquist"] == pytest.approx(2.0)


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (D1.assign(x2=[3, 3, None, 2, 4, 1]), "unit 'C', column 'x2': value is missing"),
        (D1.assign(x2=[3, 3, "abc", 2, 4, 1]), "unit 'C', column 'x2': value 'abc' is not a finite number"),
        (D1.assign(x1=[4, -7, 8, 4, 2, 10]), "unit 'B', column 'x1': -7 is negative"),
        (D1.assign(x1=[0, 7, 8, 4, 2, 10], x2=[0, 3, 1, 2, 4, 1]), "unit\\(s\\) 'A' have no positive input"),
        (D1.assign(y=0), "output column\\(s\\) y are zero for every unit"),
        (D1.iloc[:0], "no units"),
        (D1.set_axis(list("ABCDEA")), "duplicate unit names: A"),
    ],
)
def test_bad_data_names_the_unit_and_column(data, message):
    with pytest.raises(ModelInputError, match=message):
        run(data, ["x1", "x2"], ["y"])


def test_bad_options_and_columns():
    with pytest.raises(ModelInputError, match="unknown DEA model"):
        run(D1, ["x1"], ["y"], model="sbm")
    with pytest.raises(ModelInputError, match="orientation"):
        run(D1, ["x1"], ["y"], orientation="both")
    with pytest.raises(ModelInputError, match="input column\\(s\\) not found: staff"):
        run(D1, ["staff"], ["y"])
    with pytest.raises(ModelInputError, match="both input and output"):
        run(D1, ["x1", "y"], ["y"])


def test_zeros_in_cells_are_allowed():
    data = D1.assign(x2=[3, 3, 0, 2, 4, 1])  # C uses none of input 2
    r = run(data, ["x1", "x2"], ["y"])
    assert r.loc["C", "efficiency"] == 1.0
    assert r["efficiency"].between(0, 1, inclusive="right").all()


def test_unit_column_instead_of_index():
    data = D2.reset_index().rename(columns={"index": "名称"})
    r = run(data, ["x"], ["y"], unit="名称")
    assert r.index.tolist() == list("PQRST") and r.loc["T", "efficiency"] == pytest.approx(0.4)


def test_warnings_for_small_samples_and_wide_spans():
    with pytest.warns(UserWarning, match="fewer than max"):
        dea.dea(D1, ["x1", "x2"], ["y"])
    wide = D2.assign(x=[2, 3, 6, 9, 5e7])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dea.dea(wide, ["x"], ["y"])
    assert any("spans more than 10^6" in str(w.message) for w in caught)


def test_scale_efficiency():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        r = dea.scale_efficiency(D2, ["x"], ["y"])
    assert r["scale"].tolist() == pytest.approx([0.5, 1.0, 4 / 6, 0.5, 0.8])


def test_nirs_and_ndrs_bracket_crs_and_vrs():
    ccr = run(D2, ["x"], ["y"], model="ccr")["efficiency"].astype(float)
    bcc = run(D2, ["x"], ["y"], model="bcc")["efficiency"].astype(float)
    nirs = run(D2, ["x"], ["y"], model="nirs")["efficiency"].astype(float)
    ndrs = run(D2, ["x"], ["y"], model="ndrs")["efficiency"].astype(float)
    assert (ccr <= nirs + 1e-9).all() and (nirs <= bcc + 1e-9).all()
    assert (ccr <= ndrs + 1e-9).all() and (ndrs <= bcc + 1e-9).all()
    # P is below the CRS ray at small scale: NIRS = CRS there, NDRS = VRS.
    assert nirs["P"] == pytest.approx(0.5) and ndrs["P"] == pytest.approx(1.0)
    # S is at large scale: NIRS = VRS = 1, NDRS = CRS = 0.5.
    assert nirs["S"] == pytest.approx(1.0) and ndrs["S"] == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------------
# Properties on random data, against a plain LP with the full reference set
# ---------------------------------------------------------------------------------------------


def plain_theta(x: np.ndarray, y: np.ndarray, o: int, vrs: bool) -> float:
    """Input-oriented envelopment LP exactly as written in rules.md §4.4, no shortcuts."""
    m, n = x.shape
    c = np.r_[1.0, np.zeros(n)]
    a_ub = np.vstack([np.c_[-x[:, o], x], np.c_[np.zeros(y.shape[0]), -y]])
    b_ub = np.r_[np.zeros(m), -y[:, o]]
    a_eq = np.r_[0.0, np.ones(n)][None, :] if vrs else None
    b_eq = [1.0] if vrs else None
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=[(None, None)] + [(0, None)] * n)
    assert res.status == 0
    return res.x[0]


def plain_max_slack(x: np.ndarray, y: np.ndarray, o: int, theta: float, vrs: bool) -> float:
    """Phase II with the full reference set, on mean-normalised data."""
    m, n = x.shape
    s = y.shape[0]
    a_eq = np.block([[x, np.eye(m), np.zeros((m, s))], [y, np.zeros((s, m)), -np.eye(s)]])
    b_eq = np.r_[theta * x[:, o], y[:, o]]
    if vrs:
        a_eq = np.vstack([a_eq, np.r_[np.ones(n), np.zeros(m + s)]])
        b_eq = np.r_[b_eq, 1.0]
    c = np.r_[np.zeros(n), -np.ones(m + s)]
    res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None))
    if res.status != 0:
        res = linprog(c, A_eq=a_eq, b_eq=np.r_[theta * (1 + 1e-9) * x[:, o], b_eq[m:]], bounds=(0, None))
    return -res.fun


@st.composite
def dea_data(draw):
    n = draw(st.integers(2, 14))
    m = draw(st.integers(1, 3))
    s = draw(st.integers(1, 3))
    values = draw(st.lists(st.lists(st.integers(0, 20), min_size=m + s, max_size=m + s), min_size=n, max_size=n))
    z = np.array(values, dtype=float)
    x, y = z[:, :m], z[:, m:]
    assume((x > 0).any(axis=1).all() and (y > 0).any(axis=1).all())
    assume((x > 0).any(axis=0).all() and (y > 0).any(axis=0).all())
    frame = pd.DataFrame(z, columns=[f"in{i}" for i in range(m)] + [f"out{r}" for r in range(s)])
    return frame.set_axis([f"u{j}" for j in range(n)]), [f"in{i}" for i in range(m)], [f"out{r}" for r in range(s)]


@settings(max_examples=40, deadline=None)
@given(dea_data(), st.sampled_from(["ccr", "bcc"]))
def test_efficiency_in_unit_interval_and_peers_on_frontier(case, model):
    data, inputs, outputs = case
    for orientation in ("input", "output"):
        r = run(data, inputs, outputs, model=model, orientation=orientation)
        eff = r["efficiency"].astype(float)
        assert ((eff > 0) & (eff <= 1)).all()
        assert set(r["status"]) <= {"efficient", "weakly-efficient", "inefficient"}
        assert (eff[r["status"] != "inefficient"] == 1.0).all()  # frontier units score exactly 1
        for peers in r["peers"]:
            for peer in peers:
                assert r.loc[peer, "status"] == "efficient"  # peers lie on the efficient frontier
                assert eff[peer] == 1.0


@settings(max_examples=40, deadline=None)
@given(dea_data(), st.sampled_from(["ccr", "bcc"]))
def test_matches_the_plain_lp_with_full_reference_set(case, model):
    data, inputs, outputs = case
    r = run(data, inputs, outputs, model=model)
    x = data[inputs].to_numpy().T
    y = data[outputs].to_numpy().T
    xm, ym = x.mean(axis=1, keepdims=True), y.mean(axis=1, keepdims=True)
    xs, ys = x / xm, y / ym
    vrs = model == "bcc"
    for o, unit in enumerate(data.index):
        theta = plain_theta(xs, ys, o, vrs)
        assert float(r.loc[unit, "score"]) == pytest.approx(theta, abs=1e-7)
        slack_sum = (
            sum(float(r.loc[unit, f"slack_{c}"]) / xm[i, 0] for i, c in enumerate(inputs))
            + sum(float(r.loc[unit, f"slack_{c}"]) / ym[k, 0] for k, c in enumerate(outputs))
        )
        assert slack_sum == pytest.approx(plain_max_slack(xs, ys, o, theta, vrs), abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(dea_data(), st.lists(st.floats(1e-3, 1e3), min_size=6, max_size=6))
def test_invariant_to_units_of_measure(case, factors):
    data, inputs, outputs = case
    scaled = data.copy()
    for column, factor in zip(inputs + outputs, factors, strict=False):
        scaled[column] = scaled[column] * factor
    for model in ("ccr", "bcc"):
        a = run(data, inputs, outputs, model=model)
        b = run(scaled, inputs, outputs, model=model)
        assert b["efficiency"].astype(float).tolist() == pytest.approx(a["efficiency"].astype(float).tolist(), abs=1e-7)
        assert b["status"].tolist() == a["status"].tolist()


@settings(max_examples=25, deadline=None)
@given(dea_data())
def test_crs_input_is_reciprocal_of_output_and_ccr_below_bcc(case):
    data, inputs, outputs = case
    ccr_in = run(data, inputs, outputs)["score"].astype(float)
    ccr_out = run(data, inputs, outputs, orientation="output")["score"].astype(float)
    bcc_in = run(data, inputs, outputs, model="bcc")["score"].astype(float)
    assert (ccr_in * ccr_out).tolist() == pytest.approx([1.0] * len(data), abs=1e-7)
    assert (ccr_in <= bcc_in + 1e-9).all()


def test_thousand_units_runs_and_agrees_on_a_sample():
    rng = np.random.default_rng(11)
    n = 300
    x = rng.uniform(1, 10, (n, 3))
    y = x @ rng.uniform(0.2, 1, (3, 3)) * rng.uniform(0.5, 1, (n, 1))
    data = pd.DataFrame(np.c_[x, y], columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    r = dea.dea(data, ["x1", "x2", "x3"], ["y1", "y2", "y3"], model="bcc")
    xs = (x / x.mean(axis=0)).T
    ys = (y / y.mean(axis=0)).T
    for o in rng.choice(n, 15, replace=False):
        assert float(r["score"].iloc[o]) == pytest.approx(plain_theta(xs, ys, o, True), abs=1e-7)
