"""A hiring committee's debrief of a mock round: seven dimensions with evidence, red flags and a verdict.

Pure: the mock, its attempts and the model answers come in; a ``Debrief`` (``to_dict`` is its JSON) goes out.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pmdrill.core.coach.dimensions import COMMITTEE, FROM_RUBRIC, TITLES
from pmdrill.core.coach.records import Attempt, MockQuestion, MockRecord


@dataclass(frozen=True)
class Bar:
    """What a round must clear for one verdict; None means no limit."""

    verdict: str
    title: str
    min_score: float          # overall, the mean of the measured committee dimensions (0-100)
    max_failed: int | None    # questions failed, unanswered ones included
    max_flags: int | None     # red flags raised over the whole round
    max_unanswered: float | None  # share of the questions left unanswered


# The committee's bars, best verdict first: a round gets the first verdict whose every bar it clears.
# An unanswered question counts as failed and scores 0 on what it would have measured. Three red flags,
# or more than half the questions unanswered, is a strong no hire whatever the score: the committee
# cannot vouch for a candidate it has seen make those mistakes, or has barely seen at all.
BARS: tuple[Bar, ...] = (
    Bar("strong_hire", "Strong hire", 80, max_failed=0, max_flags=0, max_unanswered=0.0),
    Bar("hire", "Hire", 65, max_failed=1, max_flags=1, max_unanswered=0.5),
    Bar("no_hire", "No hire", 45, max_failed=None, max_flags=2, max_unanswered=0.5),
    Bar("strong_no_hire", "Strong no hire", 0, max_failed=None, max_flags=None, max_unanswered=None),
)
VERDICTS: tuple[str, ...] = tuple(b.verdict for b in reversed(BARS))   # worst to best
TITLE_OF: dict[str, str] = {b.verdict: b.title for b in BARS}
BAR_OF: dict[str, Bar] = {b.verdict: b for b in BARS}
# What a question measures when nothing more precise is known (unanswered, or an attempt without scores).
MEASURES: dict[str, tuple[str, ...]] = {
    "sql": ("sql_logic", "sql_correctness"),
    "case": ("signal_selection", "learner_outcomes", "tradeoffs", "communication"),
    "est": ("signal_selection", "learner_outcomes", "tradeoffs", "communication"),
}
DEFAULT_PASS_MARK = 60.0      # a case's pass mark when its score does not say (the case bank's default)
SQL_PASS_MARK = 100.0         # a SQL answer passes by being right: both its dimensions at 100


@dataclass(frozen=True)
class Flip:
    """One single change that would have moved the verdict, as a sentence and as data to re-apply."""

    direction: str            # up | down
    verdict: str              # the verdict it would have given
    change: str               # pass | dimension | flag | fail | none
    sentence: str
    item_id: str | None = None
    dimension: str | None = None
    before: float | None = None
    after: float | None = None
    dimensions_after: dict[str, float] = field(default_factory=dict)   # pass: the question's new scores

    def to_dict(self) -> dict[str, Any]:
        return {"direction": self.direction, "verdict": self.verdict, "change": self.change,
                "sentence": self.sentence, "item_id": self.item_id, "dimension": self.dimension,
                "before": self.before, "after": self.after, "dimensions_after": dict(self.dimensions_after)}


@dataclass
class Debrief:
    """The committee's debrief; ``to_dict`` is what the tracker stores and the HTML page renders."""

    mock: dict[str, Any]
    verdict: str
    verdict_title: str
    score: float
    reasons: list[str]
    flips: list[Flip]
    dimensions: list[dict[str, Any]]    # COMMITTEE order: name, title, score (None: not measured), evidence
    red_flags: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    time: dict[str, float]

    @property
    def flip(self) -> list[str]:
        return [f.sentence for f in self.flips]

    def to_dict(self) -> dict[str, Any]:
        return {"mock": dict(self.mock), "verdict": self.verdict, "verdict_title": self.verdict_title,
                "score": self.score, "reasons": list(self.reasons), "flip": self.flip,
                "flip_changes": [f.to_dict() for f in self.flips], "dimensions": list(self.dimensions),
                "red_flags": list(self.red_flags), "questions": list(self.questions), "time": dict(self.time)}


@dataclass(frozen=True)
class _Standing:
    """What the verdict is computed from; counterfactuals are edited copies of it."""

    order: tuple[str, ...]                        # question ids, in the order asked
    scores: Mapping[str, Mapping[str, float]]     # question id -> committee dimension -> 0-100
    passed: frozenset[str]
    answered: frozenset[str]
    flags: int

    def dimensions(self, override: Mapping[str, float] | None = None) -> dict[str, float | None]:
        sums: dict[str, list[float]] = {}
        for qid in self.order:
            for dim, value in self.scores.get(qid, {}).items():
                sums.setdefault(dim, []).append(value)
        out: dict[str, float | None] = {d: (sum(sums[d]) / len(sums[d]) if d in sums else None) for d in COMMITTEE}
        out.update(override or {})
        return out

    def overall(self, override: Mapping[str, float] | None = None) -> float:
        measured = [v for v in self.dimensions(override).values() if v is not None]
        return round(sum(measured) / len(measured), 1) if measured else 0.0

    @property
    def failed(self) -> int:
        return len(self.order) - len(self.passed & set(self.order))

    @property
    def unanswered(self) -> int:
        return len(self.order) - len(self.answered & set(self.order))

    def shortfalls(self, bar: Bar, override: Mapping[str, float] | None = None) -> list[str]:
        return shortfalls(bar, self.overall(override), failed=self.failed, flags=self.flags,
                          unanswered=self.unanswered, questions=len(self.order))

    def verdict(self, override: Mapping[str, float] | None = None) -> Bar:
        return next(b for b in BARS if not self.shortfalls(b, override))


def shortfalls(bar: Bar, score: float, *, failed: int, flags: int, unanswered: int, questions: int) -> list[str]:
    """The parts of ``bar`` a round with these totals misses, as phrases (empty: it clears the bar).

    Example:
        >>> shortfalls(BARS[0], 71, failed=1, flags=0, unanswered=0, questions=4)
        ['overall 71 < 80', '1 question failed (at most 0)']
    """
    out = []
    if score < bar.min_score:
        out.append(f"overall {_n(score)} < {bar.min_score:g}")
    if bar.max_failed is not None and failed > bar.max_failed:
        out.append(f"{_count(failed, 'question')} failed (at most {bar.max_failed})")
    if bar.max_flags is not None and flags > bar.max_flags:
        out.append(f"{_count(flags, 'red flag')} (at most {bar.max_flags})")
    if bar.max_unanswered is not None and questions and unanswered / questions > bar.max_unanswered:
        out.append(f"{unanswered} of {questions} questions unanswered (at most {bar.max_unanswered:.0%})")
    return out


def verdict_of(score: float, *, failed: int, flags: int, unanswered: int, questions: int) -> str:
    """The verdict ``BARS`` give a round with these totals: the best whose every bar it clears.

    Example:
        >>> verdict_of(71, failed=1, flags=0, unanswered=0, questions=4)
        'hire'
        >>> verdict_of(90, failed=0, flags=3, unanswered=0, questions=4)
        'strong_no_hire'
    """
    return next(b.verdict for b in BARS
                if not shortfalls(b, score, failed=failed, flags=flags, unanswered=unanswered, questions=questions))


def debrief(mock: MockRecord, attempts: Mapping[str, Attempt], *, model_answers: Mapping[str, str] | None = None,
            now: dt.datetime | None = None,
            question_dimensions: Mapping[str, Sequence[str]] | None = None) -> Debrief:
    """The committee's debrief of ``mock`` from its attempts (keyed by question id; missing = unanswered).

    ``question_dimensions`` says which committee dimensions each question measures (from the catalog);
    without it an unanswered SQL question counts against SQL logic and correctness, an unanswered case
    or estimation against signal selection, learner outcomes, trade-offs and communication.

    Example:
        >>> start = dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)
        >>> q = MockQuestion("sql:paying", "sql", "Paying learners", 45, "SQL", "01-sql-paying.sql")
        >>> m = MockRecord("m-1", seed=1, focus="sql", minutes=45, questions=[q], started_at=start)
        >>> a = Attempt("sql:paying", "sql", "Paying learners", "SELECT 1", passed=True, score=100,
        ...             submitted_at=start, dimensions={"sql_logic": 100, "sql_correctness": 100}, seconds=600)
        >>> d = debrief(m, {"sql:paying": a})
        >>> d.verdict, d.score, d.time
        ('strong_hire', 100.0, {'allowed_s': 2700, 'used_s': 600.0, 'over_s': 0.0})
    """
    qdims = question_dimensions or {}
    questions = list(mock.questions)
    scores: dict[str, dict[str, float]] = {}
    for q in questions:
        att = attempts.get(q.id)
        # an empty list is "not known", not "measures nothing": an unanswered question always costs something
        measures = tuple(d for d in (qdims.get(q.id) or MEASURES.get(q.kind, ())) if d in COMMITTEE)
        if att is None:
            scores[q.id] = {d: 0.0 for d in measures}
        elif any(d in COMMITTEE for d in att.dimensions):
            scores[q.id] = {d: float(v) for d, v in att.dimensions.items() if d in COMMITTEE}
        else:
            # an attempt recorded without committee scores: its overall score stands for each
            scores[q.id] = {d: float(att.score) for d in measures}
    answered = frozenset(q.id for q in questions if q.id in attempts)
    passed = frozenset(q.id for q in questions if q.id in attempts and attempts[q.id].passed)
    # red flags are judgement mistakes in a case or an estimation; what the SQL grader found is the SQL
    # answer's logic diff, already in SQL logic and correctness (ten findings are not ten red flags)
    red_flags = [{"item_id": q.id, "code": str(f.get("code", "")), "message": str(f.get("message", "")),
                  "evidence": str(f.get("evidence", ""))}
                 for q in questions if q.id in attempts and attempts[q.id].kind != "sql"
                 for f in attempts[q.id].flags]
    standing = _Standing(tuple(q.id for q in questions), scores, passed, answered, len(red_flags))
    bar = standing.verdict()
    dims = standing.dimensions()
    models = model_answers or {}

    used = sum(float(a.seconds) for q in questions if (a := attempts.get(q.id)) is not None and a.seconds)
    allowed = mock.minutes * 60
    time = {"allowed_s": allowed, "used_s": round(used, 1), "over_s": round(max(0.0, used - allowed), 1)}
    ended = mock.ended_at or now or max((attempts[q].submitted_at for q in answered), default=None)
    question_rows = [_question_row(q, attempts.get(q.id), scores[q.id], models.get(q.id)) for q in questions]
    dimension_rows = [{"name": d, "title": TITLES[d], "score": _rounded(dims[d]),
                       "measured_by": [q.id for q in questions if d in scores[q.id]],
                       "evidence": _evidence(d, questions, attempts, scores)} for d in COMMITTEE]
    flips = _flips(standing, bar, questions, attempts, red_flags)
    return Debrief(
        mock={"uid": mock.uid, "focus": mock.focus, "minutes": mock.minutes, "seed": mock.seed,
              "started_at": mock.started_at.isoformat(), "ended_at": ended.isoformat() if ended else None},
        verdict=bar.verdict, verdict_title=bar.title, score=standing.overall(),
        reasons=_reasons(standing, bar, questions, attempts, red_flags, time),
        flips=flips, dimensions=dimension_rows, red_flags=red_flags, questions=question_rows, time=time)


def summary(result: Debrief | Mapping[str, Any]) -> str:
    """One paragraph on the last mock, for ``pmdrill today``.

    Example:
        >>> print(summary({"mock": {"focus": "mixed", "minutes": 45, "started_at": "2026-12-03T09:00:00+00:00"},
        ...     "verdict": "hire", "verdict_title": "Hire", "score": 71.0,
        ...     "flip": ["Passing case:x at its pass mark (Trade-off quantification 40 → 60) would have made it"
        ...              " Strong hire", "One more red flag would have made it No hire"],
        ...     "flip_changes": [{"direction": "up"}, {"direction": "down"}],
        ...     "dimensions": [{"title": "Communication", "score": 85.0}, {"title": "SQL logic", "score": 50.0},
        ...                    {"title": "Data skepticism", "score": None}]}))
        Last mock (mixed, 45 min, 3 Dec): Hire, 71/100. Strongest: Communication 85; weakest: SQL logic 50; \
to flip to Strong hire: passing case:x at its pass mark (Trade-off quantification 40 → 60) would have made it \
Strong hire.
    """
    data = result.to_dict() if isinstance(result, Debrief) else result
    mock = data.get("mock", {})
    when = ""
    if mock.get("started_at"):
        started = dt.datetime.fromisoformat(str(mock["started_at"]))
        when = f", {started.day} {started:%b}"
    head = (f"Last mock ({mock.get('focus', '?')}, {mock.get('minutes', '?')} min{when}): "
            f"{data['verdict_title']}, {_n(float(data['score']))}/100.")
    parts = []
    measured = [d for d in data.get("dimensions", []) if d.get("score") is not None]
    if measured:
        best = max(measured, key=lambda d: d["score"])
        worst = min(measured, key=lambda d: d["score"])
        parts.append(f"Strongest: {best['title']} {_n(best['score'])}")
        parts.append(f"weakest: {worst['title']} {_n(worst['score'])}")
    sentences = list(data.get("flip", []))
    changes = list(data.get("flip_changes", [{}] * len(sentences)))
    ups = [s for s, c in zip(sentences, changes, strict=False) if c.get("direction") == "up"]
    downs = [s for s, c in zip(sentences, changes, strict=False) if c.get("direction") == "down"]
    rank = VERDICTS.index(data["verdict"]) if data.get("verdict") in VERDICTS else 0
    if ups and rank + 1 < len(VERDICTS):
        parts.append(f"to flip to {TITLE_OF[VERDICTS[rank + 1]]}: {_lower_first(ups[0])}")
    elif downs:
        parts.append(f"what would lower it: {_lower_first(downs[0])}")
    if not parts:
        return head
    body = "; ".join(parts)
    return f"{head} {body[0].upper()}{body[1:]}."


# -- counterfactuals --------------------------------------------------------------------------------------

def _flips(standing: _Standing, bar: Bar, questions: Sequence[MockQuestion], attempts: Mapping[str, Attempt],
           red_flags: Sequence[Mapping[str, str]]) -> list[Flip]:
    rank = VERDICTS.index(bar.verdict)
    out: list[Flip] = []
    if rank + 1 < len(VERDICTS):
        out += _ups(standing, VERDICTS[rank + 1], questions, attempts, red_flags)
    if rank > 0:
        out += _downs(standing, bar, questions)
    return out


def _rank(b: Bar) -> int:
    return VERDICTS.index(b.verdict)


def _ups(standing: _Standing, target: str, questions: Sequence[MockQuestion], attempts: Mapping[str, Attempt],
         red_flags: Sequence[Mapping[str, str]]) -> list[Flip]:
    """Single changes that reach ``target`` (or better): pass one question, raise one dimension, lose a flag."""
    goal = VERDICTS.index(target)
    before = standing.overall()
    out: list[Flip] = []
    for q in questions:
        if q.id in standing.passed:
            continue
        mark = _pass_mark(q, attempts.get(q.id))
        old = standing.scores.get(q.id, {})
        new = {d: max(v, mark) for d, v in old.items()}
        scores = {**standing.scores, q.id: new}
        what = replace(standing, scores=scores, passed=standing.passed | {q.id}, answered=standing.answered | {q.id})
        got = what.verdict()
        if _rank(got) < goal:
            continue
        raised = ", ".join(f"{TITLES[d]} {_n(old[d])} → {_n(new[d])}" for d in COMMITTEE
                           if d in new and new[d] != old[d])
        verb = "Passing" if q.id in standing.answered else "Answering"
        how = f"{verb} {q.id}" + ("" if q.kind == "sql" else f" at its pass mark ({_n(mark)})")
        detail = f" ({raised})" if raised else ""
        out.append(Flip("up", got.verdict, "pass", f"{how}{detail} would have made it {got.title} "
                        f"(overall {_n(before)} → {_n(what.overall())})", item_id=q.id,
                        dimensions_after=new))
    dims = standing.dimensions()
    options: list[tuple[float, float, str, float, Bar]] = []
    for d in COMMITTEE:
        score = dims[d]
        if score is None:
            continue
        for whole in range(math.floor(score) + 1, 101):
            got = standing.verdict({d: float(whole)})
            if _rank(got) >= goal:
                options.append((whole - score, score, d, float(whole), got))
                break
    if options:
        _, score, d, value, got = min(options, key=lambda o: (o[0], o[1], COMMITTEE.index(o[2])))
        out.append(Flip("up", got.verdict, "dimension",
                        f"Raising {TITLES[d]} from {_n(score)} to {_n(value)} would have made it {got.title} "
                        f"(overall {_n(before)} → {_n(standing.overall({d: value}))})",
                        dimension=d, before=round(score, 1), after=value))
    if red_flags:
        what = replace(standing, flags=standing.flags - 1)
        got = what.verdict()
        if _rank(got) >= goal:
            first = red_flags[0]
            if len(red_flags) == 1:
                which = f"the red flag {first['code']} on {first['item_id']}"
                if first.get("evidence"):
                    which += f" (“{first['evidence']}”)"
            else:
                which = "any one of the red flags (" + "; ".join(
                    f"{f['code']} on {f['item_id']}" for f in red_flags) + ")"
            out.append(Flip("up", got.verdict, "flag", f"Avoiding {which} would have made it {got.title}",
                            item_id=first["item_id"]))
    if not out:
        needs = "; ".join(standing.shortfalls(BAR_OF[target]))
        out.append(Flip("up", target, "none", f"No single change would have made it {TITLE_OF[target]}: "
                        f"it needs more than one fix ({needs})"))
    return out


def _downs(standing: _Standing, bar: Bar, questions: Sequence[MockQuestion]) -> list[Flip]:
    """Single changes that would have lost the verdict: a red flag, a fail, one dimension lower."""
    current = _rank(bar)
    before = standing.overall()
    out: list[Flip] = []
    got = replace(standing, flags=standing.flags + 1).verdict()
    if _rank(got) < current:
        more = "One more red flag" if standing.flags else "One red flag"
        out.append(Flip("down", got.verdict, "flag", f"{more} would have made it {got.title}"))
    passed = [q for q in questions if q.id in standing.passed]
    if passed:
        example = passed[0]
        got = replace(standing, passed=standing.passed - {example.id}).verdict()
        if _rank(got) < current:
            out.append(Flip("down", got.verdict, "fail",
                            f"Failing {'one more' if standing.failed else 'any one'} question "
                            f"(say {example.id}, just under its pass mark) "
                            f"would have made it {got.title}", item_id=example.id))
    dims = standing.dimensions()
    options: list[tuple[float, float, str, float, Bar]] = []
    for d in COMMITTEE:
        score = dims[d]
        if score is None:
            continue
        for whole in range(math.ceil(score) - 1, -1, -1):
            got = standing.verdict({d: float(whole)})
            if _rank(got) < current:
                options.append((score - whole, score, d, float(whole), got))
                break
    if options:
        _, score, d, value, got = min(options, key=lambda o: (o[0], o[1], COMMITTEE.index(o[2])))
        out.append(Flip("down", got.verdict, "dimension",
                        f"{TITLES[d]} at {_n(value)} instead of {_n(score)} would have made it {got.title} "
                        f"(overall {_n(before)} → {_n(standing.overall({d: value}))})",
                        dimension=d, before=round(score, 1), after=value))
    return out


def _pass_mark(q: MockQuestion, att: Attempt | None) -> float:
    if q.kind == "sql":
        return SQL_PASS_MARK
    if att is not None and isinstance(att.detail.get("pass_mark"), int | float):
        return float(att.detail["pass_mark"])
    return DEFAULT_PASS_MARK


# -- the committee's sentences ------------------------------------------------------------------------------

def _reasons(standing: _Standing, bar: Bar, questions: Sequence[MockQuestion], attempts: Mapping[str, Attempt],
             red_flags: Sequence[Mapping[str, str]], time: Mapping[str, float]) -> list[str]:
    out: list[str] = []
    dims = standing.dimensions()
    measured = {d: v for d, v in dims.items() if v is not None}
    overall = standing.overall()
    bars = ", ".join(f"{b.title} {b.min_score:g}" for b in BARS if b.min_score)
    out.append(f"Overall {_n(overall)}/100, the mean of {_count(len(measured), 'measured dimension')} "
               f"(bars: {bars}).")
    higher = [b for b in BARS if _rank(b) > _rank(bar)]
    failed = [q.id for q in questions if q.id in standing.answered and q.id not in standing.passed]
    missing = [q.id for q in questions if q.id not in standing.answered]
    line = f"{len(standing.passed)} of {_count(len(questions), 'question')} passed"
    extra = ([f"failed: {', '.join(failed)}"] if failed else []) + (
        [f"unanswered: {', '.join(missing)}"] if missing else [])
    out.append(line + (f" ({'; '.join(extra)})" if extra else "") + ".")
    for qid in missing:
        lost = ", ".join(TITLES[d] for d in COMMITTEE if d in standing.scores.get(qid, {}))
        if lost:
            out.append(f"{qid} was not answered, so it scores 0 on {lost}.")
    sql = [q for q in questions if q.kind == "sql"]
    if sql and "sql_correctness" in measured:
        right = [q for q in sql if q.id in standing.passed]
        score = _n(measured["sql_correctness"])
        if len(right) == len(sql):
            which = "the SQL answer" if len(sql) == 1 else ("both SQL answers" if len(sql) == 2
                                                             else f"all {len(sql)} SQL answers")
            out.append(f"SQL correctness {score}: {which} right on the warehouse and the hidden databases.")
        else:
            wrong = [q for q in sql if q.id not in standing.passed]
            why = "; ".join(f"{q.id}: {_sql_verdict(attempts[q.id]).rstrip('.')}" if q.id in attempts
                            else f"{q.id}: not answered" for q in wrong)
            if len(sql) == 1:
                out.append(f"SQL correctness {score}: the SQL answer was wrong ({why}).")
            else:
                out.append(f"SQL correctness {score}: {len(right)} of {len(sql)} SQL answers right ({why}).")
    if len(measured) >= 2:
        best = max(measured, key=lambda d: (measured[d], -COMMITTEE.index(d)))
        worst = min(measured, key=lambda d: (measured[d], COMMITTEE.index(d)))
        out.append(f"The strongest dimension is {TITLES[best]} ({_n(measured[best])}); "
                   f"the weakest {TITLES[worst]} ({_n(measured[worst])}).")
    unmeasured = [TITLES[d] for d in COMMITTEE if dims[d] is None]
    if unmeasured:
        out.append(f"Not measured by this round: {', '.join(unmeasured)}.")
    if red_flags:
        listed = "; ".join(f"{f['code']} on {f['item_id']} ({f['message']})" if f.get("message")
                           else f"{f['code']} on {f['item_id']}" for f in red_flags[:3])
        more = f"; and {len(red_flags) - 3} more" if len(red_flags) > 3 else ""
        out.append(f"{_count(len(red_flags), 'red flag')}: {listed}{more}.")
    else:
        out.append("No red flags.")
    if higher:
        up = higher[-1]
        short = standing.shortfalls(up)
        if short:
            # a score above the bar that still misses it means the flags or the gaps decided
            despite = " despite the score" if overall >= up.min_score else ""
            out.append(f"Short of {up.title}{despite}: {'; '.join(short)}.")
    used_min, allowed_min = time["used_s"] / 60, time["allowed_s"] / 60
    if time["over_s"] > 0:
        out.append(f"Used {used_min:.0f} of {allowed_min:.0f} minutes: {time['over_s'] / 60:.0f} min over "
                   "(reported, not scored; in the real loop the interviewer would have moved you on).")
    elif time["used_s"] > 0:
        out.append(f"Used {used_min:.0f} of {allowed_min:.0f} minutes.")
    else:
        out.append("Time was not measured (the answers were graded from files).")
    return out


def _question_row(q: MockQuestion, att: Attempt | None, scores: Mapping[str, float],
                  model: str | None) -> dict[str, Any]:
    return {"id": q.id, "kind": q.kind, "title": q.title, "slot": q.slot, "answered": att is not None,
            "passed": bool(att and att.passed), "score": None if att is None else round(float(att.score), 1),
            "pass_mark": _pass_mark(q, att), "seconds": None if att is None else att.seconds, "minutes": q.minutes,
            "dimensions": {d: round(v, 1) for d, v in scores.items()}, "answer": None if att is None else att.answer,
            "model_answer": model}


def _evidence(dim: str, questions: Sequence[MockQuestion], attempts: Mapping[str, Attempt],
              scores: Mapping[str, Mapping[str, float]]) -> list[dict[str, str]]:
    """Sentences from the candidate's answers behind one committee dimension, one per question."""
    out = []
    for q in questions:
        att = attempts.get(q.id)
        if att is None or dim not in scores.get(q.id, {}):
            continue
        if att.kind == "sql":
            # logic: what the candidate said the query does (the logic-first plan), else the query's first
            # line; correctness: the query's first line, with what the grader found beside it
            plan = att.detail.get("plan") if isinstance(att.detail.get("plan"), Mapping) else None
            said = _first_line(str(plan.get("text", ""))) if plan and dim == "sql_logic" else ""
            quote = said or _first_line(att.answer)
            if quote:
                out.append({"item_id": q.id, "quote": quote, "verdict": _sql_verdict(att)})
            continue
        best: Mapping[str, Any] | None = None
        for rubric in att.detail.get("dimensions", []) or []:
            # as in from_case_dimensions: an unasked rubric dimension that did not count is no evidence
            if FROM_RUBRIC.get(str(rubric.get("name"))) != dim or not (
                    rubric.get("asked", True) or rubric.get("counted", False)):
                continue
            for m in rubric.get("matched", []) or []:
                if m.get("sentence") and (best is None or float(m.get("similarity") or 0.0)
                                          > float(best.get("similarity") or 0.0)):
                    best = m
        if best is not None:
            out.append({"item_id": q.id, "quote": str(best["sentence"]), "concept": str(best.get("label")
                                                                                     or best.get("concept", ""))})
    return out


def _sql_verdict(att: Attempt) -> str:
    detail = att.detail
    feedback = [str(f) for f in detail.get("feedback", []) or [] if str(f).strip()]
    if detail.get("correct", att.passed) and att.passed:
        hidden = sum(1 for c in detail.get("checks", []) or [] if str(c.get("db", "")).startswith("hidden"))
        return f"correct on the warehouse and {_count(hidden, 'hidden database')}"
    if feedback:
        return _first_line(feedback[0])
    return str(detail.get("error") or "wrong result")


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _n(value: float) -> str:
    """A score as shown: one decimal at most, none when whole."""
    return f"{round(value, 1):g}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _lower_first(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:] if sentence[:2] != sentence[:2].upper() else sentence
