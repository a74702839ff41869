"""Part-B case bank: 14 cases load, their model answers pass, labelled answers are scored as labelled,
and their evidence SQL runs on the default warehouse."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import yaml

from pmdrill.core.judgement import loader
from pmdrill.core.judgement.embed import default_embedder
from pmdrill.core.judgement.score import Scorer

CASE_IDS = (
    "trial-length-tradeoff",
    "certificate-discount-tradeoff",
    "free-certificates-low-income",
    "enterprise-seats-vs-activation",
    "rec-v2-ship-decision",
    "streak-push-decision",
    "study-plan-experiment-design",
    "early-paywall-readout",
    "alumni-champion-enterprise-flywheel",
    "partner-content-flywheel",
    "educator-incentive-design",
    "partner-low-completion-analysis",
    "subscription-churn-spike",
    "forum-completion-causality",
)
DATA = Path(__file__).parent / "data" / "labelled_content_b.yaml"
AS_OF = "DATE '2026-06-30'"


def _labelled() -> list[dict[str, str]]:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))["answers"]


LABELLED = _labelled()


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(default_embedder())


@pytest.fixture(scope="module")
def bank() -> dict:
    return loader.load_bank()


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_case_loads_from_its_file(bank: dict, case_id: str) -> None:
    case = bank[case_id]
    assert Path(case.path).stem == case_id
    assert case.kind in {"tradeoff", "experiment", "flywheel", "educator", "diagnosis", "data_quality"}
    assert case.hints and case.common_mistakes and case.evidence
    own = [c for d in case.dimensions for c in d.concepts if not c.generic]
    assert any(c.stance == "reject" for c in own), "each case rejects its vanity metric by name"
    assert any(not f.generic for f in case.red_flags), "each case has a red flag of its own"


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_model_answer_passes_without_red_flags(scorer: Scorer, bank: dict, case_id: str) -> None:
    case = bank[case_id]
    result = scorer.score(case, case.model_answer)
    assert result.red_flags == [], result.red_flags
    assert result.score >= case.pass_mark, result.to_dict()


def test_every_case_has_strong_and_weak_labelled_answers() -> None:
    for case_id in CASE_IDS:
        labels = [a["label"] for a in LABELLED if a["case"] == case_id]
        assert "strong" in labels and "weak" in labels, case_id
    assert {a["case"] for a in LABELLED} <= set(CASE_IDS)


def test_labelled_answers_agree_with_the_scorer(scorer: Scorer, bank: dict) -> None:
    wrong = []
    for item in LABELLED:
        case = bank[item["case"]]
        result = scorer.score(case, item["answer"])
        if result.passed != (item["label"] == "strong"):
            wrong.append(f"{item['case']} [{item['label']}] scored {result.score:.1f} "
                         f"(pass mark {case.pass_mark:g}), flags {[f['code'] for f in result.red_flags]}: "
                         f"{item['why']}")
    agreement = 1 - len(wrong) / len(LABELLED)
    print(f"\nagreement on {len(LABELLED)} labelled part-B answers: {agreement:.1%}")
    assert not wrong, "\n".join(wrong)


def _as_of(sql: str) -> str:
    return re.sub(r"\bCURRENT_DATE\b", AS_OF, sql)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_evidence_sql_runs_and_returns_rows(default_warehouse: Path, bank: dict, case_id: str) -> None:
    con = duckdb.connect(str(default_warehouse), read_only=True)
    try:
        for ev in bank[case_id].evidence:
            assert ev.sql, f"{case_id}: evidence without SQL"
            rows = con.execute(_as_of(ev.sql)).fetchall()
            assert rows, f"{case_id}: evidence returned no rows ({ev.note})"
    finally:
        con.close()
