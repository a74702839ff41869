"""Certificates, alumni referrals and enterprise champions: what learners earn and who they bring in.

Alumni with a certificate are likelier referrers and champions; a frustrating first experience
(the early_paywall treatment) makes a learner a less likely advocate.
"""

from __future__ import annotations

import numpy as np

from pmdrill.core.warehouse.enrollments import AUDIT
from pmdrill.core.warehouse.frames import NULL_ID, NULL_TS, Frame, group_starts, stable_argsort
from pmdrill.core.warehouse.learners import REFERRAL
from pmdrill.core.warehouse.params import DAY, B


def build_certificates(rng: np.random.Generator, enr: Frame, program_courses: Frame, as_of_day: int) -> Frame:
    """Course certificates (completed, not audit) and program certificates (every course certified)."""
    end = (as_of_day + 1) * DAY
    rows = np.flatnonzero((enr["completed_at"] != NULL_TS) & (enr["final_type"] != AUDIT))
    issued = enr["completed_at"][rows] + rng.integers(600, DAY, len(rows))
    ok = issued < end
    rows, issued = rows[ok], issued[ok]
    course_cert = {"learner": enr["learner"][rows], "enrollment": rows, "program": np.full(len(rows), NULL_ID),
                   "issued_at": issued}
    # program certificates: every course of a program completed through that program (enrollments with
    # its program_id), issued when the last of them is certified; none after the as-of date
    pc_prog = program_courses["program_id"]
    size = np.bincount(pc_prog)
    via = enr["program"][rows] != NULL_ID
    p_rows, p_issued = rows[via], issued[via]
    learner, prog, course = enr["learner"][p_rows], enr["program"][p_rows], enr["course"][p_rows]
    key = (learner.astype(np.int64) * 1_000 + prog) * 10_000 + course
    order = np.lexsort((p_issued, key))  # each course counts once per learner and program: its first certificate
    key, when = key[order], p_issued[order]
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, dtype=bool)
    key, when = key[first], when[first]
    lp = key // 10_000
    starts = group_starts(lp)
    n_cov = np.diff(np.r_[starts, len(lp)])
    last = np.maximum.reduceat(when, starts) if len(lp) else np.zeros(0, np.int64)
    full = n_cov == size[lp[starts] % 1_000]
    p_at = last[full] + rng.integers(60, 3_600, int(full.sum()))
    p_ok = p_at < end
    prog_cert = {"learner": (lp[starts][full] // 1_000)[p_ok], "enrollment": np.full(int(p_ok.sum()), NULL_ID),
                 "program": (lp[starts][full] % 1_000)[p_ok], "issued_at": p_at[p_ok]}
    out = {k: np.concatenate([course_cert[k], prog_cert[k]]) for k in course_cert}
    order = stable_argsort(out["issued_at"])
    return {k: v[order] for k, v in out.items()}


def first_certificate(certs: Frame, n_learners: int) -> np.ndarray:
    first = np.full(n_learners, np.iinfo(np.int64).max)
    np.minimum.at(first, certs["learner"], certs["issued_at"])
    return np.where(first == np.iinfo(np.int64).max, NULL_TS, first)


def assign_referrers(rng: np.random.Generator, learners: Frame, first_cert: np.ndarray,
                     advocacy: np.ndarray) -> np.ndarray:
    """referred_by (local index or NULL_ID): a weighted pick among six earlier consumer signups."""
    consumer = np.flatnonzero(learners["seat"] < 0)  # sorted by signup
    referred = consumer[(learners["acquisition_channel"][consumer] == REFERRAL)
                        & ~learners["is_internal_test"][consumer]]
    rank = np.searchsorted(learners["signed_up_at"][consumer], learners["signed_up_at"][referred])
    out = np.full(len(learners["seat"]), NULL_ID)
    has = rank > 0
    referred, rank = referred[has], rank[has]
    k = 6
    cand = consumer[(rng.random((len(referred), k)) * rank[:, None]).astype(np.int64)]
    signup = learners["signed_up_at"][referred][:, None]
    cert = (first_cert[cand] != NULL_TS) & (first_cert[cand] < signup)
    w = (1 + B["referral_cert_weight"] * cert) * np.exp(0.3 * learners["motivation"][cand]) * advocacy[cand]
    w = w * ~learners["is_internal_test"][cand]
    gumbel = -np.log(-np.log(rng.random(w.shape)))
    pick = np.argmax(np.log(np.maximum(w, 1e-12)) + gumbel, axis=1)
    out[referred] = cand[np.arange(len(referred)), pick]
    return out


def assign_champions(rng: np.random.Generator, accounts: Frame, learners: Frame, certs: Frame,
                     advocacy: np.ndarray) -> np.ndarray:
    """champion (local learner index or NULL_ID) per account term; renewals keep their champion."""
    out = np.full(len(accounts["local"]), NULL_ID)
    consumer = (learners["seat"] < 0) & ~learners["is_internal_test"]
    course_certs = certs["enrollment"] != NULL_ID
    c_learner = certs["learner"][course_certs]
    c_at = certs["issued_at"][course_certs]
    ok = consumer[c_learner]
    c_learner, c_at = c_learner[ok], c_at[ok]
    for i in np.flatnonzero(accounts["champion"] & (accounts["prev"] == NULL_ID)).tolist():  # per account
        start = accounts["start"][i] * DAY
        window = (c_at < start - 14 * DAY) & (c_at >= start - 365 * DAY)
        pool = np.unique(c_learner[window])
        if len(pool) == 0:
            continue
        w = advocacy[pool] ** 4 * np.exp(0.3 * learners["motivation"][pool])  # deals need enthusiasm
        out[i] = rng.choice(pool, p=w / w.sum())
    # renewal terms inherit the champion of the term they renew (terms are in creation order)
    for i in range(len(out)):
        prev = accounts["prev"][i]
        if prev != NULL_ID:
            out[i] = out[prev]
    return out
