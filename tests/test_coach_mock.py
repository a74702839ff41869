"""Mock assembly: slots by focus, minute budgets, picks weighted to weak areas, determinism, usage errors."""

from __future__ import annotations

import doctest
import random
from collections import Counter
from collections.abc import Sequence

import pytest

from pmdrill.core.coach import mock
from pmdrill.core.coach.mock import FOCUSES, SLOTS, assemble, plan_file
from pmdrill.core.coach.records import CatalogItem, MockQuestion
from pmdrill.errors import UsageError


def make_item(item_id: str, *, topics: Sequence[str] = (), difficulty: int = 2, minutes: int = 10,
              dimensions: Sequence[str] = ()) -> CatalogItem:
    kind = item_id.split(":", 1)[0]
    return CatalogItem(item_id, kind, item_id.split(":", 1)[1].replace("-", " ").title(), topics=tuple(topics),
                       difficulty=difficulty, minutes=minutes, dimensions=tuple(dimensions))


def make_catalog() -> list[CatalogItem]:
    """Enough of every kind for every focus, with several candidates per slot."""
    cases = [("metric", 3), ("critique", 2), ("tradeoff", 2), ("experiment", 2), ("diagnosis", 2),
             ("flywheel", 1), ("educator", 1)]
    items = [make_item(f"case:{kind}-{i}", topics=(kind, "b2b"), minutes=10,
                       dimensions=("signal_selection", "communication"))
             for kind, n in cases for i in range(n)]
    items += [make_item(f"sql:d{d}-{i}", topics=("joins",), difficulty=d, minutes=12,
                        dimensions=("sql_logic", "sql_correctness")) for d in (1, 2, 3) for i in range(2)]
    items += [make_item(f"est:size-{i}", minutes=8, dimensions=("tradeoffs",)) for i in range(2)]
    return items


def round_ids(questions: Sequence[MockQuestion]) -> list[str]:
    return [q.id for q in questions]


def test_same_seed_same_round_and_catalog_order_does_not_matter() -> None:
    catalog = make_catalog()
    first = assemble(catalog, seed=11)
    shuffled = list(catalog)
    random.Random(3).shuffle(shuffled)
    assert [q.to_dict() for q in assemble(catalog, seed=11)] == [q.to_dict() for q in first]
    assert [q.to_dict() for q in assemble(shuffled, seed=11)] == [q.to_dict() for q in first]


def test_other_seeds_give_other_rounds() -> None:
    catalog = make_catalog()
    rounds = {tuple(round_ids(assemble(catalog, seed=s))) for s in range(20)}
    assert len(rounds) >= 5


def test_mixed_round_has_one_question_per_slot() -> None:
    questions = assemble(make_catalog(), seed=5)
    assert [q.slot for q in questions] == ["metric definition", "SQL with logic-first step",
                                          "trade-off or experiment read-out", "estimation"]
    assert [q.kind for q in questions] == ["case", "sql", "case", "est"]
    topics = {item.id: item.topics for item in make_catalog()}
    assert topics[questions[0].id][0] in ("metric", "critique")
    assert topics[questions[2].id][0] in ("tradeoff", "experiment")
    assert sum(q.minutes for q in questions) == 45
    assert len(set(round_ids(questions))) == 4
    for n, q in enumerate(questions, start=1):
        bank_id = q.id.split(":", 1)[1]
        assert q.answer_file == f"{n:02d}-{q.kind}-{bank_id}.{'sql' if q.kind == 'sql' else 'md'}"


def test_sql_focus_is_three_sql_of_rising_difficulty_and_a_metric_case() -> None:
    difficulty = {item.id: item.difficulty for item in make_catalog()}
    for seed in range(10):
        questions = assemble(make_catalog(), focus="sql", minutes=60, seed=seed)
        assert [q.kind for q in questions] == ["sql", "sql", "sql", "case"]
        assert [difficulty[q.id] for q in questions[:3]] == [1, 2, 3]
        assert questions[3].id.startswith("case:metric-")


def test_metrics_focus_slots() -> None:
    questions = assemble(make_catalog(), focus="metrics", minutes=50, seed=2)
    kinds = [q.id.split(":")[1].split("-")[0] if q.kind == "case" else q.kind for q in questions]
    assert kinds == ["metric", "critique", "experiment", "sql"]


def test_cases_focus_adds_estimation_only_when_time_allows() -> None:
    long_round = assemble(make_catalog(), focus="cases", minutes=60, seed=4)
    assert [q.slot for q in long_round] == ["metric definition or critique", "diagnosis",
                                           "trade-off or experiment read-out", "flywheel or educator case",
                                           "estimation"]
    # 4 cases x 10 + estimation 8 = 48 expected minutes: in 45 the estimation goes
    short_round = assemble(make_catalog(), focus="cases", minutes=45, seed=4)
    assert [q.kind for q in short_round] == ["case"] * 4
    assert sum(q.minutes for q in short_round) == 45


@pytest.mark.parametrize("minutes", [10, 17, 30, 45, 61, 90, 180])
def test_minutes_scale_to_the_round(minutes: int) -> None:
    questions = assemble(make_catalog(), minutes=minutes, seed=9)
    assert sum(q.minutes for q in questions) == minutes
    assert len(questions) >= 2
    expected = {item.id: item.minutes for item in make_catalog()}
    share = [q.minutes / expected[q.id] for q in questions]
    # one rounding minute at most separates any two questions' share of their expected time
    assert max(share) - min(share) <= 1 / min(expected[q.id] for q in questions) + 1e-9


def test_short_rounds_drop_the_lowest_priority_slots() -> None:
    slots_by_minutes = {m: [q.slot for q in assemble(make_catalog(), minutes=m, seed=1)] for m in (45, 30, 29, 20, 10)}
    assert slots_by_minutes[45] == ["metric definition", "SQL with logic-first step",
                                    "trade-off or experiment read-out", "estimation"]
    # 40 expected minutes: 30 is exactly 75% of that and keeps all four; in 29 the estimation
    # (priority 3) goes first
    assert slots_by_minutes[30] == slots_by_minutes[45]
    assert slots_by_minutes[29] == ["metric definition", "SQL with logic-first step",
                                    "trade-off or experiment read-out"]
    assert slots_by_minutes[20] == ["metric definition", "SQL with logic-first step"]
    assert slots_by_minutes[10] == ["metric definition", "SQL with logic-first step"]


def weak_vs_strong_catalog() -> list[CatalogItem]:
    weak = [make_item(f"case:metric-weak-{i}", topics=("metric",), dimensions=("data_skepticism",))
            for i in range(3)]
    strong = [make_item(f"case:metric-strong-{i}", topics=("metric",), dimensions=("communication",))
              for i in range(3)]
    untested = [make_item(f"case:metric-new-{i}", topics=("metric",), dimensions=("learner_outcomes",))
                for i in range(3)]
    sql = [make_item("sql:windows", topics=("windows",)), make_item("sql:joins", topics=("joins",))]
    return weak + strong + untested + sql + [make_item("case:tradeoff-a", topics=("tradeoff",)),
                                             make_item("est:a")]


def test_weak_areas_are_picked_more_often_than_strong_ones() -> None:
    skills: dict[str, float | None] = {"data_skepticism": 20.0, "communication": 95.0, "learner_outcomes": None,
                                       "topic:windows": 15.0, "topic:joins": 90.0}
    picked: Counter[str] = Counter()
    for seed in range(200):
        for q in assemble(weak_vs_strong_catalog(), seed=seed, skills=skills):
            picked[q.id.rsplit("-", 1)[0] if q.id.startswith("case:metric-") else q.id] += 1
    assert sum(picked[k] for k in ("case:metric-weak", "case:metric-strong", "case:metric-new")) == 200
    # weights e^(3 x 0.8), e^(3 x 0.5), e^(3 x 0.05): about 64%, 26% and 7% of the metric slot
    assert picked["case:metric-weak"] > 100
    assert picked["case:metric-weak"] > picked["case:metric-new"] > picked["case:metric-strong"]
    assert picked["case:metric-strong"] < 35
    assert picked["sql:windows"] > 150 > 50 > picked["sql:joins"]


def test_without_skills_every_item_is_as_likely() -> None:
    picked = Counter(q.id for seed in range(300) for q in assemble(weak_vs_strong_catalog(), seed=seed)
                     if q.kind == "sql")
    assert abs(picked["sql:windows"] - picked["sql:joins"]) < 60


def test_recent_items_are_avoided() -> None:
    catalog = weak_vs_strong_catalog()
    recent = {"sql:windows"}
    picked = Counter(q.id for seed in range(200) for q in assemble(catalog, seed=seed, recent=recent))
    assert picked["sql:windows"] + picked["sql:joins"] == 200
    assert picked["sql:windows"] < 25
    # the only candidate is still asked, and the why says it was seen recently
    only = [make_item("case:metric-a", topics=("metric",)), make_item("sql:windows", topics=("windows",))]
    questions = assemble(only, seed=1, recent=recent)
    assert round_ids(questions) == ["case:metric-a", "sql:windows"]
    assert questions[1].why.endswith("(attempted recently)")


def test_why_names_the_weak_area_or_the_slot() -> None:
    catalog = [make_item("case:metric-a", topics=("metric",), dimensions=("signal_selection", "communication")),
               make_item("sql:a", topics=("windows",), dimensions=("sql_logic",)),
               make_item("case:tradeoff-a", topics=("tradeoff",), dimensions=("tradeoffs",)),
               make_item("est:a", dimensions=("tradeoffs",))]
    skills: dict[str, float | None] = {"signal_selection": 88.0, "communication": 64.0, "sql_logic": 45.0,
                                       "topic:windows": 80.0, "tradeoffs": None}
    why = {q.id: q.why for q in assemble(catalog, seed=1, skills=skills)}
    assert why == {"case:metric-a": "targets your weakest area: Communication (64/100)",
                   "sql:a": "targets your weakest area: SQL logic (45/100)",
                   "case:tradeoff-a": "targets an area not yet tested: Trade-off quantification",
                   "est:a": "targets an area not yet tested: Trade-off quantification"}
    plain = {q.id: q.why for q in assemble(catalog, seed=1)}
    assert plain["est:a"] == "slot: estimation"
    assert plain["sql:a"] == "slot: SQL with logic-first step"
    strong = {q.id: q.why for q in assemble(catalog, seed=1, skills={"sql_logic": 90.0, "topic:windows": 95.0})}
    assert strong["sql:a"] == "slot: SQL with logic-first step"


def test_never_the_same_item_twice() -> None:
    catalog = [make_item("sql:only-a", difficulty=1), make_item("sql:only-b", difficulty=3),
               make_item("case:metric-a", topics=("metric",))]
    for seed in range(30):
        questions = assemble(catalog, focus="sql", seed=seed)
        assert sorted(round_ids(questions)) == ["case:metric-a", "sql:only-a", "sql:only-b"]
        assert round_ids(questions)[:2] == ["sql:only-a", "sql:only-b"]   # still easiest first


def test_unfillable_slots_are_skipped() -> None:
    catalog = [make_item("case:metric-a", topics=("metric",)), make_item("sql:a"), make_item("est:a")]
    questions = assemble(catalog, seed=3)
    assert [q.slot for q in questions] == ["metric definition", "SQL with logic-first step", "estimation"]


@pytest.mark.parametrize("minutes", [9, 0, 181, -45])
def test_minutes_out_of_range(minutes: int) -> None:
    with pytest.raises(UsageError) as err:
        assemble(make_catalog(), minutes=minutes, seed=1)
    message = str(err.value)
    assert "--minutes" in message and "between 10 and 180" in message and str(minutes) in message


def test_unknown_focus_lists_the_focuses() -> None:
    with pytest.raises(UsageError) as err:
        assemble(make_catalog(), focus="behavioural", seed=1)
    assert "'behavioural'" in str(err.value)
    assert "sql, metrics, cases, mixed" in str(err.value)
    assert set(SLOTS) == set(FOCUSES)


def test_a_catalog_that_cannot_fill_two_slots_is_an_error() -> None:
    with pytest.raises(UsageError) as err:
        assemble([make_item("sql:a"), make_item("sql:b"), make_item("kpi:x")], focus="mixed", seed=1)
    assert "1 question(s) found" in str(err.value)
    assert "metric definition" in str(err.value)


def test_plan_file_is_the_answer_file_with_plan_txt() -> None:
    questions = assemble(make_catalog(), seed=5)
    sql = next(q for q in questions if q.kind == "sql")
    assert plan_file(sql) == sql.answer_file[:-len(".sql")] + ".plan.txt"
    assert plan_file(sql).startswith("02-sql-")
    with pytest.raises(UsageError):
        plan_file(questions[0])


def test_doctests() -> None:
    failures, tried = doctest.testmod(mock)
    assert tried > 0 and failures == 0
