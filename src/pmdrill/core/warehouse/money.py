"""Consumer money: subscriptions (Coursera Plus, program monthly), certificate purchases, degree tuition.

Paid enrollments are what people pay for; a subscription lives while its learner keeps learning and
ends with a reason; some charges fail and some are refunded. Learners who paid at a module-1 lock
(the early_paywall treatment: "pressured") learn less, cancel sooner and ask for their certificate
money back more often: each extra conversion is worth less, though the paywall still brings in more
payments in the first year than it loses (its cost is in referrals and champion deals).
"""

from __future__ import annotations

import numpy as np

from pmdrill.core.warehouse.courses import Catalog
from pmdrill.core.warehouse.enrollments import PAID
from pmdrill.core.warehouse.frames import NULL_ID, NULL_TS, Frame, group_starts, stable_argsort
from pmdrill.core.warehouse.params import DAY, B, balanced_bernoulli

PLANS = ("plus_monthly", "plus_annual", "program_monthly")
PAYMENT_TYPES = ("subscription", "course_certificate", "degree_tuition")
STATUSES = ("succeeded", "failed", "refunded")
REASONS = ("finished_learning", "price", "no_time", "content", "payment_failed")


def build_money(rng: np.random.Generator, enr: Frame, learners: Frame, cat: Catalog, as_of_day: int,
                extra_cancel: np.ndarray, arm: np.ndarray, arm_since: np.ndarray,
                draws_of: np.ndarray | None = None) -> tuple[Frame, Frame]:
    """(subscriptions, payments); ``extra_cancel`` (per learner, seconds or NULL_TS) forces a cancel.

    ``arm`` (per learner: 0 not in early_paywall, 1 control, 2 treatment) and ``arm_since`` stratify
    the failed/refunded draws, so the two arms' 30-day conversion carries no payment-failure noise.
    ``draws_of`` (per learner, a learner index) says whose subscription draws (how long it lingers,
    trial, cancel timing and reason) a learner uses: the two learners of an early_paywall pair share
    theirs, so the arms' payments differ by what the paywall did, not by the dice (common random numbers).
    """
    end = (as_of_day + 1) * DAY
    n_learners = len(learners["seat"])
    if draws_of is None:
        draws_of = np.arange(n_learners)
    # per-learner subscription draws, shared within early_paywall pairs
    d_tail = rng.gamma(4.0, B["subscription_tail_days"] / 4, n_learners)[draws_of]
    d_trial = rng.random(n_learners)[draws_of]
    d_soon = rng.exponential(B["pressured_cancel_days"], n_learners)[draws_of]
    d_reason = rng.choice([1, 2, 3, 4], n_learners, p=[0.3, 0.45, 0.13, 0.12])[draws_of]
    d_finished = rng.random(n_learners)[draws_of]
    d_pressured = rng.random(n_learners)[draws_of]
    d_plan = rng.random(n_learners)[draws_of]
    degree = np.isin(enr["program"], cat.programs["program_id"][cat.programs["program_type"] == 2])
    paid = (enr["final_type"] == PAID) & ~degree
    pay_at = np.where(enr["upgraded_at"] != NULL_TS, enr["upgraded_at"], enr["enrolled_at"])
    last_touch = np.where(enr["completed_at"] != NULL_TS, enr["completed_at"], enr["last_activity"])
    subscriber = learners["subscriber"]
    via_program = paid & (enr["program"] != NULL_ID)
    plus = paid & ~via_program & subscriber[enr["learner"]]
    one_off = paid & ~via_program & ~plus
    subs = []
    # plus: one subscription per learner, from the first paid enrollment to the end of the last one
    for mask, plan_kind in ((plus, 0), (via_program, 2)):
        rows = np.flatnonzero(mask)
        key = enr["learner"][rows] if plan_kind == 0 else enr["learner"][rows] * 1_000 + enr["program"][rows]
        order = np.lexsort((pay_at[rows], key))
        rows, key = rows[order], key[order]
        starts = group_starts(key)
        first = rows[starts]
        finish = np.maximum.reduceat(last_touch[rows], starts) if len(rows) else np.zeros(0, np.int64)
        finished_any = np.maximum.reduceat((enr["completed_at"][rows] != NULL_TS).astype(np.int8), starts) \
            if len(rows) else np.zeros(0, np.int8)
        k = len(first)
        plan = np.where(plan_kind == 0, learners["annual"][enr["learner"][first]].astype(np.int64), 2)
        subs.append({"learner": enr["learner"][first], "plan": plan, "program": np.where(
            plan_kind == 2, enr["program"][first], NULL_ID), "started_at": pay_at[first],
            # an enrollment never touched has no last activity: the subscription runs from its start
            "stop": np.maximum(finish, pay_at[first]) + (d_tail[enr["learner"][first]] * DAY).astype(np.int64),
            "finished": finished_any,
            "pressured": enr["pressured"][first]})
    sub = {key: np.concatenate([s[key] for s in subs]) for key in subs[0]}
    k = len(sub["learner"])
    pressured = sub["pressured"]
    pushed = pressured & (sub["plan"] == 1) & (d_plan[sub["learner"]] < B["pressured_monthly_share"])
    sub["plan"] = np.where(pushed, 0, sub["plan"])  # pushed buyers may take the monthly plan
    who = sub["learner"]
    trial = (sub["plan"] != 1) & (d_trial[who] < B["trial_share"])
    trial &= sub["started_at"] + 7 * DAY < end  # no trial may end after the as-of date
    trial_end = np.where(trial, sub["started_at"] + 7 * DAY, NULL_TS)
    # bought at a module-1 lock before seeing value: canceled sooner
    soon = np.where(trial, trial_end, sub["started_at"]) + 3_600 + (
        d_soon[who] * DAY).astype(np.int64)
    sub["stop"] = np.where(pressured, np.minimum(sub["stop"], soon), sub["stop"])
    forced = extra_cancel[sub["learner"]]
    forced_ok = (forced != NULL_TS) & (forced > sub["started_at"]) & (forced < sub["stop"])
    stop = np.where(forced_ok, forced, sub["stop"])
    reason = d_reason[who]
    reason = np.where(sub["finished"] > 0, np.where(d_finished[who] < 0.75, 0, reason), reason)
    reason = np.where(pressured & ~forced_ok & (stop == soon), np.where(d_pressured[who] < 0.6, 1, 3), reason)
    reason = np.where(forced_ok, 2, reason)
    canceled = np.where(stop < end, stop, NULL_TS)
    subscriptions: Frame = {"learner": sub["learner"], "plan": sub["plan"], "program": sub["program"],
                            "started_at": sub["started_at"], "trial_ends_at": trial_end, "canceled_at": canceled,
                            "cancel_reason": np.where(canceled != NULL_TS, reason, -1)}
    # subscription charges: every 30 days (365 for annual) from the end of the trial until stopped
    period = np.where(sub["plan"] == 1, 365, 30) * DAY
    first_charge = np.where(trial, trial_end, sub["started_at"])
    until = np.minimum(stop, end)
    n_charges = np.where(first_charge < until, (until - first_charge - 1) // period + 1, 0)
    owner = np.repeat(np.arange(k), n_charges)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(n_charges) - n_charges, n_charges)
    price = np.select([sub["plan"] == 0, sub["plan"] == 1],
                      [B["plus_monthly_price"], B["plus_annual_price"]], 0.0)
    prog_price = np.zeros(k)
    is_prog = sub["program"] != NULL_ID
    pid_index = np.searchsorted(cat.programs["program_id"], sub["program"][is_prog])
    prog_price[is_prog] = cat.programs["monthly_price_usd"][pid_index].astype(float)
    price = np.where(is_prog, prog_price, price)
    last_charge = offset == n_charges[owner] - 1
    must_fail = last_charge & (reason[owner] == 4) & (canceled[owner] != NULL_TS)
    pay_sub: Frame = {"learner": sub["learner"][owner], "subscription": owner, "enrollment": np.full(len(owner), NULL_ID),
                      "program": np.full(len(owner), NULL_ID),
                      # a charge lands within the hour of its due time, never after the subscription stopped
                      "paid_at": np.minimum(first_charge[owner] + offset * period[owner]
                                            + rng.integers(0, 3_600, len(owner)), until[owner] - 1),
                      "amount": price[owner], "payment_type": np.zeros(len(owner), dtype=np.int8), "must_fail": must_fail}
    # one-off certificate purchases and degree tuition (one course's share of the degree per course)
    oo = np.flatnonzero(one_off)
    dg = np.flatnonzero(degree)
    deg_idx = np.searchsorted(cat.programs["program_id"], enr["program"][dg])
    n_deg_courses = np.bincount(cat.program_courses["program_id"], minlength=len(cat.programs["program_id"]) + 1)
    tuition = cat.programs["tuition_usd"][deg_idx].astype(float) / n_deg_courses[enr["program"][dg]]
    pay_one: Frame = {
        "learner": enr["learner"][np.r_[oo, dg]], "subscription": np.full(len(oo) + len(dg), NULL_ID),
        "enrollment": np.r_[oo, dg], "program": np.r_[np.full(len(oo), NULL_ID), enr["program"][dg]],
        "paid_at": np.r_[pay_at[oo], enr["enrolled_at"][dg]] + 120,
        "amount": np.r_[cat.courses["certificate_price_usd"][enr["course"][oo]], np.round(tuition, 2)],
        "payment_type": np.r_[np.ones(len(oo), np.int8), np.full(len(dg), 2, np.int8)],
        "must_fail": np.zeros(len(oo) + len(dg), dtype=bool),
    }
    # a certificate bought at a module-1 lock, before seeing the course, is often refunded
    regret = np.r_[enr["pressured"][oo], np.zeros(len(dg), dtype=bool)]
    pay_one["must_refund"] = regret & balanced_bernoulli(rng, np.full(len(regret), B["pressured_refund_share"]),
                                                         regret.astype(np.int8))  # balanced over the pressured
    pay_sub["must_refund"] = np.zeros(len(owner), dtype=bool)
    pay_one["enrollment"][len(oo):] = NULL_ID  # tuition is paid to the program, not one enrollment
    payments = {key: np.concatenate([pay_sub[key], pay_one[key]]) for key in pay_sub}
    keep = payments["paid_at"] < end
    payments = {key: v[keep] for key, v in payments.items()}
    who = payments["learner"]
    early = (arm_since[who] != NULL_TS) & (payments["paid_at"] - arm_since[who] < 30 * DAY)
    status = _status(rng, np.where(arm[who] > 0, arm[who].astype(np.int64) * 2 + early, 0))
    payments["status"] = np.where(payments.pop("must_fail"), 1, np.where(payments.pop("must_refund"), 2, status))
    order = stable_argsort(payments["paid_at"])
    return subscriptions, {key: v[order] for key, v in payments.items()}


def _status(rng: np.random.Generator, stratum: np.ndarray) -> np.ndarray:
    """0 succeeded, 1 failed, 2 refunded; counts balanced within each stratum."""
    n = len(stratum)
    failed = balanced_bernoulli(rng, np.full(n, B["failed_payment_share"]), stratum)
    refunded = ~failed & balanced_bernoulli(rng, np.full(n, B["refund_share"] / (1 - B["failed_payment_share"])),
                                            stratum)
    return np.where(failed, 1, np.where(refunded, 2, 0)).astype(np.int8)
