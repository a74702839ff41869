"""Enrollments: how many courses each learner takes, when, which, how (audit, paid, aid, enterprise).

Motivation drives the count and the paid share; timing mixes bursts after signup with a seasonal
draw (January peak); a small share re-enroll in a course they took before.
"""

from __future__ import annotations

import numpy as np

from pmdrill.core.warehouse.courses import Catalog
from pmdrill.core.warehouse.frames import NULL_ID, NULL_TS, Frame, repeat_ranges
from pmdrill.core.warehouse.learners import GOALS, day_weights
from pmdrill.core.warehouse.params import DAY, B, sigmoid

TYPES = ("audit", "paid", "financial_aid", "enterprise")
AUDIT, PAID, AID, ENTERPRISE_T = 0, 1, 2, 3
SOURCES = ("search", "browse", "recommendation", "program", "enterprise_assignment", "email")
S_RECOMMENDATION, S_PROGRAM, S_ENTERPRISE = 2, 3, 4
CAREER_GOALS = (GOALS.index("start_career"), GOALS.index("change_career"), GOALS.index("advance_career"))


def build_enrollments(rng: np.random.Generator, learners: Frame, seats: Frame, cat: Catalog,
                      as_of_day: int) -> Frame:
    """One row per enrollment, sorted by (learner, enrolled_at); ids are assigned by the pipeline."""
    end = (as_of_day + 1) * DAY
    n = len(learners["signed_up_at"])
    mot = learners["motivation"]
    is_test = learners["is_internal_test"]
    consumer = learners["seat"] < 0
    # how many ---------------------------------------------------------------------------------
    p_never = sigmoid(np.log(B["never_enroll_base"] / (1 - B["never_enroll_base"])) - 0.5 * mot)
    count = 1 + rng.poisson(np.exp(B["extra_enroll_log_rate"] + B["extra_enroll_motivation"] * mot))
    count = np.where(rng.random(n) < p_never, 0, np.minimum(count, 15))
    count = np.where(is_test, 8 + rng.poisson(6, n), count)
    seat_activated = np.full(n, NULL_TS)
    seat_activated[~consumer] = seats["activated_at"][learners["seat"][~consumer]]
    count = np.where(consumer, count, np.where(seat_activated != NULL_TS, 1 + rng.poisson(0.9, n), 0))
    owner, rank = repeat_ranges(count)
    m = len(owner)
    # when -------------------------------------------------------------------------------------
    signup = learners["signed_up_at"][owner]
    first_delay = np.where(rng.random(m) < 0.82, rng.exponential(0.8, m), rng.exponential(25.0, m))
    t = signup + (first_delay * DAY).astype(np.int64)
    later = rank > 0
    soon = later & (rng.random(m) < B["soon_share"])
    t = np.where(soon, signup + (rng.exponential(B["soon_mean_days"], m) * rank * DAY).astype(np.int64), t)
    seasonal = later & ~soon
    days, w = day_weights(as_of_day)
    cw = np.cumsum(w)
    lo = cw[np.clip(signup // DAY - days[0], 0, len(days) - 1)]
    pick = np.searchsorted(cw, lo + rng.random(m) * (cw[-1] - lo))
    t = np.where(seasonal, days[np.minimum(pick, len(days) - 1)] * DAY + rng.integers(0, DAY, m), t)
    ent = ~consumer[owner]
    t = np.where(ent & (rank == 0), seat_activated[owner], t)
    t = np.where(ent & (rank > 0), seat_activated[owner] + (rng.exponential(70.0, m) * DAY).astype(np.int64), t)
    t = np.maximum(t, signup + 60)
    # which course and how ----------------------------------------------------------------------
    course = _pick_courses(rng, cat, t, m)
    etype = np.where(rng.random(m) < sigmoid(B["paid_logit"] + B["paid_motivation"] * mot[owner]
                                             + 0.25 * np.isin(learners["learner_goal"][owner], CAREER_GOALS)),
                     PAID, AUDIT)
    etype = np.where((etype == AUDIT) & (rng.random(m) < B["financial_aid_share"]), AID, etype)
    etype = np.where(ent, ENTERPRISE_T, np.where(is_test[owner], AUDIT, etype))
    program = np.full(m, NULL_ID)
    via_program = (etype == PAID) & (rng.random(m) < B["program_share"])
    non_degree = np.flatnonzero(cat.programs["program_type"] != 2)
    links_prog = cat.program_courses["program_id"]
    link_rows = np.flatnonzero(np.isin(links_prog, cat.programs["program_id"][non_degree]))
    # drawn from a child stream: how many program enrollments there are must not move the draws after it
    # (the handful of degree admissions below would otherwise swing the revenue mix, T9)
    chosen = rng.spawn(1)[0].choice(link_rows, int(via_program.sum()))
    program[via_program] = links_prog[chosen]
    course[via_program] = cat.program_courses["course_id"][chosen] - 1
    source = rng.choice([0, 1, 2, 5], m, p=[0.36, 0.26, 0.24, 0.14])
    source = np.where(via_program, S_PROGRAM, source)
    source = np.where(ent, np.where(rank == 0, S_ENTERPRISE, rng.choice([0, 1, 2, 4], m, p=[0.2, 0.2, 0.2, 0.4])),
                      source)
    # re-enrollment: a later enrollment repeats the learner's previous course
    again = later & ~via_program & (rng.random(m) < B["reenroll_share"])
    prev = np.maximum(np.arange(m) - 1, 0)
    again &= cat.courses["launched_on"][course[prev]] * DAY <= t  # the earlier course must exist by then
    course = np.where(again, course[prev], course)
    program = np.where(again, NULL_ID, program)
    frame: Frame = {"learner": owner, "course": course, "program": program, "enrolled_at": t,
                    "type": etype, "source": source, "seq": np.full(m, NULL_ID), "seq_pos": np.zeros(m, np.int64)}
    frame = _add_program_paths(rng, frame, cat)
    frame = _add_degrees(rng, frame, learners, cat, as_of_day)
    keep = frame["enrolled_at"] < end
    order = np.lexsort((frame["enrolled_at"], frame["learner"]))
    order = order[keep[order]]
    return {k: v[order] for k, v in frame.items()}


def _add_program_paths(rng: np.random.Generator, frame: Frame, cat: Catalog) -> Frame:
    """A learner who joins a Specialization or Professional Certificate takes its courses in order.

    The learner's first program enrollment becomes the program's first course, and a row is added for
    each later course; ``seq`` / ``seq_pos`` mark the path. The pipeline (``step_enrollments``) times
    them and keeps only the courses a learner reached: the next course follows the previous one's
    completion, and a course left unfinished ends the path.
    """
    rows = np.flatnonzero(frame["program"] != NULL_ID)
    _, first = np.unique(frame["learner"][rows], return_index=True)  # one path per learner
    rows = rows[first]
    if len(rows) == 0:
        return frame
    links = cat.program_courses
    by = np.lexsort((links["position"], links["program_id"]))
    l_prog, l_course = links["program_id"][by], links["course_id"][by] - 1
    lo = np.searchsorted(l_prog, frame["program"][rows], "left")
    size = np.searchsorted(l_prog, frame["program"][rows], "right") - lo
    frame["course"][rows] = l_course[lo]
    frame["seq"][rows] = np.arange(len(rows))
    frame["seq_pos"][rows] = 1
    extra = size - 1
    owner = np.repeat(np.arange(len(rows)), extra)
    pos = np.arange(len(owner)) - np.repeat(np.cumsum(extra) - extra, extra) + 2  # 2..size
    src = rows[owner]
    add: Frame = {"learner": frame["learner"][src], "course": l_course[lo[owner] + pos - 1],
                  "program": frame["program"][src],
                  "enrolled_at": frame["enrolled_at"][src],  # set by the pipeline
                  "type": np.full(len(owner), PAID, dtype=frame["type"].dtype),
                  "source": np.full(len(owner), S_PROGRAM, dtype=frame["source"].dtype),
                  "seq": owner, "seq_pos": pos}
    return {k: np.concatenate([frame[k], add[k].astype(frame[k].dtype)]) for k in frame}


def _pick_courses(rng: np.random.Generator, cat: Catalog, t: np.ndarray, m: int) -> np.ndarray:
    """Popularity-weighted; a course launched after the enrollment is replaced by an older one."""
    p = cat.popularity / cat.popularity.sum()
    course = rng.choice(len(p), m, p=p)
    launched = cat.courses["launched_on"] * DAY
    bad = launched[course] > t
    for _ in range(6):  # a few redraws, then fall back to the most popular established course
        if not bad.any():
            break
        course[bad] = rng.choice(len(p), int(bad.sum()), p=p)
        bad = launched[course] > t
    course[bad] = int(np.argmax(np.where(launched <= t.min(), cat.popularity, 0)))
    return course


def _add_degrees(rng: np.random.Generator, frame: Frame, learners: Frame, cat: Catalog,
                 as_of_day: int) -> Frame:
    """A few consumer learners are admitted to a degree: its courses in order, two per term."""
    eligible = (learners["seat"] < 0) & ~learners["is_internal_test"] & np.isin(
        learners["learner_goal"], (*CAREER_GOALS, GOALS.index("academic")))
    # an exact number admitted, spread evenly over the degrees: a handful of $10k+ students must not
    # swing the revenue mix (T9) from one seed to the next
    pool = np.flatnonzero(eligible)
    is_degree = cat.programs["program_type"] == 2
    degrees = cat.programs["program_id"][is_degree]
    if len(degrees) == 0:
        return frame
    budget = B["degree_reference_tuition"] / float(np.mean(cat.programs["tuition_usd"][is_degree].astype(float)))
    k = min(len(pool), int(round(B["degree_learner_share"] / 0.7 * len(pool) * budget)))
    admitted = np.sort(rng.choice(pool, k, replace=False))
    if len(admitted) == 0:
        return frame
    prog = np.resize(rng.permutation(degrees), len(admitted))[rng.permutation(len(admitted))]
    rows = []
    links = cat.program_courses
    for d in degrees:  # a loop per degree program
        who = admitted[prog == d]
        courses = links["course_id"][links["program_id"] == d][np.argsort(links["position"][links["program_id"] == d])]
        for j, c in enumerate(courses):
            start = learners["signed_up_at"][who] + (20 + (j // 2) * 120) * DAY + rng.integers(0, 5 * DAY, len(who))
            rows.append({"learner": who, "course": np.full(len(who), c - 1), "program": np.full(len(who), d),
                         "enrolled_at": start, "type": np.full(len(who), PAID),
                         "source": np.full(len(who), S_PROGRAM), "seq": np.full(len(who), NULL_ID),
                         "seq_pos": np.zeros(len(who), np.int64)})
    extra = {k: np.concatenate([r[k] for r in rows]) for k in frame}
    return {k: np.concatenate([frame[k], extra[k].astype(frame[k].dtype)]) for k in frame}
