"""The SQL grader on 94 reference/answer pairs written for the test, outside the project (never tuned on):
every equivalent answer accepted, every wrong one caught, including the 16 that only data other than the
warehouse can tell apart. Answers in DuckDB, PostgreSQL, MySQL and BigQuery; references from a coach.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pmdrill.adapters.grading import Grader
from pmdrill.settings import Settings

PAIRS: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "data" / "heldout_sql_pairs.yaml").read_text())


@pytest.fixture(scope="module")
def grader(default_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Grader]:
    home = tmp_path_factory.mktemp("heldout-home")
    g = Grader(default_warehouse, as_of=dt.date(2026, 6, 30), settings=Settings.load(home=home))
    yield g
    g.close()


def test_the_set_is_what_the_note_reports() -> None:
    assert len(PAIRS) == 94
    assert sum(p["equivalent"] for p in PAIRS) == 47
    assert sum(1 for p in PAIRS if p["hidden_only"]) == 16
    assert {p["dialect"] for p in PAIRS} == {"duckdb", "postgres", "mysql", "bigquery"}


@pytest.mark.slow
@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_a_coachs_reference_is_graded_like_a_bank_question(grader: Grader, pair: dict[str, Any]) -> None:
    result = grader.check(None, pair["answer"], reference=pair["reference"], dialect=pair["dialect"])
    if pair["equivalent"]:
        assert result.correct is True, (pair["class"], result.error, result.feedback[:3])
    else:
        assert result.correct is False, (pair["class"], "hidden only" if pair["hidden_only"] else "", pair["why"])
    again = grader.check(None, pair["answer"], reference=pair["reference"], dialect=pair["dialect"])
    assert again.correct == result.correct  # the verdict does not change from one submission to the next
