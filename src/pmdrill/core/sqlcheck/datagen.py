"""Small random databases that keep the warehouse contract, seeded by the reference's own literals.

Every PRIMARY KEY, FOREIGN KEY, NOT NULL and UNIQUE holds, and nothing happens after the as-of day.
Values come from pools: the literals of the query and their boundaries (a timestamp exactly on a
window edge, a score exactly on a threshold, plus or minus one), NULLs, and a little noise.
Targeted profiles (``targeted_profiles``) add structure the literals ask for: runs of k consecutive
days, groups of exactly k rows, ties at a rank cut-off, a child timed on the edge of a sibling's time.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from pmdrill.core.sqlcheck.types import HiddenDb
from pmdrill.core.warehouse import invariants, schema

_FILLER_TEXT = ("US", "IN", "alpha", "beta")
# planned dates, not events: the as-of rule does not bind them (a contract runs past today)
FUTURE_OK = frozenset({("enterprise_accounts", "contract_end"), ("subscriptions", "trial_ends_at")})


@dataclass
class Pools:
    """Values worth trying, gathered from a query: per column name and overall."""

    as_of: dt.date
    times: list[dt.datetime] = field(default_factory=list)
    numbers: list[decimal.Decimal] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    by_column: dict[str, list[Any]] = field(default_factory=dict)
    # the exact window edges (literal dates and the as-of day, shifted by the query's intervals)
    bases: list[dt.datetime] = field(default_factory=list)
    # (column a, column b, days): the query compares a with b shifted by an interval ("within 90 days")
    pairs: list[tuple[str, str, float]] = field(default_factory=list)
    # a time one second off a literal of the query -> the same, half a second off
    halves: dict[dt.datetime, dt.datetime] = field(default_factory=dict)

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.combine(self.as_of, dt.time(23, 59, 59))


def _interval(node: exp.Interval) -> tuple[float, str] | None:
    """(amount, unit) of an INTERVAL: units are DAY-like (in days) or MONTH (calendar months)."""
    try:
        n = float(node.this.this if isinstance(node.this, exp.Literal) else node.this.name)
    except (ValueError, AttributeError):
        return None
    unit = (node.unit.name if node.unit is not None else "DAY").upper().rstrip("S")
    if unit in ("MONTH", "QUARTER", "YEAR"):
        return n * {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[unit], "MONTH"
    return n * {"SECOND": 1 / 86400, "MINUTE": 1 / 1440, "HOUR": 1 / 24, "DAY": 1, "WEEK": 7}.get(unit, 1), "DAY"


def _minus_months(t: dt.datetime, months: int) -> dt.datetime:
    """``t`` minus whole calendar months, the day clamped to the month's end (as DuckDB does)."""
    import calendar

    index = t.year * 12 + (t.month - 1) - months
    year, month = divmod(index, 12)
    day = min(t.day, calendar.monthrange(year, month + 1)[1])
    return t.replace(year=year, month=month + 1, day=day)


def _date(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def pools_from(tree: exp.Expression, as_of: dt.date) -> Pools:
    """Literals of the query, with their boundaries, as value pools.

    Example:
        >>> import sqlglot
        >>> p = pools_from(sqlglot.parse_one("SELECT 1 FROM t WHERE score_pct >= 80"), dt.date(2026, 6, 30))
        >>> sorted(float(v) for v in p.by_column['score_pct'])
        [79.0, 79.99, 80.0, 80.01, 81.0]
    """
    pools = Pools(as_of)
    now = pools.now
    midnight = dt.datetime.combine(as_of, dt.time())
    anchors = {now, midnight}
    spans: set[float] = set()
    months: set[int] = set()
    for node in tree.walk():
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
            d = _date(node.this.this)
            if d is not None:
                anchors.add(d)
        elif isinstance(node, exp.Interval):
            span = _interval(node)
            if span is not None and span[1] == "DAY":
                spans.add(span[0])
            elif span is not None and span[0] == int(span[0]):
                months.add(int(span[0]))
        elif isinstance(node, exp.Literal) and not node.is_string:
            try:
                pools.numbers.append(decimal.Decimal(node.this))
            except decimal.InvalidOperation:
                pass
        elif isinstance(node, exp.Literal) and node.is_string:
            d = _date(node.this)
            if d is not None:
                anchors.add(d)
            elif len(node.this) <= 60:
                pools.texts.append(node.this)
    for n in list(pools.numbers):
        if n == n.to_integral_value() and 0 < n <= 400:
            spans.add(float(n))  # "within 7 days" is often written as an integer
    times: set[dt.datetime] = set()
    bases = {a - dt.timedelta(days=s) for a in anchors for s in {0.0, *spans}}
    bases |= {_minus_months(a, m) for a in anchors for m in months if 0 < m < 240}
    for base in bases:
        for off in (dt.timedelta(0), dt.timedelta(seconds=-1), dt.timedelta(seconds=1),
                    dt.timedelta(days=-1), dt.timedelta(days=1)):
            times.add(base + off)
    # "<= '... 23:59:59'" and "< midnight" differ only inside the last second: a row one second off a
    # time written in the query is, every other time, moved to half a second off (see random_db)
    for lit in anchors - {now, midnight}:
        for sign in (-1, 1):
            half = lit + sign * dt.timedelta(milliseconds=500)
            if dt.datetime(2022, 1, 1) <= half <= now:
                pools.halves[lit + sign * dt.timedelta(seconds=1)] = half
    pools.times = sorted(t for t in times if dt.datetime(2022, 1, 1) <= t <= now)
    pools.bases = sorted(t for t in bases if dt.datetime(2022, 1, 1) <= t <= now)
    # comparisons "column op literal": that column gets the literal and its neighbours
    for cmp in tree.find_all(exp.Binary):
        if not isinstance(cmp, exp.GT | exp.GTE | exp.LT | exp.LTE | exp.EQ | exp.NEQ):
            continue
        for col, other in ((cmp.left, cmp.right), (cmp.right, cmp.left)):
            if not isinstance(col, exp.Column):
                continue
            vals = pools.by_column.setdefault(col.name, [])
            if isinstance(other, exp.Literal) and not other.is_string:
                v = decimal.Decimal(other.this)
                step = decimal.Decimal(1) if v == v.to_integral_value() and "." not in other.this else decimal.Decimal("0.01")
                vals.extend([v - step, v, v + step])
                if step == 1:
                    vals.extend([v - decimal.Decimal("0.01"), v + decimal.Decimal("0.01")])
            elif isinstance(other, exp.Literal):
                vals.append(other.this)
                if other.this:  # just below and just above: "name >= 'x'" for "name = 'x'"
                    vals.extend([other.this[:-1], other.this, other.this + "_z", other.this])
    for cmp in tree.find_all(exp.GT, exp.GTE, exp.LT, exp.LTE, exp.EQ):
        for a, b in ((cmp.left, cmp.right), (cmp.right, cmp.left)):
            if isinstance(a, exp.Column) and isinstance(b, exp.Add | exp.Sub) and isinstance(b.this, exp.Column) \
                    and isinstance(b.expression, exp.Interval):
                span = _interval(b.expression)
                if span is not None:
                    days = span[0] * (30.44 if span[1] == "MONTH" else 1) * (1 if isinstance(b, exp.Add) else -1)
                    pools.pairs.append((a.name, b.this.name, days))
            elif isinstance(a, exp.Column) and isinstance(b, exp.Column) and a.name != b.name \
                    and not isinstance(cmp, exp.EQ) and (a.name, b.name, 0.0) not in pools.pairs:
                pools.pairs.append((a.name, b.name, 0.0))  # "paid on or after the assignment"
    for node in tree.find_all(exp.In):
        if isinstance(node.this, exp.Column):
            vals = pools.by_column.setdefault(node.this.name, [])
            vals.extend(e.this for e in node.expressions if isinstance(e, exp.Literal) and e.is_string)
    return pools


@dataclass(frozen=True)
class Profile:
    """How one random database is drawn: sizes, NULL share, how often the pools are used."""

    rows: tuple[int, int] = (3, 10)
    null_share: float = 0.25
    pool_share: float = 0.7
    parent_coverage: float = 0.7  # share of parent rows children may point at (the rest stay childless)
    hub_rows: tuple[int, int] | None = None  # rows of read tables that other read tables point at
    distinct_ids: bool = True  # ids of different tables never coincide (some profiles let them)
    leaf_rows: tuple[int, int] | None = None  # rows of read tables no other read table points at
    run_len: int | None = None  # leaf rows in runs of about this many consecutive days, one per parent
    enum_spread: int | None = None  # enum columns use only their first values (ties, crowded groups)
    true_share: float = 0.5  # how often a BOOLEAN is TRUE (flags like is_internal_test filter rows out)
    round_robin: bool = False  # children take their parents in turn (even groups: ties, no key clashes)
    parent_rows: tuple[int, int] = (1, 3)  # rows of parents the query does not read
    edge_share: float = 0.0  # pooled times taken exactly on a window edge (no one-off neighbours)




def targeted_profiles(pools: Pools) -> list[Profile]:
    """Profiles steered by the reference's small integer literals k and its column pairs:

    - runs: each parent gets k-1, k or k+1 rows on consecutive days, or k with a day twice, or two
      runs of k (a 7-day streak, HAVING COUNT(*) < 50, COUNT(DISTINCT) over streaks);
    - k+1 parents sharing one enum value with a few children each, at random or in turn (ties and a
      crossing at a top-k rank cut-off); for larger k, one group of k children of k parents (k reviews
      of one course under a (learner, course) key);
    - for "a op b [+ interval]" across tables: few parents, children timed on a sibling's edge.
    """
    ks = sorted({int(v) for v in pools.numbers if v == v.to_integral_value() and 2 <= v <= 60})[:3]
    out = []
    for k in ks:
        out.append(Profile(rows=(1, 3), null_share=0.05, pool_share=0.9, parent_coverage=1.0, hub_rows=(1, 2),
                           run_len=k, true_share=0.3))
        out.append(Profile(rows=(1, 3), null_share=0.05, pool_share=0.9, parent_coverage=1.0,
                           hub_rows=(2, 4) if k <= 20 else (1, 2), run_len=k, true_share=0.3))
        if k <= 10:
            for rr in (False, True):
                out.append(Profile(rows=(1, 3), null_share=0.05, pool_share=0.9, parent_coverage=1.0,
                                   hub_rows=(k + 1, k + 2), leaf_rows=(3 * k + 3, 4 * k + 4), enum_spread=1,
                                   true_share=0.25, round_robin=rr))
        else:  # one group of k rows whose key also names k parents (k reviews of one course)
            for extra, flags in ((0, 0.0), (3, 0.05)):  # exactly k (no flagged rows), or a few more
                out.append(Profile(rows=(1, 3), null_share=0.02, pool_share=0.9, parent_coverage=1.0,
                                   hub_rows=(k + extra, k + 1 + extra), leaf_rows=(k + extra, k + 1 + extra),
                                   true_share=flags, round_robin=True, parent_rows=(1, 1)))
    if pools.pairs:  # few parents, each child's time on the edge of a sibling's ("paid after assignment")
        for edge in (0.0, 0.6):
            out.append(Profile(rows=(3, 8), null_share=0.05, pool_share=0.5 + edge / 2, parent_coverage=1.0,
                               hub_rows=(2, 3), true_share=0.25, edge_share=edge))
    return out


PROFILES = (
    Profile(),
    Profile(rows=(2, 6), null_share=0.5),
    Profile(rows=(5, 14), null_share=0.1, pool_share=0.9),
    Profile(rows=(2, 5), null_share=0.0, parent_coverage=1.0, distinct_ids=False),
    Profile(rows=(6, 16), null_share=0.3, pool_share=0.5, parent_coverage=0.5),
    Profile(rows=(1, 4), null_share=0.7, pool_share=0.9),
    # few parents, many children: rows reached along two join paths agree (a module of the same course)
    Profile(rows=(6, 14), null_share=0.15, pool_share=0.8, parent_coverage=1.0, hub_rows=(1, 2)),
    Profile(rows=(4, 10), null_share=0.3, pool_share=0.7, parent_coverage=1.0, hub_rows=(2, 3)),
)


def needed_tables(tables: Sequence[str]) -> list[str]:
    """The tables a query reads plus every parent their foreign keys need, in contract order."""
    want = set(tables)
    changed = True
    while changed:
        changed = False
        for name in list(want):
            for _col, parent, _pcol in schema.table(name).foreign_keys:
                if parent not in want:
                    want.add(parent)
                    changed = True
    return [n for n in schema.table_names() if n in want]


def _decimal_scale(kind: str) -> int:
    m = re.match(r"DECIMAL\((\d+),\s*(\d+)\)", kind)
    return int(m.group(2)) if m else 2


def _decimal_max(kind: str) -> decimal.Decimal:
    m = re.match(r"DECIMAL\((\d+),\s*(\d+)\)", kind)
    if not m:
        return decimal.Decimal("999")
    p, s = int(m.group(1)), int(m.group(2))
    return decimal.Decimal(10) ** (p - s) - decimal.Decimal(1).scaleb(-s)


def _value(col: schema.Column, rng: random.Random, pools: Pools, prof: Profile, table: str) -> Any:
    if col.nullable and rng.random() < prof.null_share:
        return None
    kind = col.type
    own = pools.by_column.get(col.name, [])
    use_pool = rng.random() < prof.pool_share
    if kind in ("TIMESTAMP", "DATE"):
        if (table, col.name) in FUTURE_OK and rng.random() < 0.5:
            ahead = rng.choice([1, 2, 30, 31, 89, 90, 91, 180, 365]) + rng.choice([0, 0, -1, 1])
            t = pools.now + dt.timedelta(days=max(1, ahead))
            return t.date() if kind == "DATE" else t
        if use_pool and pools.times:
            # a share (edge_share) exactly on a window edge, else on or beside any edge
            t = rng.choice(pools.bases if pools.bases and rng.random() < prof.edge_share else pools.times)
        else:
            t = pools.now - dt.timedelta(seconds=rng.randrange(0, 3 * 365 * 86400))
        return t.date() if kind == "DATE" else t
    if kind == "BOOLEAN":
        return rng.random() < prof.true_share
    if kind == "VARCHAR":
        allowed = col.allowed_values
        texts = [v for v in own if isinstance(v, str)]
        if allowed:
            wanted = [v for v in texts if v in allowed] or [v for v in pools.texts if v in allowed]
            if wanted and use_pool:
                return rng.choice(wanted)
            if prof.enum_spread is not None:
                return rng.choice(allowed[:prof.enum_spread])
            return rng.choice(allowed[:4] if rng.random() < 0.5 else allowed)
        if texts and use_pool:
            return rng.choice(texts)
        if col.name == "country":
            return rng.choice(("US", "IN", "BR", "GB"))
        return rng.choice(pools.texts + list(_FILLER_TEXT)) if pools.texts and use_pool else rng.choice(_FILLER_TEXT)
    nums = [v for v in own if isinstance(v, decimal.Decimal)]
    if kind in ("INTEGER", "BIGINT"):
        ints = [int(v) for v in nums if v == v.to_integral_value()]
        if col.name == "rating":
            return rng.choice([v for v in ints if 1 <= v <= 5] or [1, 2, 3, 4, 5]) if use_pool else rng.randint(1, 5)
        if col.name == "position":
            return rng.randint(1, 4)
        if ints and use_pool:
            return max(0, rng.choice(ints))
        return rng.choice([0, 1, 2, 3, 5, 10] + [int(v) for v in pools.numbers if 0 <= v < 10_000 and v == int(v)])
    if kind.startswith("DECIMAL"):
        scale = _decimal_scale(kind)
        top = _decimal_max(kind)
        if nums and use_pool:
            v = rng.choice(nums)
        elif pools.numbers and rng.random() < 0.3:
            v = rng.choice(pools.numbers)
        else:
            v = decimal.Decimal(rng.randint(0, 10_000)) / 100
        v = min(max(v, decimal.Decimal(0)), top)
        return v.quantize(decimal.Decimal(1).scaleb(-scale))
    return None


def random_db(tables: Sequence[str], pools: Pools, rng: random.Random, prof: Profile,
              childless: frozenset[str] = frozenset()) -> HiddenDb:
    """One database over ``tables`` (parents included) that keeps every contract constraint.

    Tables in ``childless`` get no rows (parents without children, empty groups).
    """
    data: dict[str, list[tuple[Any, ...]]] = {}
    ids: dict[tuple[str, str], list[Any]] = {}
    hubs = {p for t in tables for _c, p, _pc in schema.table(t).foreign_keys if p in tables and p != t}
    # hubs that hang off another read table (an enrollment between a course and its certificates)
    mid = {h for h in hubs if any(p in tables and p != h for _c, p, _pc in schema.table(h).foreign_keys)}
    for name in needed_tables(tables):
        t = schema.table(name)
        if name in childless:
            data[name] = []
            continue
        if prof.hub_rows is not None and name in hubs and not (prof.leaf_rows is not None and name in mid):
            n = rng.randint(*prof.hub_rows)
        elif prof.leaf_rows is not None and name in tables:
            n = rng.randint(*prof.leaf_rows)
        else:
            n = rng.randint(*prof.rows) if name in tables else rng.randint(*prof.parent_rows)
        fk = {c: (p, pc) for c, p, pc in t.foreign_keys}
        # children point at a subset of their parents, so some parents are left without children
        choices: dict[str, list[Any]] = {}
        for c, (p, pc) in fk.items():
            parent_ids = ids.get((p, pc), [])
            k = max(1, round(len(parent_ids) * prof.parent_coverage)) if parent_ids else 0
            choices[c] = rng.sample(parent_ids, k) if parent_ids else []
        rows: list[tuple[Any, ...]] = []
        seen_pk: set[tuple[Any, ...]] = set()
        seen_unique: set[tuple[Any, ...]] = set()
        id_base = 100 * (schema.table_names().index(name) + 1) if prof.distinct_ids else 0
        single_pk = len(t.primary_key) == 1 and t.column(t.primary_key[0]).type in ("INTEGER", "BIGINT") \
            and t.primary_key[0] not in fk
        attempts = 0
        plan = None
        if prof.run_len is not None and name in tables and name not in hubs:
            owners = [c for c, (p, _pc) in fk.items() if p in hubs and choices[c]]
            plan = _run_plan(t, pools, rng, prof.run_len, len(choices[owners[0]]) if owners else 1)
            if plan is not None:
                n = len(plan)
        while len(rows) < n and attempts < n * 6:
            attempts += 1
            row: dict[str, Any] = {}
            for col in t.columns:
                if single_pk and col.name == t.primary_key[0]:
                    # each table numbers its rows from its own base (learner 101.., enrollment 301..),
                    # so a join on the wrong id column finds no accidental matches
                    row[col.name] = id_base + len(rows) + 1
                elif col.name in fk:
                    p, _pc = fk[col.name]
                    if p == name:  # self reference: an earlier row of the same table
                        prev = [r[t.column_names.index(_pc)] for r in rows]
                        row[col.name] = rng.choice(prev) if prev and rng.random() < 0.5 else None
                    elif not choices[col.name] or (col.nullable and plan is None
                                                   and rng.random() < max(prof.null_share, 0.15)):
                        row[col.name] = None
                    elif plan is not None and p in hubs:  # each parent gets its own run
                        row[col.name] = choices[col.name][plan[len(rows)][0] % len(choices[col.name])]
                    elif prof.round_robin:
                        row[col.name] = choices[col.name][attempts % len(choices[col.name])]
                    else:
                        row[col.name] = rng.choice(choices[col.name])
                else:
                    row[col.name] = _value(col, rng, pools, prof, name)
            if any(row[c.name] is None and not c.nullable for c in t.columns):
                continue  # a NOT NULL foreign key without a parent row: skip it
            if plan is not None:
                _consecutive(row, t, plan[len(rows)][1])
            _on_the_edge(row, t, pools, rng, data)
            pk = tuple(row[c] for c in t.primary_key)
            if pk in seen_pk:
                continue
            uniq = tuple(row[c] for u in t.unique for c in u)
            if t.unique and uniq in seen_unique:
                continue
            seen_pk.add(pk)
            if t.unique:
                seen_unique.add(uniq)
            rows.append(tuple(row[c] for c in t.column_names))
        data[name] = rows
        for col in t.columns:
            ids[(name, col.name)] = [r[t.column_names.index(col.name)] for r in rows]
    # the platform's order of things (sign-up before enrollment, a payment inside its subscription...):
    # times are moved until it holds, keeping the query's own window edges where the other side can move
    mutable = {k: [list(r) for r in v] for k, v in data.items()}
    halved = _halve_seconds(mutable, pools)
    invariants.repair(mutable, keep=set(pools.bases) | set(pools.times) | halved)
    return HiddenDb({k: _unique_keys(k, [tuple(r) for r in v]) for k, v in mutable.items()})


def _halve_seconds(tables: dict[str, list[list[Any]]], pools: Pools) -> set[dt.datetime]:
    """Every other TIMESTAMP one second off a literal of the query moves to half a second off, so the
    last second before an edge is told apart from the edge ("<= 23:59:59" against "< midnight").
    Deterministic and without a random draw: the rest of the search is the same as without it."""
    if not pools.halves:
        return set()
    seen: dict[dt.datetime, int] = {}
    for name, rows in tables.items():
        cols = [i for i, c in enumerate(schema.table(name).columns) if c.type == "TIMESTAMP"]
        for row in rows:
            for i in cols:
                half = pools.halves.get(row[i]) if isinstance(row[i], dt.datetime) else None
                if half is not None:
                    seen[row[i]] = seen.get(row[i], 0) + 1
                    if seen[row[i]] % 2 == 0:
                        row[i] = half
    return set(pools.halves.values())


def _unique_keys(name: str, rows: list[tuple[Any, ...]]) -> tuple[tuple[Any, ...], ...]:
    """The rows without those whose key a moved time made a duplicate (a career survey keyed by its time)."""
    t = schema.table(name)
    keys = [t.primary_key, *t.unique]
    times = {c.name for c in t.columns if c.type in ("TIMESTAMP", "DATE")}
    if not any(times & set(k) for k in keys):
        return tuple(rows)
    seen: list[set[tuple[Any, ...]]] = [set() for _ in keys]
    out = []
    for r in rows:
        vals = [tuple(r[t.column_names.index(c)] for c in k) for k in keys]
        if any(v in s for v, s in zip(vals, seen, strict=True)):
            continue
        for v, s in zip(vals, seen, strict=True):
            s.add(v)
        out.append(r)
    return tuple(out)


def _run_plan(t: schema.Table, pools: Pools, rng: random.Random, k: int,
              parents: int) -> list[tuple[int, dt.datetime]] | None:
    """(parent index, day) of each row of a table laid out in runs: every parent gets a run of k-1, k
    or k+1 consecutive days, or k days with one day twice, or two runs of k split by a one-day gap;
    each run starts or ends on a window edge of the query when it can."""
    if not any(c.type in ("TIMESTAMP", "DATE") for c in t.columns):
        return None
    plan: list[tuple[int, dt.datetime]] = []
    for owner in range(max(parents, 1)):
        shape = rng.choice(("exact", "short", "long", "twice", "two"))
        offsets = list(range({"short": k - 1, "long": k + 1}.get(shape, k)))
        if shape == "twice":
            offsets.insert(rng.randrange(len(offsets) + 1), rng.choice(offsets or [0]))
        elif shape == "two":
            offsets += [k + 1 + i for i in range(k)]
        base = _run_base(t, pools, rng, max(offsets, default=0) + 1)
        if base is None:
            return None
        plan += [(owner, base + dt.timedelta(days=o)) for o in offsets]
    return plan


def _run_base(t: schema.Table, pools: Pools, rng: random.Random, n: int) -> dt.datetime | None:
    """The first day of a run of ``n`` rows on consecutive days that ends by the as-of day."""
    if not any(c.type in ("TIMESTAMP", "DATE") for c in t.columns):
        return None
    edges = pools.bases if pools.bases and rng.random() < 0.6 else pools.times
    start = rng.choice(edges) if edges else pools.now
    if rng.random() < 0.5:  # the run ends on a boundary instead of starting on it
        start -= dt.timedelta(days=max(n - 1, 0))
    over = start + dt.timedelta(days=max(n - 1, 0)) - pools.now
    if over > dt.timedelta(0):
        start -= dt.timedelta(days=over.days + 1)
    return start


def _consecutive(row: dict[str, Any], t: schema.Table, when: dt.datetime) -> None:
    """Every time column of a run's row on the run's day."""
    for c in t.columns:
        if c.type not in ("TIMESTAMP", "DATE") or row.get(c.name) is None or (t.name, c.name) in FUTURE_OK:
            continue
        if c.name in t.primary_key or any(c.name == fk for fk, _p, _pc in t.foreign_keys):
            continue
        row[c.name] = when if c.type == "TIMESTAMP" else when.date()


def _related(row: dict[str, Any], t: schema.Table, other: str,
             data: dict[str, list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    """Rows of ``other`` tied to ``row``: its parent along a foreign key, or a sibling that hangs off
    the same parent row (a payment and an experiment assignment of one learner)."""
    o = schema.table(other)
    out: list[tuple[Any, ...]] = []
    for c, p, pc in t.foreign_keys:
        if row.get(c) is None:
            continue
        if p == other:
            i = o.column_names.index(pc)
            out += [r for r in data.get(other, []) if r[i] == row[c]]
        for oc, op, opc in o.foreign_keys:
            if op == p and opc == pc and other != t.name:
                i = o.column_names.index(oc)
                out += [r for r in data.get(other, []) if r[i] == row[c]]
    return out


def _on_the_edge(row: dict[str, Any], t: schema.Table, pools: Pools, rng: random.Random,
                 data: dict[str, list[tuple[Any, ...]]] | None = None) -> None:
    """Put column a exactly on (or one step off) b + interval, for a pair the query compares; b may
    be a column of a parent row or of a sibling row (same parent) generated before, and the other
    way round (b set from a's value). Each column is moved by one pair at most, picked at random, so
    a later pair does not always undo an earlier one."""
    moved: set[str] = set()
    for a, b, days in rng.sample(pools.pairs, len(pools.pairs)):
        if rng.random() < 0.4:
            continue
        for mine, theirs, sign in ((a, b, 1), (b, a, -1)):
            if mine not in row or mine in moved or (t.name, mine) in FUTURE_OK and sign < 0:
                continue
            if _as_time(row[mine]) in pools.bases and rng.random() < 0.5:
                break  # already exactly on a window edge of the query: often keep it there
            base: Any = None
            if theirs in row:
                base = row[theirs]
            elif data:
                found = [r[schema.table(o).column_names.index(theirs)] for o in data
                         if theirs in schema.table(o).column_names for r in _related(row, t, o, data)]
                # prefer a sibling already on a window edge: both ends of the chain sit on edges
                edged = [v for v in found if v in pools.times or v in pools.bases]
                base = rng.choice(edged if edged and rng.random() < 0.7 else found) if found else None
            if isinstance(base, dt.date) and not isinstance(base, dt.datetime):
                base = dt.datetime.combine(base, dt.time())
            if not isinstance(base, dt.datetime) or t.column(mine).type not in ("TIMESTAMP", "DATE"):
                continue
            step = rng.choice([dt.timedelta(0), dt.timedelta(seconds=-1), dt.timedelta(seconds=1),
                               dt.timedelta(days=-1), dt.timedelta(days=1)])
            value = base + sign * dt.timedelta(days=days) + step
            if value <= pools.now or (t.name, mine) in FUTURE_OK:
                row[mine] = value if t.column(mine).type == "TIMESTAMP" else value.date()
                moved.add(mine)
            break


def _as_time(v: Any) -> Any:
    return dt.datetime.combine(v, dt.time()) if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else v


def check_db(db: HiddenDb, as_of: dt.date) -> list[str]:
    """Every contract violation in ``db`` (empty when it is valid): keys, NOT NULL, FKs, the as-of day, and
    the business invariants (``core.warehouse.invariants``)."""
    problems: list[str] = invariants.violations(db.tables)
    now = dt.datetime.combine(as_of, dt.time(23, 59, 59))
    present = {name: rows for name, rows in db.tables.items()}
    for name, rows in present.items():
        t = schema.table(name)
        pk_idx = [t.column_names.index(c) for c in t.primary_key]
        keys = [tuple(r[i] for i in pk_idx) for r in rows]
        if len(set(keys)) != len(keys):
            problems.append(f"{name}: duplicate primary key")
        for u in t.unique:
            idx = [t.column_names.index(c) for c in u]
            vals = [tuple(r[i] for i in idx) for r in rows]
            if len(set(vals)) != len(vals):
                problems.append(f"{name}: duplicate {', '.join(u)}")
        for r in rows:
            if len(r) != len(t.columns):
                problems.append(f"{name}: row has {len(r)} values")
                continue
            for c, v in zip(t.columns, r, strict=True):
                if v is None and not c.nullable:
                    problems.append(f"{name}.{c.name}: NULL in a NOT NULL column")
                if (name, c.name) in FUTURE_OK:
                    continue
                if isinstance(v, dt.datetime) and v > now or (isinstance(v, dt.date) and not isinstance(v, dt.datetime)
                                                              and v > as_of):
                    problems.append(f"{name}.{c.name}: {v} is after the as-of day")
        for col, parent, pcol in t.foreign_keys:
            i = t.column_names.index(col)
            prow = present.get(parent, ())
            pi = schema.table(parent).column_names.index(pcol)
            have = {r[pi] for r in prow}
            for r in rows:
                if r[i] is not None and r[i] not in have:
                    problems.append(f"{name}.{col} = {r[i]} has no row in {parent}")
    return problems
