"""Grade one SQL answer: gate it, run it beside the reference on the warehouse and the hidden DBs, explain.

Pure orchestration: the runner (sandbox, PostgreSQL, in-process DuckDB) is passed in.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from pmdrill.core.sqlcheck import gate
from pmdrill.core.sqlcheck.compare import Comparison, compare
from pmdrill.core.sqlcheck.types import HiddenDb, QueryResult, Runner
from pmdrill.errors import SqlError, SqlRefused, SqlRuntimeError, SqlSyntaxError

# Bump when a verdict can change for the same answer; recorded with each attempt (see `pmdrill regrade`).
GRADER_VERSION = "2"


@dataclass
class GradeResult:
    """The verdict on one submission, as plain data (``to_dict`` is the JSON the CLI and web show)."""

    correct: bool
    error: str | None = None
    feedback: list[str] = field(default_factory=list)
    counterexample: dict[str, Any] | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    question_id: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)  # one per database the answer ran on
    error_detail: dict[str, Any] | None = None  # type, line, column, fragment for syntax errors
    hint: str | None = None  # the first progressive hint, when wrong
    logic_diff: list[dict[str, str]] = field(default_factory=list)  # first level: in the candidate's terms
    dialect: str = "duckdb"
    # the same differences with the reference's clause: kept out of ``to_dict`` (it gives the answer
    # away) and shown only when the candidate asks for more
    logic_detail: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"question_id": self.question_id, "correct": self.correct, "error": self.error,
                "error_detail": self.error_detail, "feedback": list(self.feedback),
                "logic_diff": list(self.logic_diff), "counterexample": self.counterexample,
                "hint": self.hint, "checks": list(self.checks), "dialect": self.dialect,
                "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()}}


@dataclass(frozen=True)
class Reference:
    """A reference query, gated once: its DuckDB text, tree and how its rows are ordered."""

    sql: str
    tree: exp.Expression
    ordered: bool
    sort_cols: tuple[int, ...] | None
    question_id: str | None = None
    hints: tuple[str, ...] = ()
    wrong_answers: tuple[tuple[str, str], ...] = ()  # (DuckDB SQL, why) of the question's typical mistakes


def order_spec(tree: exp.Expression) -> tuple[bool, tuple[int, ...] | None]:
    """Whether the outermost query orders its rows, and which output columns hold the sort keys.

    Example:
        >>> import sqlglot
        >>> order_spec(sqlglot.parse_one("SELECT a, COUNT(*) AS n FROM t GROUP BY a ORDER BY n DESC"))
        (True, (1,))
        >>> order_spec(sqlglot.parse_one("SELECT a FROM t"))
        (False, None)
    """
    order = tree.args.get("order")
    if order is None:
        return False, None
    selects = tree.selects if isinstance(tree, exp.Query) else []
    names = [s.alias_or_name for s in selects]
    bare = [s.unalias() for s in selects]
    cols: list[int] = []
    for item in order.expressions:
        key = item.this
        if isinstance(key, exp.Literal) and key.is_int and 1 <= int(key.this) <= len(selects):
            cols.append(int(key.this) - 1)
        elif isinstance(key, exp.Column) and not key.table and key.name in names:
            cols.append(names.index(key.name))
        elif key in bare:
            cols.append(bare.index(key))
        else:
            return True, None  # a sort key outside the output: ties cannot be told apart
    return True, tuple(cols)


_REFERENCES: dict[tuple[str, str], Reference] = {}


def prepare_reference(question_or_reference: Any, *, as_of: dt.date) -> Reference:
    """Gate a question's reference (or a reference SQL text) once per process."""
    if isinstance(question_or_reference, Reference):
        return question_or_reference
    wrong: tuple[tuple[str, str], ...] = ()
    if isinstance(question_or_reference, str):
        sql, qid, hints = question_or_reference, None, ()
    else:
        sql, qid = question_or_reference.reference, question_or_reference.id
        hints = tuple(question_or_reference.hints)
        wrong = tuple(_gated_wrong(w.sql, w.why, as_of) for w in getattr(question_or_reference, "wrong_answers", ()))
        wrong = tuple(w for w in wrong if w[0])
    key = (sql, as_of.isoformat())
    ref = _REFERENCES.get(key)
    if ref is None:
        gated = gate.check(sql, "duckdb", as_of=as_of)
        ordered, sort_cols = order_spec(gated.tree)
        ref = Reference(gated.duckdb_sql, gated.tree, ordered, sort_cols)
        if len(_REFERENCES) > 1000:
            _REFERENCES.clear()
        _REFERENCES[key] = ref
    if ref.question_id != qid or ref.hints != hints or ref.wrong_answers != wrong:
        ref = Reference(ref.sql, ref.tree, ref.ordered, ref.sort_cols, qid, hints, wrong)
    return ref


def _gated_wrong(sql: str, why: str, as_of: dt.date) -> tuple[str, str]:
    try:
        return gate.check(sql, "duckdb", as_of=as_of).duckdb_sql, why
    except SqlError:
        return "", why


# The reference's outputs, per runner, per (reference SQL, database key): repeat submissions skip them.
_OUTPUTS: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], QueryResult]] = weakref.WeakKeyDictionary()


def reference_output(runner: Runner, ref_sql: str, db: HiddenDb | None) -> QueryResult:
    try:
        store = _OUTPUTS.setdefault(runner, {})
    except TypeError:  # a runner that cannot be weakly referenced is simply not cached
        store = {}
    key = (ref_sql, db.key if db is not None else "warehouse")
    if key not in store:
        if len(store) > 5000:
            store.clear()
        store[key] = runner.run(ref_sql, db)
    return store[key]


def _error_result(exc: SqlError, result: GradeResult) -> GradeResult:
    result.correct = False
    if isinstance(exc, SqlSyntaxError):
        result.error = str(exc)
        if exc.fragment:
            result.error += f" near {exc.fragment!r}"
    elif isinstance(exc, SqlRefused):
        result.error = f"refused: {exc.message}"
    elif isinstance(exc, SqlRuntimeError):
        result.error = f"your query failed when it ran: {exc.message}"
    else:
        result.error = str(exc)
    result.error_detail = exc.to_dict()
    result.feedback = [result.error]
    return result


def grade(question_or_reference: Any, answer_sql: str, *, dialect: str = "duckdb", runner: Runner,
          hidden_dbs: Sequence[HiddenDb] = (), as_of: dt.date,
          explain: bool = True, answer_runner: Runner | None = None,
          shrink_runner: Runner | None = None, raw_answer: bool = False,
          hidden_runner: Runner | None = None) -> GradeResult:
    """Grade ``answer_sql`` against a question (anything with .id/.reference/.hints) or a reference text.

    ``runner`` runs the reference (its outputs are cached); ``answer_runner`` (default: ``runner``)
    runs the candidate's SQL, e.g. on PostgreSQL; ``shrink_runner`` (default: ``runner``) runs both
    while the counterexample is shrunk. With ``explain=False`` a wrong answer gets no logic diff
    or counterexample (batch speed). With ``raw_answer`` the answer runner gets the candidate's own
    text (after the gate accepted it), for engines that speak the candidate's dialect (PostgreSQL).
    With ``hidden_runner`` the hidden databases run there while the warehouse run proceeds on
    ``answer_runner`` at the same time.
    """
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    result = GradeResult(correct=False, dialect=dialect, timings_ms=timings)

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + (now - since) * 1000
        return now

    t = t_start
    ref = prepare_reference(question_or_reference, as_of=as_of)
    result.question_id = ref.question_id
    t = lap("reference_gate", t)
    try:
        gated = gate.check(answer_sql, dialect, as_of=as_of)
    except SqlError as exc:
        lap("gate", t)
        _error_result(exc, result)
        timings["total"] = (time.perf_counter() - t_start) * 1000
        return result
    t = lap("gate", t)
    answer_text = answer_sql if raw_answer else gated.duckdb_sql

    ref_lock = threading.Lock()

    def ref_out(db: HiddenDb | None) -> QueryResult:
        t0 = time.perf_counter()
        out = reference_output(runner, ref.sql, db)  # cached after the first submission
        with ref_lock:
            timings["reference"] = timings.get("reference", 0.0) + (time.perf_counter() - t0) * 1000
        return out

    first_fail: tuple[str, HiddenDb | None, QueryResult, QueryResult, Comparison] | None = None
    failed_hidden: tuple[HiddenDb, QueryResult, QueryResult] | None = None
    warehouse_verdict: Comparison | None = None
    answer_run = answer_runner or runner
    outcomes: list[tuple[QueryResult, QueryResult | SqlRuntimeError, Comparison | None] | None] = \
        [None] * len(hidden_dbs)

    def judge(i: int, got: QueryResult | SqlRuntimeError) -> bool:
        """Record hidden database i's outcome; False when it failed (nothing after it matters)."""
        expected = ref_out(hidden_dbs[i])
        verdict = None if isinstance(got, SqlRuntimeError) else \
            compare(expected, got, ordered=ref.ordered, sort_cols=ref.sort_cols)
        outcomes[i] = (expected, got, verdict)
        return verdict is not None and verdict.equal

    def hidden_part(r: Runner, lo: int, hi: int) -> None:
        _run_each(r, answer_text, hidden_dbs, lo, hi, judge)

    def warehouse_then_hidden(lo: int) -> QueryResult | SqlRuntimeError:
        got = _run_one(answer_run, answer_text, None)
        timings["answer_warehouse"] = (time.perf_counter() - t_wh) * 1000
        hidden_part(answer_run, lo, len(hidden_dbs))  # then its share of the hidden databases
        return got

    t_wh = time.perf_counter()
    if hidden_runner is not None and hidden_dbs:
        # two sandbox workers, two cores: one runs the warehouse and then the last hidden databases,
        # the other the first ones, each share one request (the split balances the expected times)
        split = _split(runner, ref.sql, hidden_dbs)
        wh_future = _pool().submit(warehouse_then_hidden, split)
        try:
            hidden_part(hidden_runner, 0, split)
        finally:
            got_wh = wh_future.result()
    else:
        got_wh = warehouse_then_hidden(0)
    timings["answer_hidden"] = (time.perf_counter() - t_wh) * 1000 - timings.get("answer_warehouse", 0.0)
    expected_wh = ref_out(None)
    hidden_checks: list[dict[str, Any]] = []
    hidden_error: SqlRuntimeError | None = None
    for i, outcome in enumerate(outcomes):
        if outcome is None:
            break
        expected, got, verdict = outcome
        if isinstance(got, SqlRuntimeError):
            hidden_error = got
            hidden_checks.append({"db": f"hidden {i + 1}", "passed": False, "error": got.message})
            break
        assert verdict is not None
        db = hidden_dbs[i]
        hidden_checks.append({"db": f"hidden {i + 1}", "passed": verdict.equal, **({"note": db.note} if db.note else {})})
        if not verdict.equal:
            failed_hidden = (db, expected, got)
            first_fail = (f"hidden {i + 1}", db, expected, got, verdict)
            break  # one failing hidden database is enough for the counterexample
    t = time.perf_counter()
    if isinstance(got_wh, SqlRuntimeError):
        _error_result(got_wh, result)
        result.checks = [{"db": "warehouse", "passed": False, "error": got_wh.message}]
    else:
        warehouse_verdict = compare(expected_wh, got_wh, ordered=ref.ordered, sort_cols=ref.sort_cols)
        result.checks = [{"db": "warehouse", "passed": warehouse_verdict.equal}, *hidden_checks]
        if not warehouse_verdict.equal:
            first_fail = ("warehouse", None, expected_wh, got_wh, warehouse_verdict)
        if hidden_error is not None:
            _error_result(hidden_error, result)
        else:
            result.correct = first_fail is None
    lap("compare", t)
    if result.error is None and not result.correct and first_fail is not None:
        t = time.perf_counter()
        _explain(result, ref, gated, first_fail, failed_hidden, warehouse_verdict,
                 shrink_runner or runner,
                 # the shrinker sends DuckDB text, so a runner that wants the candidate's dialect sits out
                 (shrink_runner or runner) if raw_answer else (answer_runner or runner), explain)
        lap("feedback", t)
    timings["total"] = (time.perf_counter() - t_start) * 1000
    return result


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """Threads that wait on the second sandbox worker (kept: starting a thread per grading costs)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pmdrill-grade")
        return _POOL


_PER_DB_MS = 0.3  # what one more hidden database costs beyond its own query (the worker's bookkeeping)


def _split(runner: Runner, ref_sql: str, dbs: Sequence[HiddenDb]) -> int:
    """How many hidden databases (the first ones) the hidden worker takes, the rest going to the
    warehouse worker after its warehouse query: balanced on the reference's own run times when they
    are known (the answer usually costs about the same), else half and half."""
    store = _OUTPUTS.get(runner) if _weakable(runner) else None
    wh = store.get((ref_sql, "warehouse")) if store else None
    costs = [store.get((ref_sql, db.key)) if store else None for db in dbs]
    if wh is None or any(c is None for c in costs):
        return (len(dbs) + 1) // 2
    each = [c.elapsed_ms + _PER_DB_MS for c in costs if c is not None]
    total = sum(each)
    best, best_k = float("inf"), len(dbs)
    for k in range(len(dbs) + 1):
        first = sum(each[:k])
        span = max(first, wh.elapsed_ms + total - first)
        if span < best:
            best, best_k = span, k
    return best_k


def _weakable(runner: Runner) -> bool:
    try:
        weakref.ref(runner)
    except TypeError:
        return False
    return True


def _run_each(runner: Runner, sql: str, dbs: Sequence[HiddenDb], lo: int, hi: int,
              judge: Callable[[int, QueryResult | SqlRuntimeError], bool]) -> None:
    """Run ``sql`` on dbs[lo:hi] and judge each in order, stopping at the first that fails.

    A runner with ``run_each`` (the sandbox) gets them in one request; another runner one by one.
    """
    if lo >= hi:
        return
    batch = getattr(runner, "run_each", None)
    if batch is not None:
        try:
            outs: list[QueryResult | SqlRuntimeError] = list(batch(sql, dbs[lo:hi]))
        except SqlRuntimeError as exc:  # the runner itself failed (e.g. closed): the first one fails
            outs = [exc]
        for i, got in enumerate(outs, start=lo):
            if not judge(i, got):
                return
        return
    for i in range(lo, hi):
        if not judge(i, _run_one(runner, sql, dbs[i])):
            return


def _run_one(runner: Runner, sql: str, db: HiddenDb | None) -> QueryResult | SqlRuntimeError:
    try:
        return runner.run(sql, db)
    except SqlRuntimeError as exc:
        return exc


def _explain(result: GradeResult, ref: Reference, gated: gate.GatedSql,
             first_fail: tuple[str, HiddenDb | None, QueryResult, QueryResult, Comparison],
             failed_hidden: tuple[HiddenDb, QueryResult, QueryResult] | None,
             warehouse_verdict: Comparison | None, shrink_runner: Runner, answer_runner: Runner,
             explain: bool) -> None:
    name, _db, _expected, _got, verdict = first_fail
    feedback: list[str] = []
    if name == "warehouse":
        feedback.append("On the warehouse your result differs from the reference's.")
    else:
        feedback.append("On the warehouse your result matches, but on a small hidden test database it "
                        "does not: the logic differs in a case the warehouse happens not to show."
                        if warehouse_verdict is not None and warehouse_verdict.equal else
                        "Your result differs from the reference's.")
    feedback.extend(verdict.findings)
    if explain:
        from pmdrill.core.sqlcheck import logic_diff, shrink

        diffs = logic_diff.diff(ref.tree, gated.tree)
        result.logic_diff = [d.to_dict() for d in diffs]
        result.logic_detail = [d.to_dict(reveal=True) for d in diffs]
        feedback.extend(d.message for d in diffs)
        if failed_hidden is not None:
            db, expected, got = failed_hidden
            result.counterexample = shrink.counterexample(
                db, ref.sql, gated.duckdb_sql, shrink_runner, answer_runner, expected, got,
                ordered=ref.ordered, sort_cols=ref.sort_cols)
            # the tables either query reads; the others are only there to keep foreign keys whole
            read = set(gated.tables) | {t.name for t in ref.tree.find_all(exp.Table)}
            result.counterexample["read_tables"] = sorted(t for t in result.counterexample["tables"] if t in read)
    if ref.hints:
        result.hint = ref.hints[0]
        feedback.append(f"Hint: {ref.hints[0]}")
    result.feedback = feedback

