"""Scales, calendar and the behaviour constants of the warehouse generator, as one table.

Every number that shapes the data lives here with the reason it has its value, so calibration is
a matter of editing this file and re-running `pmdrill warehouse calibrate`.
"""

from __future__ import annotations

import datetime as dt
import zlib

import numpy as np

SCALES: dict[str, int] = {"tiny": 2_000, "small": 50_000, "medium": 500_000, "large": 5_000_000}
CHUNK_LEARNERS = 25_000  # learners generated together: bounds memory; 2+ chunks let generation and insertion overlap
HISTORY_START = dt.date(2023, 1, 1)
DAY = 86_400  # seconds
EPOCH = dt.date(1970, 1, 1)


def day_number(d: dt.date) -> int:
    """Days since 1970-01-01.

    Example:
        >>> day_number(dt.date(1970, 1, 2))
        1
    """
    return (d - EPOCH).days


def rng_for(seed: int, *keys: str | int) -> np.random.Generator:
    """A PCG64 generator derived from the seed and a path of step names (crc32, never hash())."""
    words = [int(seed)] + [k if isinstance(k, int) else zlib.crc32(k.encode()) for k in keys]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))


def balanced_bernoulli(rng: np.random.Generator, p: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    """Bernoulli(p) draws whose count within each stratum > 0 is within one of its expectation.

    Systematic sampling in a random order: each draw still has probability ``p[i]``, but the draws in
    a stratum are negatively dependent, so a stratum's rate carries no binomial noise. The pipeline
    uses it where an experiment arm's rate is the planted effect (the strata are the arms); rows of
    stratum 0 (nobody's arm) are drawn independently, which is cheaper.
    """
    p = np.asarray(p, dtype=np.float64)
    out = rng.random(len(p)) < p
    rows = np.flatnonzero(stratum > 0)
    out[rows] = _systematic(rng, p[rows], stratum[rows])
    return out


def _systematic(rng: np.random.Generator, p: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    n = len(p)
    order = np.lexsort((rng.random(n), stratum))
    ps, st = p[order], stratum[order]
    new = np.r_[True, st[1:] != st[:-1]] if n else np.zeros(0, dtype=bool)
    run = np.cumsum(new) - 1
    cum = np.cumsum(ps)
    before = (cum - ps)[new][run]  # total of earlier strata
    after = cum - before + rng.random(int(new.sum()))[run]
    hit = np.floor(after) > np.floor(after - ps)
    out = np.empty(n, dtype=bool)
    out[order] = hit
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --- the behaviour model: (value, why) -------------------------------------------------------------
B: dict[str, float] = {
    # learners
    "internal_test_share": 0.005,      # truths: about 0.5% staff / QA accounts
    "never_enroll_base": 0.12,         # some learners sign up and never enroll
    "extra_enroll_log_rate": -0.25,    # extra enrollments ~ Poisson(exp(a + b*motivation))
    "extra_enroll_motivation": 0.45,
    "reenroll_share": 0.05,            # later enrollments that repeat an earlier course
    "soon_share": 0.62,                # later enrollments that follow the previous one within weeks
    "soon_mean_days": 40.0,
    "january_weight": 1.75,            # T12: new-year resolution peak (assumption)
    # enrollment type (consumer)
    "paid_logit": -2.55,
    "paid_motivation": 0.55,
    "financial_aid_share": 0.03,
    "program_share": 0.22,             # paid enrollments that come through a program subscription (a program path)
    "program_next_days": 12.0,         # program paths: mean days from completing a course to enrolling in the next
    "degree_learner_share": 0.00036,   # at a $17,500 mean tuition; fewer are admitted to dearer degrees
    "degree_reference_tuition": 17_500.0,    # consumer learners admitted to an online degree
    # progress: module k is started, content is reached, graded work is passed
    "start_logit": 0.05,               # T3: ~35-40% of enrollments never start module 1
    "start_commit": 0.9,
    "reach_logit": 0.95,
    "reach_week1": -0.85,              # Jordan 2015: hazard highest at weeks 1-2, then flatter
    "reach_week2": -0.35,
    "video_penalty_per_min": 0.19,    # T6: Guo et al. 2014, engagement falls beyond ~6 minutes
    "continue_logit": 2.0,
    "commit_paid": 3.5,                # verified learners persist (Reich & Ruiperez-Valiente 2019)
    "commit_financial_aid": 2.0,
    "commit_enterprise": 1.1,
    "commit_motivation": 0.8,
    "commit_noise": 0.7,
    "upgrade_rate": 0.055,             # audit learners who pay when graded work locks
    "upgrade_module1_factor": 0.86,    # a lock in module 1 comes before the learner has seen much value (E7 ~ +11%)
    "stuck_commit_drop": 3.0,          # three failed attempts in a module: most give up (X1)
    "stuck_commit_per_fail": 0.35,      # failing a quiz again and again wears commitment down
    "paywall_frustration": 0.2,       # audit learners who meet locked graded work lose heart
    "early_lock_shift": 1.0,           # early_paywall: a lock in week 1 turns many away at once
    "pressured_commit": 0.5,           # early_paywall: paying at a module-1 lock commits less than paying later
    # ... such subscriptions are canceled sooner than others (mean days after the trial), and such one-off
    # certificate purchases are refunded more often. Sized so the early paywall still wins on 12-month
    # payments (+3% to +7% per learner on seeds 42, 7, 1234: the growth PM's argument) while the value it
    # costs in referrals and champion deals (paywall_advocacy) leaves 12-month value lower (E11)
    "pressured_cancel_days": 300.0,
    "pressured_refund_share": 0.05,
    "pressured_monthly_share": 0.0,    # share of would-be annual buyers pushed onto the monthly plan (none now)
    # assessments
    "skill_mean": 74.0,
    "skill_motivation": 6.0,
    "skill_difficulty": 7.0,
    "score_sd": 11.0,
    "short_video_skill": 0.6,          # short_videos: score points gained on a long-video module split up
    "retry_gain": 4.0,                 # points gained per retry
    "retry_logit": 0.7,
    "pass_mark": 80.0,
    "easy_pass_mark": 60.0,
    # money
    "subscription_share": 0.55,        # paying learners who subscribe rather than buy one certificate
    "annual_plan_share": 0.22,         # Plus subscribers who pay yearly
    "trial_share": 0.7,
    "subscription_tail_days": 65.0,    # subscribers keep paying a while after their last course
    "failed_payment_share": 0.035,
    "refund_share": 0.02,
    "plus_monthly_price": 59.0,
    "plus_annual_price": 399.0,
    # enterprise
    "accounts_per_learner": 0.01,      # many small teams: the champion truths rest on a population
    "seats_business": 5.0,             # median seats bought per segment (lognormal)
    "seats_campus": 12.0,
    "seats_government": 9.0,
    "seat_price_business": 104.0,      # T9: enterprise ~35% of revenue (Coursera Q4 2024)
    "seat_price_campus": 80.0,
    "seat_price_government": 98.0,
    "activation_mean": 0.56,           # T11: 40-70% of seats activated (assumption)
    "renew_logit": 1.5,                # T10: net retention 87% (Coursera Q4 2024)
    "renew_activation": 5.0,
    "renew_champion": 1.2,
    "champion_seat_factor": 2.5,       # accounts an alumnus champions buy more seats (E10/E11 rest on them)
    "champion_share": 0.4,            # business accounts brought in by a consumer alumnus
    # engagement
    "paywall_advocacy": 0.25,          # early_paywall: a learner turned away at module 1 recommends us much less
    "referral_cert_weight": 4.0,       # alumni with a certificate refer more
    "streak_open_rate": 0.11,
    "streak_cancel_share": 0.3,        # streak_push: learners annoyed into canceling a subscription (E6)
    "rec_click_rate": 0.045,           # click-through of an impression that did not lead to an enrollment
    "rec_v2_click_lift": 1.18,         # rec_model_v2: curiosity clicks, not intent (E1 ~ +15% with rec-led rows)
    "android_outage_day": 1_056,       # days after HISTORY_START: 2025-11-22
}
