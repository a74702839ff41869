"""The scorer rewards the right decision, not length or keywords, and explains itself (flags, missing)."""

from __future__ import annotations

import pytest

from pmdrill.core.judgement import loader
from pmdrill.core.judgement.embed import default_embedder
from pmdrill.core.judgement.estimate import final_number, numbers
from pmdrill.core.judgement.score import Scorer


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(default_embedder())


def flags(result) -> set[str]:
    return {f["code"] for f in result.red_flags}


@pytest.mark.parametrize("case_id", sorted(loader.default_bank()))
def test_model_answer_passes_without_red_flags(scorer: Scorer, case_id: str) -> None:
    case = loader.default_bank()[case_id]
    result = scorer.score(case, case.model_answer)
    assert result.red_flags == [], result.red_flags
    assert result.score >= case.pass_mark, result.to_dict()


def test_rejecting_the_vanity_metric_by_name_is_not_a_red_flag(scorer: Scorer) -> None:
    case = loader.get_case("rec-engine-success")
    rejected = scorer.score(case, "CTR would be the wrong success metric, because a click is curiosity. "
                                  "I would measure first-module completion of recommended enrollments instead.")
    proposed = scorer.score(case, "CTR is up 15%, so the new model is a win and click-through rate is our "
                                  "success metric.")
    assert not flags(rejected) & {"ctr_as_success", "vanity_metric_success"}
    assert "ctr_as_success" in flags(proposed)
    evidence = next(f["evidence"] for f in proposed.red_flags if f["code"] == "ctr_as_success")
    assert "win" in evidence
    credited = {m["concept"] for d in rejected.dimensions for m in d.matched}
    assert {"rejects_ctr", "first_module_completion"} <= credited
    assert rejected.score > proposed.score


def test_keyword_stuffing_and_metric_bags_score_low(scorer: Scorer) -> None:
    case = loader.get_case("rec-engine-success")
    bag = ("First-module completion, CTR, counter-metric, guardrail, intent, curiosity, segment by surface, "
           "novelty effect, 15% lift, trade-off, learner goal, relevance, refunds, course completion.")
    result = scorer.score(case, bag)
    assert result.score < 25
    assert "list_without_reasoning" in flags(result)
    # the same words inside one sentence with a verb: the per-sentence cap keeps it low
    stuffed = scorer.score(case, "We track first-module completion, CTR with a counter-metric and guardrail, "
                                 "intent not curiosity, segments by surface, novelty, and the 15% trade-off.")
    assert stuffed.score < case.pass_mark


def test_length_does_not_pay(scorer: Scorer) -> None:
    case = loader.get_case("streak-push-critique")
    once = scorer.score(case, case.model_answer)
    thrice = scorer.score(case, "\n\n".join([case.model_answer] * 3))
    assert thrice.score == pytest.approx(once.score)
    filler = " ".join(f"Learning matters a lot for learners in week {i}." for i in range(30))
    padded = scorer.score(case, case.model_answer + "\n\n" + filler)
    assert padded.score <= once.score


def test_right_words_wrong_decision_fails(scorer: Scorer) -> None:
    case = loader.get_case("easier-quizzes-readout")
    answer = ("Career outcomes and certificate value are hard to measure, so I'd focus on completion. "
              "I'd ship the easier quizzes and track career outcomes later as a guardrail. Lowering the pass "
              "mark is a cheap way to raise completion.")
    result = scorer.score(case, answer)
    assert "easing_tests" in flags(result)
    assert result.score < case.pass_mark


def test_push_for_logins_is_flagged_but_a_learning_trigger_is_not(scorer: Scorer) -> None:
    case = loader.generic_case("How would you increase engagement in the mobile app?")
    bad = scorer.score(case, "We should send a daily push notification to drive logins and app opens.")
    good = scorer.score(case, "Rather than pushing notifications to drive logins, I would send a reminder "
                              "when a graded deadline is near, because that helps learners finish a module.")
    assert "engagement_without_learning" in flags(bad)
    assert "engagement_without_learning" not in flags(good)


def test_a_guardrail_mention_is_not_a_proposal(scorer: Scorer) -> None:
    case = loader.generic_case("Define success for a new course page.")
    result = scorer.score(case, "My primary metric is first-module completion; I'd keep DAU as a "
                                "guardrail so we notice if the page drives people away.")
    assert "vanity_metric_success" not in flags(result)


def test_generic_prompt_scores_on_seven_dimensions_and_lists_missing(scorer: Scorer) -> None:
    case = loader.generic_case("How would you measure the success of a new peer-review feature?")
    weak = scorer.score(case, "Success is more daily active users and page views.")
    strong = scorer.score(case, (
        "First I'd clarify the goal: peer review should help learners improve their work and finish the "
        "course. My primary metric would be the share of learners who pass the graded assignment after a "
        "review, because that shows learning. As a counter-metric I'd watch time to complete the module, so "
        "reviews don't become a burden. The trade-off is reviewer time: if reviews add 20 minutes but lift "
        "pass rates by 5%, it is worth it. I'd segment by enrollment type and platform, and check the logging "
        "of review events before trusting the numbers. So I would ship it if the pass rate rises without "
        "completion dropping."))
    assert len(strong.dimensions) == 7
    assert "vanity_metric_success" in flags(weak)
    assert strong.score >= strong.pass_mark > weak.score
    assert weak.missing and all({"dimension", "concept", "label"} <= set(m) for m in weak.missing)
    assert len(strong.missing) < len(weak.missing)


def test_numbers_and_final_number() -> None:
    assert [v for v, _ in numbers("2.5 million learners, 40k paid, $3M, 1,200,000 rows, 1.2bn, 12%")] == [
        2.5e6, 4e4, 3e6, 1.2e6, 1.2e9, 12.0]
    sentences = ["About 20 million learners are active.", "Half watch video, 1.5 hours each.",
                 "So my estimate is about 15 million hours per week.", "That is 0.75 hours per learner."]
    assert final_number(sentences)[0] == 15e6
    assert final_number(["No numbers here."]) is None


@pytest.mark.parametrize("case_id", sorted(c.id for c in loader.default_bank().values() if c.kind == "estimation"))
def test_estimation_checks_the_final_number(scorer: Scorer, case_id: str) -> None:
    case = loader.default_bank()[case_id]
    assert case.range is not None
    good = scorer.score(case, case.model_answer)
    assert good.estimate is not None and good.estimate["in_range"], good.estimate
    far = case.range.high * 50
    off = scorer.score(case, case.model_answer + f"\nSo, in total, my final answer is {far:,.0f}.")
    assert off.estimate is not None and off.estimate["value"] == pytest.approx(far)
    assert not off.estimate["in_range"] and off.score < good.score
    assert off.missing[0]["dimension"] == "estimate"


def test_scoring_without_an_embedder_still_works() -> None:
    case = loader.get_case("rec-engine-success")
    result = Scorer(None).score(case, case.model_answer)
    assert result.embedder == "none" and result.score >= case.pass_mark
