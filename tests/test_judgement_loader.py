"""The case bank loads, covers every kind, and a broken file is reported with its path and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pmdrill.core.judgement import loader
from pmdrill.core.judgement.model import DIMENSIONS, KINDS
from pmdrill.errors import ContentError, NotFoundError

MY_CASES = ("rec-engine-success", "prof-cert-weekly-actives", "streak-push-critique", "minutes-engagement-critique",
            "easier-quizzes-readout", "short-videos-readout", "educator-content-length", "early-paywall-tradeoff",
            "pricing-alumni-network", "b2b2c-flywheel", "learning-events-dip", "new-onboarding-srm")

GOOD = """\
id: {id}
title: A question
kind: metric
prompt: |
  What is success?
rubric:
  metric_choice:
    weight: 2
    concepts:
      - id: first_module
        label: first-module completion
        phrasings: ["measure first-module completion"]
        patterns: ['\\bfirst[- ]module\\b']
model_answer: |
  First-module completion.
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_bank_loads_and_my_cases_cover_every_case_kind() -> None:
    bank = loader.load_bank()
    assert set(MY_CASES) <= set(bank)
    kinds = {bank[c].kind for c in MY_CASES}
    assert kinds == set(KINDS) - {"estimation"}


@pytest.mark.parametrize("case_id", sorted(loader.default_bank()))
def test_every_case_is_complete(case_id: str) -> None:
    case = loader.default_bank()[case_id]
    assert Path(case.path).stem == case.id
    names = [d.name for d in case.dimensions]
    order = [*DIMENSIONS, "estimate"]
    assert names == sorted(names, key=order.index)
    assert any(not c.generic for d in case.dimensions for c in d.concepts)
    assert case.model_answer and case.prompt and case.red_flags
    assert (case.kind == "estimation") == (case.range is not None)


def test_a_valid_file_loads(tmp_path: Path) -> None:
    case = loader.load_case(write(tmp_path, "my-case.yaml", GOOD.format(id="my-case")))
    assert case.id == "my-case" and case.pass_mark == 60
    assert {d.name for d in case.dimensions} == set(DIMENSIONS)
    metric = next(d for d in case.dimensions if d.name == "metric_choice")
    assert metric.concepts[0].id == "first_module" and metric.concepts[0].stance == "endorse"
    # the generic concepts follow the case's own, marked generic
    assert any(c.generic for c in metric.concepts[1:])


@pytest.mark.parametrize(("mutate", "message", "line"), [
    (lambda t: t.replace("kind: metric", "kind: riddle"), "kind must be one of", 3),
    (lambda t: t.replace("phrasings:", "phrasing:"), "unknown key 'phrasing'", 12),
    (lambda t: t.replace("\\bfirst[- ]module\\b", "first[module"), "not a valid regex", 13),
    (lambda t: t.replace("  metric_choice:", "  metrics:"), "unknown dimension 'metrics'", 7),
    (lambda t: t.replace("    weight: 2", "    weight: 9"), "must be a number", 8),
    (lambda t: t.replace("id: first_module", "id: First Module"), "lower_snake_case", 10),
    (lambda t: t + "range: {low: 1, high: 2, unit: x}\n", "only estimation questions", 16),
    (lambda t: t.replace("model_answer: |\n  First-module completion.\n", ""), "needs 'model_answer'", 1),
    (lambda t: t.replace("title: A question", "title: A question\n  oops: [1"), "invalid YAML", None),
])
def test_errors_name_file_and_line(tmp_path: Path, mutate, message: str, line: int | None) -> None:
    path = write(tmp_path, "bad-case.yaml", mutate(GOOD.format(id="bad-case")))
    with pytest.raises(ContentError) as err:
        loader.load_case(path)
    assert message in err.value.message
    assert err.value.path == str(path)
    if line is not None:
        assert err.value.line == line
    assert str(err.value).startswith(f"{path}:")


def test_id_must_match_file_name(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="must match the file name"):
        loader.load_case(write(tmp_path, "other-name.yaml", GOOD.format(id="my-case")))


def test_estimation_needs_a_range(tmp_path: Path) -> None:
    text = GOOD.format(id="est-x").replace("kind: metric", "kind: estimation")
    with pytest.raises(ContentError, match="needs 'range'"):
        loader.load_case(write(tmp_path, "est-x.yaml", text))
    case = loader.load_case(write(tmp_path, "est-x.yaml", text + "range: {low: 10, high: 20, unit: hours}\n"))
    assert case.range is not None and case.range.unit == "hours"
    assert case.dimensions[-1].name == "estimate"


def test_duplicate_ids_across_folders_name_both_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a", "dup.yaml", GOOD.format(id="dup"))
    write(tmp_path / "b", "dup.yaml", GOOD.format(id="dup"))
    with pytest.raises(ContentError, match="duplicate id 'dup'") as err:
        loader.load_bank([tmp_path / "a", tmp_path / "b"])
    assert str(tmp_path / "a" / "dup.yaml") in err.value.message


def test_files_starting_with_underscore_are_not_cases(tmp_path: Path) -> None:
    write(tmp_path, "_notes.yaml", "anything: [1, 2]\n")
    write(tmp_path, "ok.yaml", GOOD.format(id="ok"))
    assert list(loader.load_bank([tmp_path])) == ["ok"]


def test_unknown_id_and_generic_case() -> None:
    with pytest.raises(NotFoundError):
        loader.get_case("no-such-case")
    case = loader.generic_case("  How would you measure a new quiz feature?  ")
    assert case.prompt == "How would you measure a new quiz feature?"
    assert {d.name for d in case.dimensions} == set(DIMENSIONS)
    assert {f.code for f in case.red_flags} >= {"vanity_metric_success", "engagement_without_learning",
                                                  "easing_tests"}


def test_show_hides_the_model_answer_unless_asked() -> None:
    case = loader.get_case("rec-engine-success")
    assert "model_answer" not in case.to_dict()
    full = case.to_dict(model_answer=True)
    assert full["model_answer"] == case.model_answer and full["evidence"]
