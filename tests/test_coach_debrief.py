"""The committee debrief: verdict thresholds, flips that really flip, evidence from the answers, the HTML page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import doctest
import html
import re
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser

import pytest

from pmdrill.core.coach import debrief as debrief_module
from pmdrill.core.coach import debrief_html
from pmdrill.core.coach.debrief import BARS, Debrief, Flip, debrief, summary, verdict_of
from pmdrill.core.coach.debrief_html import render_html
from pmdrill.core.coach.dimensions import COMMITTEE, TITLES, from_sql_verdict
from pmdrill.core.coach.records import Attempt, MockQuestion, MockRecord

START = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
# one rubric dimension per committee dimension, to write case details the way the scorer does
RUBRIC_FOR = {"signal_selection": "metric_choice", "learner_outcomes": "learner_outcomes",
              "tradeoffs": "tradeoffs", "data_skepticism": "data_skepticism", "communication": "structure"}
SQL_ANSWER = "SELECT COUNT(DISTINCT learner_id) AS paying\nFROM payments\nWHERE status = 'succeeded'"


def make_mock(*ids: str, minutes: int = 45, focus: str = "mixed") -> MockRecord:
    questions = []
    for n, item_id in enumerate(ids, start=1):
        kind, bank_id = item_id.split(":", 1)
        questions.append(MockQuestion(item_id, kind, bank_id.replace("-", " ").title(), minutes // len(ids),
                                      f"slot {n}", f"{n:02d}-{kind}-{bank_id}.{'sql' if kind == 'sql' else 'md'}"))
    return MockRecord("m-test", seed=7, focus=focus, minutes=minutes, questions=questions, started_at=START)


def case_attempt(item_id: str, dims: Mapping[str, float], *, passed: bool = True,
                 flags: Sequence[Mapping[str, str]] = (), seconds: float | None = 600.0,
                 pass_mark: float = 60.0, answer: str | None = None) -> Attempt:
    """A scored case: one sentence per dimension, matched by the rubric dimension that feeds it."""
    sentences = {d: f"For {TITLES[d].lower()} on {item_id} I would compare completers because it matters."
                 for d in dims}
    rubric = [{"name": RUBRIC_FOR[d], "title": d, "weight": 1, "score": v / 100, "asked": True, "counted": True,
               "matched": [{"concept": f"{d}-c", "label": f"{d} concept", "sentence": sentences[d],
                            "similarity": 0.8},
                           {"concept": f"{d}-weak", "label": "weaker", "sentence": "Weak echo.",
                            "similarity": 0.4}]}
              for d, v in dims.items() if d in RUBRIC_FOR]
    text = answer if answer is not None else " ".join(sentences.values()) + " Weak echo."
    score = sum(dims.values()) / len(dims) if dims else 0.0
    return Attempt(item_id, item_id.split(":")[0], item_id, text, passed, score, START,
                   dimensions=dict(dims), flags=[dict(f) for f in flags], seconds=seconds,
                   detail={"score": score, "pass_mark": pass_mark, "passed": passed, "dimensions": rubric,
                           "red_flags": [dict(f) for f in flags], "missing": []})


def sql_attempt(item_id: str, *, correct: bool = True, findings: int = 1, seconds: float | None = 600.0,
                answer: str = SQL_ANSWER, hidden: int = 3) -> Attempt:
    dims = from_sql_verdict(correct, warehouse_matched=False, logic_findings=0 if correct else findings,
                            syntax_error=False)
    feedback = [] if correct else ["Your result has 1,204 rows; the question expects 1,180.\nLook at refunds."]
    checks = [{"db": "warehouse", "passed": correct}] + [{"db": f"hidden {i + 1}", "passed": correct}
                                                         for i in range(hidden)]
    return Attempt(item_id, "sql", item_id, answer, correct, 100.0 if correct else 0.0, START, dimensions=dims,
                   seconds=seconds, detail={"correct": correct, "error": None, "feedback": feedback,
                                            "logic_diff": [], "checks": checks})


FLAG = {"code": "vanity_metric", "message": "leads with page views, not learning",
        "evidence": "Page views went up so the feature works."}
MIXED = ("case:define-success", "sql:paying-learners-may-2026", "case:paywall-readout", "est:campus-reach")


def scenario(name: str) -> tuple[MockRecord, dict[str, Attempt]]:
    """A mixed round built to land on one verdict."""
    m = make_mock(*MIXED)
    define, sql, paywall, est = MIXED
    if name == "strong_hire":
        attempts = {define: case_attempt(define, {"signal_selection": 90, "learner_outcomes": 85,
                                                  "communication": 90}),
                    sql: sql_attempt(sql),
                    paywall: case_attempt(paywall, {"tradeoffs": 85, "data_skepticism": 80, "communication": 85}),
                    est: case_attempt(est, {"tradeoffs": 80, "signal_selection": 85})}
    elif name == "hire":
        attempts = scenario("strong_hire")[1]
        attempts[sql] = sql_attempt(sql, correct=False)           # logic 75, correctness 0
    elif name == "no_hire":
        attempts = {define: case_attempt(define, {"signal_selection": 60, "learner_outcomes": 55,
                                                  "communication": 60}),
                    sql: sql_attempt(sql, correct=False),
                    paywall: case_attempt(paywall, {"tradeoffs": 50, "data_skepticism": 55, "communication": 60},
                                          passed=False),
                    est: case_attempt(est, {"tradeoffs": 60, "signal_selection": 60})}
    elif name == "strong_no_hire":
        attempts = {define: case_attempt(define, {"signal_selection": 40, "learner_outcomes": 30,
                                                  "communication": 45}, passed=False, flags=[FLAG]),
                    sql: sql_attempt(sql, correct=False, findings=3),
                    paywall: case_attempt(paywall, {"tradeoffs": 35, "data_skepticism": 30, "communication": 40},
                                          passed=False),
                    est: case_attempt(est, {"tradeoffs": 40, "signal_selection": 50})}
    elif name == "three_flags":
        attempts = scenario("strong_hire")[1]
        for qid in (define, paywall, est):
            attempts[qid] = dataclasses.replace(attempts[qid], flags=[FLAG])
    else:
        raise AssertionError(name)
    return m, attempts


def test_strong_hire() -> None:
    d = debrief(*scenario("strong_hire"))
    assert (d.verdict, d.verdict_title) == ("strong_hire", "Strong hire")
    # signal (90+85)/2, learner 85, logic 100, correctness 100, trade-offs (85+80)/2, skepticism 80, comm 87.5
    assert d.score == round((87.5 + 85 + 100 + 100 + 82.5 + 80 + 87.5) / 7, 1) == 88.9
    assert {row["name"]: row["score"] for row in d.dimensions} == {
        "signal_selection": 87.5, "learner_outcomes": 85.0, "sql_logic": 100.0, "sql_correctness": 100.0,
        "tradeoffs": 82.5, "data_skepticism": 80.0, "communication": 87.5}
    assert "SQL correctness 100: the SQL answer right on the warehouse and the hidden databases." in d.reasons
    assert "No red flags." in d.reasons


def test_hire() -> None:
    d = debrief(*scenario("hire"))
    assert d.verdict == "hire"
    assert d.score == round((87.5 + 85 + 75 + 0 + 82.5 + 80 + 87.5) / 7, 1) == 71.1
    assert "3 of 4 questions passed (failed: sql:paying-learners-may-2026)." in d.reasons
    assert "Short of Strong hire: overall 71.1 < 80; 1 question failed (at most 0)." in d.reasons


def test_no_hire() -> None:
    d = debrief(*scenario("no_hire"))
    assert d.verdict == "no_hire"
    assert d.score == round((60 + 55 + 75 + 0 + 55 + 55 + 60) / 7, 1) == 51.4


def test_strong_no_hire_on_score_on_flags_and_on_unanswered() -> None:
    low = debrief(*scenario("strong_no_hire"))
    assert low.verdict == "strong_no_hire" and low.score < 45
    flagged = debrief(*scenario("three_flags"))
    assert flagged.score == 88.9 and flagged.verdict == "strong_no_hire"
    assert "Short of No hire despite the score: 3 red flags (at most 2)." in flagged.reasons
    m, attempts = scenario("strong_hire")
    only_sql = {"sql:paying-learners-may-2026": attempts["sql:paying-learners-may-2026"]}
    d = debrief(m, only_sql)
    assert d.verdict == "strong_no_hire"
    assert "Short of No hire: overall 33.3 < 45; 3 of 4 questions unanswered (at most 50%)." in d.reasons


def uniform(value: float, dims: Sequence[str] = ("signal_selection", "communication")) -> dict[str, float]:
    return {d: value for d in dims}


@pytest.mark.parametrize(("value", "failed", "flags", "expected"), [
    (80.0, 0, 0, "strong_hire"),
    (79.9, 0, 0, "hire"),
    (95.0, 1, 0, "hire"),
    (95.0, 0, 1, "hire"),
    (65.0, 1, 1, "hire"),
    (64.9, 0, 0, "no_hire"),
    (95.0, 2, 0, "no_hire"),
    (95.0, 0, 2, "no_hire"),
    (45.0, 4, 2, "no_hire"),
    (44.9, 0, 0, "strong_no_hire"),
    (95.0, 0, 3, "strong_no_hire"),
])
def test_verdict_thresholds(value: float, failed: int, flags: int, expected: str) -> None:
    ids = ("case:a", "case:b", "case:c", "case:d")
    attempts = {qid: case_attempt(qid, uniform(value), passed=i >= failed, flags=[FLAG] * (flags if i == 0 else 0))
                for i, qid in enumerate(ids)}
    d = debrief(make_mock(*ids), attempts)
    assert d.score == value
    assert d.verdict == expected
    assert verdict_of(value, failed=failed, flags=flags, unanswered=0, questions=4) == expected


@pytest.mark.parametrize(("unanswered", "expected"), [(0, "strong_hire"), (1, "hire"), (2, "no_hire"),
                                                      (3, "strong_no_hire")])
def test_unanswered_share(unanswered: int, expected: str) -> None:
    ids = ("case:a", "case:b", "case:c", "case:d")
    attempts = {qid: case_attempt(qid, uniform(100.0)) for qid in ids[unanswered:]}
    # the unanswered ones would have measured data skepticism alone: with any unanswered the overall
    # is (100 + 100 + 0) / 3, enough for No hire, so at 3 of 4 only the share decides
    d = debrief(make_mock(*ids), attempts, question_dimensions={qid: ["data_skepticism"] for qid in ids[:unanswered]})
    assert d.score == (100.0 if unanswered == 0 else 66.7)
    assert d.verdict == expected


def test_unanswered_questions_score_zero_on_what_they_would_measure() -> None:
    m = make_mock(*MIXED)
    _, attempts = scenario("strong_hire")
    del attempts["est:campus-reach"]
    d = debrief(m, attempts)
    dims = {row["name"]: row for row in d.dimensions}
    # default for an estimation: signal selection, learner outcomes, trade-offs, communication
    assert dims["signal_selection"]["score"] == 45.0          # (90 + 0) / 2
    assert dims["learner_outcomes"]["score"] == 42.5          # (85 + 0) / 2
    assert dims["tradeoffs"]["score"] == 42.5                 # (85 + 0) / 2
    assert dims["communication"]["score"] == round((90 + 85 + 0) / 3, 1)
    assert dims["data_skepticism"]["score"] == 80.0
    row = next(q for q in d.questions if q["id"] == "est:campus-reach")
    assert (row["answered"], row["passed"], row["score"], row["seconds"]) == (False, False, None, None)
    assert "3 of 4 questions passed (unanswered: est:campus-reach)." in d.reasons
    # with the catalog's own list, only trade-offs takes the zero
    precise = debrief(m, attempts, question_dimensions={"est:campus-reach": ["tradeoffs"]})
    dims = {row["name"]: row["score"] for row in precise.dimensions}
    assert dims["signal_selection"] == 90.0 and dims["tradeoffs"] == 42.5
    assert "est:campus-reach was not answered, so it scores 0 on Trade-off quantification." in precise.reasons


def test_an_unanswered_sql_question_counts_against_both_sql_dimensions() -> None:
    m = make_mock("sql:a", "sql:b")
    d = debrief(m, {"sql:a": sql_attempt("sql:a")})
    assert {row["name"]: row["score"] for row in d.dimensions if row["score"] is not None} == {
        "sql_logic": 50.0, "sql_correctness": 50.0}
    assert [row["name"] for row in d.dimensions] == list(COMMITTEE)
    assert next(row for row in d.dimensions if row["name"] == "communication")["score"] is None


def test_sql_correctness_reason_counts_the_sql_answers() -> None:
    m = make_mock("sql:a", "sql:b", "case:c")
    both = {"sql:a": sql_attempt("sql:a"), "sql:b": sql_attempt("sql:b"),
            "case:c": case_attempt("case:c", uniform(80.0))}
    assert "SQL correctness 100: both SQL answers right on the warehouse and the hidden databases." in \
        debrief(m, both).reasons
    one = {**both, "sql:b": sql_attempt("sql:b", correct=False)}
    assert ("SQL correctness 50: 1 of 2 SQL answers right "
            "(sql:b: Your result has 1,204 rows; the question expects 1,180).") in debrief(m, one).reasons


def apply_flip(m: MockRecord, attempts: Mapping[str, Attempt], flip: Flip) -> dict[str, Attempt]:
    """The attempts as they would have been with the flip's one change."""
    out = dict(attempts)
    if flip.change == "pass":
        assert flip.item_id is not None
        old = out.get(flip.item_id) or case_attempt(flip.item_id, {})
        out[flip.item_id] = dataclasses.replace(old, passed=True, dimensions=dict(flip.dimensions_after))
    elif flip.change == "fail":
        assert flip.item_id is not None
        out[flip.item_id] = dataclasses.replace(out[flip.item_id], passed=False)
    elif flip.change == "dimension":
        assert flip.dimension is not None and flip.after is not None
        for qid, att in out.items():
            if flip.dimension in att.dimensions:
                out[qid] = dataclasses.replace(att, dimensions={**att.dimensions, flip.dimension: flip.after})
    elif flip.change == "flag" and flip.direction == "up":
        assert flip.item_id is not None
        out[flip.item_id] = dataclasses.replace(out[flip.item_id], flags=out[flip.item_id].flags[1:])
    elif flip.change == "flag":
        first = m.questions[0].id
        out[first] = dataclasses.replace(out[first], flags=[*out[first].flags, FLAG])
    else:
        raise AssertionError(flip.change)
    return out


RANK = {b.verdict: len(BARS) - i for i, b in enumerate(BARS)}


@pytest.mark.parametrize("name", ["strong_hire", "hire", "no_hire", "strong_no_hire", "three_flags"])
def test_every_flip_flips_when_applied(name: str) -> None:
    m, attempts = scenario(name)
    d = debrief(m, attempts)
    assert d.flips, "every verdict gets at least one flip sentence"
    assert d.flip == [f.sentence for f in d.flips]
    for flip in d.flips:
        if flip.change == "none":
            assert flip.sentence.startswith("No single change would have made it")
            continue
        again = debrief(m, apply_flip(m, attempts, flip))
        assert again.verdict == flip.verdict, flip.sentence
        if flip.direction == "up":
            assert RANK[again.verdict] > RANK[d.verdict]
        else:
            assert RANK[again.verdict] < RANK[d.verdict]
        assert flip.sentence.endswith(f"would have made it {again.verdict_title}") or \
            f"would have made it {again.verdict_title} (" in flip.sentence
        # the sentence names what changed
        if flip.change in ("pass", "fail"):
            assert re.search(rf"\b{re.escape(str(flip.item_id))}\b", flip.sentence)
        elif flip.change == "dimension":
            assert flip.dimension is not None and flip.after is not None
            assert TITLES[flip.dimension] in flip.sentence and f" {flip.after:g} " in flip.sentence
        elif flip.direction == "up":
            assert "vanity_metric on " in flip.sentence


def test_hire_flips_name_the_question_and_the_numbers() -> None:
    m, attempts = scenario("hire")
    d = debrief(m, attempts)
    ups = [f for f in d.flips if f.direction == "up"]
    assert [f.change for f in ups] == ["pass"]   # a failed question blocks Strong hire: no dimension can
    assert ups[0].item_id == "sql:paying-learners-may-2026"
    assert ups[0].sentence.startswith("Passing sql:paying-learners-may-2026 (SQL logic 75 → 100, "
                                      "SQL correctness 0 → 100) would have made it Strong hire")
    downs = {f.change: f for f in d.flips if f.direction == "down"}
    assert set(downs) == {"fail", "dimension"}   # one red flag is allowed at Hire
    assert downs["fail"].item_id == "case:define-success"
    assert downs["fail"].verdict == "no_hire"


def test_dimension_flips_are_the_smallest_whole_change() -> None:
    # all passed, overall 75 with no flags: Strong hire is one dimension raise away
    ids = ("case:a", "case:b")
    attempts = {qid: case_attempt(qid, {"signal_selection": 70.0, "communication": 80.0}) for qid in ids}
    m = make_mock(*ids)
    d = debrief(m, attempts)
    assert (d.verdict, d.score) == ("hire", 75.0)
    up = next(f for f in d.flips if f.change == "dimension" and f.direction == "up")
    # raising the weaker of the two to 80 brings the mean to 80
    assert (up.dimension, up.before, up.after) == ("signal_selection", 70.0, 80.0)
    assert up.sentence.startswith("Raising Signal selection from 70 to 80 would have made it Strong hire")
    below = dataclasses.replace(up, after=79.0)
    assert debrief(m, apply_flip(m, attempts, below)).verdict == "hire"
    down = next(f for f in d.flips if f.change == "dimension" and f.direction == "down")
    assert (down.dimension, down.before, down.after) == ("signal_selection", 70.0, 49.0)
    above = dataclasses.replace(down, after=50.0)
    assert debrief(m, apply_flip(m, attempts, above)).verdict == "hire"
    # Hire allows one failed question and one red flag, so neither alone would have lost it
    assert [f.change for f in d.flips] == ["dimension", "dimension"]


def test_flag_removal_flip_quotes_the_flag() -> None:
    m, attempts = scenario("strong_hire")
    attempts["case:paywall-readout"] = dataclasses.replace(attempts["case:paywall-readout"], flags=[FLAG])
    d = debrief(m, attempts)
    assert d.verdict == "hire"
    up = next(f for f in d.flips if f.direction == "up")
    assert up.change == "flag"
    assert up.sentence == ("Avoiding the red flag vanity_metric on case:paywall-readout "
                           "(“Page views went up so the feature works.”) would have made it Strong hire")
    assert d.red_flags == [{"item_id": "case:paywall-readout", **FLAG}]
    assert "1 red flag: vanity_metric on case:paywall-readout (leads with page views, not learning)." in d.reasons


def test_evidence_quotes_are_sentences_from_the_answers() -> None:
    m, attempts = scenario("hire")
    d = debrief(m, attempts)
    quotes = 0
    for row in d.dimensions:
        for ev in row["evidence"]:
            answer = attempts[ev["item_id"]].answer
            assert ev["quote"] in answer
            quotes += 1
    assert quotes == 10   # 3 + 2 (the SQL answer feeds logic and correctness) + 3 + 2
    signal = next(row for row in d.dimensions if row["name"] == "signal_selection")
    # the best-matched concept's sentence, not the weaker echo
    assert [ev["quote"] for ev in signal["evidence"]] == [
        "For signal selection on case:define-success I would compare completers because it matters.",
        "For signal selection on est:campus-reach I would compare completers because it matters."]
    sql_logic = next(row for row in d.dimensions if row["name"] == "sql_logic")
    assert sql_logic["evidence"] == [{"item_id": "sql:paying-learners-may-2026",
                                      "quote": "SELECT COUNT(DISTINCT learner_id) AS paying",
                                      "verdict": "Your result has 1,204 rows; the question expects 1,180."}]
    right = debrief(*scenario("strong_hire"))
    correctness = next(row for row in right.dimensions if row["name"] == "sql_correctness")
    assert correctness["evidence"][0]["verdict"] == "correct on the warehouse and 3 hidden databases"


def test_time_is_reported_but_never_scored() -> None:
    m, attempts = scenario("hire")
    on_time = debrief(m, attempts)
    assert on_time.time == {"allowed_s": 2700, "used_s": 2400.0, "over_s": 0.0}
    slow = {qid: dataclasses.replace(a, seconds=900.0) for qid, a in attempts.items()}
    late = debrief(m, slow)
    assert late.time == {"allowed_s": 2700, "used_s": 3600.0, "over_s": 900.0}
    assert (late.score, late.verdict) == (on_time.score, on_time.verdict)
    assert any(r.startswith("Used 60 of 45 minutes: 15 min over") for r in late.reasons)
    assert [q["seconds"] for q in late.questions] == [900.0] * 4


def test_questions_carry_model_answers_and_mock_fields() -> None:
    m, attempts = scenario("hire")
    ended = START + dt.timedelta(minutes=50)
    d = debrief(m, attempts, model_answers={"sql:paying-learners-may-2026": "SELECT 1"}, now=ended)
    assert d.mock == {"uid": "m-test", "focus": "mixed", "minutes": 45, "seed": 7,
                      "started_at": START.isoformat(), "ended_at": ended.isoformat()}
    sql = next(q for q in d.questions if q["kind"] == "sql")
    assert (sql["model_answer"], sql["passed"], sql["score"], sql["minutes"]) == ("SELECT 1", False, 0.0, 11)
    data = d.to_dict()
    assert data["verdict"] == "hire" and data["flip"] == d.flip
    assert set(data) >= {"mock", "verdict", "verdict_title", "reasons", "flip", "dimensions", "red_flags",
                         "questions", "time", "score"}


def test_summary_for_today() -> None:
    d = debrief(*scenario("hire"))
    assert summary(d) == (
        "Last mock (mixed, 45 min, 3 Dec): Hire, 71.1/100. Strongest: Signal selection 87.5; "
        "weakest: SQL correctness 0; to flip to Strong hire: passing sql:paying-learners-may-2026 "
        "(SQL logic 75 → 100, SQL correctness 0 → 100) would have made it Strong hire (overall 71.1 → 88.9).")
    assert summary(d.to_dict()) == summary(d)
    top = summary(debrief(*scenario("strong_hire")))
    assert "what would lower it: one red flag would have made it Hire" in top


# -- the HTML page ---------------------------------------------------------------------------------------

class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def hostile_debrief() -> tuple[Debrief, str]:
    m, attempts = scenario("hire")
    evil = "<script>alert(1)</script>"
    sentence = f"We should track weekly completers {evil} because it matters."
    define = "case:define-success"
    att = case_attempt(define, {"signal_selection": 90, "learner_outcomes": 85, "communication": 90},
                       flags=[{"code": "x<y", "message": "<b>bad</b>", "evidence": sentence}])
    rubric = att.detail["dimensions"]
    rubric[0]["matched"][0]["sentence"] = sentence
    attempts[define] = dataclasses.replace(att, answer=f"{sentence} And more.")
    m.questions[0] = dataclasses.replace(m.questions[0], title='Define "success" <img src=x onerror=alert(2)>')
    return debrief(m, attempts, model_answers={define: f"Model: {evil} & more"}), evil


def test_html_escapes_everything_from_answers_titles_and_model_answers() -> None:
    d, evil = hostile_debrief()
    page = render_html(d)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;b&gt;bad&lt;/b&gt;" in page and "<b>" not in page
    assert "Model: &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    collector = TagCollector()
    collector.feed(page)
    tags = [t for t, _ in collector.tags]
    assert "script" not in tags and "img" not in tags and "link" not in tags
    assert render_html(d.to_dict()) == page


def test_html_is_self_contained() -> None:
    d, _ = hostile_debrief()
    page = render_html(d)
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "http://" not in page and "https://" not in page
    assert "url(" not in page and "@import" not in page and "@font-face" not in page
    collector = TagCollector()
    collector.feed(page)
    for _tag, attrs in collector.tags:
        for name in ("src", "href", "action", "srcset", "data"):
            value = attrs.get(name)
            assert value is None or "//" not in value, (name, value)
    # "src=" in the escaped answer is text; no tag carries such an attribute
    assert not re.search(r"<[^>]*\b(?:src|href)\s*=", page)
    assert page.count("<style>") == 1 and "@media print" in page


def test_html_shows_verdict_dimensions_flags_questions_and_time() -> None:
    m, attempts = scenario("hire")
    attempts["case:paywall-readout"] = dataclasses.replace(attempts["case:paywall-readout"], flags=[FLAG],
                                                           seconds=900.0)
    d = debrief(m, attempts, model_answers={"est:campus-reach": "About 40,000 learners."})
    page = render_html(d)
    assert '<h1>Hire</h1>' in page and '<body class="v-hire">' in page
    assert f"{d.score:g}<small>/100 overall</small>" in page
    for sentence in d.reasons + d.flip:
        assert html.escape(sentence) in page
    for name in COMMITTEE:
        assert f"<span>{html.escape(TITLES[name])}</span>" in page
    # bar widths are the dimension scores
    assert 'style="width: 0.0%"' in page and 'style="width: 75.0%"' in page
    assert page.count('<div class="dim">') == 7
    assert "<code>vanity_metric</code> on case:paywall-readout" in page
    assert "<blockquote>Page views went up so the feature works.</blockquote>" in page
    assert re.search(r"<details><summary>Model answer</summary><pre class=\"text\">About 40,000 learners\.</pre>"
                     r"</details>", page)
    assert page.count('<article class="q">') == 4
    assert "<p>Used 45:00 of 45:00.</p>" in page
    assert "<span>10:00 of 11:00</span>" in page
    assert '<span class="over">15:00 of 11:00</span>' in page
    assert re.search(r"<h3>What would have raised it</h3><ul><li class=\"up\">No single change would have made it "
                     r"Strong hire", page)


def test_doctests() -> None:
    for module in (debrief_module, debrief_html):
        failures, tried = doctest.testmod(module)
        assert tried > 0 and failures == 0, module.__name__


def test_what_the_sql_grader_found_is_not_counted_as_red_flags() -> None:
    m, attempts = scenario("hire")
    sql = MIXED[1]
    many = [{"code": f"sql_filter_missing_{i}", "message": "a filter is missing", "evidence": "WHERE"}
            for i in range(6)]
    attempts[sql] = dataclasses.replace(attempts[sql], flags=many)
    d = debrief(m, attempts)
    assert d.red_flags == [] and d.verdict == "hire"
    assert "No red flags." in d.reasons
