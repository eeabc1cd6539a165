"""The impact formulas on figures worked by hand (reference/impact.md), and the pure chart and period code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from service.impact import calculations as calc
from service.impact import procurement
from service.impact.charts import bar_chart
from service.impact.factors import ImpactFactors, fingerprint
from service.impact.period import PeriodError, check_group_by, resolve_period

FACTORS = ImpactFactors()


def ctx(factors: ImpactFactors = FACTORS) -> calc.Context:
    return calc.Context(factors, "v1/test")


def test_co2e_per_device_kept_longer_and_replaced_early() -> None:
    # Laptop, 236 kg manufacturing (Boavizta median), baseline 36 months.
    # 48 months: 236 x (48/36 - 1) = 236 / 3 = 78.666...; 24 months: 236 x (24/36 - 1) = -78.666...
    assert round(calc.co2e_avoided_kg(Decimal(236), 48, 36), 3) == Decimal("78.667")
    assert round(calc.co2e_avoided_kg(Decimal(236), 24, 36), 3) == Decimal("-78.667")
    assert calc.co2e_avoided_kg(Decimal(236), 36, 36) == 0


def test_a_device_replaced_before_the_baseline_is_a_flagged_negative_contribution() -> None:
    # Two laptops: 48 months (kept longer) and 24 months (replaced early). Sum 72, mean 36.0.
    row = calc.lifetime_row(calc.LifetimeAggregate("laptop", "laptop", 2, 72, 1, 24), ctx())
    f = row.figures
    assert f["average_age_months"].value == "36.0"
    assert f["co2e_extended_kg"].value == "78.7"  # 236 x 12 / 36
    assert f["co2e_early_kg"].value == "-78.7"  # 236 x -12 / 36, not clamped
    assert f["co2e_early_kg"].note.startswith("replaced early")
    assert f["co2e_avoided_kg"].value == "0.0"  # the net: 236 x (72 - 2 x 36) / 36
    assert f["replaced_early"].value == "1"
    assert row.flags == ["replaced early: 1 device(s) before 36 months"]
    assert f["co2e_avoided_kg"].inputs == {
        "manufacturing_kg": "236",
        "baseline_months": 36,
        "devices": 2,
        "age_months_sum": 72,
    }
    assert f["co2e_avoided_kg"].method_version == calc.METHOD_VERSION
    assert f["co2e_avoided_kg"].factor_version == "v1/test"
    assert "Boavizta" in f["co2e_avoided_kg"].source


def test_a_category_without_a_manufacturing_factor_claims_nothing_and_says_so() -> None:
    row = calc.lifetime_row(calc.LifetimeAggregate("desktop", "desktop", 1, 60, 0, 0), ctx())
    assert row.figures["co2e_avoided_kg"].value is None
    assert "no manufacturing factor" in row.figures["co2e_avoided_kg"].note
    assert calc.net_co2e([calc.LifetimeAggregate("desktop", "desktop", 1, 60, 0, 0)], FACTORS) == 0


def test_net_co2e_sums_exactly_and_rounds_once() -> None:
    # Phones (53 kg): 3 devices aged 40, 40, 41 -> 53 x (121 - 108) / 36 = 19.138... -> 19.1
    aggs = [calc.LifetimeAggregate("phone", "phone", 3, 121, 0, 0)]
    assert calc.net_co2e(aggs, FACTORS) == Decimal("19.1")


def test_coverage_with_a_model_of_unknown_weight_uses_the_category_weight() -> None:
    # 4 laptops owed, 3 compensated: two with model weights 1590 g + 1350 g, one without -> 1.65 kg (Boavizta).
    # 2.94 + 1.65 = 4.59 kg; 4.59 / 0.055 = 83.45 -> 83 scrap phones (Closing the Loop); 3 / 4 = 75.0 %.
    agg = calc.CoverageAggregate("laptop", "laptop", 4, 3, 2940, 1, before_start=2)
    f = calc.coverage_row(agg, ctx()).figures
    assert (f["owed"].value, f["compensated"].value, f["share_covered_percent"].value) == ("4", "3", "75.0")
    assert f["ewaste_kg"].value == "4.59"
    assert f["scrap_phones"].value == "83"
    assert f["before_start"].value == "2" and "owe no compensation" in f["before_start"].note


def test_unknown_weight_with_no_category_factor_is_counted_apart_not_guessed() -> None:
    weights = {**FACTORS.weight_kg, "laptop": None}
    factors = FACTORS.model_copy(update={"weight_kg": weights})
    row = calc.coverage_row(calc.CoverageAggregate("laptop", "laptop", 2, 2, 1590, 1, 0), ctx(factors))
    assert row.figures["ewaste_kg"].value == "1.59"
    assert row.figures["ewaste_kg"].note == "1 device(s) of unknown weight not counted"
    assert row.flags == ["1 device(s) of unknown weight not counted"]


def test_nothing_owed_has_no_share() -> None:
    row = calc.coverage_row(calc.CoverageAggregate("phone", "phone", 0, 0, 0, 0, before_start=5), ctx())
    assert row.figures["share_covered_percent"].value is None


def test_procurement_shares_by_count_and_spend_with_an_unpriced_device_and_an_expired_label() -> None:
    # Model 1: e-waste compensated, EPEAT until 2026-06-30. Model 2: nothing.
    models = {
        1: procurement.ModelAttributes(True, (("EPEAT", date(2026, 6, 30)),), 60, 75),
        2: procurement.ModelAttributes(False, (), None, None),
    }
    aggs = [
        procurement.PurchaseAggregate("laptop", 1, date(2026, 3, 1), 2, 200000, 0),
        procurement.PurchaseAggregate("laptop", 1, date(2026, 8, 1), 1, 0, 1),  # after the label expired; no price
        procurement.PurchaseAggregate("laptop", 2, date(2026, 5, 1), 1, 100000, 0),
    ]
    f = procurement.procurement_rows(aggs, models, ctx())[0].figures
    assert (f["purchases"].value, f["spend"].value) == ("4", "3000.00")
    assert f["spend"].note == "1 device(s) without a purchase price"
    assert f["e_waste_compensated_count_percent"].value == "75.0"  # 3 of 4
    assert f["e_waste_compensated_spend_percent"].value == "66.7"  # 2000 of 3000
    assert f["EPEAT_count_percent"].value == "50.0"  # the August purchase came after expiry
    assert f["EPEAT_spend_percent"].value == "66.7"
    assert f["long_declared_lifetime_count_percent"].value == "75.0"  # 60 >= 48 months
    assert f["repairable_count_percent"].value == "75.0"  # 7.5 >= 7.0
    assert f["TCO Certified_count_percent"].value == "0.0"


def test_people_reached_from_the_charity_cost_and_without_one() -> None:
    pool, rows = calc.money_rows(
        123456, [calc.CharityAggregate("A", 120000, 100000, 18000), calc.CharityAggregate("B", 0, 5000, 0)], ctx()
    )
    assert pool.figures["pooled"].value == "1234.56"
    assert rows[0].figures["people_reached"].value == "5"  # 1000.00 / 180.00, rounded down
    assert rows[1].figures["people_reached"].value is None
    assert "no cost per refurbished device" in rows[1].figures["people_reached"].note


def test_age_histogram_buckets() -> None:
    assert calc.age_histogram({0: 3, 2: 1, 7: 2, 9: 1}) == [
        ("< 1 y", 3),
        ("1-2 y", 0),
        ("2-3 y", 1),
        ("3-4 y", 0),
        ("4-5 y", 0),
        ("5-6 y", 0),
        ("6 y +", 3),
    ]


def test_periods() -> None:
    today = date(2026, 12, 2)
    q2 = resolve_period(year=2026, quarter=2, from_=None, to=None, today=today)
    assert (q2.start, q2.end, q2.label) == (date(2026, 4, 1), date(2026, 6, 30), "2026 Q2")
    # Local midnights in Amsterdam (summer time at the start of April: UTC+2).
    first, after = q2.bounds(ZoneInfo("Europe/Amsterdam"))
    assert first == datetime(2026, 3, 31, 22, 0, tzinfo=UTC) and after == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert resolve_period(year=None, quarter=None, from_=None, to=None, today=today).label == "2026"
    custom = resolve_period(year=None, quarter=None, from_="2025-07-01", to="2026-06-30", today=today)
    assert custom.months()[0] == (2025, 7) and len(custom.months()) == 12
    for kwargs, field in [
        ({"year": None, "quarter": 2, "from_": None, "to": None}, "quarter"),
        ({"year": 2026, "quarter": 5, "from_": None, "to": None}, "quarter"),
        ({"year": None, "quarter": None, "from_": "2026-02-01", "to": "2026-01-01"}, "to"),
        ({"year": None, "quarter": None, "from_": "2026-13-01", "to": "2026-12-31"}, "from"),
        ({"year": None, "quarter": None, "from_": "2026-01-01", "to": None}, "to"),
    ]:
        with pytest.raises(PeriodError) as caught:
            resolve_period(today=today, **kwargs)  # type: ignore[arg-type]
        assert caught.value.field == field
    assert check_group_by(None) == "category"
    assert check_group_by("company") == "company" and check_group_by("cost_centre") == "cost_centre"
    with pytest.raises(PeriodError):
        check_group_by("department")  # not a grouping: refused, not invented


def test_factors_fingerprint_moves_with_any_factor_and_bad_factors_are_refused() -> None:
    changed = FACTORS.model_copy(update={"manufacturing_kg": {**FACTORS.manufacturing_kg, "laptop": "300"}})
    assert fingerprint(FACTORS) == fingerprint(ImpactFactors()) != fingerprint(changed)
    with pytest.raises(ValidationError):
        ImpactFactors(manufacturing_kg={**FACTORS.manufacturing_kg, "laptop": "1e3"})
    with pytest.raises(ValidationError):
        ImpactFactors(weight_kg={"laptop": "1.65"})


def test_bar_chart_is_accessible_svg_with_negative_bars_and_a_baseline() -> None:
    svg = bar_chart(
        "CO2e by year",
        ["2024", "2025"],
        [("net", [Decimal("-51.8"), Decimal("258.6")])],
        unit="kg CO2e",
        reference=("fixed cycle 36 months", 36),
    )
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-label="CO2e by year"' in svg
    assert "<title>2024, net: -51.8 kg CO2e</title>" in svg and 'class="reference"' in svg
    assert svg == bar_chart(
        "CO2e by year",
        ["2024", "2025"],
        [("net", [Decimal("-51.8"), Decimal("258.6")])],
        unit="kg CO2e",
        reference=("fixed cycle 36 months", 36),
    )
    empty = bar_chart("Nothing", [], [("devices", [])])
    assert empty.endswith("</svg>") and "<title>Nothing</title>" in empty
