"""What the warehouse must be true to, as data: calibration targets, planted effects, other truths.

Each entry is (id, quantity, SQL returning one number, band, source). The SQL runs on a built
warehouse; ``_pmdrill_meta`` supplies the as-of date. See shared/spec/warehouse-truths.md.
"""

from __future__ import annotations

from dataclasses import dataclass

INF = float("inf")
ASOF = "(SELECT CAST(value AS DATE) FROM _pmdrill_meta WHERE key = 'as_of')"
MATURE = f"""mature AS (
  SELECT e.* FROM enrollments e JOIN learners l USING (learner_id)
  WHERE NOT l.is_internal_test AND e.enrolled_at < {ASOF} - INTERVAL 180 DAY)"""


@dataclass(frozen=True)
class Target:
    id: str
    quantity: str
    sql: str
    low: float
    high: float
    source: str
    kind: str = "target"  # 'target' | 'effect' | 'truth'

    @property
    def band(self) -> str:
        def fmt(x: float) -> str:
            return "inf" if x == INF else "-inf" if x == -INF else f"{x:g}"
        return f"[{fmt(self.low)}, {fmt(self.high)}]"

    def passes(self, value: float | None) -> bool:
        return value is not None and self.low <= value <= self.high


def _lift(experiment: str, per_variant: str) -> str:
    """Relative lift treatment/control - 1 of a per-variant value; ``a`` holds the assignments."""
    return f"""WITH a AS (
  SELECT ea.learner_id, ea.variant, ea.assigned_at, x.ended_at FROM experiment_assignments ea
  JOIN experiments x USING (experiment_id) WHERE x.name = '{experiment}'),
v AS ({per_variant})
SELECT max(val) FILTER (WHERE variant = 'treatment') / max(val) FILTER (WHERE variant = 'control') - 1 FROM v"""


def _per_learner(expr_sql: str) -> str:
    """Mean over assigned learners of a per-learner count (0 for learners without rows)."""
    return f"SELECT a.variant, avg(coalesce(k.n, 0)) AS val FROM a LEFT JOIN ({expr_sql}) k USING (learner_id) GROUP BY 1"


TARGETS: tuple[Target, ...] = (
    Target("T1", "audit enrollments that complete the course",
           f"WITH {MATURE} SELECT avg((completed_at IS NOT NULL)::INT) FROM mature WHERE enrollment_type = 'audit'",
           0.02, 0.07, "Reich & Ruiperez-Valiente 2019, Science, Table S3"),
    Target("T2", "paid + financial_aid enrollments that complete",
           f"WITH {MATURE} SELECT avg((completed_at IS NOT NULL)::INT) FROM mature "
           "WHERE enrollment_type IN ('paid', 'financial_aid')", 0.40, 0.56, "Reich & Ruiperez-Valiente 2019"),
    Target("T3", "enrollments that never start module 1",
           f"""WITH {MATURE} SELECT avg((NOT EXISTS (SELECT 1 FROM module_progress mp JOIN modules m USING (module_id)
           WHERE mp.enrollment_id = mature.enrollment_id AND m.position = 1))::INT) FROM mature""",
           0.30, 0.45, "Ho et al. 2014 (HarvardX/MITx year 1); Koller et al. 2013"),
    Target("T4", "all enrollments that end with a certificate",
           f"""WITH {MATURE} SELECT avg((EXISTS (SELECT 1 FROM certificates c
           WHERE c.enrollment_id = mature.enrollment_id))::INT) FROM mature""",
           0.03, 0.09, "Ho et al. 2014: 5.1% of registrants certified"),
    Target("T5", "started module 1 but not module 2, share of module-1 starters",
           f"""WITH {MATURE}, pos AS (SELECT mp.enrollment_id, max((m.position = 1)::INT) AS s1,
             max((m.position = 2)::INT) AS s2 FROM module_progress mp JOIN modules m USING (module_id)
             JOIN mature USING (enrollment_id) GROUP BY 1)
           SELECT avg((s2 = 0)::INT) FROM pos WHERE s1 = 1""", 0.35, 0.60, "Jordan 2015 (221 MOOCs)"),
    Target("T6", "module completion, median video > 12 min, relative shortfall vs <= 6 min",
           f"""WITH {MATURE}, r AS (SELECT m.median_video_minutes AS v, (mp.completed_at IS NOT NULL)::INT AS done
             FROM module_progress mp JOIN modules m USING (module_id) JOIN mature USING (enrollment_id))
           SELECT 1 - avg(done) FILTER (WHERE v > 12) / avg(done) FILTER (WHERE v <= 6) FROM r""",
           0.10, 0.40, "Guo, Kim & Rubin 2014"),
    Target("T7", "active hours of a certificate-earning enrollment, median",
           f"""WITH {MATURE}, h AS (SELECT ev.enrollment_id, sum(ev.minutes) / 60 AS hours FROM learning_events ev
             JOIN mature USING (enrollment_id) WHERE EXISTS (SELECT 1 FROM certificates c
             WHERE c.enrollment_id = ev.enrollment_id) GROUP BY 1)
           SELECT median(hours) FROM h""", 15, 45, "HarvardX/MITx year 4: typical certificate earner 29 hours"),
    Target("T8", "learners active in a calendar year who are active again the next year",
           f"""WITH y AS (SELECT DISTINCT ev.learner_id, year(ev.event_at) AS yr FROM learning_events ev
             JOIN learners l USING (learner_id) WHERE NOT l.is_internal_test AND year(ev.event_at) < year({ASOF}))
           SELECT avg((EXISTS (SELECT 1 FROM y y2 WHERE y2.learner_id = y.learner_id AND y2.yr = y.yr + 1))::INT)
           FROM y WHERE yr < year({ASOF}) - 0""", 0.08, 0.30, "MOOC Pivot Table S1"),
)


def _revenue(component: str) -> str:
    return f"""WITH w AS (SELECT date_trunc('quarter', {ASOF} + INTERVAL 1 DAY) - INTERVAL 12 MONTH AS lo,
      {ASOF} + INTERVAL 1 DAY AS hi),
    c AS (SELECT sum(amount_usd) FILTER (WHERE payment_type IN ('subscription', 'course_certificate')) AS consumer,
      sum(amount_usd) FILTER (WHERE payment_type = 'degree_tuition') AS degrees
      FROM payments, w WHERE status = 'succeeded' AND paid_at >= w.lo AND paid_at < w.hi),
    e AS (SELECT sum(annual_contract_value_usd * greatest(0, date_diff('day', greatest(contract_start, w.lo::DATE),
      least(contract_end, w.hi::DATE))) / 365.0) AS enterprise FROM enterprise_accounts, w)
    SELECT {component} / (consumer + enterprise + degrees) FROM c, e"""


TARGETS += (
    Target("T9a", "revenue mix, last four quarters: consumer share", _revenue("consumer"), 0.50, 0.65,
           "Coursera Q4 2024 results: 56.8%"),
    Target("T9b", "revenue mix, last four quarters: enterprise share (ACV pro-rated)", _revenue("enterprise"),
           0.28, 0.42, "Coursera Q4 2024 results: 34.8%"),
    Target("T9c", "revenue mix, last four quarters: degrees share", _revenue("degrees"), 0.04, 0.12,
           "Coursera Q4 2024 results: 8.5%"),
    Target("T10", "enterprise net retention: renewed terms' value / value of terms due",
           f"""SELECT sum(nxt.annual_contract_value_usd) / (SELECT sum(annual_contract_value_usd)
             FROM enterprise_accounts WHERE contract_end <= {ASOF})
           FROM enterprise_accounts due JOIN enterprise_accounts nxt ON nxt.renewal_of_account_id = due.account_id
           WHERE due.contract_end <= {ASOF}""", 0.80, 0.95, "Coursera Q4 2024: net retention 87%"),
    Target("T11", "enterprise seats activated", "SELECT avg((activated_at IS NOT NULL)::INT) FROM enterprise_seats",
           0.40, 0.70, "assumption: industry range for B2B learning seats"),
    Target("T12", "January enrollments relative to the monthly average",
           f"""WITH m AS (SELECT date_trunc('month', enrolled_at) AS mo, count(*) AS n FROM enrollments e
             JOIN learners l USING (learner_id) WHERE NOT l.is_internal_test
             AND enrolled_at < date_trunc('month', {ASOF} + INTERVAL 1 DAY) GROUP BY 1)
           SELECT avg(n) FILTER (WHERE month(mo) = 1) / avg(n) FROM m""", 1.15, 1.6,
           "assumption: new-year learning resolution peak"),
)
