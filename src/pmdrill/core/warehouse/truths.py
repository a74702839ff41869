"""The "other truths" of the warehouse (stuck learners, re-enrollment, outage, ...) as SQL with bands.

``ALL`` is every check `pmdrill warehouse calibrate` runs: targets, planted effects, these truths.
"""

from __future__ import annotations

from pmdrill.core.warehouse.calibration import ASOF, INF, MATURE, TARGETS, Target
from pmdrill.core.warehouse.effects import EFFECTS


def _truth(id_: str, quantity: str, sql: str, low: float, high: float) -> Target:
    return Target(id_, quantity, sql, low, high, "warehouse-truths.md", kind="truth")


_TS_COLUMNS = (("learners", "signed_up_at"), ("enrollments", "enrolled_at"), ("enrollments", "completed_at"),
               ("module_progress", "started_at"), ("module_progress", "completed_at"),
               ("assessment_attempts", "attempted_at"), ("certificates", "issued_at"),
               ("subscriptions", "started_at"), ("subscriptions", "canceled_at"), ("payments", "paid_at"),
               ("enterprise_seats", "assigned_at"), ("enterprise_seats", "activated_at"),
               ("learning_events", "event_at"), ("notifications", "sent_at"), ("notifications", "opened_at"),
               ("recommendations", "shown_at"), ("recommendations", "clicked_at"),
               ("experiment_assignments", "assigned_at"), ("course_reviews", "reviewed_at"),
               ("career_outcomes", "surveyed_at"), ("enterprise_accounts", "contract_start"))

TRUTHS: tuple[Target, ...] = (
    _truth("X1", "stuck enrollments (3+ failed attempts in a module) complete / median enrollment completes",
           f"""WITH {MATURE}, f AS (SELECT enrollment_id, module_id, count(*) FILTER (WHERE NOT passed) AS fails
             FROM assessment_attempts GROUP BY 1, 2), stuck AS (SELECT DISTINCT enrollment_id FROM f WHERE fails >= 3),
             started AS (SELECT * FROM mature WHERE EXISTS (SELECT 1 FROM module_progress mp
             WHERE mp.enrollment_id = mature.enrollment_id))
           SELECT avg((completed_at IS NOT NULL)::INT) FILTER (WHERE enrollment_id IN (SELECT * FROM stuck))
             / avg((completed_at IS NOT NULL)::INT) FROM started""", 0.0, 0.5),
    _truth("X2", "stuck enrollments' minutes / median enrollment's minutes (engagement is not progress)",
           """WITH m AS (SELECT enrollment_id, sum(minutes) AS mins FROM learning_events
             WHERE enrollment_id IS NOT NULL GROUP BY 1), f AS (SELECT enrollment_id FROM assessment_attempts
             GROUP BY enrollment_id, module_id HAVING count(*) FILTER (WHERE NOT passed) >= 3)
           SELECT median(mins) FILTER (WHERE enrollment_id IN (SELECT * FROM f)) / median(mins) FROM m""", 1.5, INF),
    _truth("X3", "share of (learner, course) pairs enrolled more than once",
           """SELECT avg((n > 1)::INT) FROM (SELECT learner_id, course_id, count(*) AS n FROM enrollments
             GROUP BY 1, 2)""", 0.005, 0.08),
    _truth("X4", "share of learners who never enroll",
           "SELECT avg((NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.learner_id = l.learner_id))::INT) FROM learners l",
           0.05, 0.30),
    _truth("X5", "courses with fewer than 10 enrollments",
           """SELECT count(*) FROM courses c WHERE (SELECT count(*) FROM enrollments e
             WHERE e.course_id = c.course_id) < 10""", 5, INF),
    _truth("X6", "share of certificate holders with several certificates",
           "SELECT avg((n > 1)::INT) FROM (SELECT learner_id, count(*) AS n FROM certificates GROUP BY 1)", 0.05, 0.9),
    _truth("X7", "share of payments that failed", "SELECT avg((status = 'failed')::INT) FROM payments", 0.01, 0.08),
    _truth("X8", "share of payments refunded", "SELECT avg((status = 'refunded')::INT) FROM payments", 0.005, 0.05),
    _truth("X9", "share of learners with no learner_goal", "SELECT avg((learner_goal IS NULL)::INT) FROM learners",
           0.05, 0.30),
    _truth("X10", "share of internal test accounts", "SELECT avg(is_internal_test::INT) FROM learners", 0.003, 0.008),
    _truth("X11", "events per internal test account / events per other learner",
           """SELECT (count(*) FILTER (WHERE l.is_internal_test) / (SELECT count(*) FROM learners WHERE is_internal_test))
             / (count(*) FILTER (WHERE NOT l.is_internal_test) / (SELECT count(*) FROM learners
             WHERE NOT is_internal_test)) FROM learning_events ev JOIN learners l USING (learner_id)""", 5, INF),
    _truth("X12", "payments by internal test accounts",
           "SELECT count(*) FROM payments JOIN learners USING (learner_id) WHERE is_internal_test", 0, 0),
    _truth("X13", "referrals per certificate holder / referrals per other consumer learner",
           """WITH r AS (SELECT referred_by_learner_id AS learner_id, count(*) AS n FROM learners
             WHERE referred_by_learner_id IS NOT NULL GROUP BY 1),
             x AS (SELECT l.learner_id, EXISTS (SELECT 1 FROM certificates c WHERE c.learner_id = l.learner_id) AS cert,
             coalesce(r.n, 0) AS n FROM learners l LEFT JOIN r USING (learner_id)
             WHERE l.acquisition_channel <> 'enterprise' AND NOT l.is_internal_test)
           SELECT avg(n) FILTER (WHERE cert) / avg(n) FILTER (WHERE NOT cert) FROM x""", 1.5, INF),
    _truth("X14", "share of first-term enterprise accounts with a consumer-alumnus champion",
           """SELECT avg((champion_learner_id IS NOT NULL)::INT) FROM enterprise_accounts
             WHERE renewal_of_account_id IS NULL""", 0.03, 0.25),
    _truth("X15", "renewal rate, champion accounts minus others (terms due)",
           """SELECT avg(renewed::INT) FILTER (WHERE champion_learner_id IS NOT NULL)
             - avg(renewed::INT) FILTER (WHERE champion_learner_id IS NULL) FROM enterprise_accounts
             WHERE renewed IS NOT NULL""", 0.02, INF),
    _truth("X16", "renewal rate, terms with above-median seat activation minus below-median",
           """WITH t AS (SELECT a.account_id, a.renewed, avg((s.activated_at IS NOT NULL)::INT) AS act
             FROM enterprise_accounts a JOIN enterprise_seats s USING (account_id) WHERE a.renewed IS NOT NULL
             GROUP BY 1, 2)
           SELECT avg(renewed::INT) FILTER (WHERE act >= (SELECT median(act) FROM t))
             - avg(renewed::INT) FILTER (WHERE act < (SELECT median(act) FROM t)) FROM t""", 0.05, INF),
    _truth("X17", "days with no Android events (the outage), between the first and last Android event",
           """WITH d AS (SELECT DISTINCT CAST(event_at AS DATE) AS day FROM learning_events WHERE platform = 'android'),
             r AS (SELECT range AS day FROM range((SELECT min(day) FROM d), (SELECT max(day) FROM d)
             + INTERVAL 1 DAY, INTERVAL 1 DAY))
           SELECT count(*) FROM r WHERE CAST(r.day AS DATE) NOT IN (SELECT day FROM d)""", 1, 1),
    _truth("X18", "rows with a timestamp after the as-of date",
           "SELECT " + " + ".join(f"(SELECT count(*) FROM {t} WHERE {c} >= {ASOF} + INTERVAL 1 DAY)"
                                  for t, c in _TS_COLUMNS),
           0, 0),
)

ALL: tuple[Target, ...] = TARGETS + EFFECTS + TRUTHS
