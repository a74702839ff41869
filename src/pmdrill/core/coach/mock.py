"""Assemble a mock round like the real analytical interview: slots by focus, picks weighted to weak areas.

Pure: the catalog, the candidate's skills and a seed come in; the questions, their minutes and answer files go out.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pmdrill.core.coach.dimensions import TITLES
from pmdrill.core.coach.records import CatalogItem, MockQuestion
from pmdrill.core.items import split_id
from pmdrill.errors import UsageError

FOCUSES: tuple[str, ...] = ("sql", "metrics", "cases", "mixed")
MIN_MINUTES, MAX_MINUTES = 10, 180
MIN_QUESTIONS = 2
# An untested area is a likelier gap than a known strength but less urgent than a measured weakness.
UNTESTED = 50.0
# weight = e^(pull x weakness): an area scored 0 is e^3 (about 20) times as likely to be drilled as one at 100
WEAKNESS_PULL = 3.0
# a recently attempted item would test recall of its model answer, not skill; rarely worth repeating
RECENT_FACTOR = 0.05
# Below this share of its expected time a question cannot be answered properly: drop a slot instead.
MIN_SHARE = 0.75
# A "why" names a weak area only when it really is one.
WEAK_BELOW = 70.0


@dataclass(frozen=True)
class Slot:
    """One place in a round: what kind of question may fill it and how much it matters."""

    name: str                          # shown to the candidate: "metric definition", ...
    kind: str                          # sql | case | est
    case_kinds: tuple[str, ...] = ()   # cases: any of these case kinds (read from the item's topics)
    difficulty: int | None = None      # SQL: the difficulty aimed for (the nearest available is taken)
    priority: int = 1                  # when time is short the highest number goes first
    optional: bool = False             # only when the round fits in its expected minutes unsqueezed


_SQL = Slot("SQL with logic-first step", "sql")
_ESTIMATION = Slot("estimation", "est", priority=3)
# The slots of each focus, in the order asked. "mixed" is the real loop: define a metric, query it,
# weigh a decision, size something.
SLOTS: dict[str, tuple[Slot, ...]] = {
    "mixed": (
        Slot("metric definition", "case", ("metric", "critique")),
        _SQL,
        Slot("trade-off or experiment read-out", "case", ("tradeoff", "experiment"), priority=2),
        _ESTIMATION,
    ),
    "sql": (
        Slot("SQL warm-up with logic-first step", "sql", difficulty=1),
        Slot("SQL with logic-first step", "sql", difficulty=2),
        Slot("SQL stretch with logic-first step", "sql", difficulty=3, priority=2),
        Slot("metric definition", "case", ("metric",), priority=3),
    ),
    "metrics": (
        Slot("metric definition", "case", ("metric",)),
        Slot("metric critique", "case", ("critique",), priority=2),
        Slot("experiment read-out", "case", ("experiment",)),
        Slot("SQL with logic-first step", "sql", priority=3),
    ),
    "cases": (
        Slot("metric definition or critique", "case", ("metric", "critique")),
        Slot("diagnosis", "case", ("diagnosis",)),
        Slot("trade-off or experiment read-out", "case", ("tradeoff", "experiment"), priority=2),
        Slot("flywheel or educator case", "case", ("flywheel", "educator"), priority=3),
        Slot("estimation", "est", priority=4, optional=True),
    ),
}


def assemble(catalog: Sequence[CatalogItem], *, focus: str = "mixed", minutes: int = 45, seed: int,
             skills: Mapping[str, float | None] | None = None,
             recent: Collection[str] = ()) -> list[MockQuestion]:
    """The questions of one mock round, in the order asked, with minute budgets summing to ``minutes``.

    Each slot of ``SLOTS[focus]`` draws one item at random (``random.Random(seed)``: the same inputs give
    the same round), weighted toward the weakest of the item's dimensions and SQL topics in ``skills``
    (0-100 by committee dimension or ``"topic:<sql topic>"``; None or absent is untested) and away from
    ``recent`` ids. Slots the catalog cannot fill are skipped; low-priority slots are dropped when
    ``minutes`` is too short to give each question ``MIN_SHARE`` of its expected time.

    Example:
        >>> catalog = [CatalogItem("case:define-success", "case", "Define success", topics=("metric",)),
        ...            CatalogItem("sql:paying-learners", "sql", "Paying learners", minutes=15),
        ...            CatalogItem("case:paywall", "case", "Paywall", topics=("experiment",)),
        ...            CatalogItem("est:campus-reach", "est", "Campus reach", minutes=5)]
        >>> for q in assemble(catalog, seed=7):
        ...     print(q.minutes, q.slot, q.answer_file)
        11 metric definition 01-case-define-success.md
        17 SQL with logic-first step 02-sql-paying-learners.sql
        11 trade-off or experiment read-out 03-case-paywall.md
        6 estimation 04-est-campus-reach.md
    """
    if focus not in SLOTS:
        raise UsageError(f"unknown focus {focus!r} (one of: {', '.join(FOCUSES)})", where="--focus")
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise UsageError(f"must be between {MIN_MINUTES} and {MAX_MINUTES} minutes (got {minutes})",
                         where="--minutes")
    slots = SLOTS[focus]
    # sorted by id so the round depends on what the catalog holds, not on the order it was listed in
    pool = sorted({item.id: item for item in catalog if item.kind in ("sql", "case", "est")}.values(),
                  key=lambda item: item.id)
    rng = random.Random(seed)
    picks: dict[int, CatalogItem] = {}
    used: set[str] = set()
    # the essential slots choose first, so a scarce item goes where it matters most
    for index in sorted(range(len(slots)), key=lambda i: (slots[i].priority, i)):
        candidates = _candidates(slots[index], pool, used)
        if not candidates:
            continue
        weights = [_weight(item, skills, recent) for item in candidates]
        item = rng.choices(candidates, weights=weights)[0]
        picks[index] = item
        used.add(item.id)
    chosen = _fit([(slots[i], picks[i]) for i in sorted(picks)], minutes)
    if len(chosen) < MIN_QUESTIONS:
        missing = [s.name for i, s in enumerate(slots) if i not in picks]
        raise UsageError(f"the catalog cannot fill a {focus} mock round: {len(chosen)} question(s) found, "
                         f"at least {MIN_QUESTIONS} needed (no question for: {', '.join(missing)})")
    chosen = _rising_sql(chosen)
    budgets = _budgets([item.minutes for _, item in chosen], minutes)
    questions = []
    for n, ((slot, item), budget) in enumerate(zip(chosen, budgets, strict=True), start=1):
        questions.append(MockQuestion(id=item.id, kind=item.kind, title=item.title, minutes=budget,
                                      slot=slot.name, answer_file=answer_file(n, item.id, item.kind),
                                      why=_why(item, slot, skills, recent)))
    return questions


def answer_file(n: int, item_id: str, kind: str) -> str:
    """The file ``mock run --answers DIR`` reads for the n-th question (from 1).

    Example:
        >>> answer_file(2, "sql:paying-learners-may-2026", "sql")
        '02-sql-paying-learners-may-2026.sql'
    """
    return f"{n:02d}-{kind}-{split_id(item_id)[1]}.{'sql' if kind == 'sql' else 'md'}"


def plan_file(question: MockQuestion) -> str:
    """The optional sibling file holding a SQL question's logic-first plan.

    Example:
        >>> plan_file(MockQuestion("sql:x", "sql", "X", 12, "SQL with logic-first step", "02-sql-x.sql"))
        '02-sql-x.plan.txt'
    """
    if question.kind != "sql" or not question.answer_file.endswith(".sql"):
        raise UsageError(f"{question.id} is not a SQL question: only SQL answers have a logic-first plan")
    return question.answer_file.removesuffix(".sql") + ".plan.txt"


def _candidates(slot: Slot, pool: Sequence[CatalogItem], used: Collection[str]) -> list[CatalogItem]:
    fits = [item for item in pool if item.kind == slot.kind and item.id not in used
            and (not slot.case_kinds or any(t in slot.case_kinds for t in item.topics))]
    if slot.difficulty is not None and fits:
        nearest = min(abs(item.difficulty - slot.difficulty) for item in fits)
        fits = [item for item in fits if abs(item.difficulty - slot.difficulty) == nearest]
    return fits


def _areas(item: CatalogItem, skills: Mapping[str, float | None] | None) -> list[tuple[str, float | None]]:
    """(skill key, score or None) of what the item exercises: its dimensions and, for SQL, its topics."""
    known = skills or {}
    keys = list(item.dimensions)
    for topic in item.topics:
        key = f"topic:{topic}"
        # a case's topics are case kinds and tags: they count only if the skills name them
        if item.kind == "sql" or key in known:
            keys.append(key)
    return [(key, known.get(key)) for key in dict.fromkeys(keys)]


def _weakest(item: CatalogItem, skills: Mapping[str, float | None] | None) -> tuple[str, float | None] | None:
    areas = _areas(item, skills)
    if not areas:
        return None
    return min(areas, key=lambda kv: UNTESTED if kv[1] is None else float(kv[1]))


def _weight(item: CatalogItem, skills: Mapping[str, float | None] | None, recent: Collection[str]) -> float:
    weakest = _weakest(item, skills)
    score = UNTESTED if weakest is None or weakest[1] is None else max(0.0, min(100.0, float(weakest[1])))
    weight = math.exp(WEAKNESS_PULL * (1.0 - score / 100.0))
    return weight * RECENT_FACTOR if item.id in recent else weight


def area_title(key: str) -> str:
    """The human name of a skill key: a committee dimension or ``topic:<sql topic>``.

    Example:
        >>> area_title("sql_logic"), area_title("topic:windows")
        ('SQL logic', 'SQL topic windows')
    """
    if key.startswith("topic:"):
        return f"SQL topic {key.removeprefix('topic:').replace('_', ' ')}"
    return TITLES.get(key, key.replace("_", " "))


def _why(item: CatalogItem, slot: Slot, skills: Mapping[str, float | None] | None,
         recent: Collection[str]) -> str:
    weakest = _weakest(item, skills) if skills is not None else None
    if weakest is not None and weakest[1] is not None and float(weakest[1]) < WEAK_BELOW:
        why = f"targets your weakest area: {area_title(weakest[0])} ({float(weakest[1]):.0f}/100)"
    elif weakest is not None and weakest[1] is None:
        why = f"targets an area not yet tested: {area_title(weakest[0])}"
    else:
        why = f"slot: {slot.name}"
    # said aloud: the candidate may remember its model answer, so the score flatters them
    return why + " (attempted recently)" if item.id in recent else why


def _fit(chosen: list[tuple[Slot, CatalogItem]], minutes: int) -> list[tuple[Slot, CatalogItem]]:
    """Drop slots until each question gets at least ``MIN_SHARE`` of its expected minutes."""
    kept = list(chosen)

    def expected() -> int:
        return sum(max(1, item.minutes) for _, item in kept)

    def drop_one(candidates: list[int]) -> None:
        # the least important goes first; of equals, the one asked last
        victim = max(candidates, key=lambda i: (kept[i][0].priority, i))
        del kept[victim]

    while len(kept) > MIN_QUESTIONS and expected() > minutes and any(s.optional for s, _ in kept):
        drop_one([i for i, (s, _) in enumerate(kept) if s.optional])
    while len(kept) > MIN_QUESTIONS and minutes < MIN_SHARE * expected():
        drop_one(list(range(len(kept))))
    return kept


def _rising_sql(chosen: list[tuple[Slot, CatalogItem]]) -> list[tuple[Slot, CatalogItem]]:
    """SQL questions aimed at a difficulty are asked easiest first, whatever the catalog could offer."""
    positions = [i for i, (slot, _) in enumerate(chosen) if slot.kind == "sql" and slot.difficulty is not None]
    items = sorted((chosen[i][1] for i in positions), key=lambda item: item.difficulty)
    out = list(chosen)
    for i, item in zip(positions, items, strict=True):
        out[i] = (chosen[i][0], item)
    return out


def _budgets(expected: Sequence[int], minutes: int) -> list[int]:
    """Whole minutes in proportion to ``expected``, at least one each, summing exactly to ``minutes``.

    Example:
        >>> _budgets([10, 15, 10, 5], 45)
        [11, 17, 11, 6]
    """
    weights = [max(1, m) for m in expected]
    total = sum(weights)
    raw = [w * minutes / total for w in weights]
    out = [max(1, math.floor(r)) for r in raw]
    # largest remainder first, so rounding never moves more than one minute per question
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - math.floor(raw[i])), i))
    k = 0
    while sum(out) < minutes:
        out[order[k % len(out)]] += 1
        k += 1
    while sum(out) > minutes:
        biggest = max(range(len(out)), key=lambda i: (out[i], -i))
        out[biggest] -= 1
    return out
