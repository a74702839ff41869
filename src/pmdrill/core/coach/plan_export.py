"""The study plan as files: an iCalendar feed (one all-day event per day with tasks) and a Markdown checklist.

Both are deterministic for the same plan, so re-importing a re-plan updates events instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from pmdrill.core.coach.plan import Plan, PlanDay

UTC = dt.UTC


def _stamp(plan: Plan) -> dt.datetime:
    # DTSTAMP is required; the plan's start (not the wall clock) keeps the bytes reproducible
    return dt.datetime.combine(plan.start, dt.time(0), UTC)


def _summary(day: PlanDay) -> str:
    n = len(day.tasks)
    return f"pmdrill: {n} task{'s' if n != 1 else ''} ({day.minutes} min)"


def to_ics(plan: Plan) -> bytes:
    """An iCalendar file: one all-day event per day with tasks (UID "<date>@pmdrill") and the interview.

    Example:
        >>> from pmdrill.core.coach.plan import Task
        >>> day = PlanDay(dt.date(2026, 5, 4), [Task("kpi", "kpi:x", "X", 5, "why")])
        >>> plan = Plan(dt.date(2026, 5, 4), dt.date(2026, 5, 6), 1.0, frozenset(), [day, PlanDay(dt.date(2026, 5, 5))])
        >>> events = Calendar.from_ical(to_ics(plan)).walk("VEVENT")
        >>> [(str(e["uid"]), str(e["summary"])) for e in events]
        [('2026-05-04@pmdrill', 'pmdrill: 1 task (5 min)'), ('interview-2026-05-06@pmdrill', 'Interview day')]
    """
    cal = Calendar()
    cal.add("prodid", "-//pmdrill//study plan//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "pmdrill study plan")
    stamp = _stamp(plan)
    for day in plan.days:
        if not day.tasks:
            continue
        lines = [f"- [{t.kind}] {t.title} ({t.minutes} min) [{t.id}]: {t.why}" for t in day.tasks]
        cal.add_component(_event(f"{day.date.isoformat()}@pmdrill", day.date, _summary(day), "\n".join(lines),
                                 stamp))
    if plan.interview_date is not None:
        cal.add_component(_event(f"interview-{plan.interview_date.isoformat()}@pmdrill", plan.interview_date,
                                 "Interview day", "The product-manager analytical interview. Good luck.", stamp))
    return bytes(cal.to_ical())


def _event(uid: str, day: dt.date, summary: str, description: str, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")      # a study block should not mark the whole day busy
    return event


def to_markdown(plan: Plan) -> str:
    """The plan as Markdown: a heading per calendar week (from Monday), a checkbox line per task.

    Example:
        >>> from pmdrill.core.coach.plan import Task
        >>> day = PlanDay(dt.date(2026, 5, 4), [Task("kpi", "kpi:x", "X", 5, "why")])
        >>> print(to_markdown(Plan(dt.date(2026, 5, 4), None, 1.0, frozenset({6}), [day])))
        # pmdrill study plan from 2026-05-04
        <BLANKLINE>
        ## Week of 2026-05-04
        <BLANKLINE>
        ### Mon 2026-05-04 (5 min)
        <BLANKLINE>
        - [ ] kpi: X (5 min) — why
        <BLANKLINE>
    """
    until = f" to the interview on {plan.interview_date.isoformat()}" if plan.interview_date else ""
    out = [f"# pmdrill study plan from {plan.start.isoformat()}{until}", ""]
    week: dt.date | None = None
    for day in plan.days:
        monday = day.date - dt.timedelta(days=day.date.weekday())
        if monday != week:
            week = monday
            out += [f"## Week of {monday.isoformat()}", ""]
        label = f"{day.date.strftime('%a')} {day.date.isoformat()}"
        if day.rest:
            out += [f"### {label}: rest day", ""]
            continue
        out += [f"### {label} ({day.minutes} min)", ""]
        if not day.tasks:
            out += ["Nothing planned.", ""]
            continue
        out += [f"- [ ] {t.kind}: {t.title} ({t.minutes} min) — {t.why}" for t in day.tasks]
        out.append("")
    return "\n".join(out)
