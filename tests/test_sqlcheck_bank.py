"""The SQL question bank: every entry runs on the default warehouse and its traps really differ;
the loader rejects broken files with the file and line, and never lets a user file hide the bank."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from pmdrill import settings
from pmdrill.core.sqlcheck.bank import (
    DIFFICULTIES,
    TOPICS,
    Question,
    filter_questions,
    get_question,
    load_bank,
)
from pmdrill.errors import ContentError, NotFoundError

BANK = load_bank()
AS_OF = next(s.default for s in settings.SETTINGS if s.name == "as_of")
WRONG = [(q, i) for q in BANK for i in range(len(q.wrong_answers))]


def pin_clock(sql: str) -> str:
    """The grader's clock: CURRENT_DATE is the as-of date, NOW() the end of that day."""
    end_of_day = f"{AS_OF} 23:59:59"

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.CurrentDate):
            return exp.cast(exp.Literal.string(AS_OF), "DATE")
        if isinstance(node, exp.CurrentTimestamp) or (
                isinstance(node, exp.Anonymous) and node.name.lower() == "now"):
            return exp.cast(exp.Literal.string(end_of_day), "TIMESTAMP")
        return node

    return sqlglot.parse_one(sql, read="duckdb").transform(swap).sql(dialect="duckdb")


def _value(v: Any) -> Any:
    # numbers compare as numbers and a DATE equals midnight of that day, as the grader does
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int | float | decimal.Decimal):
        f = float(v)
        return None if math.isnan(f) else round(f, 6)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day).isoformat()
    return str(v)


def normalised(rows: list[tuple[Any, ...]], ordered: bool) -> list[tuple[Any, ...]]:
    out = [tuple(_value(v) for v in row) for row in rows]
    return out if ordered else sorted(out, key=repr)


@pytest.fixture(scope="session")
def warehouse(default_warehouse: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(default_warehouse), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def reference_results(warehouse: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every reference's rows, run once per session on one connection."""
    return {q.id: warehouse.execute(pin_clock(q.reference)).fetchall() for q in BANK}


# ---- every entry, on the default warehouse --------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("question", BANK, ids=[q.id for q in BANK])
def test_reference_gives_a_real_answer(question: Question,
                                       reference_results: dict[str, list[tuple[Any, ...]]]) -> None:
    rows = reference_results[question.id]
    assert rows, "the reference returns no rows on the default warehouse"
    for col in range(len(rows[0])):
        assert any(r[col] is not None for r in rows), f"column {col + 1} is NULL in every row"
    values = [_value(v) for r in rows for v in r]
    assert any(v not in (0, None, False) for v in values), "the reference returns only zeros"


@pytest.mark.slow
@pytest.mark.parametrize(("question", "index"), WRONG, ids=[f"{q.id}-wrong{i + 1}" for q, i in WRONG])
def test_wrong_answer_runs_and_differs(question: Question, index: int, warehouse: duckdb.DuckDBPyConnection,
                                       reference_results: dict[str, list[tuple[Any, ...]]]) -> None:
    wrong = question.wrong_answers[index]
    got = normalised(warehouse.execute(pin_clock(wrong.sql)).fetchall(), question.ordered)
    want = normalised(reference_results[question.id], question.ordered)
    if wrong.differs_on_warehouse:
        assert got != want, "this wrong answer gives the reference's result on the warehouse; " \
                            "mark it differs_on_warehouse: false if the trap only shows on hidden data"
    else:
        assert got == want, "marked differs_on_warehouse: false, but it does differ on the warehouse"


# ---- the bank as a whole ----------------------------------------------------------------------

def test_bank_size_and_topic_coverage() -> None:
    assert len(BANK) >= 60
    covered = {t for q in BANK for t in q.topics}
    assert covered == set(TOPICS), f"topics without a question: {set(TOPICS) - covered}"


def test_difficulty_spread() -> None:
    counts = Counter(q.difficulty for q in BANK)
    target = {"easy": 0.25, "medium": 0.45, "hard": 0.30}
    for level in DIFFICULTIES:
        share = counts[level] / len(BANK)
        assert abs(share - target[level]) <= 0.07, f"{level}: {share:.0%} of the bank"


@pytest.mark.parametrize("question", BANK, ids=[q.id for q in BANK])
def test_entry_is_complete_and_teaches(question: Question) -> None:
    assert 2 <= len(question.hints) <= 3
    assert 1 <= len(question.wrong_answers) <= 3
    for hint in question.hints:
        assert not ("SELECT " in hint.upper() and " FROM " in hint.upper()), "a hint gives away a query"
    references = {" ".join(question.reference.split()).lower()}
    for wrong in question.wrong_answers:
        assert " ".join(wrong.sql.split()).lower() not in references, "a wrong answer equals the reference"
    assert question.source.rsplit(":", 1)[1].isdigit()
    assert question.reference_line > int(question.source.rsplit(":", 1)[1])


def test_ids_are_unique_and_stable_kebab_case() -> None:
    ids = [q.id for q in BANK]
    assert len(ids) == len(set(ids))
    assert all(i == i.lower() and " " not in i and "_" not in i for i in ids)


def test_ordered_follows_the_reference_order_by() -> None:
    ordered = {q.id for q in BANK if q.ordered}
    assert "running-revenue-2025" in ordered
    assert "learners-never-enrolled" not in ordered
    for q in BANK:
        if q.ordered:
            assert "ORDER BY" in q.reference.rsplit(")", 1)[-1].upper()


def test_to_dict_hides_the_solution_unless_asked() -> None:
    q = BANK[0]
    public = q.to_dict()
    assert public["id"] == q.id and public["hints"] == list(q.hints)
    assert "reference" not in public and "wrong_answers" not in public
    full = q.to_dict(with_solution=True)
    assert full["reference"] == q.reference and len(full["wrong_answers"]) == len(q.wrong_answers)


def test_get_question_and_close_matches() -> None:
    first = BANK[0]
    assert get_question(first.id) == first
    with pytest.raises(NotFoundError) as info:
        get_question(first.id[:-2] + "zz")
    assert first.id in info.value.message


def test_filter_questions() -> None:
    hard_windows = filter_questions(topic="windows", difficulty="hard")
    assert hard_windows and all(q.difficulty == "hard" and "windows" in q.topics for q in hard_windows)
    assert len(filter_questions()) == len(BANK)
    assert sum(len(filter_questions(difficulty=d)) for d in DIFFICULTIES) == len(BANK)
    with pytest.raises(NotFoundError, match="topic"):
        filter_questions(topic="window")
    with pytest.raises(NotFoundError, match="difficulty"):
        filter_questions(difficulty="expert")


# ---- the loader on broken user files --------------------------------------------------------

GOOD = """\
- id: my-own-question
  title: Learners per country
  framing: I want to practise GROUP BY.
  difficulty: easy
  topics: [aggregation]
  tables: [learners]
  metric: Learners by country
  reference: |
    SELECT country,
           COUNT(*) AS learners
    FROM learners
    GROUP BY country
  logic: Group learners by country and count.
  hints:
    - One row per learner.
    - Group by country.
  wrong_answers:
    - sql: SELECT COUNT(*) FROM learners
      why: No grouping.
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def line_of(text: str, marker: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def load_error(tmp_path: Path, text: str) -> ContentError:
    path = write(tmp_path / "questions", "mine.yaml", text)
    with pytest.raises(ContentError) as info:
        load_bank([path.parent])
    assert info.value.path == str(path), "the error must name the user's file"
    return info.value


def test_a_valid_user_file_joins_the_bank(tmp_path: Path) -> None:
    path = write(tmp_path / "questions", "mine.yaml", GOOD)
    bank = load_bank([path.parent])
    assert len(bank) == len(BANK) + 1
    mine = get_question("my-own-question", bank)
    assert mine.source == f"{path}:1"
    assert mine.reference_line == line_of(GOOD, "SELECT country")
    assert mine.wrong_answers[0].differs_on_warehouse is True


@pytest.mark.parametrize(("change", "marker", "message"), [
    (("  metric: Learners by country\n", "  metric: Learners by country\n  owner: me\n"), "owner:", "unknown key 'owner'"),
    (("  difficulty: easy", "  difficulty: trivial"), "difficulty:", "difficulty 'trivial'"),
    (("  topics: [aggregation]", "  topics: [aggregation, joinz]"), "topics:", "unknown topic 'joinz'"),
    (("  tables: [learners]", "  tables: [learner]"), "tables:", "'learner' is not in the warehouse contract"),
    (("  tables: [learners]", "  tables: [learners, courses]"), "tables:", "reference reads learners"),
    (("- id: my-own-question", "- id: My Question"), "id:", "not kebab-case"),
    (("    - Group by country.", "    - Then: group by country."), "Then:", "quote text"),
    (("      why: No grouping.", "      why: No grouping.\n      differs_on_warehouse: maybe"),
     "differs_on_warehouse", "true or false"),
])
def test_invalid_entry_names_file_and_line(tmp_path: Path, change: tuple[str, str], marker: str,
                                           message: str) -> None:
    text = GOOD.replace(*change)
    err = load_error(tmp_path, text)
    assert message in err.message
    assert err.line == line_of(text, marker)
    assert f"mine.yaml:{err.line}" in str(err)


def test_missing_key_points_at_the_entry(tmp_path: Path) -> None:
    text = "# my questions\n" + GOOD.replace("  metric: Learners by country\n", "")
    err = load_error(tmp_path, text)
    assert "missing 'metric'" in err.message
    assert err.line == 2


def test_reference_syntax_error_points_at_its_line_in_the_file(tmp_path: Path) -> None:
    text = GOOD.replace("    FROM learners\n", "    FROM learners JOIN ON\n")
    err = load_error(tmp_path, text)
    assert "reference does not parse (line 3" in err.message
    assert err.line == line_of(text, "JOIN ON")


def test_wrong_answer_syntax_error_is_reported(tmp_path: Path) -> None:
    text = GOOD.replace("SELECT COUNT(*) FROM learners", "SELECT COUNT(* FROM learners")
    err = load_error(tmp_path, text)
    assert "wrong answer SQL does not parse" in err.message
    assert err.line == line_of(text, "SELECT COUNT(* FROM")


def test_reference_must_be_one_select(tmp_path: Path) -> None:
    text = GOOD.replace("    GROUP BY country\n", "    GROUP BY country;\n    DELETE FROM learners\n")
    err = load_error(tmp_path, text)
    assert "exactly one SELECT" in err.message


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    text = GOOD.replace("  topics: [aggregation]", "  topics: [aggregation")
    err = load_error(tmp_path, text)
    assert "invalid YAML" in err.message
    assert err.line is not None and err.line >= line_of(text, "topics:")


def test_duplicate_key_in_an_entry(tmp_path: Path) -> None:
    text = GOOD.replace("  metric: Learners by country\n", "  metric: Learners by country\n  metric: again\n")
    err = load_error(tmp_path, text)
    assert "appears twice" in err.message
    assert err.line == line_of(text, "metric: again")


def test_duplicate_id_names_both_places(tmp_path: Path) -> None:
    folder = tmp_path / "questions"
    first = write(folder, "a.yaml", GOOD)
    second = write(folder, "b.yaml", "\n\n" + GOOD)
    with pytest.raises(ContentError) as info:
        load_bank([folder])
    err = info.value
    assert err.path == str(second) and err.line == 3
    assert f"{first}:1" in err.message


def test_user_question_cannot_shadow_a_built_in_id(tmp_path: Path) -> None:
    taken = BANK[0]
    path = write(tmp_path / "questions", "mine.yaml", GOOD.replace("my-own-question", taken.id))
    with pytest.raises(ContentError) as info:
        load_bank([path.parent])
    assert taken.source in info.value.message


def test_collect_mode_skips_bad_entries_and_keeps_the_bank(tmp_path: Path) -> None:
    folder = tmp_path / "questions"
    write(folder, "a_good.yaml", GOOD)
    broken_entry = GOOD.replace("my-own-question", "second-one").replace("difficulty: easy", "difficulty: hardest")
    write(folder, "b_mixed.yaml", broken_entry + GOOD.replace("my-own-question", "third-one"))
    write(folder, "c_not_yaml.yaml", "- id: [unclosed\n")
    write(folder, "d_dup.yaml", GOOD)
    errors: list[ContentError] = []
    bank = load_bank([folder], errors=errors)
    ids = {q.id for q in bank}
    assert {q.id for q in BANK} <= ids
    assert {"my-own-question", "third-one"} <= ids and "second-one" not in ids
    assert len(bank) == len(BANK) + 2
    reported = sorted(Path(e.path).name for e in errors)
    assert reported == ["b_mixed.yaml", "c_not_yaml.yaml", "d_dup.yaml"]
    assert all(e.line for e in errors)


def test_missing_user_folder_is_not_an_error(tmp_path: Path) -> None:
    assert len(load_bank([tmp_path / "nothing-here"])) == len(BANK)


def test_file_must_be_a_list(tmp_path: Path) -> None:
    err = load_error(tmp_path, "id: lonely\n")
    assert "YAML list" in err.message
