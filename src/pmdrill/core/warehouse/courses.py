"""The catalogue: partners (universities, companies), courses, modules and programs.

Fixed size at every scale (a real catalogue does not grow with the learner base); latent course
traits (difficulty, popularity) are returned alongside the tables for the behaviour model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pmdrill.core.warehouse.frames import Frame
from pmdrill.core.warehouse.params import HISTORY_START, day_number, rng_for

DOMAINS = ("data_science", "business", "computer_science", "information_technology", "health",
           "arts_humanities", "personal_development", "language_learning")
DOMAIN_WEIGHTS = np.array([0.2, 0.2, 0.17, 0.12, 0.08, 0.08, 0.08, 0.07])
LEVELS = ("beginner", "intermediate", "advanced")
PARTNER_TYPES = ("university", "company")
PROGRAM_TYPES = ("specialization", "professional_certificate", "degree")
COUNTRIES = ("US", "IN", "GB", "BR", "MX", "CA", "DE", "NG", "EG", "CO", "PH", "FR", "ES", "AU",
             "ID", "CN", "PK", "KE", "TR", "JP")
COUNTRY_WEIGHTS = np.array([0.28, 0.14, 0.06, 0.05, 0.05, 0.04, 0.04, 0.04, 0.03, 0.03, 0.03, 0.03,
                            0.03, 0.03, 0.03, 0.03, 0.02, 0.02, 0.02, 0.02])
_PLACES = ("Northfield", "Lakeshore", "Eastbridge", "Westmont", "Redwood", "Stonebrook", "Harborview",
           "Pinecrest", "Riverton", "Maplewood", "Ashford", "Kingsport", "Clearwater", "Fairhaven",
           "Granite Bay", "Silverlake", "Oakridge", "Brightwater", "Cedar Falls", "Highgate")
_COMPANIES = ("Datacraft", "Cloudline", "Brightpath", "Quantix", "Netforge", "Skillhub", "Orbital Labs",
              "Bluefin Analytics", "Corelogic", "Vertex AI", "Streamworks", "Helixa")
_TOPICS = {
    "data_science": ("Statistics", "Machine Learning", "Data Visualization", "SQL for Data Analysis",
                     "Causal Inference", "Python for Data"),
    "business": ("Marketing Analytics", "Finance Fundamentals", "Product Management", "Negotiation",
                 "Operations", "Strategy"),
    "computer_science": ("Algorithms", "Web Development", "Software Design", "Databases",
                         "Distributed Systems", "Programming in Java"),
    "information_technology": ("Cloud Computing", "Cybersecurity", "IT Support", "Networking",
                               "DevOps", "Linux Administration"),
    "health": ("Epidemiology", "Public Health", "Nutrition", "Anatomy", "Healthcare Management",
               "Global Health"),
    "arts_humanities": ("Modern Poetry", "Philosophy", "Music Theory", "World History", "Art History",
                        "Creative Writing"),
    "personal_development": ("Learning How to Learn", "Public Speaking", "Mindfulness", "Leadership",
                             "Productivity", "Career Planning"),
    "language_learning": ("Spanish", "English for Career", "Mandarin Chinese", "French", "German",
                          "Japanese"),
}
_QUALIFIERS = ("Foundations of", "Introduction to", "Applied", "Advanced", "Practical", "Essentials of")

N_PARTNERS = 80
N_COURSES = 480


@dataclass
class Catalog:
    partners: Frame
    courses: Frame
    modules: Frame
    programs: Frame
    program_courses: Frame
    # latent traits, indexed by course_id - 1
    difficulty: np.ndarray
    popularity: np.ndarray
    # module lookup: module_id of (course index, position-1); -1 where the course is shorter
    module_grid: np.ndarray


def build_catalog(seed: int) -> Catalog:
    rng = rng_for(seed, "catalog")
    start = day_number(HISTORY_START)
    # partners ---------------------------------------------------------------------------------
    p_type = (rng.random(N_PARTNERS) < 0.3).astype(np.int8)  # 30% companies
    names = []
    for i, t in enumerate(p_type):
        if t == 0:
            names.append(f"University of {_PLACES[i % len(_PLACES)]}" + (f" {i // len(_PLACES) + 1}"
                                                                        if i >= len(_PLACES) else ""))
        else:
            names.append(f"{_COMPANIES[i % len(_COMPANIES)]}" + (f" {i // len(_COMPANIES) + 1}"
                                                                 if i >= len(_COMPANIES) else ""))
    partners = {
        "partner_id": np.arange(1, N_PARTNERS + 1),
        "name": np.array(names, dtype=object),
        "partner_type": p_type,
        "country": rng.choice(len(COUNTRIES), N_PARTNERS, p=COUNTRY_WEIGHTS / COUNTRY_WEIGHTS.sum()),
        "joined_on": start - rng.integers(200, 3_800, N_PARTNERS),
    }
    # courses ----------------------------------------------------------------------------------
    n = N_COURSES
    domain = rng.choice(len(DOMAINS), n, p=DOMAIN_WEIGHTS)
    level = rng.choice(3, n, p=[0.5, 0.35, 0.15])
    partner = rng.integers(0, N_PARTNERS, n)
    launched_new = rng.random(n) < 0.18  # launched during the history: few enrollments
    launched = np.where(launched_new, start + rng.integers(0, 1_180, n),
                        np.maximum(partners["joined_on"][partner] + 30, start - rng.integers(30, 3_500, n)))
    module_count = rng.choice(np.arange(4, 9), n, p=[0.15, 0.3, 0.3, 0.15, 0.1])
    price = rng.choice(np.array([29.0, 49.0, 79.0, 99.0]), n, p=[0.15, 0.5, 0.25, 0.1])
    titles = []
    for i in range(n):
        topics = _TOPICS[DOMAINS[domain[i]]]
        titles.append(f"{_QUALIFIERS[(i // 6) % 6]} {topics[i % 6]}" + (f" {i // 36 + 1}" if i >= 36 else ""))
    courses = {
        "course_id": np.arange(1, n + 1), "partner_id": partner + 1, "title": np.array(titles, dtype=object),
        "domain": domain, "level": level, "launched_on": launched, "module_count": module_count,
        "certificate_price_usd": price,
    }
    difficulty = rng.normal(0, 1, n) + 0.45 * level
    popularity = rng.lognormal(0, 1.25, n)
    # modules ----------------------------------------------------------------------------------
    course_idx = np.repeat(np.arange(n), module_count)
    position = np.concatenate([np.arange(1, m + 1) for m in module_count])
    base_video = rng.lognormal(np.log(8.0), 0.42, n)  # the educator's habit: median ~8 min
    median_video = np.clip(np.round(base_video[course_idx] * rng.lognormal(0, 0.18, len(course_idx)), 1), 2.0, 30.0)
    n_videos = rng.integers(6, 15, len(course_idx))
    last = position == module_count[course_idx]
    modules = {
        "module_id": np.arange(1, len(course_idx) + 1), "course_id": course_idx + 1, "position": position,
        "title": np.array([f"Week {p}" for p in position], dtype=object),
        "video_minutes": np.round(median_video * n_videos * rng.uniform(0.85, 1.15, len(course_idx))).astype(np.int32),
        "median_video_minutes": median_video,
        "has_graded_assessment": last | (rng.random(len(course_idx)) < 0.82),
    }
    grid = np.full((n, 8), -1, dtype=np.int64)
    grid[course_idx, position - 1] = modules["module_id"]
    programs, program_courses = _programs(rng, partners, courses, start)
    return Catalog(partners, courses, modules, programs, program_courses, difficulty, popularity, grid)


def _programs(rng: np.random.Generator, partners: Frame, courses: Frame, start: int) -> tuple[Frame, Frame]:
    kinds = [0] * 48 + [1] * 20 + [2] * 8
    rows: dict[str, list] = {k: [] for k in ("program_id", "partner_id", "title", "program_type",
                                            "monthly_price_usd", "tuition_usd", "launched_on")}
    links: dict[str, list] = {"program_id": [], "course_id": [], "position": []}
    universities = np.flatnonzero(partners["partner_type"] == 0)
    companies = np.flatnonzero(partners["partner_type"] == 1)
    old = courses["launched_on"] < start
    for pid, kind in enumerate(kinds, start=1):
        domain = int(rng.choice(len(DOMAINS), p=DOMAIN_WEIGHTS))
        pool = np.flatnonzero((courses["domain"] == domain) & old)
        size = {0: rng.integers(3, 6), 1: rng.integers(4, 9), 2: rng.integers(6, 11)}[kind]
        chosen = rng.choice(pool, min(int(size), len(pool)), replace=False)
        partner = int(rng.choice(companies if kind == 1 else universities))
        topic = _TOPICS[DOMAINS[domain]][pid % 6]
        rows["program_id"].append(pid)
        rows["partner_id"].append(partner + 1)
        rows["title"].append({0: f"{topic} Specialization", 1: f"{partners['name'][partner]} {topic} "
                              "Professional Certificate", 2: f"Master of Science in {topic}"}[kind])
        rows["program_type"].append(kind)
        rows["monthly_price_usd"].append(np.nan if kind == 2 else float(rng.choice([39.0, 49.0, 59.0])))
        rows["tuition_usd"].append(float(rng.integers(9, 26) * 1_000) if kind == 2 else np.nan)
        rows["launched_on"].append(int(courses["launched_on"][chosen].max()) + int(rng.integers(10, 200)))
        links["program_id"].extend([pid] * len(chosen))
        links["course_id"].extend((chosen + 1).tolist())
        links["position"].extend(range(1, len(chosen) + 1))
    programs = {k: np.array(v, dtype=object if k == "title" else None) for k, v in rows.items()}
    programs["launched_on"] = np.minimum(programs["launched_on"], start - 1)
    return programs, {k: np.array(v) for k, v in links.items()}
