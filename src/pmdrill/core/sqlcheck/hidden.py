"""Hidden test databases of a question, distilled from mutants of its reference (XData / Zhong et al.).

Random contract-keeping candidates are run with the reference and every mutant; a database is kept when
it tells a still-living mutant apart, then a greedy cover keeps the fewest that kill them all.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlglot import exp

from pmdrill.core.sqlcheck import datagen, mutants, slices
from pmdrill.core.sqlcheck.compare import compare
from pmdrill.core.sqlcheck.grade import order_spec
from pmdrill.core.sqlcheck.types import HiddenDb, QueryResult, Runner
from pmdrill.errors import SqlError

GENERATOR_VERSION = "5"  # 5: the business invariants kept (core.warehouse.invariants)
MIN_CANDIDATES = 8
WAREHOUSE_AFTER = 4  # candidates tried before survivors are checked on the warehouse
MAX_CANDIDATES = 120
BASELINE = 2  # databases kept whatever the mutants say: NULLs, duplicates, parents without children
SOFT_CANDIDATES = 32  # more databases tried, once every mutant that differs on the warehouse is killed
SAFETY_S = 30.0  # a build that runs this long stops (a pathological reference); the counts above end the rest
_INVALID = ("Binder Error", "Catalog Error", "Parser Error", "Not implemented", "syntax error")


@dataclass
class BuildReport:
    """How the hidden databases of one reference were distilled."""

    mutants: int = 0  # generated
    valid: int = 0  # that run at all
    killed: int = 0  # told apart by the kept databases
    unkilled: list[str] = field(default_factory=list)  # differ on the warehouse, no small db found
    equivalent: int = 0  # gave the warehouse's answer and no kept database's: likely no mistake at all
    candidates: int = 0
    kept: int = 0
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cache_key(ref_sql: str, as_of: dt.date, extra: tuple[tuple[str, str], ...] = ()) -> str:
    """The cache file name of a reference's hidden databases: normalised SQL + generator version."""
    import sqlglot

    try:
        norm = sqlglot.parse_one(ref_sql, read="duckdb").sql(dialect="duckdb", normalize=True)
    except Exception:  # noqa: BLE001 - unparsable text is still a key
        norm = " ".join(ref_sql.split())
    blob = f"{norm}\n{GENERATOR_VERSION}\n{as_of.isoformat()}\n" + "\n".join(sql for sql, _why in extra)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _tables(tree: exp.Expression) -> list[str]:
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    from pmdrill.core.warehouse import schema

    names = set(schema.table_names())
    return sorted({t.name for t in tree.find_all(exp.Table) if t.name in names and t.name.lower() not in ctes})


def _candidates(tree: exp.Expression, as_of: dt.date, seed: int,  # type: ignore[no-untyped-def]
                runner: Runner | None = None):
    """An endless stream of candidate databases: warehouse slices (when a runner can read the
    warehouse), random ones, and random ones with a table left empty."""
    pools = datagen.pools_from(tree, as_of)
    tables = _tables(tree)
    from pmdrill.core.warehouse import schema

    # tables whose rows hang off another read table: emptying them makes parents without children
    children = [t for t in tables if any(p in tables for _c, p, _pc in schema.table(t).foreign_keys if p != t)]
    equals = {col: [v for v in vals if isinstance(v, str)] for col, vals in pools.by_column.items()}
    equals = {c: v for c, v in equals.items() if v}
    targeted = datagen.targeted_profiles(pools)
    n_targeted = 0

    def steered() -> Iterator[HiddenDb]:
        """One database of the next targeted profile (runs, crowded groups, ties, sibling edges)."""
        nonlocal n_targeted
        if targeted:
            prof = targeted[n_targeted % len(targeted)]
            n_targeted += 1
            yield datagen.random_db(tables, pools, random.Random(f"{seed}-t{n_targeted}"), prof)

    i = 0
    while True:
        # generic candidates, each followed by a targeted one
        for k, prof in enumerate(datagen.PROFILES):
            if runner is not None and k % 3 == 1:
                piece = slices.warehouse_slice(runner, tables, seed * 1000 + i * 10 + k, roots=2 + (i + k) % 4,
                                               equals=equals, cap=(14, 24)[(i + k // 3) % 2])
                if piece is not None and piece.row_count:
                    yield piece
                    yield from steered()
            rng = random.Random(f"{seed}-{i}-{k}")
            childless: frozenset[str] = frozenset()
            if children and (i + k) % 5 == 4:
                childless = frozenset({rng.choice(children)})
            yield datagen.random_db(tables, pools, rng, prof, childless)
            yield from steered()
        i += 1
        if i > 2:  # later rounds: bigger databases find what small ones missed
            big = datagen.Profile(rows=(8, 24), null_share=0.2, pool_share=0.6)
            yield datagen.random_db(tables, pools, random.Random(f"{seed}-{i}-big"), big)


def _run(runner: Runner, sql: str, db: HiddenDb | None) -> QueryResult | str:
    try:
        return runner.run(sql, db)
    except SqlError as exc:
        return exc.message


def build(tree: exp.Expression, ref_sql: str, runner: Runner, *, as_of: dt.date, seed: int = 0,
          budget_s: float = SAFETY_S, use_warehouse: bool = True,
          extra: tuple[tuple[str, str], ...] = ()) -> tuple[list[HiddenDb], BuildReport]:
    """The hidden databases of a reference (DuckDB ``ref_sql`` and its tree), and how they were found.

    ``runner`` runs trusted SQL (the reference and its mutants) on candidate databases and, for
    mutants no small database kills, on the warehouse (db=None) when ``use_warehouse``.

    Deterministic: what is tried is bounded by counts of candidates, never by the clock, so the same
    reference gets the same databases (and every answer the same verdict) on a fast or a loaded machine;
    ``budget_s`` is only a safety stop for a pathological reference.
    """
    t0 = time.perf_counter()
    deadline = t0 + budget_s
    ordered, sort_cols = order_spec(tree)
    report = BuildReport()
    # the question's own list of typical wrong answers go first: they are the likeliest mistakes, and
    # known to be wrong, so they stay alive even when the warehouse happens to agree with them
    ms = [mutants.Mutant(sql, f"wrong answer: {why}", "bank") for sql, why in extra] + mutants.generate(tree)
    report.mutants = len(ms)
    alive = list(range(len(ms)))
    invalid: set[int] = set()
    kills: list[tuple[HiddenDb, QueryResult, set[int]]] = []
    killed_by: dict[int, int] = {}
    ran_on: dict[int, int] = {}  # how many databases each mutant ran on without error

    def differs(expected: QueryResult, sql: str, db: HiddenDb | None, idx: int) -> bool:
        out = _run(runner, sql, db)
        if isinstance(out, str):
            if any(word in out for word in _INVALID):
                invalid.add(idx)
            return not any(word in out for word in _INVALID)
        ran_on[idx] = ran_on.get(idx, 0) + 1
        return not compare(expected, out, ordered=ordered, sort_cols=sort_cols).equal

    stream = _candidates(tree, as_of, seed, runner if use_warehouse else None)
    n_seen = 0
    ref_wh: QueryResult | str | None = None
    hard: list[int] = []
    # mutants that give the warehouse's answer: a mistake only other data shows (a boundary the warehouse
    # never hits, a tie it never has), or no mistake at all. They stay alive, after the others, for
    # SOFT_CANDIDATES more databases: what a coach's own reference needs as much as a bank question
    soft: set[int] = set()
    hard_done_at: int | None = None
    baseline: list[HiddenDb] = []
    while True:
        if n_seen >= MAX_CANDIDATES or time.perf_counter() > deadline:
            break
        if n_seen >= MIN_CANDIDATES and not [i for i in alive if i not in soft]:
            hard_done_at = n_seen if hard_done_at is None else hard_done_at
            if not alive or n_seen - hard_done_at >= SOFT_CANDIDATES:
                break
        if n_seen >= WAREHOUSE_AFTER and use_warehouse \
                and ref_wh is None and alive:
            # the survivors so far: which of them differ on the warehouse? those come first
            ref_wh = _run(runner, ref_sql, None)
            if isinstance(ref_wh, QueryResult):
                hard = [i for i in alive if i < len(extra) or differs(ref_wh, ms[i].sql, None, i)]
                alive = [i for i in alive if i not in invalid]
                soft = {i for i in alive if i not in hard}
                alive = hard + sorted(soft)
                if not alive:
                    continue
        db = next(stream)
        n_seen += 1
        expected = _run(runner, ref_sql, db)
        if isinstance(expected, str):
            continue
        if len(baseline) < BASELINE and expected.rows and n_seen % 2 == len(baseline) % 2:
            baseline.append(db)  # mistakes no mutant imitates still meet NULLs and duplicates
        killed = _killed(runner, expected, [i for i in alive], ms, db, differs, invalid, ran_on,
                         ordered, sort_cols)
        alive = [i for i in alive if i not in killed and i not in invalid]
        if killed:
            kills.append((db, expected, killed))
            for i in killed:
                killed_by[i] = len(kills) - 1
    report.candidates = n_seen
    if ref_wh is None and use_warehouse and alive:
        ref_wh = _run(runner, ref_sql, None)
        if isinstance(ref_wh, QueryResult):
            hard = [i for i in alive if i < len(extra) or differs(ref_wh, ms[i].sql, None, i)]
            soft = {i for i in alive if i not in hard and i not in invalid}
            alive = hard
    elif not use_warehouse:
        soft = set(alive)
    report.equivalent = len([i for i in alive if i in soft and i not in invalid])
    alive = [i for i in alive if i not in soft]
    report.unkilled = [ms[i].label for i in alive if i not in invalid]
    report.valid = len(ms) - len(invalid)
    chosen = _cover(kills, ms, runner, ref_sql, ordered, sort_cols)
    keys = {db.key for db in chosen}
    chosen += [HiddenDb(db.tables, note="baseline: random rows with NULLs, duplicates and parents "
                        "without children") for db in baseline if db.key not in keys]
    report.killed = len(killed_by)
    report.kept = len(chosen)
    report.elapsed_ms = (time.perf_counter() - t0) * 1000
    return chosen, report


def _killed(runner: Runner, expected: QueryResult, alive: list[int], ms: list[mutants.Mutant],
            db: HiddenDb, differs: Any, invalid: set[int], ran_on: dict[int, int],
            ordered: bool, sort_cols: tuple[int, ...] | None) -> set[int]:
    """The living mutants this database tells apart (all at once when the runner can batch)."""
    run_many = getattr(runner, "run_many", None)
    if run_many is None:
        return {i for i in alive if differs(expected, ms[i].sql, db, i)} - invalid
    out = set()
    for i, res in zip(alive, run_many([ms[i].sql for i in alive], db), strict=True):
        if isinstance(res, str):
            if any(word in res for word in _INVALID):
                invalid.add(i)
            else:
                out.add(i)
            continue
        ran_on[i] = ran_on.get(i, 0) + 1
        if not compare(expected, res, ordered=ordered, sort_cols=sort_cols).equal:
            out.add(i)
    return out


def _cover(kills: list[tuple[HiddenDb, QueryResult, set[int]]], ms: list[mutants.Mutant], runner: Runner,
           ref_sql: str, ordered: bool, sort_cols: tuple[int, ...] | None) -> list[HiddenDb]:
    """The fewest kept databases that still kill every killed mutant (greedy set cover)."""
    everything = set().union(*(k for _db, _e, k in kills)) if kills else set()
    matrix = [set(k) for _db, _e, k in kills]
    # a database kept early may also kill mutants first killed later: fill the matrix in, in a fixed
    # order (the chosen databases must not depend on timing)
    for j, (db, expected, _k) in enumerate(kills):
        for i in sorted(everything - matrix[j]):
            out = _run(runner, ms[i].sql, db)
            if isinstance(out, QueryResult) and not compare(expected, out, ordered=ordered, sort_cols=sort_cols).equal:
                matrix[j].add(i)
    left = set(everything)
    chosen: list[int] = []
    while left:
        best = max(range(len(kills)), key=lambda j: (len(matrix[j] & left), -kills[j][0].row_count))
        gain = matrix[best] & left
        if not gain:
            break
        chosen.append(best)
        left -= gain
    kept: list[HiddenDb] = []
    for j in chosen:
        db = kills[j][0]
        labels = sorted({ms[i].label for i in matrix[j]})
        note = "kills: " + "; ".join(labels[:4]) + (f" (+{len(labels) - 4} more)" if len(labels) > 4 else "")
        kept.append(HiddenDb(db.tables, note=note))
    return kept


# ---- cache codec: JSON that keeps dates, timestamps and decimals ----------------------------

def _enc(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return {"$ts": v.isoformat()}
    if isinstance(v, dt.date):
        return {"$d": v.isoformat()}
    if isinstance(v, decimal.Decimal):
        return {"$n": str(v)}
    return v


def _dec(v: Any) -> Any:
    if isinstance(v, dict):
        if "$ts" in v:
            return dt.datetime.fromisoformat(v["$ts"])
        if "$d" in v:
            return dt.date.fromisoformat(v["$d"])
        if "$n" in v:
            return decimal.Decimal(v["$n"])
    return v


def encode(dbs: list[HiddenDb], report: BuildReport) -> dict[str, Any]:
    return {"generator_version": GENERATOR_VERSION, "report": report.to_dict(),
            "databases": [{"note": db.note, "tables": {t: [[_enc(v) for v in r] for r in rows]
                                                       for t, rows in db.tables.items()}} for db in dbs]}


def decode(data: dict[str, Any]) -> tuple[list[HiddenDb], BuildReport]:
    if data.get("generator_version") != GENERATOR_VERSION:
        raise ValueError("hidden databases from another generator version")
    dbs = [HiddenDb({t: tuple(tuple(_dec(v) for v in r) for r in rows) for t, rows in d["tables"].items()},
                    note=d.get("note", "")) for d in data["databases"]]
    return dbs, BuildReport(**data.get("report", {}))
