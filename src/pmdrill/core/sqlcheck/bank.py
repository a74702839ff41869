"""The SQL question bank: load, validate and look up the questions in content/sql/*.yaml.

Pure: reads YAML and parses SQL with sqlglot; every problem is a ContentError naming file and line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp

from pmdrill.core.warehouse import schema
from pmdrill.errors import ContentError, NotFoundError

DIFFICULTIES = ("easy", "medium", "hard")
TOPICS = ("joins", "nulls", "aggregation", "windows", "cohorts", "funnels", "retention",
          "subscriptions", "revenue", "b2b", "experiments", "data_quality", "dates")
REQUIRED_KEYS = ("id", "title", "framing", "difficulty", "topics", "tables", "reference", "logic",
                 "hints", "wrong_answers", "metric")
WRONG_KEYS = ("sql", "why")
WRONG_OPTIONAL = ("differs_on_warehouse",)
_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class WrongAnswer:
    """A query candidates typically write, and what it gets wrong in logic terms."""

    sql: str
    why: str
    # False when the mistake gives the reference's answer on the warehouse; hidden DBs catch it
    differs_on_warehouse: bool = True


@dataclass(frozen=True)
class Question:
    """One bank entry: the business framing, the reference SQL and what teaches around it."""

    id: str
    title: str
    framing: str
    difficulty: str
    topics: tuple[str, ...]
    tables: tuple[str, ...]
    reference: str
    logic: str
    hints: tuple[str, ...]
    wrong_answers: tuple[WrongAnswer, ...]
    metric: str
    source: str  # "file:line" of the entry
    reference_line: int = 0  # file line of the reference's first SQL line
    ordered: bool = False  # the reference's outermost query has ORDER BY, so row order is graded

    def to_dict(self, *, with_solution: bool = False) -> dict[str, Any]:
        """The question as JSON-ready data; the reference and wrong answers only when asked."""
        out: dict[str, Any] = {
            "id": self.id, "title": self.title, "framing": self.framing, "difficulty": self.difficulty,
            "topics": list(self.topics), "tables": list(self.tables), "metric": self.metric,
            "hints": list(self.hints), "ordered": self.ordered, "source": self.source,
        }
        if with_solution:
            out["reference"] = self.reference
            out["logic"] = self.logic
            out["wrong_answers"] = [{"sql": w.sql, "why": w.why} for w in self.wrong_answers]
        return out


# ---- YAML with line numbers ------------------------------------------------------------------

class _Located(dict):  # type: ignore[type-arg]
    """A mapping that remembers the file line of itself and of each value."""

    line: int = 0
    value_lines: dict[str, int]
    block_keys: set[str]  # keys whose value is a block scalar (| or >): text starts on the next line


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_located(loader: _LineLoader, node: yaml.MappingNode) -> _Located:
    loader.flatten_mapping(node)
    out = _Located()
    out.line = node.start_mark.line + 1
    out.value_lines, out.block_keys = {}, set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise ContentError(f"key {key!r} appears twice in one entry",
                               path=str(node.start_mark.name), line=key_node.start_mark.line + 1)
        out[key] = loader.construct_object(value_node, deep=True)
        out.value_lines[str(key)] = value_node.start_mark.line + 1
        if isinstance(value_node, yaml.ScalarNode) and value_node.style in ("|", ">"):
            out.block_keys.add(str(key))
    return out


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_located)  # type: ignore[arg-type]


def _text_line(entry: _Located, key: str) -> int:
    """The file line where the text of ``entry[key]`` starts."""
    line = entry.value_lines.get(key, entry.line)
    return line + 1 if key in entry.block_keys else line


# ---- validation ------------------------------------------------------------------------------

def _parse_sql(sql: str, what: str, path: str, first_line: int) -> exp.Query:
    """Parse one DuckDB read-only statement; errors point at the SQL's own line inside the file."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as e:
        err = e.errors[0] if e.errors else {}
        sql_line = int(err.get("line") or 1)
        raise ContentError(f"{what} does not parse (line {sql_line}, column {err.get('col')}): "
                           f"{err.get('description', e)} near {err.get('highlight', '')!r}",
                           path=path, line=first_line + sql_line - 1) from None
    except sqlglot.errors.TokenError as e:
        raise ContentError(f"{what} does not parse: {e}", path=path, line=first_line) from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ContentError(f"{what} must be exactly one SELECT or WITH statement", path=path, line=first_line)
    return statements[0]


def _base_tables(tree: exp.Query) -> set[str]:
    """Names of the warehouse tables a query reads (CTE names excluded)."""
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}


def _str_list(entry: _Located, key: str, path: str) -> tuple[str, ...]:
    value = entry[key]
    line = entry.value_lines.get(key, entry.line)
    if not isinstance(value, list) or not value:
        raise ContentError(f"{key!r} must be a non-empty list of strings", path=path, line=line)
    for i, item in enumerate(value, 1):
        if isinstance(item, _Located):
            # an unquoted "a: b" inside a list item is read as a mapping
            raise ContentError(f"item {i} of {key!r} is a mapping, not text; quote text that contains ': '",
                               path=path, line=item.line)
        if not isinstance(item, str) or not item.strip():
            raise ContentError(f"item {i} of {key!r} must be non-empty text", path=path, line=line)
    return tuple(value)


def _wrong_answers(entry: _Located, path: str) -> tuple[WrongAnswer, ...]:
    items = entry["wrong_answers"]
    line = entry.value_lines.get("wrong_answers", entry.line)
    if not isinstance(items, list):
        raise ContentError("'wrong_answers' must be a list of {sql, why}", path=path, line=line)
    out = []
    for item in items:
        if not isinstance(item, _Located):
            raise ContentError("each wrong answer must be a mapping with 'sql' and 'why'", path=path, line=line)
        _check_keys(item, WRONG_KEYS, WRONG_OPTIONAL, path, "wrong answer")
        for key in WRONG_KEYS:
            if not isinstance(item[key], str) or not item[key].strip():
                raise ContentError(f"wrong answer {key!r} must be non-empty text", path=path,
                                   line=item.value_lines[key])
        differs = item.get("differs_on_warehouse", True)
        if not isinstance(differs, bool):
            raise ContentError("'differs_on_warehouse' must be true or false", path=path,
                               line=item.value_lines["differs_on_warehouse"])
        _parse_sql(item["sql"], "wrong answer SQL", path, _text_line(item, "sql"))
        out.append(WrongAnswer(item["sql"].strip(), item["why"].strip(), differs))
    return tuple(out)


def _check_keys(entry: _Located, required: Sequence[str], optional: Sequence[str], path: str,
                what: str) -> None:
    unknown = [k for k in entry if k not in required and k not in optional]
    if unknown:
        key = unknown[0]
        raise ContentError(f"unknown key {key!r} in {what}; allowed: {', '.join([*required, *optional])}",
                           path=path, line=entry.value_lines.get(str(key), entry.line))
    missing = [k for k in required if k not in entry]
    if missing:
        raise ContentError(f"{what} is missing {', '.join(repr(k) for k in missing)}",
                           path=path, line=entry.line)


def _question(entry: Any, path: str, line: int) -> Question:
    """Validate one YAML entry and build its Question."""
    if not isinstance(entry, _Located):
        raise ContentError("each question must be a mapping of keys", path=path, line=line)
    _check_keys(entry, REQUIRED_KEYS, (), path, "question")
    for key in ("id", "title", "framing", "reference", "logic", "metric", "difficulty"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise ContentError(f"{key!r} must be non-empty text", path=path, line=entry.value_lines[key])
    qid = entry["id"]
    if not _ID_RE.match(qid):
        raise ContentError(f"id {qid!r} is not kebab-case (a-z, 0-9, single dashes)", path=path,
                           line=entry.value_lines["id"])
    if entry["difficulty"] not in DIFFICULTIES:
        raise ContentError(f"difficulty {entry['difficulty']!r} is not one of {', '.join(DIFFICULTIES)}",
                           path=path, line=entry.value_lines["difficulty"])
    topics = _str_list(entry, "topics", path)
    bad = [t for t in topics if t not in TOPICS]
    if bad:
        raise ContentError(f"unknown topic {bad[0]!r}; topics are {', '.join(TOPICS)}", path=path,
                           line=entry.value_lines["topics"])
    tables = _str_list(entry, "tables", path)
    contract = set(schema.table_names())
    bad = [t for t in tables if t not in contract]
    if bad:
        raise ContentError(f"table {bad[0]!r} is not in the warehouse contract", path=path,
                           line=entry.value_lines["tables"])
    hints = _str_list(entry, "hints", path)
    ref_line = _text_line(entry, "reference")
    tree = _parse_sql(entry["reference"], "reference", path, ref_line)
    used = _base_tables(tree)
    if used - contract:
        raise ContentError(f"reference reads {', '.join(sorted(used - contract))}, not in the warehouse "
                           "contract", path=path, line=ref_line)
    if used != set(tables):
        raise ContentError(f"'tables' lists {', '.join(sorted(tables))} but the reference reads "
                           f"{', '.join(sorted(used))}", path=path, line=entry.value_lines["tables"])
    return Question(
        id=qid, title=entry["title"].strip(), framing=entry["framing"].strip(),
        difficulty=entry["difficulty"], topics=topics, tables=tables,
        reference=entry["reference"].strip(), logic=entry["logic"].strip(), hints=hints,
        wrong_answers=_wrong_answers(entry, path), metric=entry["metric"].strip(),
        source=f"{path}:{entry.line}", reference_line=ref_line,
        ordered=tree.args.get("order") is not None,
    )


# ---- loading ---------------------------------------------------------------------------------

def _load_file(text: str, path: str, errors: list[ContentError] | None) -> list[Question]:
    """Every valid question of one file; with ``errors`` given, bad entries are skipped and recorded."""
    loader = _LineLoader(text)
    loader.name = path  # marks (and so our line numbers) name the real file
    try:
        doc = loader.get_single_data()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise ContentError(f"invalid YAML: {e.problem or e}", path=path,
                           line=mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()
    if doc is None:
        return []
    if not isinstance(doc, list):
        raise ContentError("a question file must be a YAML list of questions", path=path, line=1)
    out = []
    for item in doc:
        try:
            out.append(_question(item, path, getattr(item, "line", 1)))
        except ContentError as e:
            if errors is None:
                raise
            errors.append(e)
    return out


def builtin_files() -> list[tuple[str, Traversable]]:
    root = resources.files("pmdrill").joinpath("content").joinpath("sql")
    return sorted(((str(f), f) for f in root.iterdir() if f.name.endswith((".yaml", ".yml"))),
                  key=lambda item: item[1].name)


def _user_files(extra_dirs: Iterable[Path]) -> list[tuple[str, Path]]:
    files = []
    for folder in extra_dirs:
        if folder.is_dir():  # a missing folder just means no own questions yet
            files += [(str(f), f) for f in sorted(folder.iterdir()) if f.suffix in (".yaml", ".yml")]
    return files


def _load(files: Iterable[tuple[str, Traversable | Path]], base: Iterable[Question],
          errors: list[ContentError] | None) -> list[Question]:
    """``base`` plus the questions of ``files``; an id may appear only once across all of them."""
    seen: dict[str, Question] = {q.id: q for q in base}
    for path, f in files:
        try:
            questions = _load_file(f.read_text(encoding="utf-8"), path, errors)
        except ContentError as e:
            if errors is None:
                raise
            errors.append(e)
            continue
        for q in questions:
            if q.id in seen:
                file, _, line = q.source.rpartition(":")
                err = ContentError(f"duplicate id {q.id!r}: also defined at {seen[q.id].source}",
                                   path=file, line=int(line))
                if errors is None:
                    raise err
                errors.append(err)
                continue
            seen[q.id] = q
    return list(seen.values())


@cache
def _builtin() -> tuple[Question, ...]:
    # parsed once per process: user folders are re-read on every call, the package bank is not
    return tuple(_load(builtin_files(), (), None))


def load_bank(extra_dirs: Iterable[Path] = (), *, errors: list[ContentError] | None = None) -> list[Question]:
    """The built-in questions plus those in ``extra_dirs`` (e.g. settings.home()/"questions").

    Without ``errors`` the first problem raises ContentError. With a list, problems are appended
    to it and the bad entries (or unreadable files) skipped, so a broken user file never hides
    the built-in bank.

    Example:
        >>> bank = load_bank()
        >>> len(bank) >= 60 and all(q.difficulty in DIFFICULTIES for q in bank)
        True
    """
    try:
        base: list[Question] = list(_builtin())
    except ContentError:
        if errors is None:
            raise
        base = _load(builtin_files(), (), errors)  # salvage what is valid of a broken package bank
    return _load(_user_files(Path(d) for d in extra_dirs), base, errors)


def extend(base: Iterable[Question], extra_dirs: Iterable[Path], errors: list[ContentError]) -> list[Question]:
    """``base`` plus the questions of the YAML files in ``extra_dirs``; bad entries go to ``errors``."""
    return _load(_user_files(Path(d) for d in extra_dirs), base, errors)


def get_question(question_id: str, questions: Iterable[Question] | None = None) -> Question:
    """One question by id; NotFoundError names the closest ids."""
    pool = list(questions) if questions is not None else list(_builtin())
    for q in pool:
        if q.id == question_id:
            return q
    close = difflib.get_close_matches(question_id, [q.id for q in pool], n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise NotFoundError(f"no SQL question {question_id!r}{hint}", candidates=close)


def filter_questions(topic: str | None = None, difficulty: str | None = None,
                     questions: Iterable[Question] | None = None) -> list[Question]:
    """The questions with ``topic`` and ``difficulty`` (None means any), in bank order."""
    if topic is not None and topic not in TOPICS:
        raise NotFoundError(f"no topic {topic!r}; topics are {', '.join(TOPICS)}")
    if difficulty is not None and difficulty not in DIFFICULTIES:
        raise NotFoundError(f"no difficulty {difficulty!r}; use {', '.join(DIFFICULTIES)}")
    pool = list(questions) if questions is not None else list(_builtin())
    return [q for q in pool if (topic is None or topic in q.topics)
            and (difficulty is None or q.difficulty == difficulty)]
