"""The learning model: module by module, who starts, reaches the content, passes graded work, goes on.

All randomness is drawn up front (``draw_uniforms``) so the same enrollment can be simulated under
control and treatment with common random numbers: an experiment's effect is then the behaviour
change alone, not a fresh roll of the dice.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from pmdrill.core.warehouse.courses import Catalog
from pmdrill.core.warehouse.enrollments import AID, AUDIT, ENTERPRISE_T, PAID
from pmdrill.core.warehouse.frames import NULL_TS, Frame
from pmdrill.core.warehouse.params import DAY, B, sigmoid

MAX_MODULES = 8
MAX_ATTEMPTS = 4
_WEEK = np.array([B["reach_week1"], B["reach_week2"], 0, 0, 0, 0, 0, 0])


@dataclass
class Uniforms:
    start: np.ndarray     # (n,)
    upgrade: np.ndarray   # (n,)
    noise: np.ndarray     # (n,) commitment noise
    reach: np.ndarray     # (n, M)
    cont: np.ndarray      # (n, M)
    days: np.ndarray      # (n, M) duration of a module in days
    gap: np.ndarray       # (n, M) days before the next module starts
    z: np.ndarray         # (n, M, A) score noise
    retry: np.ndarray     # (n, M, A)


def draw_uniforms(rng: np.random.Generator, n: int) -> Uniforms:
    m, a = MAX_MODULES, MAX_ATTEMPTS
    return Uniforms(rng.random(n), rng.random(n), rng.normal(0, 1, n), rng.random((n, m)), rng.random((n, m)),
                    1.0 + rng.gamma(2.0, 2.6, (n, m)), rng.exponential(3.0, (n, m)),
                    rng.normal(0, 1, (n, m, a)).astype(np.float32), rng.random((n, m, a)).astype(np.float32))


def take(u: Uniforms, rows: np.ndarray) -> Uniforms:
    """The uniforms of the given enrollment rows."""
    return Uniforms(*(getattr(u, f.name)[rows] for f in fields(Uniforms)))


@dataclass
class Treatments:
    """Per-enrollment experiment exposure; windows are [from, to) in seconds, empty when not treated."""
    easy_from: np.ndarray
    easy_to: np.ndarray
    short_from: np.ndarray
    short_to: np.ndarray
    early_paywall: np.ndarray   # bool: graded work locks at module 1 for this audit enrollment
    commit_shift: np.ndarray    # e.g. curiosity clicks from rec_model_v2 are less committed

    @classmethod
    def none(cls, n: int) -> Treatments:
        z = np.zeros(n, dtype=np.int64)
        return cls(z, z, z, z, np.zeros(n, dtype=bool), np.zeros(n))


@dataclass
class Outcome:
    progress: Frame     # enrollment (row index), module_id, started_at, completed_at, reached, attempts
    attempts: Frame     # enrollment, module_id, attempted_at, score_pct, passed
    completed_at: np.ndarray
    final_type: np.ndarray
    upgraded_at: np.ndarray
    pressured: np.ndarray  # bool: upgraded at a module-1 lock, before seeing much of the course


def simulate(enr: Frame, motivation: np.ndarray, cat: Catalog, u: Uniforms, tr: Treatments,
             as_of_day: int, can_upgrade: np.ndarray) -> Outcome:
    """Run every enrollment through its course; nothing is recorded at or after the as-of end."""
    end = (as_of_day + 1) * DAY
    n = len(enr["course"])
    course = enr["course"]
    etype = enr["type"].copy()
    mot = motivation[enr["learner"]]
    bonus = np.select([etype == PAID, etype == AID, etype == ENTERPRISE_T],
                      [B["commit_paid"], B["commit_financial_aid"], B["commit_enterprise"]], 0.0)
    commit = (B["commit_motivation"] * mot + bonus + B["commit_noise"] * u.noise
              - 0.25 * cat.difficulty[course] + tr.commit_shift)
    skill = B["skill_mean"] + B["skill_motivation"] * mot - B["skill_difficulty"] * cat.difficulty[course]
    n_mod = cat.courses["module_count"][course]
    lock = np.where(tr.early_paywall, 1, 2)  # graded work locks for audit learners from this module
    upgraded_at = np.full(n, NULL_TS)
    pressured = np.zeros(n, dtype=bool)
    alive = u.start < sigmoid(B["start_logit"] + B["start_commit"] * commit)
    t = enr["enrolled_at"] + (u.gap[:, 0] * 0.4 * DAY).astype(np.int64)
    completed_at = np.full(n, NULL_TS)
    prog_parts, att_parts = [], []
    mvid = cat.modules["median_video_minutes"]
    graded_mod = cat.modules["has_graded_assessment"]
    for k in range(MAX_MODULES):
        alive &= (k < n_mod) & (t < end)
        idx = np.flatnonzero(alive)
        if len(idx) == 0:
            break
        mod = cat.module_grid[course[idx], k] - 1
        start = t[idx]
        # the paywall: audit learners meet the upgrade prompt where graded work locks
        at_lock = (etype[idx] == AUDIT) & (lock[idx] == k + 1)
        rate = B["upgrade_rate"] * np.exp(0.35 * mot[idx]) * (B["upgrade_module1_factor"] if k == 0 else 1.0)
        up = at_lock & can_upgrade[idx] & (u.upgrade[idx] < rate)
        etype[idx[up]] = PAID
        upgraded_at[idx[up]] = start[up]
        # paying under pressure, before seeing the course, buys less commitment than paying for value
        commit[idx[up]] += B["pressured_commit"] if k == 0 else B["commit_paid"]
        pressured[idx[up]] = k == 0
        audit_locked = (etype[idx] == AUDIT) & (k + 1 >= lock[idx])
        short = (start >= tr.short_from[idx]) & (start < tr.short_to[idx])
        video = np.where(short, np.minimum(mvid[mod], 5.0), mvid[mod])
        logit = (B["reach_logit"] + _WEEK[k] + commit[idx] - B["video_penalty_per_min"] * np.maximum(video - 6.0, 0)
                 - np.where(audit_locked, 1 - B["paywall_frustration"], 0) * 1.4
                 - np.where(audit_locked & (k == 0), B["early_lock_shift"], 0))
        reached = u.reach[idx, k] < sigmoid(logit)
        graded = reached & graded_mod[mod] & ~audit_locked
        easy = (start >= tr.easy_from[idx]) & (start < tr.easy_to[idx])
        mark = np.where(easy, B["easy_pass_mark"], B["pass_mark"])
        # short videos are followed a little better: it offsets the weaker learners they keep (pass rate flat)
        learned = skill[idx] + np.where(short & (mvid[mod] > 6.0), B["short_video_skill"], 0.0)
        score = np.clip(learned[:, None] + B["score_sd"] * u.z[idx, k, :]
                        + B["retry_gain"] * np.arange(MAX_ATTEMPTS)[None, :], 0, 100).round(1)
        passed = score >= mark[:, None]
        retry_p = sigmoid(B["retry_logit"] + 0.6 * commit[idx])
        # attempt a is made if graded, no earlier pass, and each earlier failure was followed by a retry
        made = np.zeros((len(idx), MAX_ATTEMPTS), dtype=bool)
        made[:, 0] = graded
        for a in range(1, MAX_ATTEMPTS):
            made[:, a] = made[:, a - 1] & ~passed[:, a - 1] & (u.retry[idx, k, a] < retry_p)
        passed_any = (made & passed).any(axis=1)
        done = reached & (~graded | passed_any)
        dur = (u.days[idx, k] * (1 + 0.02 * np.maximum(video - 6, 0)) * DAY).astype(np.int64)
        n_att = made.sum(axis=1)
        finish = start + dur
        comp = np.where(done & (finish < end), finish, NULL_TS)
        # attempts: spread over the module (or over days of retrying when stuck)
        ai, aa = np.nonzero(made)
        span = np.where(done[ai], dur[ai], (1 + aa) * DAY)
        at = start[ai] + (span * (aa + 1) / (n_att[ai] + 1)).astype(np.int64)
        ok = at < end
        att_parts.append({"enrollment": idx[ai][ok], "module": mod[ai][ok], "attempted_at": at[ok],
                          "score_pct": score[ai, aa][ok], "passed": passed[ai, aa][ok],
                          "mark": mark[ai][ok]})
        prog_parts.append({"enrollment": idx, "module": mod, "started_at": start, "completed_at": comp,
                           "reached": reached, "attempts": n_att, "failed": (made & ~passed).sum(axis=1),
                           "position": np.full(len(idx), k + 1, dtype=np.int8)})
        fails = (made & ~passed).sum(axis=1)
        commit[idx] -= B["stuck_commit_per_fail"] * fails + B["stuck_commit_drop"] * (fails >= 3)
        last = (k + 1 == n_mod[idx]) & (comp != NULL_TS)
        completed_at[idx[last]] = comp[last]
        go_on = (comp != NULL_TS) & ~last & (u.cont[idx, k] < sigmoid(B["continue_logit"] + commit[idx]))
        alive[:] = False
        alive[idx[go_on]] = True
        t[idx[go_on]] = comp[go_on] + (u.gap[idx[go_on], k] * DAY).astype(np.int64) + 60
    progress = {key: np.concatenate([p[key] for p in prog_parts]) for key in prog_parts[0]} if prog_parts else {}
    attempts = {key: np.concatenate([p[key] for p in att_parts]) for key in att_parts[0]} if att_parts else {}
    return Outcome(progress, attempts, completed_at, etype, upgraded_at, pressured)
