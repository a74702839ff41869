"""Ratings from verdicts and FSRS review over items and skills, with the real fsrs scheduler (no mocks)."""

from __future__ import annotations

import copy
import datetime as dt
import doctest
import json
from typing import Any

import pytest
from fsrs import Card

from pmdrill.core.coach import rating as rating_mod
from pmdrill.core.coach import review as review_mod
from pmdrill.core.coach.rating import rate, rate_dimension
from pmdrill.core.coach.records import Attempt, CatalogItem
from pmdrill.core.coach.review import DueItem, apply, card_id, due, schedule, serve

UTC = dt.UTC
T0 = dt.datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
DAY = dt.timedelta(days=1)


def sql_attempt(item: str = "sql:paying-learners", *, passed: bool = True, at: dt.datetime = T0, hints: int = 0,
                seconds: float | None = None, topics: tuple[str, ...] = ("joins",),
                dims: dict[str, float] | None = None, flags: list[dict[str, Any]] | None = None,
                detail: dict[str, Any] | None = None) -> Attempt:
    return Attempt(item, "sql", item.split(":", 1)[1], "SELECT 1", passed, 100.0 if passed else 0.0, at,
                   dimensions=dims if dims is not None else {}, flags=flags or [], topics=list(topics),
                   hints_used=hints, seconds=seconds, detail=detail or {})


def case_attempt(item: str = "case:rec-engine-success", *, score: float = 70.0, at: dt.datetime = T0,
                 kind: str = "case", pass_mark: float | None = None, dims: dict[str, float] | None = None,
                 flags: list[dict[str, Any]] | None = None) -> Attempt:
    detail = {} if pass_mark is None else {"pass_mark": pass_mark}
    mark = 60.0 if pass_mark is None else pass_mark
    return Attempt(item, kind, item.split(":", 1)[1], "answer", score >= mark, score, at,
                   dimensions=dims or {}, flags=flags or [], detail=detail)


# --- rating ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("attempt", "first_try", "expected"), [
    (sql_attempt(passed=False, seconds=30), True, 1),               # wrong: Again, however fast
    (sql_attempt(hints=1, seconds=60), True, 2),                     # right after a hint: Hard
    (sql_attempt(seconds=16 * 60), True, 2),                         # 16 min > 1.5 x 10: slow, Hard
    (sql_attempt(seconds=15 * 60), True, 3),                         # exactly 1.5 x: not slow
    (sql_attempt(seconds=6 * 60), True, 4),                          # exactly 0.6 x on the first try: Easy
    (sql_attempt(seconds=6 * 60 + 1), True, 3),                      # just over 0.6 x: Good
    (sql_attempt(seconds=60), False, 3),                             # fast but not the first try: Good
    (sql_attempt(seconds=None), True, 3),                            # unknown time is never fast
    (sql_attempt(seconds=None, hints=2), True, 2),
], ids=["wrong", "hint", "slow", "at-slow-edge", "fast-edge", "not-fast", "retry-fast", "no-time", "hints"])
def test_sql_rating_rules(attempt: Attempt, first_try: bool, expected: int) -> None:
    assert rate(attempt, expected_minutes=10, first_try=first_try)[0] == expected


def test_sql_rating_reasons_name_the_cause() -> None:
    assert rate(sql_attempt(hints=2), expected_minutes=10, first_try=True) == (2, "right after 2 hints")
    assert rate(sql_attempt(passed=False), expected_minutes=10, first_try=True) == (1, "wrong answer")


@pytest.mark.parametrize(("score", "pass_mark", "expected"), [
    (59.9, None, 1), (60.0, None, 2), (69.9, None, 2), (70.0, None, 3), (84.9, None, 3), (85.0, None, 4),
    (65.0, 70.0, 1), (75.0, 70.0, 2), (85.0, 70.0, 3), (95.0, 70.0, 4),
])
def test_case_rating_bands_follow_the_case_pass_mark(score: float, pass_mark: float | None, expected: int) -> None:
    for kind in ("case", "est"):
        attempt = case_attempt(score=score, pass_mark=pass_mark, kind=kind)
        assert rate(attempt, expected_minutes=15, first_try=True)[0] == expected


def test_rate_dimension_boundaries() -> None:
    assert [rate_dimension(s) for s in (0, 49.9, 50, 64.9, 65, 79.9, 80, 100)] == [1, 1, 2, 2, 3, 3, 4, 4]


# --- apply -------------------------------------------------------------------------------------------------

def test_failed_item_is_due_next_day_and_easy_one_much_later() -> None:
    failed = sql_attempt("sql:q-fail", passed=False)
    easy = sql_attempt("sql:q-easy", seconds=120)            # 2 of 10 minutes, first try: Easy
    cards = apply({}, [failed, easy], expected_minutes=lambda _item: 10)
    assert cards["sql:q-fail"]["last_rating"] == 1 and cards["sql:q-easy"]["last_rating"] == 4
    assert cards["sql:q-fail"]["due"][:10] == "2026-05-02"
    easy_due = dt.datetime.fromisoformat(cards["sql:q-easy"]["due"]).date()
    assert (easy_due - T0.date()).days >= 7
    assert [d.id for d in due(cards, now=T0 + DAY) if d.kind == "item"] == ["sql:q-fail"]
    assert "sql:q-easy" not in {d.id for d in due(cards, now=T0 + 5 * DAY)}
    assert "sql:q-easy" in {d.id for d in due(cards, now=dt.datetime.combine(easy_due, dt.time(8), UTC))}


def test_apply_reviews_item_dimensions_and_topics() -> None:
    attempt = sql_attempt(passed=False, topics=("joins", "subscriptions", "joins"),
                          dims={"sql_logic": 75.0, "sql_correctness": 0.0, "not_a_dimension": 10.0})
    cards = apply({}, [attempt])
    assert sorted(cards) == ["dim:sql_correctness", "dim:sql_logic", "sql:paying-learners", "topic:joins",
                             "topic:subscriptions"]
    assert cards["dim:sql_logic"]["last_rating"] == 3              # 75 -> Good
    assert cards["dim:sql_correctness"]["last_rating"] == 1        # 0 -> Again
    assert cards["topic:joins"]["last_rating"] == 1                # wrong -> Again
    assert cards["topic:joins"]["reviews"] == 1                    # the repeated topic counts once
    assert {cards[k]["kind"] for k in cards} == {"item", "skill"}
    assert cards["sql:paying-learners"]["kind"] == "item"


def test_case_topics_do_not_make_topic_cards() -> None:
    cards = apply({}, [case_attempt(dims={"tradeoffs": 42.0})])
    assert sorted(cards) == ["case:rec-engine-success", "dim:tradeoffs"]


def test_adhoc_items_review_skills_only() -> None:
    attempt = sql_attempt("sql:adhoc-e0a1b2c3d4", passed=True, dims={"sql_logic": 100.0})
    cards = apply({}, [attempt])
    assert sorted(cards) == ["dim:sql_logic", "topic:joins"]


def test_first_try_comes_from_earlier_attempts_and_cards() -> None:
    fast = sql_attempt(seconds=60)
    again = sql_attempt(seconds=60, at=T0 + 3 * DAY)
    cards = apply({}, [again, fast])                              # replayed in submitted_at order
    assert cards["sql:paying-learners"]["reviews"] == 2
    assert cards["sql:paying-learners"]["last_rating"] == 3       # the second fast answer is not a first try
    # the same holds when the first attempt is already in the stored cards
    stored = apply({}, [fast])
    assert apply(stored, [again])["sql:paying-learners"]["last_rating"] == 3


def test_apply_is_pure_deterministic_and_order_free() -> None:
    attempts = [sql_attempt(passed=False, dims={"sql_logic": 50.0}),
                case_attempt(at=T0 + DAY, dims={"tradeoffs": 42.0, "communication": 88.0}),
                sql_attempt(at=T0 + 2 * DAY, seconds=200, dims={"sql_logic": 100.0})]
    start = apply({}, attempts[:1])
    before = copy.deepcopy(start)
    one = apply(start, attempts[1:])
    assert start == before                                        # the input is untouched
    assert one == apply(start, list(reversed(attempts[1:])))
    assert one == apply({}, attempts)
    assert one["dim:sql_logic"]["card_id"] == card_id("dim:sql_logic")


def test_card_state_is_json_and_an_fsrs_card() -> None:
    cards = apply({}, [sql_attempt(passed=False, flags=[{"code": "where_on_left_join",
                                                        "message": "the LEFT JOIN's rows were dropped by a WHERE "
                                                                   "filter\nsecond line", "evidence": ""}])])
    state = json.loads(json.dumps(cards))["sql:paying-learners"]
    assert {"kind", "last_rating", "last_reviewed", "last_why", "reviews", "lapses"} <= set(state)
    assert state["last_why"] == "the LEFT JOIN's rows were dropped by a WHERE filter"
    assert state["last_reviewed"] == "2026-05-01T09:00:00+00:00"
    card = Card.from_dict(state)  # type: ignore[arg-type]
    assert card.card_id == card_id("sql:paying-learners") and card.due == T0 + DAY


def test_lapses_count_failures_after_the_first_review() -> None:
    attempts = [sql_attempt(passed=False), sql_attempt(at=T0 + DAY), sql_attempt(passed=False, at=T0 + 3 * DAY)]
    state = apply({}, attempts)["sql:paying-learners"]
    assert (state["reviews"], state["lapses"]) == (3, 1)


@pytest.mark.parametrize(("attempt", "reason"), [
    (sql_attempt(passed=False, detail={"feedback": ["Your query returns 12 rows; the answer has 9.\nMore"]}),
     "Your query returns 12 rows; the answer has 9."),
    (sql_attempt(passed=False, detail={"feedback": [], "logic_diff": [{"message": "filters on the wrong date"}]}),
     "filters on the wrong date"),
    (case_attempt(score=40.0, flags=[{"code": "causal", "message": "claims causation from a correlation"}]),
     "claims causation from a correlation"),
    (case_attempt(score=40.0), "scored 40/100 (pass mark 60)"),
])
def test_why_is_the_graders_reason_with_the_day_computed_at_listing(attempt: Attempt, reason: str) -> None:
    cards = apply({}, [attempt])
    assert cards[attempt.item_id]["last_why"] == reason
    listed = {d.id: d for d in due(cards, now=T0 + 2 * DAY)}
    assert listed[attempt.item_id].why == f"failed 2 days ago: {reason}"
    assert {d.id: d for d in due(cards, now=T0 + 3 * DAY)}[attempt.item_id].why == f"failed 3 days ago: {reason}"


def test_skill_why_names_the_dimension_and_latest_score() -> None:
    cards = apply({}, [case_attempt(score=50.0, dims={"tradeoffs": 42.0})])
    item = {d.id: d for d in due(cards, now=T0 + DAY)}["dim:tradeoffs"]
    assert (item.kind, item.why) == ("skill", "weak skill: Trade-off quantification (latest 42/100)")
    assert set(item.to_dict()) >= {"id", "kind", "due", "why", "retrievability"}


def test_due_sorts_by_date_then_lowest_retrievability_and_limits() -> None:
    attempts = [case_attempt("case:a", score=30.0, at=T0), case_attempt("case:b", score=30.0, at=T0 + DAY),
                case_attempt("case:c", score=65.0, at=T0)]
    listed = due(apply({}, attempts), now=T0 + 10 * DAY)
    assert [d.id for d in listed] == ["case:a", "case:c", "case:b"]
    assert listed[0].due < listed[2].due
    assert len(due(apply({}, attempts), now=T0 + 10 * DAY, limit=2)) == 2


# --- interview placement and schedule -----------------------------------------------------------------------

def weak_skill_cards() -> dict[str, dict[str, Any]]:
    return apply({}, [case_attempt("case:c1", score=40.0, dims={"tradeoffs": 42.0})])


def test_interview_moves_a_weak_skills_last_review_to_the_day_before() -> None:
    cards = weak_skill_cards()
    today, interview = T0.date(), dt.date(2026, 5, 12)

    def dates(interview_date: dt.date | None) -> list[str]:
        days = schedule(cards, today=today, until=dt.date(2026, 5, 11), interview_date=interview_date)
        return [d.isoformat() for d, items in days.items() if any(i.id == "dim:tradeoffs" for i in items)]

    assert dates(None) == ["2026-05-02", "2026-05-04", "2026-05-10"]
    assert dates(interview) == ["2026-05-02", "2026-05-04", "2026-05-11"]
    placed = schedule(cards, today=today, until=dt.date(2026, 5, 11), interview_date=interview)[dt.date(2026, 5, 11)]
    assert "day before the interview" in {i.id: i for i in placed}["dim:tradeoffs"].why


def test_a_card_due_after_the_interview_is_brought_forward_never_before_today() -> None:
    cards = apply({}, [sql_attempt("sql:q-easy", seconds=60, topics=())])      # Easy: due in 8 days
    natural = dt.datetime.fromisoformat(cards["sql:q-easy"]["due"]).date()
    interview = T0.date() + 4 * DAY
    assert natural > interview
    assert due(cards, now=T0 + 2 * DAY, interview_date=interview) == []
    on_eve = due(cards, now=T0 + 3 * DAY, interview_date=interview)
    assert [(d.id, d.due) for d in on_eve] == [("sql:q-easy", interview - DAY)]
    # the eve already past: today, not earlier
    assert [d.due for d in due(cards, now=T0 + 4 * DAY, interview_date=interview)] == [interview]
    assert [d.due for d in due(cards, now=T0 + DAY, interview_date=T0.date() + DAY)] == [T0.date() + DAY]
    # an interview already over places nothing
    assert due(cards, now=T0 + 3 * DAY, interview_date=T0.date() + DAY) == []


def test_schedule_has_no_duplicates_a_day_and_sorts_by_retrievability() -> None:
    attempts = []
    for k in range(12):
        at = T0 + dt.timedelta(hours=5 * k)
        attempts.append(sql_attempt(f"sql:q{k % 4}", passed=k % 3 != 0, at=at, seconds=300,
                                    topics=("joins", "aggregation"), dims={"sql_logic": 40.0 + 5 * k}))
        attempts.append(case_attempt(f"case:c{k % 3}", score=40.0 + 4 * k, at=at, dims={"tradeoffs": 30.0 + 5 * k}))
    cards = apply({}, attempts)
    days = schedule(cards, today=T0.date() + DAY, until=T0.date() + 40 * DAY,
                    interview_date=T0.date() + 30 * DAY)
    assert days, "something must be scheduled"
    assert min(days) >= T0.date() + DAY                      # overdue cards come today, not in the past
    for day, items in days.items():
        ids = [i.id for i in items]
        assert len(ids) == len(set(ids)), day
        assert all(i.due == day for i in items)
        assert [i.retrievability for i in items] == sorted(i.retrievability for i in items)
    # every card appears; projected review dates of one card strictly increase
    assert {i.id for items in days.values() for i in items} == set(cards)
    q0 = [d for d, items in days.items() if any(i.id == "sql:q0" for i in items)]
    assert q0 == sorted(set(q0)) and len(q0) >= 2
    assert T0.date() + 29 * DAY in q0                        # the interview eve


# --- serve -------------------------------------------------------------------------------------------------

CATALOG = [
    CatalogItem("case:t1", "case", "Trade-off one", ("tradeoff",), 2, 15, ("tradeoffs",)),
    CatalogItem("case:t2", "case", "Trade-off two", ("tradeoff",), 2, 15, ("tradeoffs", "communication")),
    CatalogItem("sql:j1", "sql", "Join one", ("joins",), 2, 10, ("sql_logic", "sql_correctness")),
    CatalogItem("sql:adhoc-0123456789", "sql", "Pasted", ("joins",), 2, 10, ("sql_logic",)),
]


def skill(key: str, why: str = "weak skill", title: str = "") -> DueItem:
    return DueItem(key, "skill", T0.date(), why, 0.5, title=title)


def test_serve_maps_skills_to_items_not_attempted_recently() -> None:
    served = serve([skill("dim:tradeoffs", "weak skill: Trade-off quantification (latest 42/100)")], CATALOG,
                   {"case:t1": T0})
    assert [(s.id, s.kind, s.skill, s.why) for s in served] == [
        ("case:t2", "item", "dim:tradeoffs", "weak skill: Trade-off quantification (latest 42/100)")]
    # attempted longer ago beats attempted lately
    served = serve([skill("dim:tradeoffs")], CATALOG, {"case:t1": T0, "case:t2": T0 + DAY})
    assert [s.id for s in served] == ["case:t1"]
    assert [s.id for s in serve([skill("topic:joins")], CATALOG, {})] == ["sql:j1"]     # never the ad-hoc one


def test_serve_never_lists_an_item_twice() -> None:
    own = DueItem("case:t2", "item", T0.date(), "failed yesterday: x", 0.4)
    served = serve([skill("dim:communication", "weak skill: Communication", "Communication"), own,
                    skill("dim:tradeoffs", "weak skill: Trade-offs"), skill("dim:tradeoffs", "again", "Trade-offs"),
                    skill("topic:joins"), skill("topic:joins", "again", "SQL joins")], CATALOG, {})
    ids = [s.id for s in served]
    assert len(ids) == len(set(ids))
    assert ids == ["case:t2", "case:t1", "sql:j1"]
    # communication's only item is due itself: that item says it covers the skill too
    assert served[0].why == "failed yesterday: x; also covers Communication"
    assert served[1].why == "weak skill: Trade-offs; also covers Trade-offs"
    assert served[2].why == "weak skill; also covers SQL joins"
    # a skill nothing practises stays a skill
    assert [s.kind for s in serve([skill("dim:data_skepticism")], CATALOG, {})] == ["skill"]


@pytest.mark.parametrize("module", [rating_mod, review_mod], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_doctests(module) -> None:  # type: ignore[no-untyped-def]
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
