"""Reading an answer's decision, not only its words: what does it recommend, and against which evidence?

A trap answer says the right words (completion, guardrail, sample ratio mismatch, "correlation is not
causation") and still ships. Word-level matching credits the words; this module reads the recommendation
itself — the answer's go / hold / conditional decision — and sets it against what the question or the
answer states: a learning outcome that fell, a split that is uneven, a correlation offered as the case for
a change. An unconditional "ship it" over one of those raises the matching generic red flag, whichever
words surround it. A decision that holds, waits for a test, or ships only if a condition is met raises
nothing.

Example:
    >>> from pmdrill.core.judgement.text import split_sentences
    >>> s = split_sentences("Completion fell 2 points, which is small. I'd ship to everyone.")
    >>> [code for code, _ in read("Clicks rose 20% in the test.", s)]
    ['ships_despite_outcome_drop']
    >>> s = split_sentences("Completion fell 2 points. I would not ship until we know why.")
    >>> read("Clicks rose 20% in the test.", s)
    []
"""

from __future__ import annotations

import re

from pmdrill.core.judgement.text import Sentence

GO, HOLD, CONDITIONAL = "go", "hold", "conditional"

_ACT = (r"(ship|shipping|roll(ing)? (it |this |the \w+ )?out|launch|launching|go ahead|scale|scaling|expand|"
        r"redesign|rebuild|make (it|this) the default|turn (it|this) on|approve|keep (it|the \w+) on)")
_GO = re.compile(
    r"\b(i'?d|i would|we should|we'd|we will|we'll|i will|i'll|let'?s|my (recommendation|call) (is|would be)|"
    r"i recommend|recommend(ing)?|the (call|decision) is( to)?|i'm comfortable|we can)\b(?P<gap>[^.]{0,30}?)\b" + _ACT + r"\b"
    r"|^" + _ACT + r"\b")
# "I'd check whether the launch ..." / "we should ask why we'd ship": a question about a decision, not one
_INQUIRY = re.compile(r"\b(check|whether|why|how|what|ask|see|understand|look|investigate|confirm)\b")
_CONTINGENCY = re.compile(r"(if|should|in case|when|and if|worst case)\b[^.]*\b(can|could|would|will|we'?ll)\b[^.]*"
                          r"\b(roll (it )?back|revert|pause|stop|switch (it )?off)\b")
_NOT = re.compile(
    r"\b(not|n't|never|no|hold (off|back)|instead of|rather than|before we|wait|pause|don'?t)\b[^.]{0,25}$")
_HOLD = re.compile(
    r"\b((would|will|should|do|could)(n'?t| not) (yet )?" + _ACT + r"|not (yet )?(ship|launch|roll)|hold (off|the|it|back)|"
    r"keep (the )?control|roll (it )?back|pause|re-?run|rerun|not (ready|yet)|kill (it|the)|stop the)\b")
_CONDITION = re.compile(r"\b(if|unless|only (if|when|after|once)|once|provided|as long as|after (a|an|we)|"
                        r"pending|subject to|gated on|behind a|in a (test|pilot)|to (a|\d+%) (holdout|slice)|"
                        r"as an? (experiment|test|pilot)|a (small |staged |limited )?(pilot|test))\b")

_OUTCOME = (r"(completions?|completion rates?|path completion|course completion|retention|renewals?|"
            r"certificates?|pass rates?|learning (outcomes?|gains?)|outcomes?|progress|skills?|"
            r"(quiz|test|exam|assessment|final|project) scores?|grades|mastery)")
_FELL = (r"(fell|falls|falling|dropp(ed|ing|s)|declin(ed|es|ing)|went down|is down|was down|are down|"
         r"lower|worse|decreased|regress(ed|ion))")
_DROP = re.compile(r"\b" + _OUTCOME + r"\b[^.;]{0,60}?\b" + _FELL + r"\b"
                   r"|\b(drop|fall|decline|dip|decrease) (of |by )?[^.;]{0,20}?\bin (the )?" + _OUTCOME + r"\b")
_NO_DROP = re.compile(r"\b(no|not|n'?t|without|never|didn'?t|did not)\b[^.;]{0,25}\b(drop|fall|fell|declin|dip|lower|worse)")
_SPLIT = re.compile(r"\b(sample ratio|srm|imbalance|uneven (split|assignment|arms?|groups?)|mismatch(ed)? (split|arms?)|"
                    r"\d+(\.\d+)?% versus \d+(\.\d+)?%|\d+/\d+ split)\b")
_SPLIT_NUMBERS = re.compile(
    r"(?P<a>\d[\d,.]*)\s*(?P<ua>k|thousand|million)?\s+(learners|users|people)?\s*in (the )?control\b"
    r"[^.]*?\b(?P<b>\d[\d,.]*)\s*(?P<ub>k|thousand|million)?\s+(learners|users|people)?\s*in (the )?treatment")
_CORRELATION = re.compile(r"\b(\d+(\.\d+)?x|twice|three times|\d+ times) (as |more )?(likely|often)\b|\bcorrelat\w*\b|"
                          r"\bwho (do|did|finish|complete|use|post|watch|join|set)\w*\b[^.]*\b(more likely|complete more|"
                          r"finish more|higher)\b|\bassociated with\b")
_TESTS = re.compile(r"\b(a/?b|experiment|randomi[sz]\w*|holdout|hold-out|test (it|this|the)|pilot|controlled|"
                    r"encouragement design|instrument\w*|natural experiment|difference[- ]in[- ]differences)\b")
_NO_TEST = re.compile(r"\b(skip|without|no need for|don'?t need|not need|instead of|rather than|forgo|avoid)\b[^.]{0,25}"
                      r"\b(a/?b|experiment|test|pilot|holdout)")


def decision(sentences: list[Sentence]) -> tuple[str | None, Sentence | None]:
    """The answer's final recommendation: GO (unconditional), HOLD, CONDITIONAL, or None when it makes none.

    The last decisive sentence wins: answers reason first and conclude last.
    """
    found: tuple[str | None, Sentence | None] = (None, None)
    for sent in sentences:
        low = sent.lower
        if _CONTINGENCY.match(low):
            continue  # "if churn rises, we can always roll back": a fallback, not the recommendation
        if _HOLD.search(low):
            found = (HOLD, sent)
            continue
        m = next((g for g in _GO.finditer(low) if not _INQUIRY.search(g.group("gap") or "")), None)
        if m is None:
            continue
        if _NOT.search(low[max(0, m.start() - 30):m.end()]):
            found = (HOLD, sent)
        elif _CONDITION.search(low):
            found = (CONDITIONAL, sent)
        else:
            found = (GO, sent)
    return found


def _split_uneven(text: str) -> bool:
    m = _SPLIT_NUMBERS.search(text)
    if m is None:
        return False
    try:
        a, b = float(m.group("a").replace(",", "")), float(m.group("b").replace(",", ""))
    except ValueError:
        return False
    scale = {"k": 1e3, "thousand": 1e3, "million": 1e6}
    a *= scale.get(m.group("ua") or "", 1.0)
    b *= scale.get(m.group("ub") or "", 1.0)
    return a > 0 and b > 0 and abs(a - b) / (a + b) >= 0.01


def _drops(text: str) -> bool:
    return any(not _NO_DROP.search(text[max(0, m.start() - 30):m.end()]) for m in _DROP.finditer(text))


def read(prompt: str, sentences: list[Sentence]) -> list[tuple[str, str]]:
    """(red flag code, evidence) for an unconditional go over evidence the answer or question states."""
    kind, sent = decision(sentences)
    if kind != GO or sent is None:
        return []
    question = prompt.lower()
    answer = " ".join(s.lower for s in sentences)
    out: list[tuple[str, str]] = []
    if _drops(question) or _drops(answer):
        out.append(("ships_despite_outcome_drop", sent.text))
    if _SPLIT.search(answer) or _SPLIT.search(question) or _split_uneven(question):
        out.append(("ignores_srm", sent.text))
    tested = _TESTS.search(answer) and not _NO_TEST.search(answer)
    if (_CORRELATION.search(question) or _CORRELATION.search(answer)) and not tested:
        out.append(("causal_from_correlation", sent.text))
    return out
