"""The six planted experiments: definitions, who is eligible, pair-matched assignment, exposure.

Assignment is randomised within pairs of learners matched on pre-treatment traits and on their
control-world outcome (the warehouse is simulated once without treatment first), so the planted
effects stand clear of seed noise at the default scale; the effects themselves come from the
behaviour model run again under treatment with the same random numbers.

early_paywall is matched on both potential outcomes: learning is also simulated with the paywall on
for every eligible learner, and pairs agree on 30-day conversion, paid months and completions in
both worlds (and on how they would pay), so a coin flip per pair splits the cohort into two halves
whose difference is the treatment's doing. Where an arm's rate of a rare event is the planted
effect (recommendation clicks, failed and refunded charges), the draws are balanced within each arm
(``params.balanced_bernoulli``): every draw keeps its probability, the arm's total loses its
binomial noise. The two learners of an early_paywall pair also share their subscription draws (how
long a subscription lingers, trial, cancel timing; ``money.build_money``), so 12-month payments differ
by what the paywall did. early_paywall's arm is a stratum of the rec_model_v2 and easier_quizzes
pairings, whose windows its long holdout overlaps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from pmdrill.core.warehouse.frames import NULL_TS, Frame
from pmdrill.core.warehouse.params import DAY, day_number


@dataclass(frozen=True)
class Experiment:
    experiment_id: int
    name: str
    hypothesis: str
    primary_metric: str
    start: dt.date
    end: dt.date  # exclusive

    @property
    def window(self) -> tuple[int, int]:
        return day_number(self.start) * DAY, day_number(self.end) * DAY


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(1, "rec_model_v2", "The v2 recommendation model surfaces courses learners want, so more of "
               "them click and enroll.", "recommendation click-through rate",
               dt.date(2025, 4, 1), dt.date(2025, 6, 1)),
    Experiment(2, "streak_push", "A daily streak push notification brings learners back every day and "
               "lifts learning.", "app_open events per learner", dt.date(2025, 7, 7), dt.date(2025, 9, 8)),
    # early_paywall ran as a long-term holdout on every new consumer signup for two and a half years: a +12%
    # lift on an ~11% 30-day conversion needs ~13,000 learners per arm to read at 80% power, and the
    # 12-month value needs a year after the last assignment (the window ends a year before the as-of date)
    Experiment(3, "early_paywall", "Locking graded work from module 1 instead of module 2 for audit learners "
               "converts more of them to paid.", "30-day paid conversion", dt.date(2023, 1, 9),
               dt.date(2025, 6, 30)),
    Experiment(4, "easier_quizzes", "Lowering the pass mark from 80 to 60 stops learners getting stuck and "
               "lifts completion.", "course completion rate", dt.date(2025, 1, 13), dt.date(2025, 4, 1)),
    Experiment(5, "short_videos", "Splitting long lectures into videos under 6 minutes keeps learners "
               "watching and lifts module completion.", "module completion rate", dt.date(2025, 10, 1),
               dt.date(2025, 12, 16)),
    Experiment(6, "new_onboarding", "A new signup flow that asks for the learner's goal gets more new "
               "learners enrolled in their first week.", "first-week enrollment rate",
               # eight months of signups (~9,500 assignments): enough for the 52/48 split to fail an SRM test
               # outright; it ends six weeks before the as-of date, so first-week enrollment is complete
               dt.date(2025, 9, 8), dt.date(2026, 5, 18)),
)
BY_NAME = {e.name: e for e in EXPERIMENTS}
SRM_TREATMENT_SHARE = 0.52  # new_onboarding: the Android logging bug loses control assignments


def first_in_window(owner: np.ndarray, times: np.ndarray, lo: int, hi: int, n: int) -> np.ndarray:
    """Per learner, the first of ``times`` in [lo, hi), else NULL_TS."""
    inside = (times >= lo) & (times < hi)
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, owner[inside], times[inside])
    return np.where(first == np.iinfo(np.int64).max, NULL_TS, first)


def paired_assignment(rng: np.random.Generator, keys: list[np.ndarray]) -> np.ndarray:
    """0/1 variants: sort by keys (first = most important), pair neighbours, flip a coin per pair."""
    return paired_assignment_with_pairs(rng, keys)[0]


def paired_assignment_with_pairs(rng: np.random.Generator, keys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``paired_assignment`` and, per row, the row that leads its pair (itself when it leads or is unpaired)."""
    n = len(keys[0]) if keys else 0
    order = np.lexsort((rng.random(n), *reversed(keys)))
    variant = np.zeros(n, dtype=np.int8)
    coin = rng.random((n + 1) // 2) < 0.5
    variant[order[0::2]] = coin
    variant[order[1::2]] = ~coin[: n // 2]
    leader = np.arange(n)
    leader[order[1::2]] = order[0::2][: n // 2]
    return variant, leader


def srm_drop(rng: np.random.Generator, variant: np.ndarray, android: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Mask of control Android assignments lost to the logging bug, sized to the treatment share."""
    n_t = int((variant == 1).sum())
    n_c = int((variant == 0).sum())
    drop = max(0, n_c - int(round(n_t * (1 - SRM_TREATMENT_SHARE) / SRM_TREATMENT_SHARE)))
    cand = np.flatnonzero((variant == 0) & android)
    drop = min(drop, len(cand))
    keys = rng.random(len(cand)) ** (1.0 / weight[cand])  # weighted sampling without replacement
    lost = np.zeros(len(variant), dtype=bool)
    lost[cand[np.argsort(-keys)[:drop]]] = True
    return lost


def assignments_frame(parts: list[tuple[Experiment, np.ndarray, np.ndarray, np.ndarray]]) -> Frame:
    """Rows (experiment, learner, variant, assigned_at) from per-experiment arrays."""
    return {
        "experiment": np.concatenate([np.full(len(w), e.experiment_id) for e, w, _, _ in parts]),
        "learner": np.concatenate([w for _, w, _, _ in parts]),
        "variant": np.concatenate([v for _, _, v, _ in parts]),
        "assigned_at": np.concatenate([a for _, _, _, a in parts]),
    }
