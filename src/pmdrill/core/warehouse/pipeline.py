"""The per-chunk generation steps, in order: an explicit tuple of functions over one ``Chunk`` state.

Each step reads what earlier steps left on the chunk and adds its own frames; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pmdrill.core.warehouse import engagement, enterprise, events, experiments, money, progress, social
from pmdrill.core.warehouse.courses import Catalog
from pmdrill.core.warehouse.enrollments import AUDIT, PAID, S_RECOMMENDATION, build_enrollments
from pmdrill.core.warehouse.experiments import (
    BY_NAME,
    first_in_window,
    paired_assignment,
    paired_assignment_with_pairs,
    srm_drop,
)
from pmdrill.core.warehouse.frames import NULL_ID, NULL_TS, Frame
from pmdrill.core.warehouse.learners import build_learners
from pmdrill.core.warehouse.params import DAY, B, rng_for


@dataclass
class Chunk:
    index: int
    n_learners: int
    seed: int
    as_of_day: int
    cat: Catalog
    f: dict[str, Frame] = field(default_factory=dict)       # frames by table-ish name
    a: dict[str, Any] = field(default_factory=dict)  # loose values shared between steps (arrays, outcomes)

    def rng(self, step: str) -> np.random.Generator:
        return rng_for(self.seed, "chunk", self.index, step)

    @property
    def end(self) -> int:
        return (self.as_of_day + 1) * DAY


def step_accounts(c: Chunk) -> None:
    c.f["accounts"], c.f["seats"] = enterprise.build_accounts(c.rng("accounts"), c.n_learners, c.as_of_day)


def step_learners(c: Chunk) -> None:
    n_seats = len(c.f["seats"]["learner"])
    n_consumer = max(c.n_learners - n_seats, c.n_learners // 2)
    if n_seats > c.n_learners - n_consumer:  # tiny chunks: keep the learner count, drop extra seats
        keep = np.arange(n_seats) < c.n_learners - n_consumer
        c.f["seats"] = {k: v[keep] for k, v in c.f["seats"].items()}
    c.f["learners"] = build_learners(c.rng("learners"), n_consumer, c.f["seats"], c.as_of_day)
    c.f["seats"]["learner"] = np.flatnonzero(c.f["learners"]["seat"] >= 0)
    # how a learner would pay, should they pay: a trait known before any experiment (assignment uses it)
    u = c.rng("payment_preference").random((2, len(c.f["learners"]["seat"])))
    c.f["learners"]["subscriber"] = u[0] < B["subscription_share"]
    c.f["learners"]["annual"] = u[1] < B["annual_plan_share"]


def step_enrollments(c: Chunk) -> None:
    enr = build_enrollments(c.rng("enrollments"), c.f["learners"], c.f["seats"], c.cat, c.as_of_day)
    u = progress.draw_uniforms(c.rng("progress"), len(enr["course"]))
    # program paths: a learner enrolls in a program's next course a little after completing the previous
    # one, and goes no further once a course is left unfinished. Learning on a path is simulated ahead,
    # course by course with no experiment running, to know who went on and when (the same uniforms are
    # used again by the worlds simulated later, so these rows complete alike unless treated).
    keep = enr["seq"] == NULL_ID
    keep |= enr["seq_pos"] == 1
    prev_done = np.full(int(enr["seq"].max(initial=-1)) + 1, NULL_TS)
    gap_rng = c.rng("program_paths")
    for k in range(1, int(enr["seq_pos"].max(initial=0)) + 1):
        rows = np.flatnonzero(enr["seq_pos"] == k)
        if k > 1:
            prev = prev_done[enr["seq"][rows]]
            at = prev + (gap_rng.exponential(B["program_next_days"], len(rows)) * DAY).astype(np.int64) + 3_600
            go = (prev != NULL_TS) & (at < c.end)
            rows = rows[go]
            enr["enrolled_at"][rows] = at[go]
            keep[rows] = True
        sub = {key: v[rows] for key, v in enr.items()}
        done = progress.simulate(sub, c.f["learners"]["motivation"], c.cat, progress.take(u, rows),
                                 progress.Treatments.none(len(rows)), c.as_of_day,
                                 np.ones(len(rows), dtype=bool)).completed_at
        prev_done[:] = NULL_TS
        prev_done[enr["seq"][rows]] = done
    del enr["seq"], enr["seq_pos"]
    order = np.flatnonzero(keep)
    order = order[np.lexsort((enr["enrolled_at"][order], enr["learner"][order]))]
    c.f["enr"] = {key: v[order] for key, v in enr.items()}
    c.a["uniforms"] = progress.take(u, order)


def _paywall_signups(c: Chunk) -> np.ndarray:
    """Per learner: signup time if a real consumer signed up in the early_paywall window, else NULL_TS."""
    L = c.f["learners"]
    lo, hi = BY_NAME["early_paywall"].window
    ok = ~L["is_internal_test"] & (L["seat"] < 0) & (L["signed_up_at"] >= lo) & (L["signed_up_at"] < hi)
    return np.where(ok, L["signed_up_at"], NULL_TS)


def _paywall_exposed(enr: Frame, since: np.ndarray, until: int) -> np.ndarray:
    """Audit enrollments of early_paywall-exposed learners made inside the window."""
    s = since[enr["learner"]]
    return (s != NULL_TS) & (enr["enrolled_at"] >= s) & (enr["enrolled_at"] < until) & (enr["type"] == AUDIT)


def step_control_world(c: Chunk) -> None:
    """Simulate learning with no experiment running, and with early_paywall for everyone eligible.

    Assignment is matched on both potential outcomes (see ``step_assign``); the data itself comes
    from the treatment world simulated in ``step_learning`` with the same random numbers.
    """
    enr, L = c.f["enr"], c.f["learners"]
    can_upgrade = ~L["is_internal_test"][enr["learner"]]
    c.a["control"] = progress.simulate(enr, L["motivation"], c.cat, c.a["uniforms"],
                                       progress.Treatments.none(len(enr["course"])), c.as_of_day, can_upgrade)
    tr = progress.Treatments.none(len(enr["course"]))
    tr.early_paywall = _paywall_exposed(enr, _paywall_signups(c), BY_NAME["early_paywall"].window[1])
    c.a["paywall_world"] = progress.simulate(enr, L["motivation"], c.cat, c.a["uniforms"], tr, c.as_of_day,
                                             can_upgrade)


def _mix(exposed: np.ndarray, ctrl, pw):
    """Per-enrollment arrays, or frames keyed by enrollment: the paywall world's where ``exposed``."""
    if isinstance(ctrl, dict):
        a, b = ~exposed[ctrl["enrollment"]], exposed[pw["enrollment"]]
        return {k: np.concatenate([ctrl[k][a], pw[k][b]]) for k in ctrl}
    return np.where(exposed, pw, ctrl)


def step_assign(c: Chunk) -> None:
    rng = c.rng("assign")
    L, enr, ctrl = c.f["learners"], c.f["enr"], c.a["control"]
    n = len(L["seat"])
    real = ~L["is_internal_test"]
    consumer = real & (L["seat"] < 0)
    prog = ctrl.progress
    p_learner = enr["learner"][prog["enrollment"]]
    done = prog["completed_at"] != NULL_TS
    parts = []

    def add(name: str, assigned: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
        who = np.flatnonzero(assigned != NULL_TS)
        if name == "early_paywall":  # the pair shares its money draws (step_money)
            variant, leader = paired_assignment_with_pairs(rng, [k[who] for k in keys])
            c.a["paywall_draws_of"] = np.arange(n)
            c.a["paywall_draws_of"][who] = who[leader]
        else:
            variant = paired_assignment(rng, [k[who] for k in keys])
        full = np.full(n, -1, dtype=np.int8)
        full[who] = variant
        parts.append((BY_NAME[name], who, variant, assigned[who]))
        return full

    def count_in(owner: np.ndarray, times: np.ndarray, since: np.ndarray, until: int, mask=None) -> np.ndarray:
        ok = (times >= since[owner]) & (times < until) & (since[owner] != NULL_TS)
        if mask is not None:
            ok &= mask
        return np.bincount(owner[ok], minlength=n)

    mot_q = np.digitize(L["motivation"], np.quantile(L["motivation"], np.linspace(0, 1, 11)[1:-1]))
    # early_paywall: consumer signups in the window, from signup; matched on both potential outcomes
    lo, hi = BY_NAME["early_paywall"].window
    at = _paywall_signups(c)
    keys = [np.zeros(n, dtype=np.int64)]  # degree students pay tuition whatever the paywall: pair them up
    on_degree = np.isin(enr["program"], c.cat.programs["program_id"][c.cat.programs["program_type"] == 2])
    keys[0][enr["learner"][on_degree]] = enr["program"][on_degree]
    worlds = (ctrl, c.a.pop("paywall_world"))
    owner_at = at[enr["learner"]]
    for kind, cap in (("paid30", 1), ("paid365", 8), ("completed", 4)):
        for w in worlds:
            pay_at = np.where(w.upgraded_at != NULL_TS, w.upgraded_at, enr["enrolled_at"])
            if kind == "completed":
                k = count_in(enr["learner"], w.completed_at, at, c.end, w.completed_at != NULL_TS)
            elif kind == "paid365":  # months of paid learning within the year: what subscriptions charge for
                last = pay_at.copy()
                np.maximum.at(last, w.progress["enrollment"], np.maximum(w.progress["started_at"],
                                                                         w.progress["completed_at"]))
                paid = (w.final_type == PAID) & (pay_at >= owner_at) & (pay_at - owner_at < 365 * DAY) & (owner_at != NULL_TS)
                months = np.where(paid, 1 + (last - pay_at) // (30 * DAY), 0)
                k = np.bincount(enr["learner"], weights=months, minlength=n).astype(np.int64)
            else:  # paid within 30 days
                k = count_in(enr["learner"], pay_at, at, c.end, (w.final_type == PAID) & (pay_at - owner_at < 30 * DAY))
            keys.append(np.minimum(k, cap))
        if kind == "paid365":
            keys.append(L["subscriber"] * (1 + L["annual"]))
    keys.append(np.minimum(count_in(enr["learner"], enr["enrolled_at"], at, c.end), 6))
    v = add("early_paywall", at, keys + [mot_q])
    c.a["paywall"] = np.where(v == 1, at, NULL_TS), hi
    c.a["paywall_arm"] = (v + 1).astype(np.int8)  # 0 not assigned, 1 control, 2 treatment
    # later experiments are matched on learning as it will be: with the early paywall where it applies
    # (its courses run on past its window)
    exposed = _paywall_exposed(enr, c.a["paywall"][0], hi)
    pw = worlds[1]
    ctrl = progress.Outcome(*(_mix(exposed, getattr(ctrl, f), getattr(pw, f))
                              for f in ("progress", "attempts", "completed_at", "final_type", "upgraded_at",
                                        "pressured")))
    prog = ctrl.progress
    p_learner = enr["learner"][prog["enrollment"]]
    done = prog["completed_at"] != NULL_TS
    # rec_model_v2: learners enrolling in the window, from their first enrollment there
    lo, hi = BY_NAME["rec_model_v2"].window
    at = first_in_window(enr["learner"], enr["enrolled_at"] - 60, lo, hi, n)
    at[~real] = NULL_TS
    # rec-led enrollments after the first: their impressions (always clicked) fall inside the window
    later = np.where(at != NULL_TS, at + 3 * 3_600, NULL_TS)
    n_rec = count_in(enr["learner"], enr["enrolled_at"], later, hi, enr["source"] == S_RECOMMENDATION)
    # early_paywall's long holdout overlaps this window: its arm is a stratum, so it splits evenly here
    v = add("rec_model_v2", at, [c.a["paywall_arm"], n_rec, count_in(enr["learner"], enr["enrolled_at"], at, hi),
                                 mot_q])
    c.a["rec_v2"] = np.where(v == 1, at, NULL_TS), hi
    c.a["rec_v2_control"] = np.where(v == 0, at, NULL_TS)
    # streak_push: learners who start a module in the window
    lo, hi = BY_NAME["streak_push"].window
    at = first_in_window(p_learner, prog["started_at"] - 30, lo, hi, n)
    at[~real] = NULL_TS
    mods = count_in(p_learner, prog["completed_at"], at, hi, done)
    sess = count_in(p_learner, prog["started_at"], at, hi)
    pay_at = np.where(ctrl.upgraded_at != NULL_TS, ctrl.upgraded_at, enr["enrolled_at"])
    paying = np.zeros(n, dtype=np.int64)  # a paid enrollment running into the window: a subscription to cancel
    paying[enr["learner"][(ctrl.final_type == PAID) & (pay_at < hi) & (pay_at >= lo - 180 * DAY)]] = 1
    v = add("streak_push", at, [mods, sess, paying])
    c.a["streak"] = np.where(v == 1, at, NULL_TS), hi
    c.a["streak_arm"] = ((v + 1).astype(np.int8), at)  # 0 not assigned, 1 control, 2 treatment; from when
    # easier_quizzes: learners enrolling in the window
    lo, hi = BY_NAME["easier_quizzes"].window
    at = first_in_window(enr["learner"], enr["enrolled_at"] - 60, lo, hi, n)
    at[~real] = NULL_TS
    comp = count_in(enr["learner"], ctrl.completed_at, at, c.end, ctrl.completed_at != NULL_TS)
    luck_q = (L["career_luck"] * 10).astype(np.int64)
    v = add("easier_quizzes", at, [c.a["paywall_arm"], np.minimum(comp, 2), luck_q, mot_q])
    c.a["easy"] = np.where(v == 1, at, NULL_TS), hi
    # short_videos: learners who start a module in the window
    lo, hi = BY_NAME["short_videos"].window
    at = first_in_window(p_learner, prog["started_at"] - 30, lo, hi, n)
    at[~real] = NULL_TS
    att = ctrl.attempts
    a_learner = enr["learner"][att["enrollment"]]
    v = add("short_videos", at, [count_in(p_learner, prog["started_at"], at, hi),
                                 count_in(p_learner, prog["completed_at"], at, hi, done),
                                 np.minimum(count_in(a_learner, att["attempted_at"], at, hi, att["passed"]), 6),
                                 np.minimum(count_in(a_learner, att["attempted_at"], at, hi, ~att["passed"]), 6)])
    c.a["short"] = np.where(v == 1, at, NULL_TS), hi
    # new_onboarding: consumer signups; no real effect, but Android control assignments get lost
    lo, hi = BY_NAME["new_onboarding"].window
    at = np.where(consumer & (L["signed_up_at"] >= lo) & (L["signed_up_at"] < hi), L["signed_up_at"], NULL_TS)
    week1 = np.minimum(count_in(enr["learner"], enr["enrolled_at"], at, hi + 7 * DAY,
                                enr["enrolled_at"] - at[enr["learner"]] < 7 * DAY), 1)
    add("new_onboarding", at, [L["signup_platform"], week1])
    e, who, variant, assigned = parts[-1]
    android = L["signup_platform"][who] == 2
    lost = srm_drop(rng, variant, android, np.where(week1[who] > 0, 1_000.0, 1.0))
    parts[-1] = (e, who[~lost], variant[~lost], assigned[~lost])
    c.f["assignments"] = experiments.assignments_frame(parts)


def step_learning(c: Chunk) -> None:
    """The treatment world: the same enrollments and random numbers, with each learner's exposure."""
    enr, L = c.f["enr"], c.f["learners"]
    m = len(enr["course"])
    tr = progress.Treatments.none(m)
    owner = enr["learner"]
    for key, attr_from, attr_to in (("easy", "easy_from", "easy_to"), ("short", "short_from", "short_to")):
        since, until = c.a[key]
        on = since[owner] != NULL_TS
        setattr(tr, attr_from, np.where(on, since[owner], 0))
        setattr(tr, attr_to, np.where(on, until, 0))
    tr.early_paywall = _paywall_exposed(enr, *c.a["paywall"])
    since, until = c.a["rec_v2"]
    curious = ((since[owner] != NULL_TS) & (enr["enrolled_at"] >= since[owner]) & (enr["enrolled_at"] < until)
               & (enr["source"] == S_RECOMMENDATION))
    tr.commit_shift = np.where(curious, -0.6, 0.0)
    out = progress.simulate(enr, L["motivation"], c.cat, c.a["uniforms"], tr, c.as_of_day,
                            ~L["is_internal_test"][enr["learner"]])
    del c.a["uniforms"], c.a["control"]
    p = out.progress
    u = c.rng("stops").random(len(p["enrollment"]))
    p["stop"] = events.module_stop(p, u, c.end)
    p["sessions"] = 1 + c.rng("sessions").poisson(np.where(p["completed_at"] != NULL_TS, 2.0, 0.6)) + p["failed"]
    last = np.full(m, NULL_TS)
    np.maximum.at(last, p["enrollment"], p["stop"])
    enr.update(final_type=out.final_type, upgraded_at=out.upgraded_at, pressured=out.pressured,
               completed_at=out.completed_at, last_activity=last)
    c.f["progress"], c.f["attempts"] = p, out.attempts


def step_certificates(c: Chunk) -> None:
    c.f["certs"] = social.build_certificates(c.rng("certificates"), c.f["enr"], c.cat.program_courses, c.as_of_day)


def step_social(c: Chunk) -> None:
    L = c.f["learners"]
    n = len(L["seat"])
    first_cert = social.first_certificate(c.f["certs"], n)
    advocacy = np.where(c.a["paywall"][0] != NULL_TS, B["paywall_advocacy"], 1.0)
    L["referred_by"] = social.assign_referrers(c.rng("referrals"), L, first_cert, advocacy)
    c.f["accounts"]["champion_learner"] = social.assign_champions(c.rng("champions"), c.f["accounts"], L,
                                                                  c.f["certs"], advocacy)


def step_money(c: Chunk) -> None:
    rng = c.rng("money")
    n = len(c.f["learners"]["seat"])
    since, until = c.a["streak"]
    extra = np.where((since != NULL_TS) & (rng.random(n) < B["streak_cancel_share"]),
                     since + (rng.uniform(3, 55, n) * DAY).astype(np.int64), NULL_TS)
    arm = c.a["paywall_arm"]
    c.f["subs"], c.f["payments"] = money.build_money(rng, c.f["enr"], c.f["learners"], c.cat, c.as_of_day, extra,
                                                     arm, np.where(arm > 0, _paywall_signups(c), NULL_TS),
                                                     c.a["paywall_draws_of"])


def step_engagement(c: Chunk) -> None:
    L, enr, p = c.f["learners"], c.f["enr"], c.f["progress"]
    since, until = c.a["streak"]
    rows = np.flatnonzero(since[enr["learner"][p["enrollment"]]] != NULL_TS)
    learner = enr["learner"][p["enrollment"][rows]]
    first = np.maximum(p["started_at"][rows], since[learner]) // DAY
    last = np.minimum(np.minimum(p["stop"][rows] + 2 * DAY, until), c.end - 1) // DAY
    span = np.maximum(last - first + 1, 0)
    owner = np.repeat(np.arange(len(rows)), span)
    day = first[owner] + np.arange(len(owner)) - np.repeat(np.cumsum(span) - span, span)
    key = np.unique(learner[owner] * 1_000_000 + day)
    rng = c.rng("engagement")
    streak = {"learner": key // 1_000_000, "sent_at": (key % 1_000_000) * DAY + 17 * 3_600 + rng.integers(0, 3_600, len(key))}
    c.f["notifications"], c.a["app_events"] = engagement.build_notifications(rng, L, enr, p, streak, c.as_of_day,
                                                                             (*c.a["streak_arm"], until))
    v2_from, v2_to = c.a["rec_v2"]
    c.f["recs"] = engagement.build_recommendations(rng, enr, L, len(c.cat.popularity), c.cat.popularity,
                                                   v2_from, np.full(len(v2_from), v2_to), c.a["rec_v2_control"],
                                                   c.as_of_day)
    c.f["reviews"] = engagement.build_reviews(rng, enr, L, c.as_of_day)
    certs = c.f["certs"]
    n = len(L["seat"])
    last_cert = np.full(n, NULL_TS)
    np.maximum.at(last_cert, certs["learner"], certs["issued_at"])
    last_act = np.full(n, NULL_TS)
    np.maximum.at(last_act, enr["learner"], enr["last_activity"])
    since, _ = c.a["easy"]
    easy_cert = np.zeros(n, dtype=bool)
    easy_cert[certs["learner"][(since[certs["learner"]] != NULL_TS) & (certs["issued_at"] >= since[certs["learner"]])]] = True
    c.f["careers"] = engagement.build_careers(rng, L, last_cert, last_act, np.where(easy_cert, 0.8, 1.0), c.as_of_day)


def step_events(c: Chunk) -> None:
    c.f["events"] = events.build_events(c.rng("events"), c.f["progress"], c.f["attempts"], c.f["enr"],
                                        c.f["learners"], c.cat.modules["video_minutes"], c.a.pop("app_events"),
                                        c.as_of_day)


STEPS = (step_accounts, step_learners, step_enrollments, step_control_world, step_assign, step_learning,
         step_certificates, step_social, step_money, step_engagement, step_events)
