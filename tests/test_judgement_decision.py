"""Reading an answer's decision (core.judgement.decision): go, hold, conditional, and what it overrides."""

from __future__ import annotations

import pytest

from pmdrill.core.judgement import decision
from pmdrill.core.judgement.text import split_sentences


@pytest.mark.parametrize(("answer", "kind"), [
    ("Clicks are up. I'd ship to 100% and monitor completion.", decision.GO),
    ("My recommendation is to roll it out to everyone this quarter.", decision.GO),
    ("I would not ship this until we know why completion fell.", decision.HOLD),
    ("I'd keep the control and rerun the test with a clean split.", decision.HOLD),
    ("I'd ship only if completion of module 2 holds in a second test.", decision.CONDITIONAL),
    ("I'd roll it out to 100%. If churn rises, we can always roll back later.", decision.GO),
    ("I'd check whether the drop lines up with the launch of the new app.", None),
    ("Completion is the metric that matters for learners.", None),
])
def test_the_final_recommendation_is_read(answer: str, kind: str | None) -> None:
    assert decision.decision(split_sentences(answer))[0] == kind


@pytest.mark.parametrize(("prompt", "answer", "codes"), [
    # the outcome drop stated in the question, the answer ships anyway
    ("The carousel lifted clicks 22% but path completion fell 1.8 points.", "Guardrails catch big regressions; "
     "under two points is small. I'd ship to 100%.", {"ships_despite_outcome_drop"}),
    ("We split courses in three; completion per course doubled.", "Final quiz scores dropped from 78% to 69%, "
     "but completion is what matters, so I'd roll it out to the full catalog.", {"ships_despite_outcome_drop"}),
    # the same facts, held: nothing
    ("The carousel lifted clicks 22% but path completion fell 1.8 points.",
     "I would not ship: the drop in completion is the cost that matters.", set()),
    # an uneven split from the numbers alone
    ("It ended with 412,000 learners in control and 388,000 in treatment; pass rate is 2.5% higher.",
     "The pass-rate lift is significant, so I'd ship it to everyone.", {"ignores_srm"}),
    ("It ended with 400,100 learners in control and 399,900 in treatment; pass rate is 2.5% higher.",
     "The pass-rate lift is significant, so I'd ship it to everyone.", set()),
    # a correlation as the case for a change, no test proposed (or one explicitly skipped)
    ("Learners who finish week one in three days are 4x more likely to complete.",
     "I'd skip a long experiment and roll out the new onboarding across all courses.", {"causal_from_correlation"}),
    ("Learners who finish week one in three days are 4x more likely to complete.",
     "They were probably more motivated already, so I'd run an A/B test of the new onboarding; "
     "if it lifts completion I'd roll it out.", set()),
])
def test_a_go_over_stated_evidence_is_flagged(prompt: str, answer: str, codes: set[str]) -> None:
    assert {c for c, _ in decision.read(prompt, split_sentences(answer))} == codes
