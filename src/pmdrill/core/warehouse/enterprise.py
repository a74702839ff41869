"""B2B accounts: yearly contract terms, seats assigned to new learners, activation and renewal.

Each renewal is a new term row (``renewal_of_account_id`` points at the term it renews), so net
retention is the renewed terms' value over the value of the terms that came due.
"""

from __future__ import annotations

import numpy as np

from pmdrill.core.warehouse.frames import NULL_ID, NULL_TS, Frame, concat, stable_argsort
from pmdrill.core.warehouse.params import DAY, HISTORY_START, B, day_number, sigmoid

SEGMENTS = ("business", "campus", "government")
INDUSTRIES = ("technology", "financial_services", "healthcare", "manufacturing", "retail",
              "consulting", "higher_education", "public_sector")
_NAME_A = ("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne",
           "Soylent", "Hooli", "Vandelay", "Pied Piper", "Gringotts", "Oceanic", "Monarch", "Aperture",
           "Black Mesa", "Nakatomi", "Dunder")
_NAME_B = ("Corp", "Group", "Holdings", "Systems", "Partners", "Industries", "Health", "Bank",
           "University", "College", "Agency", "Labs")


def build_accounts(rng: np.random.Generator, n_learners: int, as_of_day: int) -> tuple[Frame, Frame]:
    """(account terms, seats). Seats carry a local enterprise-learner index 0..n-1 and times."""
    start0 = day_number(HISTORY_START)
    n0 = max(1, int(round(n_learners * B["accounts_per_learner"])))
    segment = rng.choice(3, n0, p=[0.6, 0.25, 0.15])
    industry = np.where(segment == 1, 6, np.where(segment == 2, 7, rng.integers(0, 6, n0)))
    industry = np.where(rng.random(n0) < 0.08, -1, industry)
    start = start0 + rng.integers(0, as_of_day - start0 - 20, n0)
    champion = (segment == 0) & (start >= day_number(HISTORY_START) + 240) & (rng.random(n0) < B["champion_share"])
    median = np.array([B["seats_business"], B["seats_campus"], B["seats_government"]])[segment]
    median = median * np.where(champion, B["champion_seat_factor"], 1.0)  # an insider lands a bigger deal
    seats = np.clip(np.round(rng.lognormal(np.log(median), 0.6)), 2, 400).astype(np.int64)
    price = np.array([B["seat_price_business"], B["seat_price_campus"], B["seat_price_government"]])[segment]
    acv = np.round(seats * price * rng.uniform(0.85, 1.1, n0), -1)
    activation = np.clip(B["activation_mean"] + rng.normal(0, 0.16, n0) + 0.12 * champion, 0.05, 0.95)
    name_idx = rng.integers(0, len(_NAME_A) * len(_NAME_B) * 50, n0)
    terms = []
    cur: Frame = {"root": np.arange(n0), "segment": segment, "industry": industry, "start": start,
                  "seats": seats, "acv": acv, "champion": champion, "activation": activation,
                  "name_idx": name_idx, "prev": np.full(n0, NULL_ID)}
    next_local = 0
    all_seats = []
    while len(cur["root"]):
        m = len(cur["root"])
        cur["local"] = np.arange(next_local, next_local + m)
        next_local += m
        cur["end"] = cur["start"] + 365
        # seats: a share of those bought get assigned, mostly in the first weeks of the term
        assigned_n = np.round(cur["seats"] * rng.uniform(0.6, 1.0, m)).astype(np.int64)
        owner = np.repeat(np.arange(m), assigned_n)
        assigned_at = (cur["start"][owner] * DAY + (rng.exponential(18.0, len(owner)) * DAY).astype(np.int64)
                       + rng.integers(0, DAY, len(owner)))
        assigned_at = np.minimum(assigned_at, cur["end"][owner] * DAY - 3_600)
        keep = assigned_at < (as_of_day + 1) * DAY
        owner, assigned_at = owner[keep], assigned_at[keep]
        activated = rng.random(len(owner)) < cur["activation"][owner]
        activated_at = assigned_at + (rng.exponential(12.0, len(owner)) * DAY).astype(np.int64) + 600
        activated_at = np.where(activated & (activated_at < (as_of_day + 1) * DAY), activated_at, NULL_TS)
        all_seats.append({"term": cur["local"][owner], "assigned_at": assigned_at, "activated_at": activated_at})
        # renewal: due once the end has passed; higher activation and a champion renew more
        due = cur["end"] <= as_of_day
        share = np.bincount(owner, weights=(activated_at != NULL_TS), minlength=m) / np.maximum(
            np.bincount(owner, minlength=m), 1)
        p = sigmoid(B["renew_logit"] + B["renew_activation"] * (share - B["activation_mean"])
                    + B["renew_champion"] * cur["champion"])
        renewed = due & (rng.random(m) < p)
        cur["renewed"] = np.where(due, renewed.astype(np.int8), -1)
        terms.append(cur)
        grow = rng.lognormal(0.06, 0.12, int(renewed.sum()))
        nxt = {k: v[renewed] for k, v in cur.items() if k not in ("local", "end", "renewed")}
        nxt["prev"] = cur["local"][renewed]
        nxt["start"] = cur["end"][renewed]
        nxt["seats"] = np.maximum(2, np.round(nxt["seats"] * grow)).astype(np.int64)
        nxt["acv"] = np.round(nxt["acv"] * grow, -1)
        nxt["activation"] = np.clip(nxt["activation"] + rng.normal(0.02, 0.06, len(grow)), 0.05, 0.95)
        cur = nxt
    accounts = concat(terms)
    seats = concat(all_seats)
    order = stable_argsort(accounts["local"])
    accounts = {k: v[order] for k, v in accounts.items()}
    seats["learner"] = np.arange(len(seats["term"]))
    return accounts, seats


def account_names(name_idx: np.ndarray) -> np.ndarray:
    a = name_idx % len(_NAME_A)
    b = (name_idx // len(_NAME_A)) % len(_NAME_B)
    k = name_idx // (len(_NAME_A) * len(_NAME_B))
    return np.array([f"{_NAME_A[i]} {_NAME_B[j]}" + (f" {n + 1}" if n else "") for i, j, n in zip(a, b, k, strict=True)],
                    dtype=object)
