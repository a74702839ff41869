"""Stance: rejecting a concept by name is not proposing it; cues are scoped to the clause of the mention."""

from __future__ import annotations

import re

import pytest

from pmdrill.core.judgement.stance import ENDORSE, HEDGE, REJECT, proposes, stance_at
from pmdrill.core.judgement.text import split_sentences


def stance_of(sentence: str, term: str) -> str:
    sent = split_sentences(sentence)[0]
    m = re.search(re.escape(term.lower()), sent.lower)
    assert m is not None, (term, sentence)
    return stance_at(sent, m.start(), m.end())


@pytest.mark.parametrize(("sentence", "term", "expected"), [
    ("DAU would be the wrong metric here.", "DAU", REJECT),
    ("I would hold off on the promotion until the logging is fixed.", "promotion", REJECT),
    ("Hold off the discount campaign for now.", "discount campaign", REJECT),
    ("A count of free learners proves nothing about learning.", "free learners", REJECT),
    ("Registrations prove little on their own.", "registrations", REJECT),
    ("Run the promotion once the logging is fixed.", "promotion", ENDORSE),
    ("Completion proves the learner got value.", "completion", ENDORSE),
    ("I would not use DAU as the success metric.", "DAU", REJECT),
    ("Instead of CTR, I'd measure first-module completion.", "CTR", REJECT),
    ("Instead of CTR, I'd measure first-module completion.", "first-module completion", ENDORSE),
    ("I'd measure first-module completion rather than CTR.", "first-module completion", ENDORSE),
    ("I'd measure first-module completion rather than CTR.", "CTR", REJECT),
    ("Prioritise completion over clicks.", "clicks", REJECT),
    ("Prioritise completion over clicks.", "completion", ENDORSE),
    ("Measure completion over the next 30 days.", "completion", ENDORSE),
    ("Avoid vanity metrics like page views.", "page views", REJECT),
    ("Page views are misleading for a learning product.", "page views", REJECT),
    ("Click-through is a vanity metric.", "click-through", REJECT),
    ("CTR isn't a measure of learning.", "CTR", REJECT),
    ("Don't optimise for logins.", "logins", REJECT),
    ("Track CTR, which only measures curiosity.", "CTR", REJECT),
    ("Track CTR, which we report weekly.", "CTR", ENDORSE),
    ("The success metric is DAU.", "DAU", ENDORSE),
    ("We should grow weekly active learners.", "weekly active learners", ENDORSE),
    ("Not just CTR but first-module completion.", "CTR", HEDGE),
    ("Ship it only if completion does not drop.", "completion", ENDORSE),
    ("Make sure the change doesn't hurt completion.", "completion", ENDORSE),
    ("Raise conversion without losing completion.", "completion", ENDORSE),
    ("I would not ship unless first-module completion rises.", "first-module completion", ENDORSE),
    ("Don't use DAU, and measure modules completed instead.", "modules completed", ENDORSE),
])
def test_stance_is_scoped_to_the_mention(sentence: str, term: str, expected: str) -> None:
    assert stance_of(sentence, term) == expected


@pytest.mark.parametrize(("sentence", "expected"), [
    ("We should send more pushes.", True),
    ("The goal is more app opens.", True),
    ("Send a daily reminder to drive logins.", True),
    ("Lowering the pass mark is a cheap way to raise completion.", True),
    ("App opens rose 20% in treatment.", False),
    ("Pass rates jumped while scores stayed flat.", False),
])
def test_a_red_flag_needs_a_proposal(sentence: str, expected: bool) -> None:
    assert proposes(split_sentences(sentence)[0]) is expected


def test_sentences_split_on_bullets_and_drop_repeats() -> None:
    text = "First point. Second point.\n- a bullet\n- another bullet\n\nFirst point."
    assert [s.text for s in split_sentences(text)] == ["First point.", "Second point.", "a bullet",
                                                        "another bullet"]
    notes = split_sentences("Metrics: CTR, DAU, MAU.")
    assert notes[0].is_fragment
    assert not split_sentences("I would measure completion.")[0].is_fragment


def test_thousands_separators_are_not_list_commas() -> None:
    from pmdrill.core.judgement.text import is_list

    assert not is_list("baseline: 17,000 + 7,500 = 24,500, so 1,200 more")
    assert is_list("ctr, dau, time in app, clicks, logins")
