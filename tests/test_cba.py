"""Cost-benefit analysis: rules.md §4.3 test vectors, IRR statuses, payback, cash-flow table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pbm_lib import cba
from pbm_lib.errors import ModelInputError

# −100, 30, 30, 30, 30 (years 0–4) as benefits and costs.
FLOWS = pd.DataFrame({"benefit": [0.0, 30, 30, 30, 30], "cost": [100.0, 0, 0, 0, 0]})


def test_default_rate_is_the_8_percent_setting():
    assert cba.DEFAULT_DISCOUNT_RATE == 0.08
    table = cba.cash_flow_table(FLOWS)
    assert table.attrs["rate"] == 0.08
    assert table["discount_factor"].tolist() == pytest.approx([1.08**-t for t in range(5)])


def test_vector_npv_bcr_at_3_5_percent():
    assert cba.npv(FLOWS, rate=0.035) == pytest.approx(10.1924, abs=5e-5)
    assert cba.benefit_cost_ratio(FLOWS, rate=0.035) == pytest.approx(1.1019, abs=5e-5)
    table = cba.cash_flow_table(FLOWS, rate=0.035)
    assert table["pv_benefit"].sum() == pytest.approx(110.1924, abs=5e-5)
    assert table["pv_cost"].sum() == pytest.approx(100.0)


def test_vector_irr_unique():
    result = cba.irr(FLOWS)
    assert result.status == "unique"
    assert result.rate == pytest.approx(0.077138, abs=5e-7)
    assert result.sign_changes == 1
    # The same from a plain list of net flows.
    assert cba.irr([-100, 30, 30, 30, 30]).rate == pytest.approx(result.rate, rel=1e-12)


def test_vector_irr_multiple():
    result = cba.irr([-100, 230, -132])
    assert result.status == "multiple"
    assert result.roots == pytest.approx((0.10, 0.20), abs=1e-10)
    assert result.rate is None
    assert result.sign_changes == 2
    assert "NPV" in result.note


def test_irr_none_without_sign_change():
    result = cba.irr([10, 10, 10])
    assert result.status == "none" and result.roots == () and result.rate is None
    assert result.sign_changes == 0


def test_irr_none_with_sign_changes_but_no_real_root():
    # 1 − 3x + 3x² (x = 1/(1+r)) has no real root although the flow changes sign twice.
    result = cba.irr([1, -3, 3])
    assert result.status == "none" and result.sign_changes == 2


def test_irr_none_when_root_is_outside_the_search_interval():
    result = cba.irr([-1, 1000])  # IRR = 99 900 %, beyond the 1000 % upper bound
    assert result.status == "none"
    assert cba.irr([-1, 1000], bounds=(-0.99, 1000.0)).rate == pytest.approx(999.0)


def test_irr_negative_and_long_flows():
    assert cba.irr([-100, 50]).rate == pytest.approx(-0.5)
    long = cba.irr(np.r_[-100.0, np.full(300, 5.0)])  # perpetuity-like: IRR ≈ 5 %
    assert long.status == "unique"
    assert long.rate == pytest.approx(0.05, abs=1e-6)


def test_irr_all_zero_is_an_error():
    with pytest.raises(ModelInputError, match="every net cash flow is zero"):
        cba.irr([0, 0, 0])


def test_green_book_stepped_factors():
    rates = cba.stepped_rates(40)
    assert rates[1] == 0.035 and rates[30] == 0.035 and rates[31] == 0.030
    d = cba.discount_factors([0, 30, 31, 40], rates)
    assert d == pytest.approx([1.0, 0.356278, 0.345901, 0.265105], abs=5e-7)
    # Stepwise compounding, not (1 + r_t)^−t.
    assert d[2] != pytest.approx(1.03**-31, abs=1e-4)


def test_schedule_must_cover_the_years():
    with pytest.raises(ModelInputError, match="one rate per year"):
        cba.discount_factors([0, 5], [0.03, 0.03])


def test_mid_year_convention():
    d = cba.discount_factors([0, 1, 2], 0.10, mid_year=True)
    assert d == pytest.approx([1.0, 1.1**-0.5, 1.1**-1.5])


def test_cash_flow_table_columns_and_years():
    flows = pd.DataFrame({"year": [2, 0, 1], "benefit": [60.0, 0.0, 50.0], "cost": [0.0, 100.0, 5.0]})
    table = cba.cash_flow_table(flows, rate=0.1)
    assert table.columns.tolist() == [
        "year",
        "benefit",
        "cost",
        "net",
        "discount_factor",
        "pv_benefit",
        "pv_cost",
        "pv_net",
        "cumulative_pv_net",
    ]
    assert table["year"].tolist() == [0, 1, 2]
    assert table["net"].tolist() == [-100.0, 45.0, 60.0]
    assert table["pv_net"].tolist() == pytest.approx([-100.0, 45 / 1.1, 60 / 1.21])
    assert table["cumulative_pv_net"].iloc[-1] == pytest.approx(-100 + 45 / 1.1 + 60 / 1.21)


def test_discounted_payback():
    # Cumulative PV at 3.5 %: −100, −71.01, −43.01, −15.95, +10.19 → 3 + 15.95/26.14.
    pv = [30 / 1.035**t for t in range(1, 5)]
    expected = 3 + (100 - sum(pv[:3])) / pv[3]
    assert cba.discounted_payback(FLOWS, rate=0.035) == pytest.approx(expected)
    assert cba.discounted_payback(FLOWS, rate=0.035) == pytest.approx(3.6101, abs=5e-5)
    assert cba.discounted_payback(FLOWS, rate=0.035, interpolate=False) == 4.0
    assert cba.discounted_payback(FLOWS, rate=0.08) is None  # NPV < 0 at 8 %
    gains = pd.DataFrame({"benefit": [10.0, 10.0], "cost": [0.0, 0.0]})
    assert cba.discounted_payback(gains) == 0.0


def test_appraise_summary():
    s = cba.appraise(FLOWS, rate=0.035)
    assert s["npv"] == pytest.approx(10.1924, abs=5e-5)
    assert s["bcr"] == pytest.approx(1.1019, abs=5e-5)
    assert s["value_for_money"] == "low"
    assert s["irr_status"] == "unique" and s["irr"] == pytest.approx(0.077138, abs=5e-7)
    assert s["discounted_payback"] == pytest.approx(3.6101, abs=5e-5)
    s8 = cba.appraise(FLOWS)
    assert s8["rate"] == 0.08 and s8["npv"] < 0 and s8["value_for_money"] == "poor"


@pytest.mark.parametrize(("bcr", "band"), [(0.99, "poor"), (1.0, "low"), (1.49, "low"), (1.5, "medium"), (2.0, "high")])
def test_value_for_money_bands(bcr, band):
    assert cba.value_for_money(bcr) == band


def test_bcr_undefined_without_costs():
    with pytest.raises(ModelInputError, match="present value of costs is 0"):
        cba.benefit_cost_ratio(pd.DataFrame({"benefit": [1.0], "cost": [0.0]}))


@pytest.mark.parametrize(
    ("flows", "message"),
    [
        (pd.DataFrame({"benefit": [], "cost": []}), "empty"),
        (pd.DataFrame({"benefit": [1.0]}), "'cost'"),
        (pd.DataFrame({"benefit": [1.0, 2.0], "cost": [-1.0, 0.0]}), r"'cost' is negative in year\(s\) 0"),
        (pd.DataFrame({"benefit": [1.0, "x"], "cost": [1.0, 0.0]}), r"non-numeric values in year\(s\) 1"),
        (pd.DataFrame({"year": [0, 0], "benefit": [1.0, 1.0], "cost": [1.0, 0.0]}), "repeated years"),
        (pd.DataFrame({"year": [0, 1.5], "benefit": [1.0, 1.0], "cost": [1.0, 0.0]}), "whole years"),
    ],
)
def test_bad_flows(flows, message):
    with pytest.raises(ModelInputError, match=message):
        cba.cash_flow_table(flows)


def test_bad_rate():
    with pytest.raises(ModelInputError, match="> −100 %"):
        cba.npv(FLOWS, rate=-1.0)
