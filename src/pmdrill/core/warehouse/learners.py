"""Learners: signup time, country, channel, goal, platform and the latent motivation that drives them.

Consumer learners arrive with growth and a January peak; enterprise learners arrive with their seat.
"""

from __future__ import annotations

import numpy as np

from pmdrill.core.warehouse.courses import COUNTRIES, COUNTRY_WEIGHTS
from pmdrill.core.warehouse.frames import NULL_ID, Frame
from pmdrill.core.warehouse.params import DAY, HISTORY_START, B, day_number

CHANNELS = ("organic_search", "paid_search", "social", "referral", "enterprise", "direct", "partner_site")
CHANNEL_WEIGHTS = np.array([0.30, 0.14, 0.11, 0.13, 0.0, 0.19, 0.13])
REFERRAL = 3
ENTERPRISE = 4
GOALS = ("start_career", "change_career", "advance_career", "academic", "personal")
GOAL_WEIGHTS = np.array([0.18, 0.2, 0.22, 0.12, 0.1, 0.18])  # last: skipped (NULL)
GOAL_MOTIVATION = np.array([0.25, 0.35, 0.2, 0.1, -0.25, -0.3])
PLATFORMS = ("web", "ios", "android")
PLATFORM_WEIGHTS = np.array([0.55, 0.2, 0.25])
_MONTH_WEIGHT = np.array([B["january_weight"], 1.08, 1.0, 0.95, 0.9, 0.88, 0.9, 0.95, 1.08, 1.0, 0.95, 0.8])


def day_weights(as_of_day: int) -> tuple[np.ndarray, np.ndarray]:
    """(day numbers, weight): the platform's traffic by day, growing ~60% over the history."""
    start = day_number(HISTORY_START)
    days = np.arange(start, as_of_day + 1)
    months = (days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12)
    growth = 1.0 + 0.6 * (days - start) / max(1, as_of_day - start)
    return days, growth * _MONTH_WEIGHT[months]


def build_learners(rng: np.random.Generator, n_consumer: int, seats: Frame, as_of_day: int) -> Frame:
    """Consumer learners first (sorted by signup), then one learner per enterprise seat."""
    days, w = day_weights(as_of_day)
    signup = np.sort(rng.choice(days, n_consumer, p=w / w.sum()) * DAY + rng.integers(0, DAY, n_consumer))
    goal = rng.choice(len(GOALS) + 1, n_consumer, p=GOAL_WEIGHTS)
    channel = rng.choice(len(CHANNELS), n_consumer, p=CHANNEL_WEIGHTS / CHANNEL_WEIGHTS.sum())
    motivation = rng.normal(0, 1, n_consumer) + GOAL_MOTIVATION[goal] + 0.3 * (channel == REFERRAL)
    is_test = np.zeros(n_consumer, dtype=bool)
    n_test = int(round(B["internal_test_share"] * n_consumer))
    is_test[rng.choice(n_consumer, n_test, replace=False)] = True
    n_ent = len(seats["learner"])
    ent_goal = rng.choice([2, 0, 1, 5], n_ent, p=[0.55, 0.1, 0.1, 0.25])
    consumer: Frame = {
        "signed_up_at": signup,
        "country": rng.choice(len(COUNTRIES), n_consumer, p=COUNTRY_WEIGHTS / COUNTRY_WEIGHTS.sum()),
        "acquisition_channel": channel,
        "learner_goal": np.where(goal == len(GOALS), -1, goal),
        "signup_platform": rng.choice(3, n_consumer, p=PLATFORM_WEIGHTS),
        "is_internal_test": is_test,
        "motivation": motivation,
        "seat": np.full(n_consumer, -1),
    }
    enterprise: Frame = {
        "signed_up_at": seats["assigned_at"],
        "country": rng.choice(len(COUNTRIES), n_ent, p=COUNTRY_WEIGHTS / COUNTRY_WEIGHTS.sum()),
        "acquisition_channel": np.full(n_ent, ENTERPRISE),
        "learner_goal": np.where(ent_goal == 5, -1, ent_goal),
        "signup_platform": rng.choice(3, n_ent, p=[0.75, 0.12, 0.13]),
        "is_internal_test": np.zeros(n_ent, dtype=bool),
        "motivation": rng.normal(-0.2, 1, n_ent),
        "seat": seats["learner"],
    }
    out = {k: np.concatenate([consumer[k], enterprise[k]]) for k in consumer}
    out["referred_by"] = np.full(len(out["seat"]), NULL_ID)
    out["career_luck"] = rng.random(len(out["seat"]))  # a latent drawn at signup: career-market luck
    return out
