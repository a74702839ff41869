"""Spaced repetition (FSRS) over items and skills: replay attempts into cards, list and project reviews.

Cards are JSON-able dicts keyed by item id ("sql:…", "case:…", "est:…") or skill ("dim:…", "topic:…").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from fsrs import Card, Rating, Scheduler, State

from pmdrill.core.coach.dimensions import TITLES
from pmdrill.core.coach.rating import AGAIN, EASY, GOOD, HARD, rate, rate_dimension
from pmdrill.core.coach.records import Attempt, CatalogItem
from pmdrill.core.items import is_adhoc

UTC = dt.UTC
DEFAULT_MINUTES = 10.0            # CatalogItem's default expected time
MERGE_DAYS = 2                    # a review this close before the interview's eve moves onto it
REASON_CHARS = 160                # a why is one line in a list, not the whole verdict
VERBS: dict[int, str] = {AGAIN: "failed", HARD: "scraped through", GOOD: "passed", EASY: "passed easily"}


@dataclass
class DueItem:
    """One review to do: an item or a skill, the date it is due, why, and how likely it is still recalled."""

    id: str                       # an item id, or "dim:<dimension>" / "topic:<sql topic>"
    kind: str                     # item | skill
    due: dt.date
    why: str
    retrievability: float         # FSRS probability of recall on the due date, 0-1
    title: str = ""
    skill: str | None = None      # set by serve(): the skill card this item stands in for

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "due": self.due.isoformat(), "why": self.why,
                "retrievability": round(self.retrievability, 3), "title": self.title, "skill": self.skill}


@lru_cache(maxsize=8)
def _scheduler(desired_retention: float) -> Scheduler:
    # no learning steps and no fuzz: every interval is a whole number of days and replays are deterministic
    return Scheduler(desired_retention=desired_retention, learning_steps=(), relearning_steps=(),
                     enable_fuzzing=False)


def card_id(key: str) -> int:
    """A stable FSRS card id for a card key (fsrs would otherwise use the wall clock).

    Example:
        >>> card_id("dim:tradeoffs") == card_id("dim:tradeoffs") and card_id("dim:tradeoffs") > 0
        True
    """
    return int(hashlib.sha256(key.encode()).hexdigest()[:12], 16)


def _utc(value: dt.datetime) -> dt.datetime:
    # fsrs insists on tzinfo == timezone.utc; records are UTC-aware but may carry another UTC object
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _parse(value: str | None) -> dt.datetime | None:
    return _utc(dt.datetime.fromisoformat(value)) if value else None


def _to_card(state: Mapping[str, Any]) -> Card:
    stability = state.get("stability")
    difficulty = state.get("difficulty")
    due_at = _parse(state["due"])
    assert due_at is not None
    return Card(card_id=int(state["card_id"]), state=State(int(state["state"])), step=state.get("step"),
                stability=float(stability) if stability is not None else None,
                difficulty=float(difficulty) if difficulty is not None else None,
                due=due_at, last_review=_parse(state.get("last_review")))


def apply(cards: dict[str, dict[str, Any]], attempts: Iterable[Attempt], *, desired_retention: float = 0.9,
          expected_minutes: Callable[[str], float] | None = None) -> dict[str, dict[str, Any]]:
    """Replay attempts (in submitted_at order) onto the cards; returns a new dict, the input is untouched.

    Each attempt reviews its item card (rated from the verdict), every committee dimension it scored and,
    for SQL, every topic (Again when wrong, else Good). Ad-hoc items review skills only. An attempt older
    than a card's last review is skipped for that card: FSRS cannot rewrite history.

    Example:
        >>> t = dt.datetime(2026, 5, 1, 9, tzinfo=UTC)
        >>> a = Attempt("sql:q1", "sql", "Q1", "SELECT 1", False, 0.0, t, topics=["joins"],
        ...             dimensions={"sql_logic": 75.0, "sql_correctness": 0.0})
        >>> cards = apply({}, [a])
        >>> sorted(cards), cards["sql:q1"]["due"][:10], cards["sql:q1"]["last_rating"]
        (['dim:sql_correctness', 'dim:sql_logic', 'sql:q1', 'topic:joins'], '2026-05-02', 1)
    """
    out = {key: dict(state) for key, state in cards.items()}
    sched = _scheduler(desired_retention)
    minutes_of = expected_minutes or (lambda _item: DEFAULT_MINUTES)
    # the cards under review stay fsrs Cards until the end: converting each to and from its dict at every
    # review was most of the time of replaying a long history
    live: dict[str, tuple[Card, dt.datetime]] = {}
    for attempt in sorted(attempts, key=lambda a: _utc(a.submitted_at)):
        when = _utc(attempt.submitted_at)
        if not is_adhoc(attempt.item_id):
            first_try = attempt.item_id not in out
            rating, reason = rate(attempt, expected_minutes=minutes_of(attempt.item_id), first_try=first_try)
            _review(out, live, attempt.item_id, "item", rating, when, sched, title=attempt.title,
                    reason=_item_reason(attempt) or reason, score=attempt.score)
        for name, score in attempt.dimensions.items():
            if name in TITLES:
                _review(out, live, f"dim:{name}", "skill", rate_dimension(score), when, sched, title=TITLES[name],
                        reason=f"{score:.0f}/100 on {attempt.title}", score=score)
        if attempt.kind == "sql":
            for topic in dict.fromkeys(attempt.topics):
                verdict = "right" if attempt.passed else "wrong"
                _review(out, live, f"topic:{topic}", "skill", GOOD if attempt.passed else AGAIN, when, sched,
                        title=f"SQL {topic}", reason=f"{verdict} on {attempt.title}",
                        score=100.0 if attempt.passed else 0.0)
    for key, (card, when) in live.items():
        out[key].update(card.to_dict())
        out[key]["last_reviewed"] = when.isoformat()
    return out


def _review(out: dict[str, dict[str, Any]], live: dict[str, tuple[Card, dt.datetime]], key: str, kind: str,
            rating: int, when: dt.datetime, sched: Scheduler, *, title: str, reason: str, score: float) -> None:
    state = out.get(key)
    held = live.get(key)
    if state is None:
        card = Card(card_id=card_id(key), due=when)
        reviews = lapses = 0
    else:
        last = held[1] if held is not None else _parse(state.get("last_reviewed"))
        if last is not None and when < last:
            return
        card = held[0] if held is not None else _to_card(state)
        reviews, lapses = int(state.get("reviews", 0)), int(state.get("lapses", 0))
    reviewed, _log = sched.review_card(card, Rating(rating), when)
    live[key] = (reviewed, when)
    new: dict[str, Any] = state if state is not None else {}
    new.update(kind=kind, title=title, last_rating=rating, last_why=reason[:REASON_CHARS],
               last_score=round(float(score), 1), reviews=reviews + 1,
               # a lapse is forgetting something once learnt, as in Anki: a first failure is not one
               lapses=lapses + (1 if rating == AGAIN and reviews > 0 else 0))
    out[key] = new


def _item_reason(attempt: Attempt) -> str:
    """What went wrong (or was flagged), in the grader's words: the first flag, else the verdict's text."""
    for flag in attempt.flags:
        if flag.get("message"):
            return _first_line(str(flag["message"]))
    detail = attempt.detail
    if attempt.kind == "sql":
        feedback = detail.get("feedback")
        if isinstance(feedback, str) and feedback.strip():
            return _first_line(feedback)
        if isinstance(feedback, list) and feedback and str(feedback[0]).strip():
            return _first_line(str(feedback[0]))
        diffs = detail.get("logic_diff")
        if isinstance(diffs, list) and diffs and isinstance(diffs[0], Mapping) and diffs[0].get("message"):
            return _first_line(str(diffs[0]["message"]))
        return ""
    for flag in detail.get("red_flags") or ():
        if isinstance(flag, Mapping) and flag.get("message"):
            return _first_line(str(flag["message"]))
    return ""


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def ago(then: dt.date, today: dt.date) -> str:
    """A relative day, as a candidate says it.

    Example:
        >>> ago(dt.date(2026, 5, 1), dt.date(2026, 5, 3)), ago(dt.date(2026, 5, 2), dt.date(2026, 5, 3))
        ('2 days ago', 'yesterday')
    """
    days = (today - then).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def why(key: str, state: Mapping[str, Any], today: dt.date) -> str:
    """Why a card needs review, with the relative day computed now (the card stores the raw reason).

    Example:
        >>> why("dim:tradeoffs", {"kind": "skill", "title": "Trade-off quantification", "last_rating": 1,
        ...                       "last_score": 42.0, "last_reviewed": "2026-05-01T09:00:00+00:00"},
        ...     dt.date(2026, 5, 3))
        'weak skill: Trade-off quantification (latest 42/100)'
    """
    rating = int(state.get("last_rating", GOOD))
    last = _parse(state.get("last_reviewed"))
    when = ago(last.date(), today) if last is not None else "earlier"
    if key.startswith("dim:"):
        label = "weak skill" if rating <= HARD else "skill check"
        return f"{label}: {state.get('title', key)} (latest {float(state.get('last_score', 0.0)):.0f}/100)"
    if key.startswith("topic:"):
        if rating == AGAIN:
            return f"weak skill: {state.get('title', key)} (wrong {when})"
        return f"skill check: {state.get('title', key)} (right {when})"
    reason = str(state.get("last_why") or "")
    head = f"{VERBS.get(rating, 'reviewed')} {when}"
    return f"{head}: {reason}" if reason else head


def _placed(card: Card, nxt: dt.date, today: dt.date, interview: dt.date | None, sched: Scheduler,
            desired_retention: float) -> dt.date:
    """The review date after the interview placement: the last review before the interview lands on the day
    before it (today if that is past), a card due after it is brought forward; never before today."""
    if interview is None or interview < today:
        return nxt
    anchor = max(today, interview - dt.timedelta(days=1))
    if nxt < anchor and (anchor - nxt).days <= MERGE_DAYS:
        # the last review before the interview a day or two early would be repeated on the day before:
        # hold it to that day instead, one review at the freshest point rather than two back to back
        projected, _log = sched.review_card(card, Rating.Good, dt.datetime.combine(nxt, _time_of_day(card)))
        if projected.due.date() > anchor:
            return anchor
    if nxt <= anchor:
        return nxt
    if card.last_review is not None and card.last_review.date() >= anchor:
        return nxt                          # already reviewed on the freshest day
    if nxt > interview:
        return anchor
    on_the_day = dt.datetime.combine(interview, _time_of_day(card))
    if sched.get_card_retrievability(card, on_the_day) < desired_retention:
        return anchor
    return nxt


def _time_of_day(card: Card) -> dt.time:
    # projected reviews keep the time of day of the last one, so FSRS's elapsed days equal calendar days
    base = card.last_review or card.due
    return base.timetz()


def due(cards: Mapping[str, Mapping[str, Any]], *, now: dt.datetime, interview_date: dt.date | None = None,
        desired_retention: float = 0.9, limit: int | None = None) -> list[DueItem]:
    """The cards due by now's (UTC) date, most overdue and least recalled first.

    With an interview date, a card whose next review would fall after it (or leave it below the desired
    retention on the day) is due the day before the interview instead (today if that is past).

    Example:
        >>> t = dt.datetime(2026, 5, 1, 9, tzinfo=UTC)
        >>> cards = apply({}, [Attempt("case:c1", "case", "C1", "...", False, 40.0, t)])
        >>> [d.id for d in due(cards, now=t)], [d.id for d in due(cards, now=t + dt.timedelta(days=1))]
        ([], ['case:c1'])
    """
    now_utc = _utc(now)
    today = now_utc.date()
    sched = _scheduler(desired_retention)
    out: list[DueItem] = []
    for key, state in cards.items():
        card = _to_card(state)
        when = _placed(card, card.due.date(), today, interview_date, sched, desired_retention)
        if when > today:
            continue
        out.append(DueItem(key, str(state.get("kind", "item")), when, why(key, state, today),
                           sched.get_card_retrievability(card, now_utc), title=str(state.get("title", ""))))
    out.sort(key=lambda d: (d.due, d.retrievability, d.id))
    return out if limit is None else out[:limit]


def schedule(cards: Mapping[str, Mapping[str, Any]], *, today: dt.date, until: dt.date,
             interview_date: dt.date | None, desired_retention: float = 0.9) -> dict[dt.date, list[DueItem]]:
    """Every card's review dates from today to ``until``, assuming each review goes Good, for the planner.

    Overdue cards are due today; the interview placement of ``due`` applies; a card is listed at most once
    a day. Each day is sorted by lowest retrievability first.

    Example:
        >>> t = dt.datetime(2026, 5, 1, 9, tzinfo=UTC)
        >>> cards = apply({}, [Attempt("case:c1", "case", "C1", "...", False, 40.0, t)])
        >>> days = schedule(cards, today=dt.date(2026, 5, 1), until=dt.date(2026, 5, 20), interview_date=None)
        >>> [d.isoformat() for d in days]
        ['2026-05-02', '2026-05-04', '2026-05-10']
    """
    sched = _scheduler(desired_retention)
    days: dict[dt.date, dict[str, DueItem]] = {}
    for key in sorted(cards):
        state = cards[key]
        card = _to_card(state)
        tod = _time_of_day(card)
        base_why = why(key, state, today)
        kind, title = str(state.get("kind", "item")), str(state.get("title", ""))
        first = True
        while True:
            natural = max(today, card.due.date())
            when = _placed(card, natural, today, interview_date, sched, desired_retention)
            if when > until:
                break
            at = dt.datetime.combine(when, tod)
            text = base_why if first else f"follow-up: {base_why}"
            if when != natural:
                text += "; placed the day before the interview so it is fresh"
            day = days.setdefault(when, {})
            if key not in day:
                day[key] = DueItem(key, kind, when, text, sched.get_card_retrievability(card, at), title=title)
            card, _log = sched.review_card(card, Rating.Good, at)
            first = False
    return {d: sorted(items.values(), key=lambda x: (x.retrievability, x.id)) for d, items in sorted(days.items())}


def skills_of(item: CatalogItem) -> tuple[str, ...]:
    """The skill cards an item exercises: its committee dimensions, and its topics when it is SQL.

    Example:
        >>> skills_of(CatalogItem("sql:q", "sql", "Q", topics=("joins",), dimensions=("sql_logic",)))
        ('dim:sql_logic', 'topic:joins')
    """
    keys = [f"dim:{d}" for d in item.dimensions]
    if item.kind == "sql":
        keys += [f"topic:{t}" for t in item.topics]
    return tuple(dict.fromkeys(keys))


def skill_index(catalog: Sequence[CatalogItem]) -> dict[str, list[CatalogItem]]:
    """Skill key -> the catalog items that exercise it (ad-hoc items never; they cannot be served again).

    Example:
        >>> cat = [CatalogItem("sql:q", "sql", "Q", topics=("joins",), dimensions=("sql_logic",)),
        ...        CatalogItem("sql:adhoc-1f", "sql", "Pasted", topics=("joins",))]
        >>> {key: [c.id for c in items] for key, items in skill_index(cat).items()}
        {'dim:sql_logic': ['sql:q'], 'topic:joins': ['sql:q']}
    """
    index: dict[str, list[CatalogItem]] = {}
    for item in catalog:
        if not is_adhoc(item.id):
            for key in skills_of(item):
                index.setdefault(key, []).append(item)
    return index


def serve(due_items: Sequence[DueItem], catalog: Sequence[CatalogItem], recent: Mapping[str, dt.datetime], *,
          index: Mapping[str, Sequence[CatalogItem]] | None = None) -> list[DueItem]:
    """Skills are practised through items: map each due skill to the best catalog item that exercises it.

    The best item has the skill among its dimensions (or, for an SQL topic, its topics) and was attempted
    least recently (never is best). No item is listed twice: when every candidate is taken, the item
    already listed says it also covers the skill; a skill no item exercises stays as it is. ``index`` (from
    ``skill_index(catalog)``) saves rebuilding it when serving day after day.

    Example:
        >>> d = DueItem("dim:tradeoffs", "skill", dt.date(2026, 5, 2), "weak skill: Trade-offs", 0.8)
        >>> cat = [CatalogItem("case:a", "case", "A", dimensions=("tradeoffs",)),
        ...        CatalogItem("case:b", "case", "B", dimensions=("tradeoffs",))]
        >>> [(s.id, s.skill) for s in serve([d], cat, {"case:a": dt.datetime(2026, 5, 1, tzinfo=UTC)})]
        [('case:b', 'dim:tradeoffs')]
    """
    by_skill = index if index is not None else skill_index(catalog)
    # items due in their own right are placed first, so a skill never takes an item that is due anyway
    slots: list[DueItem | None] = []
    position: dict[str, int] = {}
    skills: list[tuple[int, DueItem]] = []
    for d in due_items:
        if d.kind == "skill":
            skills.append((len(slots), d))
            slots.append(None)
        elif d.id not in position:
            position[d.id] = len(slots)
            slots.append(d)
    covering: set[int] = set()            # slots whose why already lists skills they cover
    for slot, d in skills:
        candidates = by_skill.get(d.id, ())
        free = [c for c in candidates if c.id not in position]
        if free:
            best = min(free, key=lambda c: (_stamp(recent.get(c.id)), c.difficulty, c.minutes, c.id))
            position[best.id] = slot
            slots[slot] = DueItem(best.id, "item", d.due, d.why, d.retrievability, title=best.title, skill=d.id)
            continue
        listed = next((position[c.id] for c in candidates if c.id in position), None)
        if listed is None:
            slots[slot] = d
            continue
        held = slots[listed]
        assert held is not None
        joiner = ", " if listed in covering else "; also covers "
        covering.add(listed)
        slots[listed] = replace(held, why=f"{held.why}{joiner}{d.title or d.id}")
    return [d for d in slots if d is not None]


def _stamp(value: dt.datetime | None) -> float:
    # never attempted sorts before any attempt
    return _utc(value).timestamp() if value is not None else float("-inf")

