"""Time windows: the one a reference's filters keep, and the ones a plan in words names.

A logic-first plan confirms a date filter only when it names the same window ("in May 2026", "the last
30 days", "enrolled at least 180 days ago"); prose ("who paid recently") or another window is questioned.
Both sides become half-open date spans ``[lo, hi)``; an open end is ``None`` (the warehouse ends at the
as-of date, so an open upper end is the day after it).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

DAY = dt.timedelta(days=1)
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15,
                 "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90}


@dataclass(frozen=True)
class Span:
    lo: dt.date | None  # first day kept
    hi: dt.date | None  # first day no longer kept
    label: str = ""

    def bounds(self, as_of: dt.date) -> tuple[dt.date | None, dt.date]:
        return self.lo, self.hi if self.hi is not None else as_of + DAY


def add_months(d: dt.date, n: int) -> dt.date:
    """``d`` moved by ``n`` calendar months, the day clipped to the month's length.

    >>> add_months(dt.date(2026, 3, 31), -1)
    datetime.date(2026, 2, 28)
    """
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - DAY).day
    return dt.date(year, month, min(d.day, last))


def _month_span(year: int, month: int, label: str) -> Span:
    start = dt.date(year, month, 1)
    return Span(start, add_months(start, 1), label)


# -- the reference's side ------------------------------------------------------------------------------
def _value(node: exp.Expression) -> dt.datetime | None:
    """A constant date expression's value: a literal, or a literal plus or minus an interval."""
    if isinstance(node, exp.Paren):
        return _value(node.this)
    if isinstance(node, exp.Cast):
        return _value(node.this)
    if isinstance(node, exp.Literal) and node.is_string:
        text = node.name.strip()
        for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
        return None
    if isinstance(node, exp.Add | exp.Sub) and isinstance(node.expression, exp.Interval):
        base = _value(node.this)
        step = _interval(node.expression)
        if base is None or step is None:
            return None
        n, unit = step
        n = n if isinstance(node, exp.Add) else -n
        if unit in ("month", "quarter", "year"):
            months = n * {"month": 1, "quarter": 3, "year": 12}[unit]
            moved = add_months(base.date(), months)
            return dt.datetime.combine(moved, base.time())
        return base + dt.timedelta(days=n * _UNIT_DAYS[unit])
    return None


def _interval(node: exp.Interval) -> tuple[int, str] | None:
    raw = node.this.name if node.this is not None else ""
    unit = (node.unit.name if node.unit is not None else "").lower()
    m = re.match(r"^\s*(-?\d+)\s*([a-z]*)\s*$", raw.lower())
    if not m:
        return None
    unit = (unit or m.group(2)).rstrip("s")
    return (int(m.group(1)), unit) if unit in _UNIT_DAYS else None


def _day_after(v: dt.datetime) -> dt.date:
    """The exclusive end of a span whose last kept instant is ``v`` (a date: the whole day)."""
    return v.date() + DAY if v.time() == dt.time(0) else (v + dt.timedelta(hours=12)).date()


def _column(node: exp.Expression) -> str | None:
    return f"{node.table}.{node.name}" if isinstance(node, exp.Column) else None


def reference_spans(preds: list[str]) -> dict[str, Span]:
    """The window each column is cut to by the filters comparing it with constant dates.

    >>> reference_spans(["payments.paid_at >= '2026-05-01'", "payments.paid_at < '2026-06-01'"])
    {'payments.paid_at': Span(lo=datetime.date(2026, 5, 1), hi=datetime.date(2026, 6, 1), label='')}
    """
    out: dict[str, tuple[dt.date | None, dt.date | None]] = {}
    for pred in preds:
        found = span_of(pred)
        if found is None:
            continue
        col, lo, hi = found
        old_lo, old_hi = out.get(col, (None, None))
        lo = max((d for d in (old_lo, lo) if d is not None), default=None)
        hi = min((d for d in (old_hi, hi) if d is not None), default=None)
        out[col] = (lo, hi)
    return {c: Span(lo, hi) for c, (lo, hi) in out.items()}


def span_of(pred: str) -> tuple[str, dt.date | None, dt.date | None] | None:
    """(column, lo, hi) for one filter that cuts a column to constant dates, else None."""
    try:
        node = sqlglot.parse_one(pred, read="duckdb")
    except sqlglot.errors.ParseError:
        return None
    if isinstance(node, exp.Between):
        col, a, b = _column(node.this), _value(node.args["low"]), _value(node.args["high"])
        if col and a and b:
            return col, a.date(), _day_after(b)
        return None
    if isinstance(node, exp.EQ):
        left, right = node.this, node.expression
        if isinstance(left, exp.TimestampTrunc | exp.DateTrunc) and _value(right) is not None:
            unit_node = left.args.get("unit")
            unit = (unit_node.name if unit_node is not None else "").lower()
            col = _column(left.this)
            start = _value(right)
            if col and start and unit in ("month", "quarter", "year", "week", "day"):
                lo = start.date()
                hi = (add_months(lo, {"month": 1, "quarter": 3, "year": 12}[unit]) if unit in ("month", "quarter", "year")
                      else lo + dt.timedelta(days=_UNIT_DAYS[unit]))
                return col, lo, hi
        if isinstance(left, exp.Extract) and isinstance(right, exp.Literal) and not right.is_string:
            part = left.this.name.lower() if left.this is not None else ""
            col = _column(left.expression)
            if col and part == "year":
                y = int(right.name)
                return col, dt.date(y, 1, 1), dt.date(y + 1, 1, 1)
        return None
    if not isinstance(node, exp.GT | exp.GTE | exp.LT | exp.LTE):
        return None
    col, v = _column(node.this), _value(node.expression)
    if col is None or v is None:
        return None
    midnight = v.time() == dt.time(0)
    near = (v + dt.timedelta(hours=12)).date()  # an instant to its nearest day: 23:59:59 ends the day
    if isinstance(node, exp.GTE):
        return col, near, None
    if isinstance(node, exp.GT):
        return col, (v.date() + DAY if midnight and col.endswith("_on") else near), None
    if isinstance(node, exp.LT):
        return col, None, near
    return col, None, (v.date() + DAY if midnight else near)  # <=


# -- the plan's side ---------------------------------------------------------------------------------
_MONTH_RE = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_PREP = r"(?:in|during|for|of|since|from|until|till|through|thru|to|before|after|between|and|over|across|by)"
_NUM = r"(\d+|" + "|".join(_NUMBER_WORDS) + r")"
_UNIT = r"(day|week|month|quarter|year)s?"
VAGUE = re.compile(r"\b(recent(?:ly)?|lately|latest period|a while|some time|nowadays|these days|currently|"
                   r"new(?:er)? ones)\b")


def _num(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _month_index(word: str) -> int:
    return next(i for i, m in enumerate(MONTHS) if m.startswith(word[:3])) + 1


def _recent_year(month: int, as_of: dt.date) -> int:
    """The year of the most recent such month on or before the as-of date."""
    return as_of.year if month <= as_of.month else as_of.year - 1


def plan_spans(plan: str, as_of: dt.date) -> list[Span]:
    """Every window a plan names, each reading of an ambiguous phrase included ("last month" is the
    previous calendar month or the trailing 30 days).

    >>> [s.label for s in plan_spans("count payments in May 2026", dt.date(2026, 6, 30))]
    ['May 2026']
    >>> plan_spans("who paid recently", dt.date(2026, 6, 30))
    []
    """
    text = " " + re.sub(r"\s+", " ", plan.lower()) + " "
    end = as_of + DAY
    spans: list[Span] = []
    used: list[tuple[int, int]] = []

    def take(m: re.Match[str]) -> None:
        used.append(m.span())

    def free(m: re.Match[str]) -> bool:
        return not any(a <= m.start() < b or a < m.end() <= b for a, b in used)

    # month to month: "from March to May 2026", "between Jan and Mar 2026"
    for m in re.finditer(rf"\b(?:from|between)\s+{_MONTH_RE}(?:\s+(\d{{4}}))?\s+(?:to|and|through|until|-)\s+{_MONTH_RE}(?:\s+(\d{{4}}))?\b", text):
        m1, m2 = _month_index(m.group(1)), _month_index(m.group(3))
        y2 = int(m.group(4)) if m.group(4) else _recent_year(m2, as_of)
        y1 = int(m.group(2)) if m.group(2) else (y2 if m1 <= m2 else y2 - 1)
        spans.append(Span(dt.date(y1, m1, 1), add_months(dt.date(y2, m2, 1), 1), m.group(0).strip()))
        take(m)
    # ISO dates: "from 2026-05-01 to 2026-05-31", "since 2026-05-01", "before 2026-06-01"
    for m in re.finditer(r"\b(?:from|between)\s+(\d{4}-\d\d-\d\d)\s+(?:to|and|through|until|-)\s+(\d{4}-\d\d-\d\d)\b", text):
        a, b = dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2))
        spans += [Span(a, b + DAY, m.group(0).strip()), Span(a, b, m.group(0).strip())]  # inclusive or exclusive end
        take(m)
    for m in re.finditer(r"\b(since|from|after|on or after|before|until|till|through|up to)\s+(\d{4}-\d\d-\d\d)\b", text):
        if not free(m):
            continue
        d = dt.date.fromisoformat(m.group(2))
        word = m.group(1)
        spans.append(Span(d, None, m.group(0).strip()) if word in ("since", "from", "after", "on or after")
                     else Span(None, d if word == "before" else d + DAY, m.group(0).strip()))
        take(m)
    # trailing windows: "the last 30 days", "past 12 months", "previous two weeks", "last 30d"
    for m in re.finditer(rf"\b(?:last|past|previous|prior|trailing|recent|latest|most recent)\s+{_NUM}\s*(?:{_UNIT}|(d|w|m|y)\b)", text):
        n = _num(m.group(1))
        unit = m.group(2) or {"d": "day", "w": "week", "m": "month", "y": "year"}[m.group(3)]
        label = m.group(0).strip()
        if unit in ("month", "quarter", "year"):
            spans.append(Span(add_months(end, -n * {"month": 1, "quarter": 3, "year": 12}[unit]), None, label))
        spans.append(Span(end - dt.timedelta(days=n * _UNIT_DAYS[unit]), None, label))
        take(m)
    for m in re.finditer(rf"\b{_NUM}[- ]{_UNIT}\s+(?:window|period|lookback|look-back)\b", text):
        n, unit = _num(m.group(1)), m.group(2)
        spans.append(Span(end - dt.timedelta(days=n * _UNIT_DAYS[unit]), None, m.group(0).strip()))
        take(m)
    # an age: "enrolled at least 180 days ago", "older than 90 days", "more than 30 days old"
    for m in re.finditer(rf"\b(?:at least|more than|over|older than|over|beyond)?\s*{_NUM}\+?\s*{_UNIT}\s+(?:ago|old|or older|or more ago|before (?:the )?(?:as-of|as of|today|now|cut-?off))\b", text):
        n, unit = _num(m.group(1)), m.group(2)
        spans.append(Span(None, end - dt.timedelta(days=n * _UNIT_DAYS[unit]), m.group(0).strip()))
        take(m)
    for m in re.finditer(rf"\bolder than\s+{_NUM}\s*{_UNIT}\b", text):
        if free(m):
            n, unit = _num(m.group(1)), m.group(2)
            spans.append(Span(None, end - dt.timedelta(days=n * _UNIT_DAYS[unit]), m.group(0).strip()))
            take(m)
    # "last month", "this year", "year to date"
    for m in re.finditer(r"\b(last|past|previous|prior|this|current)\s+(day|week|month|quarter|year)\b", text):
        if not free(m):
            continue
        word, unit = m.group(1), m.group(2)
        label = m.group(0).strip()
        if unit == "month":
            this = dt.date(as_of.year, as_of.month, 1)
            spans.append(Span(this, add_months(this, 1), label) if word in ("this", "current")
                         else Span(add_months(this, -1), this, label))
        elif unit == "year":
            this = dt.date(as_of.year, 1, 1)
            spans.append(Span(this, dt.date(as_of.year + 1, 1, 1), label) if word in ("this", "current")
                         else Span(dt.date(as_of.year - 1, 1, 1), this, label))
        elif unit == "quarter":
            this = dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
            spans.append(Span(this, add_months(this, 3), label) if word in ("this", "current")
                         else Span(add_months(this, -3), this, label))
        if word not in ("this", "current"):
            spans.append(Span(end - dt.timedelta(days=_UNIT_DAYS[unit]), None, label))
        take(m)
    for m in re.finditer(r"\b(year to date|year-to-date|ytd)\b", text):
        spans.append(Span(dt.date(as_of.year, 1, 1), None, m.group(0).strip()))
        take(m)
    # quarters: "Q2 2026", "in Q1"
    for m in re.finditer(r"\bq([1-4])\s*(?:of\s+)?(\d{4})?\b", text):
        if not free(m):
            continue
        q = int(m.group(1))
        start_month = 3 * (q - 1) + 1
        year = int(m.group(2)) if m.group(2) else _recent_year(start_month, as_of)
        start = dt.date(year, start_month, 1)
        spans.append(Span(start, add_months(start, 3), m.group(0).strip()))
        take(m)
    # a month by name, with a preposition before it or a year after it ("may" is also a verb)
    for m in re.finditer(rf"(\b{_PREP}\s+(?:the\s+)?(?:month\s+of\s+)?)?\b{_MONTH_RE}\b(?:\s+(\d{{1,2}})(?:st|nd|rd|th)?\b)?(?:,?\s+(\d{{4}}))?", text):
        if not free(m):
            continue
        word = m.group(2)
        if not (m.group(1) or m.group(4)) and word in ("may", "mar", "jun", "jul", "aug", "dec", "oct", "sept", "sep", "nov"):
            continue
        month = _month_index(word)
        year = int(m.group(4)) if m.group(4) else _recent_year(month, as_of)
        prep = (m.group(1) or "").split()[0] if m.group(1) else ""
        label = f"{MONTHS[month - 1].title()} {year}"
        month_span = _month_span(year, month, label)
        if m.group(3):  # a day: "since May 1"
            try:
                day = dt.date(year, month, int(m.group(3)))
            except ValueError:
                continue
            month_span = Span(day, day + DAY, label)
        if prep in ("since", "from", "after"):
            spans.append(Span(month_span.hi if prep == "after" else month_span.lo, None, f"{prep} {label}"))
        elif prep in ("before",):
            spans.append(Span(None, month_span.lo, f"before {label}"))
        elif prep in ("until", "till", "through", "thru"):
            spans.append(Span(None, month_span.hi, f"{prep} {label}"))
        else:
            spans.append(month_span)
        take(m)
    # a year alone: "in 2025", "since 2024"
    for m in re.finditer(r"\b(in|during|for|of|since|from|before|after|until|through)?\s*\b(20\d\d)\b(?!-\d)", text):
        if not free(m):
            continue
        y, prep = int(m.group(2)), m.group(1) or ""
        label = m.group(0).strip()
        if prep in ("since", "from"):
            spans.append(Span(dt.date(y, 1, 1), None, label))
        elif prep == "after":
            spans.append(Span(dt.date(y + 1, 1, 1), None, label))
        elif prep == "before":
            spans.append(Span(None, dt.date(y, 1, 1), label))
        elif prep in ("until", "through"):
            spans.append(Span(None, dt.date(y + 1, 1, 1), label))
        else:
            spans.append(Span(dt.date(y, 1, 1), dt.date(y + 1, 1, 1), label))
        take(m)
    return spans


def vague(plan: str) -> str | None:
    """The vague time word a plan uses instead of a window ("recently"), if any."""
    m = VAGUE.search(plan.lower())
    return m.group(0) if m else None


def same(ref: Span, plan: Span, as_of: dt.date) -> bool:
    """Whether a plan's window is the reference's, to a day (a week or so on a span of years, since
    "the last 12 months" and 365 days are the same intent).

    >>> may = Span(dt.date(2026, 5, 1), dt.date(2026, 6, 1))
    >>> same(may, plan_spans("in May 2026", dt.date(2026, 6, 30))[0], dt.date(2026, 6, 30))
    True
    >>> any(same(may, s, dt.date(2026, 6, 30)) for s in plan_spans("the last 30 days", dt.date(2026, 6, 30)))
    False
    """
    rlo, rhi = ref.bounds(as_of)
    plo, phi = plan.bounds(as_of)
    if (rlo is None) != (plo is None):
        return False
    known = [d for d in (rlo, plo) if d is not None]
    length = (rhi - min(known)).days if known else 0
    tol = max(1, round(0.02 * length))
    if rlo is not None and plo is not None and abs((rlo - plo).days) > tol:
        return False
    return abs((rhi - phi).days) <= tol


def describe(span: Span, as_of: dt.date) -> str:
    """A window in words: 'from 2026-05-01 up to 2026-06-01 (not included)'."""
    lo, hi = span.bounds(as_of)
    if lo is None:
        return f"before {hi.isoformat()}"
    if span.hi is None:
        return f"from {lo.isoformat()} on"
    return f"from {lo.isoformat()} up to {hi.isoformat()} (not included)"
