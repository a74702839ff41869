"""Planted experiment effects and the other truths, as SQL with bands (see calibration.py for targets).

Effects are measured on assigned learners from their assignment time, within the experiment window
unless the truth says otherwise; values are relative lifts (treatment / control - 1).
"""

from __future__ import annotations

from pmdrill.core.warehouse.calibration import INF, Target, _lift, _per_learner

_IN_WINDOW = "{t} >= a.assigned_at AND {t} < a.ended_at"


def _w(col: str) -> str:
    return _IN_WINDOW.format(t=col)


def _effect(id_: str, quantity: str, sql: str, low: float, high: float, source: str) -> Target:
    return Target(id_, quantity, sql, low, high, source, kind="effect")


EFFECTS: tuple[Target, ...] = (
    _effect("E1", "rec_model_v2: click-through on recommendations, relative lift",
            _lift("rec_model_v2", f"""SELECT a.variant, avg((r.clicked_at IS NOT NULL)::INT) AS val FROM a
              JOIN recommendations r USING (learner_id) WHERE {_w('r.shown_at')} GROUP BY 1"""),
            0.10, 0.20, "planted: CTR measures curiosity, not intent"),
    _effect("E2", "rec_model_v2: first-module completion of rec-led enrollments, relative lift",
            _lift("rec_model_v2", f"""SELECT a.variant, avg((mp.completed_at IS NOT NULL)::INT) AS val FROM a
              JOIN enrollments e USING (learner_id) LEFT JOIN (SELECT mp.* FROM module_progress mp JOIN modules m
              USING (module_id) WHERE m.position = 1) mp USING (enrollment_id)
              WHERE e.source = 'recommendation' AND {_w('e.enrolled_at')} GROUP BY 1"""),
            -1.0, 0.0, "planted: flat or down"),
    _effect("E3", "streak_push: app_open events per learner, relative lift",
            _lift("streak_push", _per_learner(f"""SELECT a.learner_id, count(*) AS n FROM a JOIN learning_events ev
              USING (learner_id) WHERE ev.event_type = 'app_open' AND {_w('ev.event_at')} GROUP BY 1""")),
            0.15, 0.30, "planted"),
    _effect("E4", "streak_push: modules completed per learner, relative lift",
            _lift("streak_push", _per_learner(f"""SELECT a.learner_id, count(*) AS n FROM a JOIN enrollments e
              USING (learner_id) JOIN module_progress mp USING (enrollment_id) WHERE {_w('mp.completed_at')}
              GROUP BY 1""")), -0.02, 0.02, "planted: flat within 2%"),
    _effect("E5", "streak_push: push unsubscribes per learner, relative lift",
            _lift("streak_push", _per_learner(f"""SELECT a.learner_id, count(*) AS n FROM a JOIN notifications n
              USING (learner_id) WHERE n.channel = 'push' AND n.unsubscribed AND {_w('n.sent_at')} GROUP BY 1""")),
            0.05, INF, "planted: up at least 5%"),
    _effect("E6", "streak_push: subscription cancellations per learner, relative lift",
            _lift("streak_push", _per_learner(f"""SELECT a.learner_id, count(*) AS n FROM a JOIN subscriptions s
              USING (learner_id) WHERE {_w('s.canceled_at')} GROUP BY 1""")), 1e-9, INF, "planted: up"),
    _effect("E7", "early_paywall: 30-day paid conversion, relative lift",
            _lift("early_paywall", _per_learner("""SELECT a.learner_id, 1 AS n FROM a WHERE EXISTS (SELECT 1
              FROM payments p WHERE p.learner_id = a.learner_id AND p.status = 'succeeded'
              AND p.paid_at >= a.assigned_at AND p.paid_at < a.assigned_at + INTERVAL 30 DAY)""")),
            0.05, 0.15, "planted"),
    _effect("E8", "early_paywall: course completion of enrollments after assignment, relative lift",
            _lift("early_paywall", """SELECT a.variant, avg((e.completed_at IS NOT NULL)::INT) AS val FROM a
              JOIN enrollments e USING (learner_id) WHERE e.enrolled_at >= a.assigned_at GROUP BY 1"""),
            -1.0, -0.03, "planted: down at least 3%"),
    _effect("E9", "early_paywall: referrals made per learner, relative lift",
            _lift("early_paywall", _per_learner("""SELECT l.referred_by_learner_id AS learner_id, count(*) AS n
              FROM learners l WHERE l.referred_by_learner_id IS NOT NULL GROUP BY 1""")),
            -1.0, -0.03, "planted: down at least 3%"),
    _effect("E10", "early_paywall: champion-sourced enterprise value per learner, relative lift",
            _lift("early_paywall", _per_learner("""SELECT champion_learner_id AS learner_id,
              sum(annual_contract_value_usd) AS n FROM enterprise_accounts WHERE champion_learner_id IS NOT NULL
              GROUP BY 1""")), -1.0, -1e-9, "planted: down"),
    # 12-month value: the learner's own consumer payments (subscriptions and certificates: what a paywall
    # can move; degree tuition follows an admission decision and a handful of $10k+ students would drown
    # the signal), the consumer payments of the learners they referred, and the ACV of the enterprise
    # accounts they championed, each within 365 days of assignment; refunded and failed charges excluded
    _effect("E11", "early_paywall: 12-month value per learner (consumer payments + referred payments + champion ACV)",
            _lift("early_paywall", _per_learner("""SELECT learner_id, sum(v) AS n FROM (
              SELECT a.learner_id, p.amount_usd AS v FROM a JOIN payments p USING (learner_id)
                WHERE p.status = 'succeeded' AND p.payment_type <> 'degree_tuition'
                AND p.paid_at < a.assigned_at + INTERVAL 365 DAY
              UNION ALL SELECT a.learner_id, p.amount_usd FROM a JOIN learners r ON r.referred_by_learner_id = a.learner_id
                JOIN payments p ON p.learner_id = r.learner_id WHERE p.status = 'succeeded'
                AND p.payment_type <> 'degree_tuition' AND p.paid_at < a.assigned_at + INTERVAL 365 DAY
              UNION ALL SELECT a.learner_id, ac.annual_contract_value_usd FROM a JOIN enterprise_accounts ac
                ON ac.champion_learner_id = a.learner_id WHERE ac.contract_start < a.assigned_at + INTERVAL 365 DAY
              ) GROUP BY 1""")), -1.0, -1e-9, "planted: lower than control"),
    _effect("E12", "easier_quizzes: completion of enrollments made in the window, relative lift",
            _lift("easier_quizzes", f"""SELECT a.variant, avg((e.completed_at IS NOT NULL)::INT) AS val FROM a
              JOIN enrollments e USING (learner_id) WHERE {_w('e.enrolled_at')} GROUP BY 1"""),
            0.03, INF, "planted: up at least 3%"),
    _effect("E13", "easier_quizzes: pass-rate lift minus practice-score lift (attempts in the window)",
            f"""WITH p AS ({_lift('easier_quizzes', f'''SELECT a.variant, avg(passed::INT) AS val FROM a
              JOIN enrollments e USING (learner_id) JOIN assessment_attempts t USING (enrollment_id)
              WHERE {_w('t.attempted_at')} GROUP BY 1''')}), s AS ({_lift('easier_quizzes', f'''SELECT a.variant,
              avg(score_pct) AS val FROM a JOIN enrollments e USING (learner_id) JOIN assessment_attempts t
              USING (enrollment_id) WHERE {_w('t.attempted_at')} GROUP BY 1''')})
            SELECT (SELECT * FROM p) - abs((SELECT * FROM s))""", 0.10, INF, "planted: pass rate up far more than scores"),
    _effect("E14", "easier_quizzes: positive career outcomes of learners certified after assignment, relative lift",
            _lift("easier_quizzes", """SELECT a.variant, avg((co.outcome IN ('new_job', 'promotion', 'raise'))::INT)
              AS val FROM a JOIN career_outcomes co USING (learner_id) WHERE EXISTS (SELECT 1 FROM certificates c
              WHERE c.learner_id = a.learner_id AND c.issued_at >= a.assigned_at AND c.issued_at < co.surveyed_at)
              GROUP BY 1"""), -1.0, -0.03, "planted: down at least 3%"),
    _effect("E15", "short_videos: module completion of modules started in the window, relative lift",
            _lift("short_videos", f"""SELECT a.variant, avg((mp.completed_at IS NOT NULL)::INT) AS val FROM a
              JOIN enrollments e USING (learner_id) JOIN module_progress mp USING (enrollment_id)
              WHERE {_w('mp.started_at')} GROUP BY 1"""), 0.05, 0.15, "planted"),
    _effect("E16", "short_videos: pass rate difference, treatment - control (percentage points / 100)",
            f"""WITH a AS (SELECT ea.learner_id, ea.variant, ea.assigned_at, x.ended_at FROM experiment_assignments ea
              JOIN experiments x USING (experiment_id) WHERE x.name = 'short_videos'),
            v AS (SELECT a.variant, avg(passed::INT) AS val FROM a JOIN enrollments e USING (learner_id)
              JOIN assessment_attempts t USING (enrollment_id) WHERE {_w('t.attempted_at')} GROUP BY 1)
            SELECT max(val) FILTER (WHERE variant = 'treatment') - max(val) FILTER (WHERE variant = 'control')
            FROM v""", -0.02, 0.02, "planted: no change in pass rates"),
    _effect("E17", "new_onboarding: treatment share of assignments (sample ratio mismatch)",
            """SELECT avg((variant = 'treatment')::INT) FROM experiment_assignments JOIN experiments
              USING (experiment_id) WHERE name = 'new_onboarding'""", 0.515, 0.525, "planted: Android logging bug"),
    _effect("E18", "new_onboarding: naive lift of first-week enrollment rate",
            _lift("new_onboarding", _per_learner("""SELECT a.learner_id, 1 AS n FROM a WHERE EXISTS (SELECT 1
              FROM enrollments e WHERE e.learner_id = a.learner_id AND e.enrolled_at >= a.assigned_at
              AND e.enrolled_at < a.assigned_at + INTERVAL 7 DAY)""")), 0.01, INF, "planted: looks positive"),
    _effect("E19", "new_onboarding: first-week enrollment lift, web signups only",
            _lift("new_onboarding", """SELECT a.variant, avg((EXISTS (SELECT 1 FROM enrollments e
              WHERE e.learner_id = a.learner_id AND e.enrolled_at >= a.assigned_at
              AND e.enrolled_at < a.assigned_at + INTERVAL 7 DAY))::INT) AS val FROM a
              JOIN learners l USING (learner_id) WHERE l.signup_platform = 'web' GROUP BY 1"""),
            -0.02, 0.02, "planted: about zero"),
)
