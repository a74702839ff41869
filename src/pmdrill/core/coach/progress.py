"""What ``pmdrill progress`` shows: attempts by kind, dimension levels and trends, SQL topics, the streak.

One pass over the attempt history; pure and deterministic (the caller passes today).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from pmdrill.core.coach.dimensions import COMMITTEE, TITLES
from pmdrill.core.coach.records import Attempt

UTC = dt.UTC
EPOCH = dt.date(1970, 1, 1)
LATEST_WINDOW = 5        # "latest" is about now: only the last few scores count, the newest most
MIN_MEASURES = 2         # one score is noise; an area needs two before it is called weakest
WEAKEST = 3


def recency_mean(scores: Sequence[float]) -> float | None:
    """Mean of the last five scores, weighted 1..5 from oldest to newest (None when there are none).

    Example:
        >>> recency_mean([40, 60])          # (1*40 + 2*60) / 3
        53.3
        >>> recency_mean([0, 0, 10, 20, 30, 40, 50])
        36.7
    """
    window = list(scores)[-LATEST_WINDOW:]
    if not window:
        return None
    weights = range(1, len(window) + 1)
    return round(sum(w * s for w, s in zip(weights, window, strict=True)) / sum(weights), 1)


def streak(days: Iterable[dt.date], *, today: dt.date) -> dict[str, int]:
    """Current and longest runs of consecutive practice days; today not practised yet does not break a run.

    Example:
        >>> d = dt.date
        >>> streak([d(2026, 5, 1), d(2026, 5, 2), d(2026, 5, 3), d(2026, 5, 6), d(2026, 5, 7)],
        ...        today=d(2026, 5, 8))
        {'current': 2, 'longest': 3, 'days_practised': 5}
    """
    practised = set(days)
    start = today if today in practised else today - dt.timedelta(days=1)
    current = 0
    while start in practised:
        current += 1
        start -= dt.timedelta(days=1)
    longest = run = 0
    previous: dt.date | None = None
    for day in sorted(practised):
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, run)
        previous = day
    return {"current": current, "longest": longest, "days_practised": len(practised)}


def progress(attempts: Sequence[Attempt], *, today: dt.date, sql_topics: Iterable[str] = ()) -> dict[str, Any]:
    """Progress over the whole history. ``sql_topics`` (from the catalog) lets never-tried topics show as untested.

    ``latest`` of a dimension is the recency-weighted mean of its last five scores; ``weakest`` are the
    (at most three) dimensions and SQL topics lowest on latest / accuracy x 100 among those measured twice.

    Example:
        >>> t = dt.datetime(2026, 5, 1, 9, tzinfo=UTC)
        >>> p = progress([Attempt("sql:q", "sql", "Q", "", False, 0.0, t, topics=["joins"],
        ...                       dimensions={"sql_logic": 50.0}),
        ...               Attempt("sql:q", "sql", "Q", "", True, 100.0, t + dt.timedelta(days=1),
        ...                       topics=["joins"], dimensions={"sql_logic": 80.0})], today=dt.date(2026, 5, 2))
        >>> p["dimensions"]["sql_logic"]["latest"], p["topics"]["joins"], p["weakest"], p["streak"]["current"]
        (70.0, {'attempts': 2, 'correct': 1, 'accuracy': 0.5}, ['joins', 'sql_logic'], 2)
    """
    # practice days are UTC dates, whatever the candidate's time zone; as day numbers (epoch seconds // 86400)
    # they cost far less than a date object per attempt
    stamps = [(a.submitted_at if a.submitted_at.tzinfo else a.submitted_at.replace(tzinfo=UTC)).timestamp()
              for a in attempts]
    order = sorted(range(len(attempts)), key=stamps.__getitem__)       # stable: ties keep the input order
    by_kind = Counter(a.kind for a in attempts)
    day_numbers: set[int] = set()
    scores: dict[str, list[float]] = {name: [] for name in COMMITTEE}
    daily: dict[str, dict[int, list[float]]] = {name: {} for name in COMMITTEE}
    topic_counts: dict[str, list[int]] = {}
    for i in order:
        attempt = attempts[i]
        day = int(stamps[i] // 86400)
        day_numbers.add(day)
        for name, score in attempt.dimensions.items():
            if name in scores:
                value = float(score)
                scores[name].append(value)
                acc = daily[name].get(day)
                if acc is None:
                    daily[name][day] = [value, 1.0]
                else:
                    acc[0] += value
                    acc[1] += 1
        if attempt.kind == "sql":
            for topic in dict.fromkeys(attempt.topics):
                counts = topic_counts.setdefault(topic, [0, 0])
                counts[0] += 1
                counts[1] += 1 if attempt.passed else 0
    dates = {n: EPOCH + dt.timedelta(days=n) for n in day_numbers}
    iso = {n: d.isoformat() for n, d in dates.items()}

    dimensions: dict[str, dict[str, Any]] = {}
    for name in COMMITTEE:
        trend = [{"date": iso[d], "value": round(s / n, 1)} for d, (s, n) in sorted(daily[name].items())]
        dimensions[name] = {"title": TITLES[name], "latest": recency_mean(scores[name]), "trend": trend,
                            "n": len(scores[name])}
    topics = {t: {"attempts": n, "correct": c, "accuracy": round(c / n, 3)}
              for t, (n, c) in sorted(topic_counts.items())}

    ranked: list[tuple[float, int, str, dict[str, Any]]] = []
    for name, info in dimensions.items():
        if info["n"] >= MIN_MEASURES and info["latest"] is not None:
            ranked.append((info["latest"], 0, name, {"name": name, "kind": "dimension", "title": info["title"],
                                                     "value": info["latest"]}))
    for topic, tinfo in topics.items():
        if tinfo["attempts"] >= MIN_MEASURES:
            value = round(100.0 * tinfo["accuracy"], 1)
            ranked.append((value, 1, topic, {"name": topic, "kind": "topic", "title": f"SQL {topic}",
                                             "value": value}))
    ranked.sort(key=lambda row: (row[0], row[1], row[2]))
    weakest = ranked[:WEAKEST]
    untested = [name for name in COMMITTEE if not scores[name]]
    untested += sorted(t for t in set(sql_topics) if t not in topics)

    return {"attempts": len(attempts), "by_kind": dict(sorted(by_kind.items())), "dimensions": dimensions,
            "topics": topics, "weakest": [row[2] for row in weakest],
            "weakest_detail": [row[3] for row in weakest], "untested": untested,
            "streak": streak(dates.values(), today=today),
            "last_practised": iso[max(day_numbers)] if day_numbers else None}
