"""Pure parts of the metrics core: Delta Framework arithmetic, sparklines, doctests."""

from __future__ import annotations

import doctest

import pytest

from pmdrill.core.metrics import delta as delta_mod
from pmdrill.core.metrics import library
from pmdrill.core.metrics import sparkline as sparkline_mod
from pmdrill.core.metrics import tree as tree_mod
from pmdrill.core.metrics.delta import compute_delta, describe
from pmdrill.core.metrics.sparkline import BARS, change_summary, sparkline


def test_rate_delta_in_units_learners_certificates_and_dollars() -> None:
    # 0.2 completion on 10,000 enrollments: +5% relative is 0.21, i.e. 100 more completions
    d = compute_delta(0.2, 10_000, 30.0, certificates_per_unit=0.5, unit_label="completions")
    assert d.up.new_value == pytest.approx(0.21)
    assert d.up.units == pytest.approx(100)
    assert d.up.learners == pytest.approx(100)
    assert d.up.certificates == pytest.approx(50)
    assert d.up.usd_per_year == pytest.approx(3_000)
    assert d.down.new_value == pytest.approx(0.19)
    assert d.down.units == pytest.approx(-100)
    assert d.down.usd_per_year == pytest.approx(-3_000)
    assert (d.up.good, d.down.good) == (True, False)


def test_lower_is_better_flips_good_and_keeps_arithmetic() -> None:
    d = compute_delta(10.0, 400, 2.0, direction="down", unit_label="learner-days")
    assert d.up.units == pytest.approx(200)  # 400 x 10 days x 5%
    assert d.up.usd_per_year == pytest.approx(400)
    assert (d.up.good, d.down.good) == (False, True)


def test_dollar_kpi_with_no_learners_per_unit() -> None:
    d = compute_delta(185.0, 2_000, 1.0, learners_per_unit=0.0)
    assert d.up.units == pytest.approx(18_500)
    assert d.up.usd_per_year == pytest.approx(18_500)
    assert d.up.learners == 0


def test_neutral_direction_has_no_verdict_and_custom_change() -> None:
    d = compute_delta(0.5, 100, 1.0, direction="neutral", change=0.10)
    assert d.up.good is None and d.down.good is None
    assert d.up.units == pytest.approx(5)
    assert d.up.change == pytest.approx(0.10)


@pytest.mark.parametrize("kwargs", [{"direction": "sideways"}, {"change": 0}, {"change": -0.05}])
def test_bad_arguments_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        compute_delta(0.5, 100, 1.0, **kwargs)


def test_signals_travel_with_each_side_and_describe_reads_out_loud() -> None:
    d = compute_delta(0.5, 1000, 40.0, unit_label="completions", signal_up="more", signal_down="fewer")
    assert (d.up.signal, d.down.signal) == ("more", "fewer")
    up, down = describe(d)
    assert up == "+5%: 0.5 -> 0.525; +25 completions, +25 learners, +0 certificates, +$1,000 per year"
    assert down.startswith("-5%: 0.5 -> 0.475; -25 completions") and down.endswith("-$1,000 per year")
    assert set(d.to_dict()) >= {"value", "population", "usd_per_unit", "up", "down"}


def test_sparkline_scales_between_min_and_max() -> None:
    line = sparkline([0, 5, 10])
    assert line[0] == BARS[0] and line[-1] == BARS[-1]
    assert len(sparkline(list(range(18)))) == 18
    assert sparkline([2, 2, 2]) == sparkline([7, 7, 7])
    assert sparkline([None, 1, None, 3]) == " ▁ █"
    assert change_summary([1.0, 2.0]) == pytest.approx(1.0)
    assert change_summary([0.0, 2.0]) is None


@pytest.mark.parametrize("module", [delta_mod, sparkline_mod, tree_mod, library],
                         ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_doctests(module) -> None:  # type: ignore[no-untyped-def]
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
