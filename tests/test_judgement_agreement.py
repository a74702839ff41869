"""The scorer is measured: agreement with hand labels (strong/weak) on tests/data/labelled_answers.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pmdrill.core.judgement import loader
from pmdrill.core.judgement.embed import default_embedder
from pmdrill.core.judgement.score import Scorer

LABELLED = Path(__file__).parent / "data" / "labelled_answers.yaml"
MIN_AGREEMENT = 0.85


def labelled() -> list[dict]:
    return yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["answers"]


@pytest.fixture(scope="module")
def verdicts() -> list[tuple[dict, float, bool]]:
    """(answer, score, agrees with the label) for every labelled answer, scored once."""
    bank = loader.default_bank()
    scorer = Scorer(default_embedder())
    out = []
    for a in labelled():
        case = bank[a["case"]]
        score = scorer.score(case, a["answer"]).score
        out.append((a, score, (score >= case.pass_mark) == (a["label"] == "strong")))
    return out


def test_the_labelled_set_is_large_and_balanced() -> None:
    answers = labelled()
    assert len(answers) >= 40
    labels = [a["label"] for a in answers]
    assert set(labels) == {"strong", "weak"} and min(labels.count("strong"), labels.count("weak")) >= 15
    bank = loader.default_bank()
    assert all(a["case"] in bank and a["answer"].strip() and a["why"].strip() for a in answers)
    assert {bank[a["case"]].kind for a in answers} >= {"metric", "diagnosis", "tradeoff", "experiment",
                                                        "critique", "flywheel", "educator", "data_quality"}


def _share(rows: list[tuple[dict, float, bool]]) -> float:
    return sum(ok for _, _, ok in rows) / len(rows)


def test_agreement_with_labels(verdicts: list[tuple[dict, float, bool]]) -> None:
    overall = _share(verdicts)
    lines = [f"agreement on {len(verdicts)} labelled answers: {overall:.3f}"]
    held_out = [v for v in verdicts if v[0].get("split") == "holdout"]
    if held_out:
        lines.append(f"agreement on the {len(held_out)} held-out answers (written after tuning): "
                     f"{_share(held_out):.3f}")
    misses = [f"  miss: {a['case']} [{a['label']}] scored {s:.1f}: {a['why']}" for a, s, ok in verdicts if not ok]
    print("\n" + "\n".join(lines + misses))
    assert overall >= MIN_AGREEMENT, misses


@pytest.mark.parametrize("label", ["strong", "weak"])
def test_each_label_is_mostly_right(verdicts: list[tuple[dict, float, bool]], label: str) -> None:
    # a scorer that passes (or fails) everything cannot reach the bar on both labels at once
    rows = [v for v in verdicts if v[0]["label"] == label]
    assert _share(rows) >= MIN_AGREEMENT


def test_embeddings_add_to_the_patterns(verdicts: list[tuple[dict, float, bool]]) -> None:
    """Semantic matching earns its keep: without it, strong answers lose credit they deserve."""
    bank = loader.default_bank()
    lexical = Scorer(None)
    strong = [(a, s) for a, s, _ in verdicts if a["label"] == "strong"]
    without = [lexical.score(bank[a["case"]], a["answer"]).score for a, _ in strong]
    with_embeddings = [s for _, s in strong]
    print(f"\nmean score of strong answers: {sum(with_embeddings) / len(strong):.1f} with embeddings, "
          f"{sum(without) / len(strong):.1f} with patterns only")
    assert sum(with_embeddings) > sum(without)
