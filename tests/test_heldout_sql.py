"""The SQL grader on reference/answer pairs written for the test by writers who never saw the grader:
every equivalent answer accepted, every wrong one caught, including those only data other than the
warehouse can tell apart. Answers in DuckDB, PostgreSQL, MySQL and BigQuery; references from a coach.

Set A (94 pairs) was measured first and used to find the classes of failure (BETWEEN bounds and
"only the first row" mutants were added after it); set B (48 pairs, ``_b``) was written later and measured
untouched first: 22/24 equivalent accepted, 22/24 wrong caught (10/12 hidden-only). Its four misses
(PostgreSQL percentile_cont typed DECIMAL, BigQuery ARRAY_AGG ... LIMIT, NOT IN over a NULL key, the
last second before midnight) were fixed as classes; both sets are kept whole here.
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

DATA = Path(__file__).parent / "data"
SET_A: list[dict[str, Any]] = yaml.safe_load((DATA / "heldout_sql_pairs.yaml").read_text())
SET_B: list[dict[str, Any]] = yaml.safe_load((DATA / "heldout_sql_pairs_b.yaml").read_text())
PAIRS = SET_A + SET_B


@pytest.fixture(scope="module")
def grader(default_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Grader]:
    home = tmp_path_factory.mktemp("heldout-home")
    g = Grader(default_warehouse, as_of=dt.date(2026, 6, 30), settings=Settings.load(home=home))
    yield g
    g.close()


def test_the_sets_are_what_the_note_reports() -> None:
    assert (len(SET_A), sum(p["equivalent"] for p in SET_A), sum(1 for p in SET_A if p["hidden_only"])) == (94, 47, 16)
    assert (len(SET_B), sum(p["equivalent"] for p in SET_B), sum(1 for p in SET_B if p["hidden_only"])) == (48, 24, 12)
    assert len({p["id"] for p in PAIRS}) == len(PAIRS)
    for s in (SET_A, SET_B):
        assert {p["dialect"] for p in s} == {"duckdb", "postgres", "mysql", "bigquery"}


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
