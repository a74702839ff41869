"""Part-A content cases: they load, their model answers pass cleanly, labelled answers agree, evidence runs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from pmdrill.core.judgement import loader
from pmdrill.core.judgement.embed import default_embedder
from pmdrill.core.judgement.score import Scorer

CASES_A = (
    "ai-coach-success", "platform-north-star", "campus-licence-success", "mobile-redesign-success",
    "signup-placement-success", "completion-drop-mix", "pricing-page-conversion-drop",
    "government-seat-activation", "certificates-up-outcomes-down", "partner-dashboard-ranking",
    "registrations-campaign-critique", "android-dau-competitor", "new-course-completion-too-good",
    "revenue-double-count",
)
KINDS_A = {"metric": 5, "diagnosis": 4, "critique": 2, "data_quality": 3}
LABELLED = Path(__file__).parent / "data" / "labelled_content_a.yaml"
AS_OF = "DATE '2026-06-30'"


def _labelled() -> list[dict[str, str]]:
    return yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["answers"]


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(default_embedder())


def test_part_a_cases_load_with_the_planned_kinds() -> None:
    bank = loader.load_bank()
    assert set(CASES_A) <= set(bank)
    kinds: dict[str, int] = {}
    for cid in CASES_A:
        case = bank[cid]
        assert Path(case.path).stem == cid
        kinds[case.kind] = kinds.get(case.kind, 0) + 1
        own = [c for d in case.dimensions for c in d.concepts if not c.generic]
        assert any(c.stance == "reject" for c in own), f"{cid}: no stance: reject concept"
        assert any(not f.generic for f in case.red_flags), f"{cid}: no case-specific red flag"
        assert case.hints and case.common_mistakes
    assert kinds == KINDS_A


@pytest.mark.parametrize("case_id", CASES_A)
def test_model_answer_passes_without_red_flags(scorer: Scorer, case_id: str) -> None:
    case = loader.get_case(case_id)
    result = scorer.score(case, case.model_answer)
    assert result.red_flags == [], result.red_flags
    assert result.score >= case.pass_mark, result.to_dict()


def test_every_case_has_strong_and_weak_labelled_answers() -> None:
    answers = _labelled()
    for cid in CASES_A:
        labels = {a["label"] for a in answers if a["case"] == cid}
        assert labels == {"strong", "weak"}, cid
    assert {a["case"] for a in answers} <= set(CASES_A)


@pytest.mark.parametrize("item", _labelled(), ids=lambda a: f"{a['case']}-{a['label']}-{a['why'][:30]}")
def test_labelled_answer_is_scored_as_labelled(scorer: Scorer, item: dict[str, str]) -> None:
    case = loader.get_case(item["case"])
    result = scorer.score(case, item["answer"])
    assert result.passed is (item["label"] == "strong"), (item["why"], result.to_dict())


def test_agreement_on_labelled_answers_is_total(scorer: Scorer) -> None:
    answers = _labelled()
    agree = sum(scorer.score(loader.get_case(a["case"]), a["answer"]).passed is (a["label"] == "strong")
                for a in answers)
    assert agree == len(answers), f"agreement {agree}/{len(answers)}"


def _evidence() -> list[tuple[str, int, str]]:
    bank = loader.load_bank()
    return [(cid, i, ev.sql) for cid in CASES_A for i, ev in enumerate(bank[cid].evidence) if ev.sql]


@pytest.mark.parametrize(("case_id", "index", "sql"), _evidence(), ids=[f"{c}-{i}" for c, i, _ in _evidence()])
def test_evidence_sql_runs_and_returns_rows(default_warehouse: Path, case_id: str, index: int, sql: str) -> None:
    con = duckdb.connect(str(default_warehouse), read_only=True)
    try:
        rows = con.sql(sql.replace("CURRENT_DATE", AS_OF)).fetchall()
    finally:
        con.close()
    assert rows, f"{case_id} evidence {index} returned no rows"
