"""progress(): counts, recency-weighted dimension levels, daily trends, SQL topics, weakest areas, the streak."""

from __future__ import annotations

import datetime as dt
import doctest
import random
import time

import pytest

from pmdrill.core.coach import progress as progress_mod
from pmdrill.core.coach.dimensions import COMMITTEE
from pmdrill.core.coach.progress import progress
from pmdrill.core.coach.records import Attempt

UTC = dt.UTC
T0 = dt.datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
DAY = dt.timedelta(days=1)


def attempt(kind: str = "case", *, at: dt.datetime = T0, passed: bool = True, item: str | None = None,
            dims: dict[str, float] | None = None, topics: tuple[str, ...] = ()) -> Attempt:
    item_id = item or f"{kind}:item"
    return Attempt(item_id, kind, item_id, "", passed, 100.0 if passed else 0.0, at, dimensions=dims or {},
                   topics=list(topics))


def hand_example() -> list[Attempt]:
    """Six tradeoffs scores over four days, three SQL attempts on joins (one right), a practice gap."""
    return [
        attempt(at=T0, dims={"tradeoffs": 10.0, "communication": 80.0}),
        attempt(at=T0 + dt.timedelta(hours=3), dims={"tradeoffs": 20.0}),
        attempt(at=T0 + DAY, dims={"tradeoffs": 30.0}),
        attempt(at=T0 + 2 * DAY, dims={"tradeoffs": 40.0, "communication": 60.0}),
        attempt("sql", at=T0 + 2 * DAY, passed=False, topics=("joins", "aggregation"),
                dims={"sql_logic": 50.0, "sql_correctness": 0.0}),
        # gap: nothing on May 4 and 5
        attempt(at=T0 + 5 * DAY, dims={"tradeoffs": 50.0}),
        attempt("sql", at=T0 + 5 * DAY, passed=True, topics=("joins",),
                dims={"sql_logic": 100.0, "sql_correctness": 100.0}),
        attempt(at=T0 + 6 * DAY, dims={"tradeoffs": 60.0}),
        attempt("sql", at=T0 + 6 * DAY, passed=False, topics=("joins",),
                dims={"sql_logic": 75.0, "sql_correctness": 50.0}),
        attempt("est", at=T0 + 6 * DAY),
    ]


def test_counts_and_kinds() -> None:
    p = progress(hand_example(), today=T0.date() + 7 * DAY)
    assert p["attempts"] == 10
    assert p["by_kind"] == {"case": 6, "est": 1, "sql": 3}


def test_latest_is_the_recency_weighted_mean_of_the_last_five() -> None:
    p = progress(hand_example(), today=T0.date() + 7 * DAY)
    dims = p["dimensions"]
    assert list(dims) == list(COMMITTEE)
    # last five of 10..60 are 20..60, weights 1..5: (20 + 60 + 120 + 200 + 300) / 15
    assert dims["tradeoffs"]["latest"] == pytest.approx(46.7)
    assert dims["tradeoffs"]["n"] == 6
    assert dims["communication"]["latest"] == pytest.approx((80 + 2 * 60) / 3, abs=0.05)
    assert dims["sql_logic"]["latest"] == pytest.approx((50 + 2 * 100 + 3 * 75) / 6, abs=0.05)
    assert dims["signal_selection"] == {"title": "Signal selection", "latest": None, "trend": [], "n": 0}


def test_trend_is_the_daily_mean_in_date_order() -> None:
    p = progress(list(reversed(hand_example())), today=T0.date() + 7 * DAY)
    assert p["dimensions"]["tradeoffs"]["trend"] == [
        {"date": "2026-05-01", "value": 15.0}, {"date": "2026-05-02", "value": 30.0},
        {"date": "2026-05-03", "value": 40.0}, {"date": "2026-05-06", "value": 50.0},
        {"date": "2026-05-07", "value": 60.0}]


def test_topics_weakest_and_untested() -> None:
    p = progress(hand_example(), today=T0.date() + 7 * DAY, sql_topics=["joins", "windows", "aggregation"])
    assert p["topics"] == {"aggregation": {"attempts": 1, "correct": 0, "accuracy": 0.0},
                           "joins": {"attempts": 3, "correct": 1, "accuracy": 0.333}}
    # measured twice or more: joins 33.3, tradeoffs 46.7, sql_correctness (0+2*100+3*50)/6=58.3,
    # sql_logic 79.2, communication 66.7; aggregation was measured once only, so it is not "weakest"
    assert p["weakest"] == ["joins", "tradeoffs", "sql_correctness"]
    assert [w["kind"] for w in p["weakest_detail"]] == ["topic", "dimension", "dimension"]
    assert p["untested"] == ["signal_selection", "learner_outcomes", "data_skepticism", "windows"]


def test_streak_across_a_gap() -> None:
    history = hand_example()                       # practised May 1, 2, 3, 6, 7
    assert progress(history, today=dt.date(2026, 5, 7))["streak"] == {"current": 2, "longest": 3,
                                                                       "days_practised": 5}
    # nothing yet today: the run up to yesterday still counts
    assert progress(history, today=dt.date(2026, 5, 8))["streak"]["current"] == 2
    # two days off breaks it
    assert progress(history, today=dt.date(2026, 5, 9))["streak"]["current"] == 0
    assert progress(history, today=dt.date(2026, 5, 3))["streak"]["current"] == 3
    assert progress([], today=dt.date(2026, 5, 3))["streak"] == {"current": 0, "longest": 0, "days_practised": 0}


def test_practice_days_are_utc_dates() -> None:
    late_evening = dt.datetime(2026, 5, 1, 21, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))   # May 2 UTC
    p = progress([attempt(at=late_evening, dims={"tradeoffs": 70.0})], today=dt.date(2026, 5, 2))
    assert p["dimensions"]["tradeoffs"]["trend"] == [{"date": "2026-05-02", "value": 70.0}]
    assert p["streak"]["current"] == 1 and p["last_practised"] == "2026-05-02"


def test_empty_history() -> None:
    p = progress([], today=T0.date())
    assert (p["attempts"], p["by_kind"], p["topics"], p["weakest"]) == (0, {}, {}, [])
    assert p["untested"] == list(COMMITTEE)


def big_history(n: int = 10_000) -> list[Attempt]:
    rnd = random.Random(11)
    topics = ["joins", "aggregation", "windows", "dates", "nulls", "subscriptions", "revenue"]
    out = []
    for k in range(n):
        at = T0 + dt.timedelta(minutes=37 * k)
        if k % 2:
            out.append(attempt("sql", at=at, passed=rnd.random() < 0.6, item=f"sql:q{k % 90}",
                               topics=tuple(rnd.sample(topics, 2)),
                               dims={"sql_logic": rnd.uniform(0, 100), "sql_correctness": rnd.uniform(0, 100)}))
        else:
            out.append(attempt(rnd.choice(["case", "est"]), at=at, item=f"case:c{k % 40}",
                               dims={d: rnd.uniform(0, 100) for d in rnd.sample(COMMITTEE[4:] + COMMITTEE[:2], 3)}))
    return out


def test_ten_thousand_attempts_well_under_100_ms_and_deterministic() -> None:
    history = big_history()
    today = (T0 + dt.timedelta(minutes=37 * 10_000)).date()
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        result = progress(history, today=today)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.1, f"progress took {min(timings) * 1000:.1f} ms"
    assert result["attempts"] == 10_000
    shuffled = list(history)
    random.Random(3).shuffle(shuffled)
    assert progress(shuffled, today=today) == result


def test_doctests() -> None:
    result = doctest.testmod(progress_mod)
    assert result.attempted > 0 and result.failed == 0
