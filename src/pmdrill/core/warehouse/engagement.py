"""Notifications (campaigns, opens, unsubscribes), recommendations, course reviews, career outcomes.

Opens of notifications become app-level events; a learner who unsubscribes from a channel gets no
further messages on it.
"""

from __future__ import annotations

import numpy as np

from pmdrill.core.warehouse.enrollments import S_RECOMMENDATION
from pmdrill.core.warehouse.events import APP_OPEN, NOTIF_OPEN
from pmdrill.core.warehouse.frames import NULL_ID, NULL_TS, Frame, concat, stable_argsort
from pmdrill.core.warehouse.params import DAY, B, balanced_bernoulli, sigmoid

CHANNELS = ("push", "email")
CAMPAIGNS = ("streak_reminder", "deadline_reminder", "new_course", "promo", "weekly_digest")
SURFACES = ("home", "course_page", "email")
OUTCOMES = ("new_job", "promotion", "raise", "skills_only", "no_benefit")
MODEL_V1, MODEL_V2 = "rec-v1.4", "rec-v2.0"


def build_notifications(rng: np.random.Generator, learners: Frame, enr: Frame, progress: Frame,
                        streak: Frame, as_of_day: int,
                        arm: tuple[np.ndarray, np.ndarray, int] | None = None) -> tuple[Frame, Frame]:
    """(notifications, app-level events). ``streak`` holds the streak_push sends (learner, sent_at).

    ``arm`` (per-learner streak_push arm, 0 none / 1 control / 2 treatment, per-learner assignment
    time, window end): push unsubscribes inside the window are drawn balanced within each arm, so a
    control arm's handful of unsubscribes never rounds to none.
    """
    end = (as_of_day + 1) * DAY
    n_l = len(learners["signed_up_at"])
    real = ~learners["is_internal_test"]
    life_days = np.maximum(end - learners["signed_up_at"], 0) / DAY
    parts = []
    # marketing email: promos and new-course announcements over the learner's life
    for campaign, per_year in ((2, 3.0), (3, 2.0)):
        c = rng.poisson(per_year * life_days / 365 * real)
        owner = np.repeat(np.arange(n_l), c)
        at = learners["signed_up_at"][owner] + (rng.random(len(owner)) * life_days[owner] * DAY).astype(np.int64)
        parts.append({"learner": owner, "sent_at": at, "channel": np.ones(len(owner), np.int8),
                      "campaign": np.full(len(owner), campaign, np.int8)})
    # weekly digest while an enrollment is fresh; deadline reminders on modules in progress
    c = rng.poisson(1.6, len(enr["learner"]))
    owner = np.repeat(np.arange(len(c)), c)
    parts.append({"learner": enr["learner"][owner], "sent_at": enr["enrolled_at"][owner] + (
        rng.integers(1, 9, len(owner)) * 7 * DAY), "channel": np.ones(len(owner), np.int8),
        "campaign": np.full(len(owner), 4, np.int8)})
    rem = np.flatnonzero(rng.random(len(progress["enrollment"])) < 0.45)
    parts.append({"learner": enr["learner"][progress["enrollment"][rem]],
                  "sent_at": progress["started_at"][rem] + 5 * DAY + rng.integers(0, DAY, len(rem)),
                  "channel": (rng.random(len(rem)) < 0.55).astype(np.int8),
                  "campaign": np.full(len(rem), 1, np.int8)})
    parts.append({"learner": streak["learner"], "sent_at": streak["sent_at"],
                  "channel": np.zeros(len(streak["learner"]), np.int8),
                  "campaign": np.zeros(len(streak["learner"]), np.int8)})
    nt = concat(parts)
    # a streak reminder scheduled for the evening of the sign-up day is not sent before the sign-up
    keep = (nt["sent_at"] < end) & ~learners["is_internal_test"][nt["learner"]] \
        & (nt["sent_at"] >= learners["signed_up_at"][nt["learner"]])
    order = np.flatnonzero(keep)
    order = order[np.lexsort((nt["sent_at"][order], nt["channel"][order], nt["learner"][order]))]
    nt = {k: v[order] for k, v in nt.items()}
    m = len(nt["learner"])
    push = nt["channel"] == 0
    open_p = np.where(push, np.where(nt["campaign"] == 0, B["streak_open_rate"], 0.09), 0.2)
    opened = rng.random(m) < open_p
    nt["opened_at"] = np.where(opened, nt["sent_at"] + (rng.exponential(3.0, m) * 3_600).astype(np.int64) + 30,
                               NULL_TS)
    nt["opened_at"] = np.where(nt["opened_at"] < end, nt["opened_at"], NULL_TS)
    stratum = np.zeros(m, dtype=np.int8)
    if arm is not None:
        a, since, until = arm[0][nt["learner"]], arm[1][nt["learner"]], arm[2]
        stratum = np.where(push & (a > 0) & (nt["sent_at"] >= since) & (nt["sent_at"] < until), a, 0).astype(np.int8)
    unsub = balanced_bernoulli(rng, np.where(push, 0.006, 0.0035), stratum)
    # nothing is sent on a channel after the learner turned it off
    group = nt["learner"] * 2 + nt["channel"]
    new_group = np.r_[True, group[1:] != group[:-1]] if m else np.zeros(0, bool)
    cum = np.cumsum(unsub)
    before = cum - unsub
    group_base = np.maximum.accumulate(np.where(new_group, before, 0))
    alive = (before - group_base) == 0
    nt = {k: v[alive] for k, v in nt.items()}
    nt["unsubscribed"] = unsub[alive]
    o = (nt["opened_at"] != NULL_TS) & (nt["channel"] == 0)  # push opens land in the app; email opens do not
    k = int(o.sum())
    app: Frame = {"learner": np.r_[nt["learner"][o], nt["learner"][o]],
                  "enrollment": np.full(2 * k, NULL_ID), "module": np.full(2 * k, NULL_ID),
                  "event_at": np.r_[nt["opened_at"][o], nt["opened_at"][o] + 5],
                  "event_type": np.r_[np.full(k, NOTIF_OPEN, np.int8), np.full(k, APP_OPEN, np.int8)],
                  "minutes": np.zeros(2 * k)}
    return nt, app


def build_recommendations(rng: np.random.Generator, enr: Frame, learners: Frame, n_courses: int,
                          popularity: np.ndarray, v2_from: np.ndarray, v2_to: np.ndarray, control_from: np.ndarray,
                          as_of_day: int) -> Frame:
    """Impressions around each enrollment; rec-led enrollments carry the click that led to them.

    ``v2_from/v2_to`` (per learner) is when the learner saw the v2 model (rec_model_v2 treatment);
    ``control_from`` is when a control learner's exposure began. Clicks are drawn balanced within
    each arm's window (see ``balanced_bernoulli``) so the planted click-through lift is not buried
    in binomial noise: v2 raises the click probability of every impression, nothing else.
    """
    end = (as_of_day + 1) * DAY
    led = np.flatnonzero(enr["source"] == S_RECOMMENDATION)
    shown_led = enr["enrolled_at"][led] - rng.integers(120, 3 * 3_600, len(led))
    c = rng.poisson(6.0, len(enr["learner"])) * ~learners["is_internal_test"][enr["learner"]]
    owner = np.repeat(np.arange(len(c)), c)
    learner = np.r_[enr["learner"][led], enr["learner"][owner]]
    shown = np.r_[shown_led, enr["enrolled_at"][owner] + (rng.random(len(owner)) * 30 * DAY).astype(np.int64)]
    p = popularity / popularity.sum()
    course = np.r_[enr["course"][led], rng.choice(n_courses, len(owner), p=p)]
    v2 = (v2_from[learner] != NULL_TS) & (shown >= v2_from[learner]) & (shown < v2_to[learner])
    click_p = B["rec_click_rate"] * np.where(v2, B["rec_v2_click_lift"], 1.0)
    control = (control_from[learner] != NULL_TS) & (shown >= control_from[learner]) & (shown < v2_to[learner])
    stratum = np.where(v2, 2, np.where(control, 1, 0)).astype(np.int8)
    clicked = np.r_[np.ones(len(led), bool), balanced_bernoulli(rng, click_p[len(led):], stratum[len(led):])]
    clicked_at = np.where(clicked, shown + rng.integers(5, 110, len(shown)), NULL_TS)
    rec: Frame = {"learner": learner, "course": course, "shown_at": shown,
                  "surface": rng.choice(3, len(shown), p=[0.5, 0.3, 0.2]).astype(np.int8),
                  "model_v2": v2, "clicked_at": clicked_at,
                  "enrollment": np.r_[led, np.full(len(owner), NULL_ID)]}
    keep = (rec["shown_at"] < end) & (rec["shown_at"] > learners["signed_up_at"][learner])
    rec["clicked_at"] = np.where(rec["clicked_at"] < end, rec["clicked_at"], NULL_TS)
    order = np.flatnonzero(keep)
    order = order[stable_argsort(rec["shown_at"][order])]
    return {k: v[order] for k, v in rec.items()}


def build_reviews(rng: np.random.Generator, enr: Frame, learners: Frame, as_of_day: int) -> Frame:
    end = (as_of_day + 1) * DAY
    done = enr["completed_at"] != NULL_TS
    started = enr["last_activity"] != NULL_TS
    p = np.where(done, 0.28, np.where(started, 0.04, 0.0)) * ~learners["is_internal_test"][enr["learner"]]
    rows = np.flatnonzero(rng.random(len(p)) < p)
    happy = done[rows]
    rating = np.where(happy, rng.choice([3, 4, 5], len(rows), p=[0.1, 0.32, 0.58]),
                      rng.choice([1, 2, 3, 4, 5], len(rows), p=[0.14, 0.18, 0.3, 0.23, 0.15]))
    at = np.where(happy, enr["completed_at"][rows], enr["last_activity"][rows]) + (
        rng.exponential(2.0, len(rows)) * DAY).astype(np.int64) + 60
    key = enr["learner"][rows] * 100_000 + enr["course"][rows]
    _, first = np.unique(key, return_index=True)  # one review per learner and course
    rows, rating, at = rows[first], rating[first], at[first]
    keep = at < end
    return {"learner": enr["learner"][rows][keep], "course": enr["course"][rows][keep],
            "rating": rating[keep], "reviewed_at": at[keep]}


def build_careers(rng: np.random.Generator, learners: Frame, last_cert: np.ndarray, last_activity: np.ndarray,
                  penalty: np.ndarray, as_of_day: int) -> Frame:
    """One survey per responding learner; certificates and career goals lift positive outcomes.

    ``penalty`` (per learner, multiplicative) lowers the odds for credentials earned under easy quizzes.
    """
    end = (as_of_day + 1) * DAY
    n = len(last_cert)
    cert = last_cert != NULL_TS
    career_goal = np.isin(learners["learner_goal"], (0, 1, 2))
    anchor = np.where(cert, last_cert, last_activity)
    respond = (anchor != NULL_TS) & (rng.random(n) < np.where(cert, 0.55, 0.08)) & ~learners["is_internal_test"]
    at = anchor + (rng.uniform(45, 240, n) * DAY).astype(np.int64)
    respond &= at < end
    p_pos = sigmoid(-1.3 + 1.25 * cert + 0.6 * career_goal + 0.25 * learners["motivation"]) * penalty
    positive = learners["career_luck"] < p_pos
    outcome = np.where(positive, rng.choice(3, n, p=[0.42, 0.28, 0.3]), rng.choice([3, 4], n, p=[0.7, 0.3]))
    who = np.flatnonzero(respond)
    return {"learner": who, "surveyed_at": at[who], "outcome": outcome[who]}
