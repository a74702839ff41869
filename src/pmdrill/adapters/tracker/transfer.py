"""The history's export format: build the document from records, and check an imported one strictly.

Pure and all-or-nothing: the first bad field raises ContentError naming its position (and line, from text).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]  # public, though untyped
from typing import Any

from pmdrill.adapters.tracker.models import DEFAULT_USER
from pmdrill.core.coach.records import Attempt, MockQuestion, MockRecord
from pmdrill.errors import ContentError

FORMAT = "pmdrill-history"
VERSION = 1
MOCK_STATUSES = ("running", "finished", "abandoned")

At = tuple[str | int, ...]          # where a value sits in the document: ("attempts", 3, "score")
Check = Callable[[Any, At], Any]


@dataclass
class History:
    """The records of a checked document, ready to store."""

    attempts: list[Attempt] = field(default_factory=list)
    mocks: list[MockRecord] = field(default_factory=list)
    prefs: dict[str, Any] = field(default_factory=dict)


def build_document(attempts: Iterable[Attempt], mocks: Iterable[MockRecord],
                   prefs: Mapping[str, Any]) -> dict[str, Any]:
    """The export document. It holds no time of its own, so the same history always exports the same."""
    return {"format": FORMAT, "version": VERSION, "attempts": [attempt_entry(a) for a in attempts],
            "mocks": [m.to_dict() for m in mocks], "prefs": {k: prefs[k] for k in sorted(prefs)}}


def attempt_entry(attempt: Attempt) -> dict[str, Any]:
    """An attempt as exported: every field but the row id, which only means something in one database."""
    entry = attempt.to_dict()
    del entry["id"]
    return entry


def parse_text(text: str, *, source: str) -> History:
    """Parse and check a document's JSON text; errors carry the line (and column) in ``source``."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContentError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                           path=source, line=exc.lineno, column=exc.colno) from None
    return parse_document(doc, source=source, text=text)


def parse_document(doc: Any, *, source: str, text: str | None = None) -> History:
    """Check a parsed document and turn it into records, or raise ContentError for the first bad value."""
    try:
        return _history(doc)
    except _Invalid as bad:
        pointer = _pointer(bad.at)
        line = _line_of(text, bad.at) if text is not None else None
        raise ContentError(f"{pointer}: {bad.message}" if pointer else bad.message, path=source, line=line,
                           field=pointer or None) from None


class _Invalid(Exception):
    def __init__(self, at: At, message: str) -> None:
        super().__init__(message)
        self.at = at
        self.message = message


def _show(value: Any) -> str:
    shown = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _text(value: Any, at: At) -> str:
    if not isinstance(value, str):
        raise _Invalid(at, f"expected a string, got {_show(value)}")
    return value


def _name(value: Any, at: At) -> str:
    if not _text(value, at).strip():
        raise _Invalid(at, "expected a non-empty string")
    return str(value)


def _flag(value: Any, at: At) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(at, f"expected true or false, got {_show(value)}")
    return value


def _number(value: Any, at: At) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(at, f"expected a number, got {_show(value)}")
    if not math.isfinite(value):
        raise _Invalid(at, f"expected a finite number, got {_show(value)}")
    return float(value)


def _integer(low: int, high: int) -> Check:
    def check(value: Any, at: At) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(at, f"expected an integer, got {_show(value)}")
        if not low <= value <= high:
            raise _Invalid(at, f"expected an integer from {low} to {high}, got {value}")
        return value
    return check


def _moment(value: Any, at: At) -> dt.datetime:
    expected = "expected an ISO 8601 date-time with a UTC offset"
    if not isinstance(value, str):
        raise _Invalid(at, f"{expected}, got {_show(value)}")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid(at, f"{expected}, got {_show(value)}") from None
    if moment.tzinfo is None:
        raise _Invalid(at, f"{expected}, got {_show(value)} (no offset)")
    return moment.astimezone(dt.UTC)


def _optional(check: Check) -> Check:
    return lambda value, at: None if value is None else check(value, at)


def _object(value: Any, at: At) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(at, f"expected an object, got {_show(value)}")
    return value


def _scores(value: Any, at: At) -> dict[str, float]:
    return {key: _number(item, (*at, key)) for key, item in _object(value, at).items()}


def _array(value: Any, at: At) -> list[Any]:
    if not isinstance(value, list):
        raise _Invalid(at, f"expected a list, got {_show(value)}")
    return value


def _words(value: Any, at: At) -> list[str]:
    return [_text(item, (*at, i)) for i, item in enumerate(_array(value, at))]


def _objects(value: Any, at: At) -> list[dict[str, Any]]:
    return [_object(item, (*at, i)) for i, item in enumerate(_array(value, at))]


def _status(value: Any, at: At) -> str:
    if value not in MOCK_STATUSES:
        raise _Invalid(at, f"expected one of {', '.join(MOCK_STATUSES)}, got {_show(value)}")
    return str(value)


def _questions(value: Any, at: At) -> list[MockQuestion]:
    return [MockQuestion(**_record(item, (*at, i), _QUESTION)) for i, item in enumerate(_array(value, at))]


_REQUIRED = object()
_INT32 = _integer(0, 2**31 - 1)
# (name, check, default): _REQUIRED, or a factory for a field an older or hand-written file may leave out
_ATTEMPT: tuple[tuple[str, Check, Any], ...] = (
    ("uid", _name, _REQUIRED), ("user", _name, lambda: DEFAULT_USER), ("item_id", _name, _REQUIRED),
    ("kind", _name, _REQUIRED), ("title", _text, _REQUIRED), ("answer", _text, _REQUIRED),
    ("dialect", _optional(_text), lambda: None), ("passed", _flag, _REQUIRED), ("score", _number, _REQUIRED),
    ("dimensions", _scores, dict), ("flags", _objects, list), ("topics", _words, list),
    ("hints_used", _INT32, lambda: 0), ("seconds", _optional(_number), lambda: None),
    ("submitted_at", _moment, _REQUIRED), ("mock_id", _optional(_name), lambda: None),
    ("source", _name, lambda: "import"), ("prompt_text", _optional(_text), lambda: None),
    ("provenance", _object, dict), ("detail", _object, dict),
)
_QUESTION: tuple[tuple[str, Check, Any], ...] = (
    ("id", _name, _REQUIRED), ("kind", _name, _REQUIRED), ("title", _text, _REQUIRED),
    ("minutes", _INT32, _REQUIRED), ("slot", _text, _REQUIRED), ("answer_file", _text, _REQUIRED),
    ("why", _text, lambda: ""),
)
_MOCK: tuple[tuple[str, Check, Any], ...] = (
    ("uid", _name, _REQUIRED), ("user", _name, lambda: DEFAULT_USER),
    ("seed", _integer(-(2**63), 2**63 - 1), _REQUIRED), ("focus", _name, _REQUIRED),
    ("minutes", _INT32, _REQUIRED), ("questions", _questions, _REQUIRED), ("started_at", _moment, _REQUIRED),
    ("status", _status, _REQUIRED), ("ended_at", _optional(_moment), lambda: None),
    ("debrief", _optional(_object), lambda: None),
)
_TOP = ("format", "version", "attempts", "mocks", "prefs")


def _record(value: Any, at: At, spec: tuple[tuple[str, Check, Any], ...]) -> dict[str, Any]:
    entry = _object(value, at)
    names = [name for name, _, _ in spec]
    for key in entry:
        if key not in names:
            raise _Invalid((*at, key), "unknown field")
    out: dict[str, Any] = {}
    for name, check, default in spec:
        if name in entry:
            out[name] = check(entry[name], (*at, name))
        elif default is _REQUIRED:
            raise _Invalid(at, f"missing field {name!r}")
        else:
            out[name] = default()
    return out


def _history(doc: Any) -> History:
    if not isinstance(doc, dict):
        raise _Invalid((), f"expected a JSON object with \"format\": \"{FORMAT}\", got {_show(doc)}")
    for key in doc:
        if key not in _TOP:
            raise _Invalid((key,), "unknown field")
    if doc.get("format") != FORMAT:
        raise _Invalid(("format",) if "format" in doc else (),
                       f"expected \"format\": \"{FORMAT}\", got {_show(doc.get('format'))}")
    version = _integer(1, 2**31)(doc.get("version"), ("version",))
    if version != VERSION:
        raise _Invalid(("version",), f"version {version} was written by a newer pmdrill; upgrade pmdrill "
                                     "to import it")
    history = History(
        attempts=[Attempt(**_record(e, ("attempts", i), _ATTEMPT))
                  for i, e in enumerate(_array(doc.get("attempts", []), ("attempts",)))],
        mocks=[MockRecord(**_record(e, ("mocks", i), _MOCK))
               for i, e in enumerate(_array(doc.get("mocks", []), ("mocks",)))],
        prefs=dict(_object(doc.get("prefs", {}), ("prefs",))))
    collections: tuple[tuple[str, Sequence[Attempt | MockRecord]], ...] = (
        ("attempts", history.attempts), ("mocks", history.mocks))
    for kind, records in collections:
        first: dict[str, int] = {}
        for i, record in enumerate(records):
            if record.uid in first:
                raise _Invalid((kind, i, "uid"),
                               f"{record.uid!r} is also the uid of {kind}[{first[record.uid]}]")
            first[record.uid] = i
    return history


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_SPACE = re.compile(r"[ \t\n\r]*")


def _pointer(at: At) -> str:
    parts = []
    for step in at:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _PLAIN_KEY.fullmatch(step):
            parts.append(f".{step}" if parts else step)
        else:
            parts.append(f"[{json.dumps(step)}]")
    return "".join(parts)


def _line_of(text: str, at: At) -> int:
    return text.count("\n", 0, _locate(text, at)) + 1


def _locate(text: str, at: At) -> int:
    """The offset of the value at ``at`` in the JSON ``text``, or of the deepest part of it found.

    Walks only the containers on the way, skipping siblings with the C decoder; run on errors only.
    """
    decoder = json.JSONDecoder()
    pos = found = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    try:
        for step in at:
            pos = found = _child(text, pos, step, decoder)
    except (ValueError, IndexError, LookupError):
        pass
    return found


def _child(text: str, pos: int, step: str | int, decoder: json.JSONDecoder) -> int:
    def skip(p: int) -> int:
        return _SPACE.match(text, p).end()  # type: ignore[union-attr]

    opening, closing = ("{", "}") if isinstance(step, str) else ("[", "]")
    if text[pos] != opening:
        raise LookupError(step)
    pos, index = skip(pos + 1), 0
    while text[pos] != closing:
        if isinstance(step, str):
            key, pos = scanstring(text, pos + 1)
            pos = skip(skip(pos) + 1)  # past the colon
            if key == step:
                return pos
        elif index == step:
            return pos
        _, pos = decoder.raw_decode(text, pos)
        pos, index = skip(pos), index + 1
        if text[pos] == ",":
            pos = skip(pos + 1)
    raise LookupError(step)
