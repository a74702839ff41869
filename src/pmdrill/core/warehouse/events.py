"""learning_events, the telemetry fact table, derived from module progress and attempts.

Each module a learner starts becomes sessions (app_open), video plays, reading views, quiz
starts/submits and the odd forum post, with minutes; plus app-level events, internal test account
noise, and one day of missing Android telemetry.
"""

from __future__ import annotations

import numpy as np

from pmdrill.core.warehouse.frames import NULL_ID, NULL_TS, Frame, concat, stable_argsort
from pmdrill.core.warehouse.params import DAY, HISTORY_START, B, day_number

EVENT_TYPES = ("app_open", "video_play", "reading_view", "quiz_start", "quiz_submit", "forum_post",
               "notification_open")
APP_OPEN, VIDEO, READING, QUIZ_START, QUIZ_SUBMIT, FORUM, NOTIF_OPEN = range(7)


def module_stop(progress: Frame, u: np.ndarray, end: int) -> np.ndarray:
    """When activity on a module row stops: its completion, or a few days after an abandoned start."""
    abandoned = progress["started_at"] + ((0.2 + 4.0 * u) * DAY).astype(np.int64) + progress["failed"] * DAY
    return np.minimum(np.where(progress["completed_at"] != NULL_TS, progress["completed_at"], abandoned), end - 1)


def build_events(rng: np.random.Generator, progress: Frame, attempts: Frame, enr: Frame, learners: Frame,
                 video_minutes: np.ndarray, app_level: Frame, as_of_day: int) -> Frame:
    """Rows with learner, enrollment (row index or NULL_ID), module, event_at, event_type, platform, minutes."""
    end = (as_of_day + 1) * DAY
    n = len(progress["enrollment"])
    done = progress["completed_at"] != NULL_TS
    reached = progress["reached"]
    start = progress["started_at"]
    stop = progress["stop"]
    watch = video_minutes[progress["module"]] * np.where(reached, rng.uniform(1.0, 1.5, n), rng.uniform(0.05, 0.6, n))
    reading = np.where(reached, rng.gamma(3.0, 28.0, n), rng.gamma(1.0, 8.0, n))
    counts = {
        APP_OPEN: progress["sessions"],
        VIDEO: np.clip(np.round(watch / 12.0), 1, 20).astype(np.int64),
        READING: np.where(reached, 1 + rng.poisson(1.2, n), rng.poisson(0.3, n)),
        FORUM: (rng.random(n) < np.where(done, 0.14, 0.04)).astype(np.int64),
    }
    totals = {APP_OPEN: np.zeros(n), VIDEO: watch, READING: reading, FORUM: np.full(n, 8.0)}
    parts = []
    for kind, c in counts.items():
        owner = np.repeat(np.arange(n), c)
        at = start[owner] + (rng.random(len(owner)) * (stop[owner] - start[owner])).astype(np.int64)
        if kind == APP_OPEN:  # the first session opens the module
            first = np.r_[True, owner[1:] != owner[:-1]] if len(owner) else np.zeros(0, bool)
            at = np.where(first, start[owner], at)
        parts.append({"row": owner, "event_at": at, "event_type": np.full(len(owner), kind, np.int8),
                      "minutes": np.round(totals[kind][owner] / np.maximum(c[owner], 1), 2)})
    rows = concat(parts)
    ev: Frame = {"learner": enr["learner"][progress["enrollment"][rows["row"]]],
                 "enrollment": progress["enrollment"][rows["row"]],
                 "module": progress["module"][rows["row"]], "event_at": rows["event_at"],
                 "event_type": rows["event_type"], "minutes": rows["minutes"]}
    # quizzes: a start (instant) and a submit (the time spent) per attempt
    k = len(attempts["enrollment"])
    quiz_minutes = np.round(rng.uniform(12, 34, k), 2)
    more = [ev]  # concatenated once, in this order
    for kind, offset, minutes in ((QUIZ_START, -quiz_minutes * 60, np.zeros(k)), (QUIZ_SUBMIT, 0, quiz_minutes)):
        more.append({"learner": enr["learner"][attempts["enrollment"]], "enrollment": attempts["enrollment"],
                     "module": attempts["module"], "event_at": attempts["attempted_at"] + np.asarray(offset, np.int64),
                     "event_type": np.full(k, kind, np.int8), "minutes": minutes})
    more.append(app_level)
    more.append(_test_account_noise(rng, learners, end))
    ev = concat(more)
    m = len(ev["learner"])
    own = learners["signup_platform"][ev["learner"]]
    ev["platform"] = np.where(rng.random(m) < 0.75, own, rng.choice(3, m, p=[0.5, 0.22, 0.28])).astype(np.int8)
    ev["platform"] = np.where(ev["event_type"] == NOTIF_OPEN, np.maximum(ev["platform"], 1), ev["platform"])
    ev["event_at"] = np.maximum(ev["event_at"], learners["signed_up_at"][ev["learner"]] + 1)
    outage = day_number(HISTORY_START) + int(B["android_outage_day"])
    lost = (ev["platform"] == 2) & (ev["event_at"] // DAY == outage)
    keep = ~lost & (ev["event_at"] < end)
    order = np.flatnonzero(keep)
    order = order[stable_argsort(ev["event_at"][order])]
    return {key: v[order] for key, v in ev.items()}


def _test_account_noise(rng: np.random.Generator, learners: Frame, end: int) -> Frame:
    """QA accounts click everything, often: hundreds of short events with no learning behind them."""
    who = np.flatnonzero(learners["is_internal_test"])
    c = 150 + rng.poisson(250, len(who))
    owner = np.repeat(who, c)
    start = learners["signed_up_at"][owner]
    at = start + (rng.random(len(owner)) * (end - start)).astype(np.int64)
    kind = rng.choice([APP_OPEN, QUIZ_START, VIDEO], len(owner), p=[0.5, 0.3, 0.2]).astype(np.int8)
    return {"learner": owner, "enrollment": np.full(len(owner), NULL_ID), "module": np.full(len(owner), NULL_ID),
            "event_at": at, "event_type": kind, "minutes": np.where(kind == VIDEO, 0.5, 0.0)}
