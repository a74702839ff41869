"""Rejection cues found missing by the case writers: "hold off on X", "X proves nothing"."""

from __future__ import annotations

import re

import pytest

from pmdrill.core.judgement.stance import ENDORSE, REJECT, stance_at
from pmdrill.core.judgement.text import split_sentences


def stance_of(sentence: str, term: str) -> str:
    sent = split_sentences(sentence)[0]
    m = re.search(re.escape(term.lower()), sent.lower)
    assert m is not None, (term, sentence)
    return stance_at(sent, m.start(), m.end())


@pytest.mark.parametrize(("sentence", "term", "expected"), [
    ("I would hold off on the promotion until the logging is fixed.", "promotion", REJECT),
    ("Hold off the discount campaign for now.", "discount campaign", REJECT),
    ("A count of free learners proves nothing about learning.", "free learners", REJECT),
    ("Registrations prove little on their own.", "registrations", REJECT),
    ("Run the promotion once the logging is fixed.", "promotion", ENDORSE),
    ("Completion proves the learner got value.", "completion", ENDORSE),
])
def test_new_cues(sentence: str, term: str, expected: str) -> None:
    assert stance_of(sentence, term) == expected


def test_thousands_separators_are_not_list_commas() -> None:
    from pmdrill.core.judgement.text import is_list

    assert not is_list("baseline: 17,000 + 7,500 = 24,500, so 1,200 more")
    assert is_list("ctr, dau, time in app, clicks, logins")
