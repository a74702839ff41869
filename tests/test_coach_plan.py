"""The adaptive plan (budget, rest days, checklist, mocks, weighting, reviews) and its calendar/Markdown export."""

from __future__ import annotations

import datetime as dt
import doctest
import random
import time
from collections import Counter
from typing import Any

import pytest
from icalendar import Calendar

from pmdrill.core.coach import plan as plan_mod
from pmdrill.core.coach import plan_export as export_mod
from pmdrill.core.coach.plan import Plan, build_plan
from pmdrill.core.coach.plan_export import to_ics, to_markdown
from pmdrill.core.coach.progress import progress
from pmdrill.core.coach.records import Attempt, CatalogItem
from pmdrill.core.coach.review import DueItem, apply, schedule

UTC = dt.UTC
TODAY = dt.date(2026, 5, 4)                      # a Monday
INTERVIEW = dt.date(2026, 6, 1)                  # 28 plan days: May 4 .. May 31
DAY = dt.timedelta(days=1)
SUNDAY = 6
KPIS = ["course_completion_rate", "time_to_first_milestone", "certification_velocity", "paid_conversion_30d",
        "subscription_churn_monthly", "enterprise_seat_activation", "north_star_skilled_learners"]
SQL_DIMS = ("sql_logic", "sql_correctness")


def make_catalog() -> list[CatalogItem]:
    items = [
        CatalogItem("case:b2b2c-flywheel", "case", "Map the B2B2C flywheel", ("flywheel", "b2b2c"), 1, 15,
                    ("signal_selection", "learner_outcomes")),
        CatalogItem("case:minutes-engagement-critique", "case", "Minutes watched as success", ("critique",), 2, 15,
                    ("signal_selection", "data_skepticism")),
        CatalogItem("case:easier-quizzes-readout", "case", "Easier quizzes read-out", ("experiment",), 2, 15,
                    ("data_skepticism",)),
        CatalogItem("case:short-videos-readout", "case", "Short videos read-out", ("experiment",), 3, 15,
                    ("data_skepticism",)),
        CatalogItem("est:annual-certificates", "est", "Certificates a year", (), 2, 10, ("signal_selection",)),
        CatalogItem("sql:mrr-by-plan", "sql", "MRR by plan", ("joins", "subscriptions"), 2, 10, SQL_DIMS),
        CatalogItem("sql:revenue-by-month", "sql", "Revenue by month", ("aggregation", "revenue"), 2, 10, SQL_DIMS),
        CatalogItem("sql:first-week-retention", "sql", "First-week retention", ("windows", "dates"), 3, 12,
                    SQL_DIMS),
        CatalogItem("sql:null-countries", "sql", "Learners without a country", ("nulls",), 1, 8, SQL_DIMS),
    ]
    items += [CatalogItem(f"case:t{k}", "case", f"Trade-off {k}", ("tradeoff",), 1 + k % 3, 15, ("tradeoffs",))
              for k in range(1, 9)]
    items += [CatalogItem(f"case:m{k}", "case", f"Metric story {k}", ("metric",), 1 + k % 3, 15, ("communication",))
              for k in range(1, 9)]
    items += [CatalogItem(f"case:l{k}", "case", f"Outcomes {k}", ("metric",), 2, 15, ("learner_outcomes",))
              for k in range(1, 5)]
    return items


def scored(dim: str, scores: list[float], *, start: dt.datetime) -> list[Attempt]:
    return [Attempt(f"case:{dim}-{k}", "case", f"{dim} {k}", "", s >= 60, s, start + dt.timedelta(hours=k),
                    dimensions={dim: s}) for k, s in enumerate(scores)]


def history(tradeoffs: list[float]) -> list[Attempt]:
    start = dt.datetime.combine(TODAY - 6 * DAY, dt.time(9), UTC)
    return scored("tradeoffs", tradeoffs, start=start) + scored("communication", [90.0, 94.0], start=start)


def make_plan(*, progress_dict: dict[str, Any] | None = None, reviews: dict[dt.date, list[DueItem]] | None = None,
              attempted: dict[str, int] | None = None, hours: float = 2.0, interview: dt.date | None = INTERVIEW,
              rest: frozenset[int] = frozenset({SUNDAY}), catalog: list[CatalogItem] | None = None,
              today: dt.date = TODAY) -> Plan:
    return build_plan(today=today, interview_date=interview, hours_per_day=hours, rest_days=rest,
                      catalog=catalog if catalog is not None else make_catalog(),
                      progress=progress_dict if progress_dict is not None else {}, reviews=reviews or {},
                      attempted=attempted or {}, kpi_ids=KPIS)


def tasks(plan: Plan) -> list[tuple[dt.date, Any]]:
    return [(day.date, task) for day in plan.days for task in day.tasks]


def first_date(plan: Plan, predicate: Any) -> dt.date:
    return min(d for d, t in tasks(plan) if predicate(t))


# --- shape, budget, rest days -------------------------------------------------------------------------------

@pytest.mark.parametrize("hours", [0.5, 0.75, 1.0, 2.0, 3.5])
def test_never_over_budget_and_rest_days_are_listed_empty(hours: float) -> None:
    plan = make_plan(hours=hours)
    assert [d.date for d in plan.days] == [TODAY + k * DAY for k in range(28)]
    for day in plan.days:
        assert day.minutes == sum(t.minutes for t in day.tasks) <= hours * 60, day.date
        if day.date.weekday() == SUNDAY:
            assert (day.rest, day.minutes, day.tasks) == (True, 0, [])
        ids = [t.id for t in day.tasks]
        assert len(ids) == len(set(ids)), day.date
    working = [d for d in plan.days if not d.rest]
    if hours <= 2:                                 # the 41-item catalog cannot fill 3.5 hours a day for 4 weeks
        assert sum(d.minutes for d in working) > 0.7 * len(working) * hours * 60


def test_an_interview_today_or_past_leaves_nothing_to_plan() -> None:
    assert make_plan(interview=TODAY).days == []
    assert make_plan(interview=TODAY - DAY).to_dict()["days"] == []
    assert [d.date for d in make_plan(interview=TODAY + DAY).days] == [TODAY]


def test_json_shape_is_the_public_interface() -> None:
    data = make_plan().to_dict()
    assert {"start", "interview_date", "days"} <= set(data)
    assert (data["start"], data["interview_date"]) == ("2026-05-04", "2026-06-01")
    day = data["days"][0]
    assert {"date", "minutes", "tasks"} <= set(day)
    assert set(day["tasks"][0]) == {"kind", "id", "title", "minutes", "why"}


def test_deterministic() -> None:
    p = progress(history([30.0, 35.0]), today=TODAY)
    assert make_plan(progress_dict=p).to_dict() == make_plan(progress_dict=p).to_dict()


# --- checklist and mocks ---------------------------------------------------------------------------------

def test_every_checklist_element_is_planned_foundations_first() -> None:
    plan = make_plan()
    by_id = {t.id: (d, t) for d, t in reversed(tasks(plan))}          # first occurrence of each id
    flywheel = by_id["case:b2b2c-flywheel"]
    assert flywheel[0] == TODAY and flywheel[1].why.startswith("checklist: map the B2B2C flywheel")
    for kpi in ("course_completion_rate", "time_to_first_milestone", "certification_velocity"):
        assert by_id[f"kpi:{kpi}"][1].kind == "kpi"
    drills = [t for _d, t in tasks(plan) if t.why.startswith("Delta drill")]
    assert [t.id for t in drills] == ["kpi:paid_conversion_30d", "kpi:subscription_churn_monthly",
                                      "kpi:enterprise_seat_activation"]
    assert drills[0].why == ("Delta drill: say what +5% and -5% of Paid conversion 30d mean in learners "
                             "and dollars")
    sql = [t for _d, t in tasks(plan) if t.why.startswith("checklist: mock SQL")]
    assert {t.id for t in sql} == {"sql:mrr-by-plan", "sql:revenue-by-month"}
    assert by_id["case:minutes-engagement-critique"][1].why.startswith("checklist: critique")
    assert by_id["case:easier-quizzes-readout"][1].why.startswith("checklist: read out an experiment")
    assert by_id["est:annual-certificates"][1].why.startswith("checklist: a market-sizing estimate")
    # foundations first: the checklist's steps start in order
    starts = [first_date(plan, lambda t, p=prefix: t.why.startswith(p)) for prefix in (
        "checklist: map the B2B2C", "checklist: EdTech KPI", "Delta drill", "checklist: mock SQL",
        "checklist: critique", "checklist: read out", "checklist: a market-sizing")]
    assert starts == sorted(starts) and starts[-1] <= TODAY + 3 * DAY
    assert [c["planned"] is not None for c in plan.checklist] == [True] * len(plan.checklist)


def mock_days(plan: Plan) -> list[dt.date]:
    return [d for d, t in tasks(plan) if t.kind == "mock"]


def test_two_full_mocks_in_the_last_week_the_last_two_days_before() -> None:
    plan = make_plan()
    mocks = [t for _d, t in tasks(plan) if t.kind == "mock"]
    assert [(t.id, t.minutes) for t in mocks] == [("mock:mixed", 45)] * 2
    days = mock_days(plan)
    assert all(INTERVIEW - 7 * DAY <= d <= INTERVIEW - 2 * DAY for d in days)
    assert max(days) == INTERVIEW - 2 * DAY and (days[1] - days[0]).days >= 3
    # without a date: 30 days, mocks in the last 7, the last one on day 29 at the latest
    open_plan = make_plan(interview=None)
    assert len(open_plan.days) == 30
    days = mock_days(open_plan)
    assert len(days) == 2 and all(TODAY + 23 * DAY <= d <= TODAY + 28 * DAY for d in days)


def test_mocks_as_many_as_fit() -> None:
    assert mock_days(make_plan(hours=0.5)) == []                           # a 45-minute mock never fits 30
    short = make_plan(interview=TODAY + 3 * DAY, hours=1.0)                # days: today, +1, +2
    assert mock_days(short) == [TODAY, TODAY + DAY]
    # rest days cannot hold a mock: the final Saturday and Sunday off leave the days before
    weekend_off = make_plan(rest=frozenset({5, 6}))
    assert all(d.weekday() < 5 for d in mock_days(weekend_off)) and len(mock_days(weekend_off)) == 2


# --- weighting -------------------------------------------------------------------------------------------

def count_dimension(plan: Plan, dim: str) -> int:
    catalog = {c.id: c for c in make_catalog()}
    return sum(1 for _d, t in tasks(plan) if t.id in catalog and dim in catalog[t.id].dimensions)


def test_weak_dimension_gets_more_tasks_and_a_raise_changes_the_plan() -> None:
    weak = progress(history([30.0, 35.0, 40.0]), today=TODAY)
    assert weak["dimensions"]["tradeoffs"]["latest"] < 40 < weak["dimensions"]["communication"]["latest"]
    plan = make_plan(progress_dict=weak)
    tradeoffs, communication = count_dimension(plan, "tradeoffs"), count_dimension(plan, "communication")
    assert tradeoffs >= 2 * communication and communication >= 1, (tradeoffs, communication)
    reasons = [t.why for _d, t in tasks(plan) if t.id.startswith("case:t")]
    assert reasons[0].startswith("weakest dimension: Trade-off quantification (")
    # the candidate practises trade-offs and scores high: re-planning moves time elsewhere
    raised = progress(history([30.0, 35.0, 40.0, 95.0, 98.0, 100.0, 100.0, 100.0]), today=TODAY)
    assert raised["dimensions"]["tradeoffs"]["latest"] > 90
    replanned = make_plan(progress_dict=raised)
    assert replanned.to_dict() != plan.to_dict()
    assert count_dimension(replanned, "tradeoffs") < tradeoffs
    assert count_dimension(replanned, "tradeoffs") <= count_dimension(replanned, "communication") + 1


def test_untested_dimensions_count_as_weak_early() -> None:
    # trade-offs measured strong, communication never measured; both have eight single-dimension cases
    start = dt.datetime.combine(TODAY - 3 * DAY, dt.time(9), UTC)
    measured = progress(scored("tradeoffs", [85.0, 88.0], start=start), today=TODAY)
    plan = make_plan(progress_dict=measured)
    first_week = [t for d, t in tasks(plan) if d < TODAY + 7 * DAY]
    catalog = {c.id: c for c in make_catalog()}
    untested = sum(1 for t in first_week if t.id in catalog and "communication" in catalog[t.id].dimensions)
    strong = sum(1 for t in first_week if t.id in catalog and "tradeoffs" in catalog[t.id].dimensions)
    assert untested >= 2 * strong and strong >= 1, (untested, strong)
    assert any(t.why.startswith("untested dimension: Communication (no score yet)") for t in first_week)


def test_new_items_before_repeats() -> None:
    weak = progress(history([30.0, 35.0]), today=TODAY)
    plan = make_plan(progress_dict=weak, attempted={"case:t1": 2, "case:t2": 1})
    order = list(dict.fromkeys(t.id for _d, t in tasks(plan) if t.id.startswith("case:t") and t.kind == "case"))
    assert set(order[:6]) == {f"case:t{k}" for k in range(3, 9)}
    assert "case:t1" in order and "repeat (attempted 2x)" in next(
        t.why for _d, t in tasks(plan) if t.id == "case:t1")


# --- reviews ---------------------------------------------------------------------------------------------

def review_inputs() -> tuple[dict[str, dict[str, Any]], dict[dt.date, list[DueItem]]]:
    two_days_ago = dt.datetime.combine(TODAY - 2 * DAY, dt.time(10), UTC)
    attempts = [
        Attempt("sql:mrr-by-plan", "sql", "MRR by plan", "SELECT ...", False, 0.0, two_days_ago,
                dimensions={"sql_logic": 50.0, "sql_correctness": 0.0}, topics=["joins", "subscriptions"],
                flags=[{"code": "where_on_outer", "message": "the LEFT JOIN's rows were dropped by a WHERE filter"}]),
        Attempt("case:t1", "case", "Trade-off 1", "...", False, 45.0, two_days_ago, dimensions={"tradeoffs": 42.0}),
    ]
    cards = apply({}, attempts)
    return cards, schedule(cards, today=TODAY, until=INTERVIEW - DAY, interview_date=INTERVIEW)


def test_reviews_come_first_on_their_dates_with_their_reason() -> None:
    cards, reviews = review_inputs()
    assert min(reviews) == TODAY                                     # overdue: today
    plan = make_plan(reviews=reviews, attempted={"sql:mrr-by-plan": 1, "case:t1": 1})
    today = plan.days[0]
    n_reviews = sum(1 for t in today.tasks if t.kind == "review")
    assert n_reviews >= 2 and all(t.kind == "review" for t in today.tasks[:n_reviews])
    whys = {t.id: t.why for t in today.tasks if t.kind == "review"}
    # its topics' skill cards are due too and only this item practises them: their reasons join its own
    assert whys["sql:mrr-by-plan"] == ("review due: failed 2 days ago: the LEFT JOIN's rows were dropped by a "
                                       "WHERE filter; also covers SQL joins, SQL subscriptions")
    # the weak skill is served through an item that practises it, keeping the skill's reason
    skill_tasks = [t for t in today.tasks if "weak skill: Trade-off quantification (latest 42/100)" in t.why]
    assert len(skill_tasks) == 1 and skill_tasks[0].id.startswith("case:t") and skill_tasks[0].id != "case:t1"
    # every review date of the schedule shows up on that day; a rest day's go to the next working day, and
    # the interview eve's (a Sunday here) to the last working day before it
    assert INTERVIEW - DAY in reviews
    for when in reviews:
        target = when if when.weekday() != SUNDAY else when + DAY if when + DAY < INTERVIEW else when - DAY
        day = next(d for d in plan.days if d.date == target)
        assert any(t.kind == "review" for t in day.tasks), when
    assert set(cards) >= {"dim:tradeoffs", "topic:joins"}


def test_reviews_take_at_most_half_a_day_and_the_rest_waits() -> None:
    due_items = [DueItem(f"case:m{k}", "item", TODAY, f"failed yesterday: m{k}", 0.5 + k / 100) for k in range(1, 9)]
    plan = make_plan(reviews={TODAY: due_items}, hours=1.0)
    first, second = plan.days[0], plan.days[1]
    assert sum(t.minutes for t in first.tasks if t.kind == "review") <= 30
    assert {t.id for t in first.tasks if t.kind == "review"} == {"case:m1", "case:m2"}    # least recalled first
    assert {t.id for t in second.tasks if t.kind == "review"} == {"case:m3", "case:m4"}


# --- speed -----------------------------------------------------------------------------------------------

def big_inputs() -> tuple[list[CatalogItem], dict[str, Any], dict[dt.date, list[DueItem]], dict[str, int]]:
    rnd = random.Random(5)
    topics = ["joins", "aggregation", "subscriptions", "revenue", "windows", "dates", "nulls", "funnels"]
    dims = ["signal_selection", "learner_outcomes", "tradeoffs", "data_skepticism", "communication"]
    kinds = ["metric", "tradeoff", "critique", "experiment", "flywheel", "diagnosis"]
    catalog = []
    for k in range(200):
        if k % 3 == 0:
            catalog.append(CatalogItem(f"sql:q{k}", "sql", f"Q{k}", tuple(rnd.sample(topics, 2)), 1 + k % 3, 10,
                                       SQL_DIMS))
        elif k % 3 == 1:
            catalog.append(CatalogItem(f"case:c{k}", "case", f"C{k}", (rnd.choice(kinds),), 1 + k % 3, 15,
                                       tuple(rnd.sample(dims, 3))))
        else:
            catalog.append(CatalogItem(f"est:e{k}", "est", f"E{k}", (), 2, 10, ("tradeoffs", "communication")))
    start = dt.datetime.combine(TODAY - 40 * DAY, dt.time(8), UTC)
    attempts = []
    for j in range(300):
        item = rnd.choice(catalog)
        attempts.append(Attempt(item.id, item.kind, item.title, "", rnd.random() < 0.6, rnd.uniform(20, 100),
                                start + dt.timedelta(hours=3 * j), dimensions={d: rnd.uniform(20, 100)
                                                                                for d in item.dimensions},
                                topics=list(item.topics) if item.kind == "sql" else [], seconds=400.0))
    interview = TODAY + 60 * DAY
    reviews = schedule(apply({}, attempts), today=TODAY, until=interview - DAY, interview_date=interview)
    attempted = Counter(a.item_id for a in attempts)
    return catalog, progress(attempts, today=TODAY), reviews, dict(attempted)


def test_sixty_day_plan_with_200_items_well_under_100_ms() -> None:
    catalog, p, reviews, attempted = big_inputs()
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        plan = make_plan(progress_dict=p, reviews=reviews, attempted=attempted, catalog=catalog,
                         interview=TODAY + 60 * DAY)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.1, f"build_plan took {min(timings) * 1000:.1f} ms"
    assert len(plan.days) == 60 and all(d.minutes <= 120 for d in plan.days)
    assert sum(1 for _d, t in tasks(plan) if t.kind == "review") > 50


# --- export ----------------------------------------------------------------------------------------------

def test_ics_parses_back_with_one_event_per_non_empty_day() -> None:
    plan = make_plan(progress_dict=progress(history([30.0, 35.0]), today=TODAY))
    data = to_ics(plan)
    assert data == to_ics(plan)                                          # stable bytes, stable UIDs
    events = Calendar.from_ical(data).walk("VEVENT")
    busy = [d for d in plan.days if d.tasks]
    assert len(events) == len(busy) + 1
    by_uid = {str(e["uid"]): e for e in events}
    for day in busy:
        event = by_uid[f"{day.date.isoformat()}@pmdrill"]
        assert event.decoded("dtstart") == day.date
        assert str(event["summary"]) == f"pmdrill: {len(day.tasks)} tasks ({day.minutes} min)" or (
            len(day.tasks) == 1 and str(event["summary"]) == f"pmdrill: 1 task ({day.minutes} min)")
        assert len(str(event["description"]).splitlines()) == len(day.tasks)
    interview = by_uid[f"interview-{INTERVIEW.isoformat()}@pmdrill"]
    assert interview.decoded("dtstart") == INTERVIEW
    assert not any(str(e["uid"]).startswith(d.date.isoformat()) for e in events for d in plan.days if d.rest)


def test_markdown_has_a_heading_per_week_and_a_checkbox_per_task() -> None:
    plan = make_plan()
    text = to_markdown(plan)
    mondays = {d.date - dt.timedelta(days=d.date.weekday()) for d in plan.days}
    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        f"## Week of {m.isoformat()}" for m in sorted(mondays)]
    assert sum(1 for line in text.splitlines() if line.startswith("- [ ] ")) == len(tasks(plan))
    assert sum(1 for line in text.splitlines() if line.endswith(": rest day")) == 4


@pytest.mark.parametrize("module", [plan_mod, export_mod], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_doctests(module) -> None:  # type: ignore[no-untyped-def]
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
