"""The adaptive day-by-day study plan up to the interview: reviews first, the preparation checklist, mocks.

The rest of each day goes to the weakest dimensions and SQL topics; re-planning is calling build_plan again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pmdrill.core.coach.dimensions import COMMITTEE, TITLES
from pmdrill.core.coach.records import CatalogItem
from pmdrill.core.coach.review import DueItem, serve, skill_index, skills_of
from pmdrill.core.items import is_adhoc, split_id

UTC = dt.UTC
DEFAULT_DAYS = 30                 # the horizon when there is no interview date
MOCK_MINUTES = 45
MOCK_ID = "mock:mixed"
MOCKS = 2                         # full mocks in the last week
MOCK_WINDOW = 7
MOCK_GAP = 3                      # days between the two mocks, so the debrief of the first can be worked on
KPI_MINUTES = 5
REVIEW_MINUTES = 10               # a review of an item the catalog no longer lists
REVIEW_SHARE = 0.5                # reviews may take half a day, so new practice still happens; all of the last
CHECKLIST_SHARE = 0.6             # the checklist spreads over the first days, beside the weak-area practice
REPEAT_GAP = 3                    # a planned item is not planned again within this many days
FLOOR = 0.1                       # even a strong skill keeps a little practice
UNTESTED_DIM = (0.7, 0.35)        # weight of an untested dimension in the first third of the plan, then after
UNTESTED_TOPIC = (0.6, 0.3)       # the same for an SQL topic (topics only compete among themselves)
SQL_DIMS = ("dim:sql_logic", "dim:sql_correctness")
NEVER = dt.datetime(2000, 1, 1, tzinfo=UTC)   # "attempted at some point before the plan"
LATER = dt.datetime(9999, 1, 1, tzinfo=UTC)
WEAK_BELOW = 65.0
VOCABULARY = ("course_completion_rate", "time_to_first_milestone", "certification_velocity")
DELTA_DRILLS = 3
SQL_JOIN_TOPICS = frozenset({"joins", "aggregation"})
SQL_MODEL_TOPICS = frozenset({"subscriptions", "revenue"})


@dataclass(frozen=True)
class Task:
    """One thing to do on a day, and why it is there."""

    kind: str                     # review | kpi | mock | sql | case | est | exp
    id: str
    title: str
    minutes: int
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "title": self.title, "minutes": self.minutes, "why": self.why}


@dataclass
class PlanDay:
    date: dt.date
    tasks: list[Task] = field(default_factory=list)
    rest: bool = False

    @property
    def minutes(self) -> int:
        return sum(t.minutes for t in self.tasks)

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "minutes": self.minutes, "tasks": [t.to_dict() for t in self.tasks],
                "rest": self.rest, "weekday": self.date.strftime("%a")}


@dataclass
class Plan:
    """The plan from ``start`` to the day before the interview; ``to_dict`` is the public JSON shape."""

    start: dt.date
    interview_date: dt.date | None
    hours_per_day: float
    rest_days: frozenset[int]
    days: list[PlanDay]
    checklist: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(),
                "interview_date": self.interview_date.isoformat() if self.interview_date else None,
                "hours_per_day": self.hours_per_day, "rest_days": sorted(self.rest_days),
                "days": [d.to_dict() for d in self.days], "checklist": [dict(c) for c in self.checklist]}


@dataclass
class _Step:
    name: str
    tasks: list[Task]
    done: bool                    # already covered by past attempts


class _Skills:
    """Weakness of each dimension and SQL topic, from progress(): the planner's weights and its reasons.

    Two levels, so a dozen SQL topics do not outvote the seven dimensions: dimensions compete for the day,
    and when an SQL dimension wins, the topics compete for which SQL item it is. A weak topic also pulls
    the SQL dimensions up to its own weakness.
    """

    def __init__(self, progress: Mapping[str, Any], catalog: Sequence[CatalogItem], n_days: int) -> None:
        self.dims: Mapping[str, Any] = progress.get("dimensions") or {}
        self.topics: Mapping[str, Any] = progress.get("topics") or {}
        self.weakest = set(progress.get("weakest") or ())
        self.early_days = max(1, n_days // 3)
        self.items = skill_index(catalog)
        self.areas = [f"dim:{d}" for d in COMMITTEE if f"dim:{d}" in self.items]
        self.topic_keys = sorted(k for k in self.items if k.startswith("topic:"))
        self._weights = {early: {k: self._weight(k, early) for k in self.areas + self.topic_keys}
                         for early in (True, False)}
        pull = max((self._weight(k, True) for k in self.topic_keys if self.value(k) is not None), default=0.0)
        for weights in self._weights.values():
            for k in SQL_DIMS:
                if k in weights:
                    weights[k] = max(weights[k], pull)

    def value(self, key: str) -> float | None:
        """The skill's level 0-100, None when never measured."""
        name = key.split(":", 1)[1]
        if key.startswith("dim:"):
            latest = (self.dims.get(name) or {}).get("latest")
            return None if latest is None else float(latest)
        info = self.topics.get(name)
        return None if not info or not info.get("attempts") else 100.0 * float(info["accuracy"])

    def _weight(self, key: str, early: bool) -> float:
        value = self.value(key)
        if value is None:
            # untested counts as weak early on: find out before polishing what is known
            pair = UNTESTED_DIM if key.startswith("dim:") else UNTESTED_TOPIC
            return pair[0] if early else pair[1]
        return max(FLOOR, min(1.0, (100.0 - value) / 100.0))

    def weight(self, key: str, day_index: int) -> float:
        return self._weights[day_index < self.early_days][key]

    def reason(self, key: str) -> str:
        name = key.split(":", 1)[1]
        value = self.value(key)
        if key.startswith("dim:"):
            title = TITLES.get(name, name)
            if value is None:
                return f"untested dimension: {title} (no score yet)"
            label = ("keep sharp" if value >= WEAK_BELOW
                     else "weakest dimension" if name in self.weakest else "weak dimension")
            return f"{label}: {title} ({value:.0f}/100)"
        if value is None:
            return f"untested SQL topic: {name}"
        info = self.topics[name]
        label = ("keep sharp: SQL topic" if value >= WEAK_BELOW
                 else "weakest SQL topic" if name in self.weakest else "weak SQL topic")
        return f"{label}: {name} ({info['correct']}/{info['attempts']} right)"


class _Planner:
    """The bookkeeping of one build_plan call: budgets, what is planned where, how often each skill came up."""

    def __init__(self, dates: list[dt.date], rest_days: frozenset[int], budget: int, catalog: Sequence[CatalogItem],
                 skills: _Skills, attempted: Mapping[str, int]) -> None:
        self.days = [PlanDay(d, rest=d.weekday() in rest_days) for d in dates]
        self.budget = budget
        self.catalog = {c.id: c for c in catalog}
        self.skills = skills
        self.attempted = attempted
        self.planned: dict[str, int] = {}
        self.last_planned: dict[str, int] = {}
        self.counts: dict[str, int] = dict.fromkeys(skills.areas + skills.topic_keys, 0)
        self.ids: list[set[str]] = [set() for _ in dates]
        self.spent: list[int] = [0 for _ in dates]
        self.reserved: set[str] = set()   # checklist items not placed yet: weak-area practice leaves them be
        # serve() prefers the item used longest ago: items attempted before the plan rank as long ago
        self.recent: dict[str, dt.datetime] = {item_id: NEVER for item_id, n in attempted.items() if n > 0}

    def left(self, i: int) -> int:
        return 0 if self.days[i].rest else self.budget - self.spent[i]

    def fits(self, i: int, task: Task) -> bool:
        return task.id not in self.ids[i] and task.minutes <= self.left(i)

    def put(self, i: int, task: Task, *, target: str | None = None) -> None:
        self.days[i].tasks.append(task)
        self.ids[i].add(task.id)
        self.spent[i] += task.minutes
        self.planned[task.id] = self.planned.get(task.id, 0) + 1
        self.last_planned[task.id] = i
        self.recent[task.id] = dt.datetime.combine(self.days[i].date, dt.time(12), UTC)
        item = self.catalog.get(task.id)
        keys = set(skills_of(item)) if item is not None else set()
        if target is not None:
            keys.add(target)          # the area that asked for it counts even if the item does not list it
        for key in keys:
            if key in self.counts:
                self.counts[key] += 1

    def item_task(self, item: CatalogItem, why: str) -> Task:
        return Task(item.kind, item.id, item.title, max(1, int(item.minutes)), why)


def build_plan(*, today: dt.date, interview_date: dt.date | None, hours_per_day: float, rest_days: frozenset[int],
               catalog: Sequence[CatalogItem], progress: dict[str, Any], reviews: Mapping[dt.date, list[DueItem]],
               attempted: Mapping[str, int], kpi_ids: Sequence[str]) -> Plan:
    """A day-by-day plan from today to the day before the interview (30 days without a date).

    Each working day: a full mock on two days of the last week (the last one at least two days before the
    interview), the FSRS reviews due that day, the preparation checklist in order (foundations first), then
    items for the weakest dimensions and SQL topics, new items before repeats. Never over the daily budget.

    Example:
        >>> cat = [CatalogItem("case:fly", "case", "Flywheel", topics=("flywheel",), minutes=15,
        ...                    dimensions=("signal_selection",))]
        >>> plan = build_plan(today=dt.date(2026, 5, 4), interview_date=dt.date(2026, 5, 8), hours_per_day=1.0,
        ...                   rest_days=frozenset(), catalog=cat, progress={}, reviews={}, attempted={},
        ...                   kpi_ids=["course_completion_rate"])
        >>> [[t.id for t in d.tasks] for d in plan.days]        # doctest: +NORMALIZE_WHITESPACE
        [['case:fly', 'kpi:course_completion_rate'], ['mock:mixed', 'kpi:course_completion_rate'],
         ['mock:mixed'], ['case:fly']]
        >>> plan.days[1].tasks[1].why
        'Delta drill: say what +5% and -5% of Course completion rate mean in learners and dollars'
        >>> [d.minutes for d in plan.days]
        [20, 50, 45, 15]
    """
    end = interview_date - dt.timedelta(days=1) if interview_date else today + dt.timedelta(days=DEFAULT_DAYS - 1)
    dates = [today + dt.timedelta(days=k) for k in range((end - today).days + 1)]
    budget = max(0, int(hours_per_day * 60 + 1e-9))
    skills = _Skills(progress, catalog, len(dates))
    planner = _Planner(dates, rest_days, budget, catalog, skills, attempted)
    kpis = [split_id(k)[1] for k in kpi_ids]
    steps = _checklist(planner, kpis)

    reference = interview_date or end + dt.timedelta(days=1)
    for i in _mock_days(planner, reference):
        planner.put(i, Task("mock", MOCK_ID, "Full mock round (mixed)", MOCK_MINUTES,
                            "checklist: a full mock round under time, to rehearse the whole analytical loop"))

    queues = _review_queues(planner, reviews, today)
    pending = [task for step in steps for task in step.tasks]
    planner.reserved = {task.id for task in pending}
    # checklist items still to come rank as just done, so a skill review does not use them up first
    planner.recent.update(dict.fromkeys(planner.reserved, LATER))
    backlog: list[DueItem] = []
    last_working = max((i for i, day in enumerate(planner.days) if not day.rest), default=-1)
    for i, day in enumerate(planner.days):
        if day.rest:
            continue
        backlog = _place_reviews(planner, i, backlog + queues[i], last=i == last_working)
        pending = _place_checklist(planner, i, pending)
        _fill(planner, i)
        # the day reads in the order it is done: reviews to warm up, then the rest as planned
        day.tasks.sort(key=lambda t: t.kind != "review")

    placed_on = {task: day.date.isoformat() for day in reversed(planner.days) for task in day.tasks}
    checklist = [{"step": s.name, "done": s.done, "tasks": [t.id for t in s.tasks],
                  "planned": min((placed_on[t] for t in s.tasks if t in placed_on), default=None)}
                 for s in steps]
    mocks = [day.date.isoformat() for day in planner.days if any(t.id == MOCK_ID for t in day.tasks)]
    checklist.append({"step": "full mocks", "done": False, "tasks": [MOCK_ID] * len(mocks),
                      "planned": mocks[0] if mocks else None})
    return Plan(today, interview_date, hours_per_day, frozenset(rest_days), planner.days, checklist)


def _place_checklist(planner: _Planner, i: int, pending: list[Task]) -> list[Task]:
    """Checklist tasks in order, first fit, up to CHECKLIST_SHARE of the day; returns those still to place."""
    room = max(0, int(planner.budget * CHECKLIST_SHARE))
    spent = 0
    waiting: list[Task] = []
    for task in pending:
        # at least one checklist task a day when it fits, however full the reviews left the day
        if (spent + task.minutes <= room or spent == 0) and planner.fits(i, task):
            planner.put(i, task)
            spent += task.minutes
        else:
            waiting.append(task)
    planner.reserved = {task.id for task in waiting}
    return waiting


def _humanise(kpi: str) -> str:
    return kpi.replace("_", " ").capitalize()


def _checklist(planner: _Planner, kpis: Sequence[str]) -> list[_Step]:
    """The analytical loop's preparation checklist, foundations first (mocks are placed separately)."""
    catalog = list(planner.catalog.values())
    steps: list[_Step] = []

    def pick(name: str, want: int, why: str, match: Callable[[CatalogItem], int]) -> None:
        # match() ranks how well an item fits the step (0: not at all); done ones count towards `want`
        fitting = [c for c in catalog if match(c) > 0 and not is_adhoc(c.id)]
        done = sum(1 for c in fitting if planner.attempted.get(c.id, 0) > 0)
        fresh = sorted((c for c in fitting if planner.attempted.get(c.id, 0) == 0),
                       key=lambda c: (-match(c), c.difficulty, c.minutes, c.id))
        need = max(0, want - done)
        steps.append(_Step(name, [planner.item_task(c, why) for c in fresh[:need]], done=need == 0 and done > 0))

    def case_with(topic: str) -> Callable[[CatalogItem], int]:
        return lambda c: int(c.kind == "case" and topic in c.topics)

    def kpi_task(kpi: str, why: Callable[[str], str]) -> Task:
        item = planner.catalog.get(f"kpi:{kpi}")
        title = item.title if item else _humanise(kpi)
        return Task("kpi", f"kpi:{kpi}", title, item.minutes if item else KPI_MINUTES, why(title))

    def subscription_sql(c: CatalogItem) -> int:
        if c.kind != "sql":
            return 0
        joins, model = bool(SQL_JOIN_TOPICS & set(c.topics)), bool(SQL_MODEL_TOPICS & set(c.topics))
        return 2 if joins and model else int(joins or model)

    pick("map the B2B2C flywheel", 1, "checklist: map the B2B2C flywheel (learners, educators, enterprises)",
         case_with("flywheel"))
    vocabulary = [k for k in VOCABULARY if k in kpis]
    steps.append(_Step("EdTech KPI vocabulary", [
        kpi_task(k, lambda title: f"checklist: EdTech KPI vocabulary: define {title} (population, window, "
                    "counter-metric)")
        for k in vocabulary if planner.attempted.get(f"kpi:{k}", 0) == 0],
        done=bool(vocabulary) and all(planner.attempted.get(f"kpi:{k}", 0) > 0 for k in vocabulary)))
    drills = [k for k in kpis if k not in VOCABULARY][:DELTA_DRILLS] or vocabulary[:DELTA_DRILLS]
    steps.append(_Step("Delta Framework drills", [
        kpi_task(k, lambda title: f"Delta drill: say what +5% and -5% of {title} mean in learners and dollars")
        for k in drills], done=False))
    pick("SQL on joins and aggregations for a subscription model", 2,
         "checklist: mock SQL on joins and aggregations over the subscription model", subscription_sql)
    pick("critique a vanity metric", 1, "checklist: critique a feature's vanity metric (what it hides, what "
         "to track instead)", case_with("critique"))
    pick("experiment read-outs", 2, "checklist: read out an experiment (SRM, intervals, guardrails, the call)",
         case_with("experiment"))
    pick("estimation", 1, "checklist: a market-sizing estimate, out loud, with a sanity check",
         lambda c: int(c.kind == "est"))
    return steps


def _mock_days(planner: _Planner, interview: dt.date) -> list[int]:
    """Indexes of the mock days: the last allowed day of the final week and one about MOCK_GAP days before."""
    if not planner.days:
        return []
    end = planner.days[-1].date
    latest = interview - dt.timedelta(days=2)
    window_start = end - dt.timedelta(days=MOCK_WINDOW - 1)
    allowed = [i for i, d in enumerate(planner.days)
               if window_start <= d.date <= latest and not d.rest and planner.budget >= MOCK_MINUTES]
    chosen: list[int] = []
    while allowed and len(chosen) < MOCKS:
        if chosen:
            spaced = [i for i in allowed if i <= chosen[-1] - MOCK_GAP]
            nxt = spaced[-1] if spaced else allowed[-1]
        else:
            nxt = allowed[-1]
        chosen.append(nxt)
        allowed.remove(nxt)
    return sorted(chosen)


def _estimate(planner: _Planner, due: DueItem) -> int:
    item = planner.catalog.get(due.id)
    if item is not None:
        return item.minutes
    candidates = planner.skills.items.get(due.id)
    return min((c.minutes for c in candidates), default=REVIEW_MINUTES) if candidates else REVIEW_MINUTES


def _review_queues(planner: _Planner, reviews: Mapping[dt.date, list[DueItem]], today: dt.date) -> list[list[DueItem]]:
    """Reviews per plan day: overdue ones today, rest days' on the next working day, and what the last day
    (the interview placement) cannot hold moved to the working days before it."""
    days = planner.days
    queues: list[list[DueItem]] = [[] for _ in days]
    if not days:
        return queues
    working = [i for i, d in enumerate(days) if not d.rest]
    if not working:
        return queues
    index = {d.date: i for i, d in enumerate(days)}
    for when in sorted(reviews):
        if when > days[-1].date:
            continue
        i = index.get(max(when, today), 0)
        target = next((w for w in working if w >= i), working[-1])
        queues[target].extend(reviews[when])
    last = working[-1]
    # the last day holds the least-recalled reviews; the rest go back one working day at a time
    overflow = sorted(queues[last], key=lambda d: (d.retrievability, d.id))
    for i in reversed(working):
        cap = planner.budget if i == last else int(planner.budget * REVIEW_SHARE)
        kept: list[DueItem] = list(queues[i]) if i != last else []
        room = cap - sum(_estimate(planner, d) for d in kept)
        moved: list[DueItem] = []
        for d in overflow:
            minutes = _estimate(planner, d)
            if minutes <= room:
                kept.append(d)
                room -= minutes
            else:
                moved.append(d)
        queues[i] = kept
        overflow = moved
        if not overflow:
            break
    return queues


def _place_reviews(planner: _Planner, i: int, due_items: list[DueItem], *, last: bool) -> list[DueItem]:
    """Put the day's reviews (skills served through items) up to the review share; return what waits."""
    unique: dict[str, DueItem] = {}
    for d in due_items:
        unique.setdefault(d.id, d)
    cap = planner.left(i) if last else min(planner.left(i), int(planner.budget * REVIEW_SHARE))
    spent = 0
    waiting: list[DueItem] = []
    for d in serve(list(unique.values()), (), planner.recent, index=planner.skills.items):
        if d.kind == "skill":
            continue                      # nothing in the catalog practises it
        item = planner.catalog.get(d.id)
        task = Task("review", d.id, item.title if item else (d.title or d.id),
                    max(1, item.minutes if item else REVIEW_MINUTES), f"review due: {d.why}")
        if task.id in planner.ids[i]:
            continue
        if spent + task.minutes <= cap and planner.fits(i, task):
            planner.put(i, task)
            spent += task.minutes
        else:
            waiting.append(unique.get(d.skill or d.id, d))
    return waiting


def _fill(planner: _Planner, i: int) -> None:
    """The rest of the day, by D'Hondt over the weaknesses: a skill twice as weak gets about twice the tasks."""
    skills = planner.skills
    blocked: set[str] = set()
    while planner.left(i) > 0:
        live = [k for k in skills.areas if k not in blocked]
        if not live:
            return
        area = max(live, key=lambda k: skills.weight(k, i) / (planner.counts[k] + 1))
        picked = _choose_sql(planner, i, area) if area in SQL_DIMS and skills.topic_keys else None
        if picked is None:
            item, key = _choose(planner, i, area), area
        else:
            item, key = picked
        if item is None:
            blocked.add(area)
            continue
        done, before = planner.attempted.get(item.id, 0), planner.last_planned.get(item.id)
        if done:
            novelty = f"repeat (attempted {done}x)"
        elif before is not None:
            novelty = f"second pass (first planned {planner.days[before].date.isoformat()})"
        else:
            novelty = "not attempted yet"
        planner.put(i, planner.item_task(item, f"{skills.reason(key)}; {novelty}"), target=area)


def _choose_sql(planner: _Planner, i: int, area: str) -> tuple[CatalogItem, str] | None:
    """Within SQL, the topic weakest for how often it came up picks the item; the reason names whichever of
    the dimension and the topic is weaker."""
    skills = planner.skills
    ranked = sorted(skills.topic_keys, key=lambda k: (-skills.weight(k, i) / (planner.counts[k] + 1), k))
    for topic in ranked:
        item = _choose(planner, i, topic)
        if item is not None:
            return item, topic if skills.weight(topic, i) >= skills.weight(area, i) else area
    return None


def _choose(planner: _Planner, i: int, key: str) -> CatalogItem | None:
    """New items before repeats, easier before harder; never twice within REPEAT_GAP days nor over the day."""
    left = planner.left(i)
    best: CatalogItem | None = None
    best_rank: tuple[int, int, int, str] | None = None
    for item in planner.skills.items.get(key, ()):
        if item.id in planner.ids[i] or item.id in planner.reserved or not 1 <= item.minutes <= left:
            continue
        last = planner.last_planned.get(item.id)
        if last is not None and i - last < REPEAT_GAP:
            continue
        rank = (planner.attempted.get(item.id, 0) + planner.planned.get(item.id, 0), item.difficulty,
                item.minutes, item.id)
        if best_rank is None or rank < best_rank:
            best, best_rank = item, rank
    return best
