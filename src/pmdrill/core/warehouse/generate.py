"""Generate the whole warehouse as a stream of (table name, Arrow table) batches.

The catalogue and experiment definitions come first, then learners in fixed-size chunks: each chunk
runs ``pipeline.STEPS`` and is converted to Arrow with ids continuing from the previous chunk.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyarrow as pa

from pmdrill.core.warehouse import courses as catalog_mod
from pmdrill.core.warehouse import engagement, enrollments, enterprise, events, learners, money
from pmdrill.core.warehouse.experiments import EXPERIMENTS
from pmdrill.core.warehouse.frames import NULL_ID, NULL_TS, date, ids, labels, stable_argsort, ts
from pmdrill.core.warehouse.frames import money as money_col
from pmdrill.core.warehouse.params import CHUNK_LEARNERS, DAY, SCALES, day_number
from pmdrill.core.warehouse.pipeline import STEPS, Chunk
from pmdrill.errors import WarehouseError

Progress = Callable[[str, int, int], None]
_WORKERS = 2  # threads simulating chunks
_AHEAD = 1  # chunks simulated ahead of the one being converted

# columns this generator adds to the contract: (table, column, type, comment)
ADDED_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("learners", "signup_platform", "VARCHAR",
     "'web' | 'ios' | 'android': platform of the signup flow (the new_onboarding SRM is Android-only)"),
    ("enterprise_accounts", "renewal_of_account_id", "INTEGER",
     "the contract term this row renews (each yearly term is a row); NULL for a first contract"),
)


def learner_count(scale: str) -> int:
    try:
        return SCALES[scale]
    except KeyError:
        raise WarehouseError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}") from None


def generate(scale: str = "small", seed: int = 42, as_of: dt.date = dt.date(2026, 6, 30),
             progress: Progress | None = None) -> Iterator[tuple[str, pa.Table]]:
    """Yield Arrow batches in dependency order (parents before children within each chunk)."""
    total = learner_count(scale)
    if as_of < dt.date(2026, 5, 25):
        raise WarehouseError("as_of must be 2026-05-25 or later: the planted experiments run until 2026-05-18 "
                             "and first-week enrollment needs a week after that")
    as_of_day = day_number(as_of)
    cat = catalog_mod.build_catalog(seed)
    yield from _catalog_tables(cat)
    yield "experiments", _experiments_table()
    n_chunks = max(1, -(-total // CHUNK_LEARNERS))
    off = dict.fromkeys(("learner", "enrollment", "attempt", "certificate", "subscription", "payment", "event",
                         "notification", "recommendation", "account"), 0)

    def simulate(i: int) -> Chunk:
        chunk = Chunk(i, min(CHUNK_LEARNERS, total - i * CHUNK_LEARNERS), seed, as_of_day, cat)
        for step in STEPS:
            if progress:
                progress(step.__name__.removeprefix("step_"), i, n_chunks)
            step(chunk)
        return chunk

    # chunks are independent (each draws from its own random streams; ids are offset here, in order), so
    # the next ones are simulated on worker threads while this one is converted and inserted: NumPy
    # releases the GIL in its array work. At most _AHEAD chunks are held besides the current one.
    pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="pmdrill-chunk")
    try:
        pending: deque[Future[Chunk]] = deque()
        for i in range(n_chunks):
            while len(pending) <= _AHEAD and i + len(pending) < n_chunks:
                pending.append(pool.submit(simulate, i + len(pending)))
            chunk = pending.popleft().result()
            yield from _chunk_tables(chunk, off)
            chunk.f.clear()
            chunk.a.clear()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if progress:
        progress("done", n_chunks, n_chunks)


def _catalog_tables(cat: catalog_mod.Catalog) -> Iterator[tuple[str, pa.Table]]:
    p, c, m, g, pc = cat.partners, cat.courses, cat.modules, cat.programs, cat.program_courses
    yield "partners", pa.table({
        "partner_id": ids(p["partner_id"], pa.int32()), "name": pa.array(p["name"].tolist()),
        "partner_type": labels(p["partner_type"], catalog_mod.PARTNER_TYPES),
        "country": labels(p["country"], catalog_mod.COUNTRIES), "joined_on": date(p["joined_on"])})
    yield "courses", pa.table({
        "course_id": ids(c["course_id"], pa.int32()), "partner_id": ids(c["partner_id"], pa.int32()),
        "title": pa.array(c["title"].tolist()), "domain": labels(c["domain"], catalog_mod.DOMAINS),
        "level": labels(c["level"], catalog_mod.LEVELS), "launched_on": date(c["launched_on"]),
        "module_count": ids(c["module_count"], pa.int32()), "certificate_price_usd": money_col(c["certificate_price_usd"])})
    yield "programs", pa.table({
        "program_id": ids(g["program_id"], pa.int32()), "partner_id": ids(g["partner_id"], pa.int32()),
        "title": pa.array(g["title"].tolist()), "program_type": labels(g["program_type"], catalog_mod.PROGRAM_TYPES),
        "monthly_price_usd": pa.array(g["monthly_price_usd"].astype(float), mask=np.isnan(g["monthly_price_usd"].astype(float))),
        "tuition_usd": pa.array(g["tuition_usd"].astype(float), mask=np.isnan(g["tuition_usd"].astype(float))),
        "launched_on": date(g["launched_on"])})
    yield "program_courses", pa.table({
        "program_id": ids(pc["program_id"], pa.int32()), "course_id": ids(pc["course_id"], pa.int32()),
        "position": ids(pc["position"], pa.int32())})
    yield "modules", pa.table({
        "module_id": ids(m["module_id"], pa.int32()), "course_id": ids(m["course_id"], pa.int32()),
        "position": ids(m["position"], pa.int32()), "title": pa.array(m["title"].tolist()),
        "video_minutes": ids(m["video_minutes"], pa.int32()), "median_video_minutes": pa.array(m["median_video_minutes"]),
        "has_graded_assessment": pa.array(m["has_graded_assessment"])})


def _experiments_table() -> pa.Table:
    return pa.table({
        "experiment_id": pa.array([e.experiment_id for e in EXPERIMENTS], pa.int32()),
        "name": [e.name for e in EXPERIMENTS], "hypothesis": [e.hypothesis for e in EXPERIMENTS],
        "primary_metric": [e.primary_metric for e in EXPERIMENTS],
        "started_at": ts(np.array([day_number(e.start) * DAY for e in EXPERIMENTS])),
        "ended_at": ts(np.array([day_number(e.end) * DAY for e in EXPERIMENTS]))})


def _map(local: np.ndarray, offset: int) -> np.ndarray:
    """Local index -> global id (NULL_ID stays NULL_ID)."""
    local = np.asarray(local, dtype=np.int64)
    return np.where(local == NULL_ID, NULL_ID, local + offset + 1)


def _chunk_tables(c: Chunk, off: dict[str, int]) -> Iterator[tuple[str, pa.Table]]:
    L, enr, f = c.f["learners"], c.f["enr"], c.f
    lo, eo, ao = off["learner"], off["enrollment"], off["account"]
    acc = f["accounts"]
    yield "learners", pa.table({
        "learner_id": ids(_map(np.arange(len(L["seat"])), lo)), "signed_up_at": ts(L["signed_up_at"]),
        "country": labels(L["country"], catalog_mod.COUNTRIES),
        "acquisition_channel": labels(L["acquisition_channel"], learners.CHANNELS),
        "learner_goal": labels(L["learner_goal"], learners.GOALS, null_code=-1),
        "referred_by_learner_id": ids(_map(L["referred_by"], lo), nullable=True),
        "is_internal_test": pa.array(L["is_internal_test"]),
        "signup_platform": labels(L["signup_platform"], learners.PLATFORMS)})
    yield "enterprise_accounts", pa.table({
        "account_id": ids(_map(acc["local"], ao), pa.int32()),
        "name": pa.array(enterprise.account_names(acc["name_idx"]).tolist()),
        "segment": labels(acc["segment"], enterprise.SEGMENTS),
        "industry": labels(acc["industry"], enterprise.INDUSTRIES, null_code=-1),
        "contract_start": date(acc["start"]), "contract_end": date(acc["end"]),
        "seats_purchased": ids(acc["seats"], pa.int32()), "annual_contract_value_usd": money_col(acc["acv"]),
        "champion_learner_id": ids(_map(acc["champion_learner"], lo), nullable=True),
        "renewed": pa.array(acc["renewed"] == 1, mask=acc["renewed"] < 0),
        "renewal_of_account_id": ids(_map(acc["prev"], ao), pa.int32(), nullable=True)})
    s = f["seats"]
    yield "enterprise_seats", pa.table({
        "account_id": ids(_map(s["term"], ao), pa.int32()), "learner_id": ids(_map(s["learner"], lo)),
        "assigned_at": ts(s["assigned_at"]), "activated_at": ts(s["activated_at"])})
    yield "enrollments", pa.table({
        "enrollment_id": ids(_map(np.arange(len(enr["course"])), eo)), "learner_id": ids(_map(enr["learner"], lo)),
        "course_id": ids(enr["course"] + 1, pa.int32()), "program_id": ids(enr["program"], pa.int32(), nullable=True),
        "enrolled_at": ts(enr["enrolled_at"]), "enrollment_type": labels(enr["final_type"], enrollments.TYPES),
        "source": labels(enr["source"], enrollments.SOURCES), "completed_at": ts(enr["completed_at"])})
    p = f["progress"]
    yield "module_progress", pa.table({
        "enrollment_id": ids(_map(p["enrollment"], eo)), "module_id": ids(p["module"] + 1, pa.int32()),
        "started_at": ts(p["started_at"]), "completed_at": ts(p["completed_at"])})
    a = f["attempts"]
    order = stable_argsort(a["attempted_at"])
    yield "assessment_attempts", pa.table({
        "attempt_id": ids(np.arange(len(order)) + off["attempt"] + 1), "enrollment_id": ids(_map(a["enrollment"][order], eo)),
        "module_id": ids(a["module"][order] + 1, pa.int32()), "attempted_at": ts(a["attempted_at"][order]),
        "score_pct": pa.array(a["score_pct"][order].astype(float)), "passed": pa.array(a["passed"][order])})
    off["attempt"] += len(order)
    ce = f["certs"]
    yield "certificates", pa.table({
        "certificate_id": ids(np.arange(len(ce["learner"])) + off["certificate"] + 1),
        "learner_id": ids(_map(ce["learner"], lo)), "enrollment_id": ids(_map(ce["enrollment"], eo), nullable=True),
        "program_id": ids(ce["program"], pa.int32(), nullable=True), "issued_at": ts(ce["issued_at"])})
    off["certificate"] += len(ce["learner"])
    sb = f["subs"]
    so = off["subscription"]
    yield "subscriptions", pa.table({
        "subscription_id": ids(_map(np.arange(len(sb["learner"])), so)), "learner_id": ids(_map(sb["learner"], lo)),
        "plan": labels(sb["plan"], money.PLANS), "program_id": ids(sb["program"], pa.int32(), nullable=True),
        "started_at": ts(sb["started_at"]), "trial_ends_at": ts(sb["trial_ends_at"]),
        "canceled_at": ts(sb["canceled_at"]), "cancel_reason": labels(sb["cancel_reason"], money.REASONS, null_code=-1)})
    pm = f["payments"]
    yield "payments", pa.table({
        "payment_id": ids(np.arange(len(pm["learner"])) + off["payment"] + 1), "learner_id": ids(_map(pm["learner"], lo)),
        "subscription_id": ids(_map(pm["subscription"], so), nullable=True),
        "enrollment_id": ids(_map(pm["enrollment"], eo), nullable=True),
        "program_id": ids(pm["program"], pa.int32(), nullable=True), "paid_at": ts(pm["paid_at"]),
        "amount_usd": money_col(pm["amount"]), "payment_type": labels(pm["payment_type"], money.PAYMENT_TYPES),
        "status": labels(pm["status"], money.STATUSES)})
    off["subscription"] += len(sb["learner"])
    off["payment"] += len(pm["learner"])
    ev = f["events"]
    yield "learning_events", pa.table({
        "event_id": ids(np.arange(len(ev["learner"])) + off["event"] + 1), "learner_id": ids(_map(ev["learner"], lo)),
        "enrollment_id": ids(_map(ev["enrollment"], eo), nullable=True),
        "module_id": ids(np.where(ev["module"] == NULL_ID, NULL_ID, ev["module"] + 1), pa.int32(), nullable=True),
        "event_at": ts(ev["event_at"]), "event_type": labels(ev["event_type"], events.EVENT_TYPES),
        "platform": labels(ev["platform"], learners.PLATFORMS), "minutes": pa.array(ev["minutes"].astype(float))})
    off["event"] += len(ev["learner"])
    nt = f["notifications"]
    yield "notifications", pa.table({
        "notification_id": ids(np.arange(len(nt["learner"])) + off["notification"] + 1),
        "learner_id": ids(_map(nt["learner"], lo)), "sent_at": ts(nt["sent_at"]),
        "channel": labels(nt["channel"], engagement.CHANNELS), "campaign": labels(nt["campaign"], engagement.CAMPAIGNS),
        "opened_at": ts(nt["opened_at"]), "unsubscribed": pa.array(nt["unsubscribed"])})
    off["notification"] += len(nt["learner"])
    r = f["recs"]
    yield "recommendations", pa.table({
        "recommendation_id": ids(np.arange(len(r["learner"])) + off["recommendation"] + 1),
        "learner_id": ids(_map(r["learner"], lo)), "course_id": ids(r["course"] + 1, pa.int32()),
        "shown_at": ts(r["shown_at"]), "surface": labels(r["surface"], engagement.SURFACES),
        "model_version": labels(r["model_v2"].astype(np.int8), (engagement.MODEL_V1, engagement.MODEL_V2)),
        "clicked_at": ts(r["clicked_at"]), "enrollment_id": ids(_map(r["enrollment"], eo), nullable=True)})
    off["recommendation"] += len(r["learner"])
    x = f["assignments"]
    yield "experiment_assignments", pa.table({
        "experiment_id": ids(x["experiment"], pa.int32()), "learner_id": ids(_map(x["learner"], lo)),
        "variant": labels(x["variant"], ("control", "treatment")), "assigned_at": ts(x["assigned_at"])})
    rv = f["reviews"]
    yield "course_reviews", pa.table({
        "learner_id": ids(_map(rv["learner"], lo)), "course_id": ids(rv["course"] + 1, pa.int32()),
        "rating": ids(rv["rating"], pa.int32()), "reviewed_at": ts(rv["reviewed_at"])})
    co = f["careers"]
    yield "career_outcomes", pa.table({
        "learner_id": ids(_map(co["learner"], lo)), "surveyed_at": ts(co["surveyed_at"]),
        "outcome": labels(co["outcome"], engagement.OUTCOMES)})
    off["learner"] += len(L["seat"])
    off["enrollment"] += len(enr["course"])
    off["account"] += len(acc["local"])
    assert NULL_TS == -1  # ts() relies on it
