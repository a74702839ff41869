"""Stance of a mention: is the answer proposing a concept, rejecting it, or only hedging?

Rejection cues are scoped to the clause that mentions the concept: "DAU would be the wrong metric here"
rejects DAU; "measure completion rather than CTR" endorses completion and rejects CTR.
"""

from __future__ import annotations

import re

from pmdrill.core.judgement.text import Sentence

ENDORSE, REJECT, HEDGE = "endorse", "reject", "hedge"

# Cues before a mention that reject it: "not CTR", "instead of DAU", "avoid", "completion over clicks".
_PRE = re.compile(
    r"\b(not|never|instead of|rather than|avoid(?:ing)?|ignor(?:e|ing)|without|beyond|question(?:ing)?|"
    r"skip|reject(?:ing)?|de-?prioriti[sz]e|stop(?:ping)?|wary of|careful (?:with|about)|beware(?: of)?|"
    r"resist|argue against|warn against|caution against|push back on|hold(?:ing)? off (?:on)?|less on|"
    r"no longer|over|vs\.?|versus|"
    r"nor|neither|not by|not on|not in)\b|n't\b")
# "over" compares ("completion over CTR") unless it measures time or amount ("over the next 30 days").
_OVER_TIME = re.compile(r"^\s*(the (next|last|past|first|course|life|long|short|period|year|month|week)|"
                        r"time|a\b|an\b|\d|one|two|three|four|several|many|weeks?|months?|days?|years?|"
                        r"its|their|all)")
_HEDGE = re.compile(r"\b(not (just|only|merely|solely|simply)|in addition to|on top of|as well as)\b")
# Between a negation and the mention, a harm verb means the concept is protected: "don't hurt completion".
_HARM = re.compile(r"\b(hurt|harm|drop|lower|reduce|lose|losing|damage|sacrific|cannibali[sz]|decrease|"
                   r"erode|tank|worsen|degrade|fall|decline|suffer|cost)\w*")
# A word that starts a new proposition: a negation before it no longer applies after it.
_RESET = re.compile(r"\b(and|or|but|unless|if|until|whether|that|which|who|when|while|then|so|because|"
                    r"although|though)\b")
# Cues after a mention, in its clause, that reject it: "X is misleading", "X would be the wrong metric".
_POST = re.compile(
    r"\b(wrong|misleading|mislead|vanity|meaningless|gameable|gamed|red herring|poor proxy|bad proxy|"
    r"weak proxy|curiosity|inflat\w*|overstat\w*|hollow|noise|noisy|trap|distraction|useless|flawed|"
    r"questionable|tells? (us )?(little|nothing)|says? (little|nothing)|proves? (little|nothing)|"
    r"no (proof|evidence|signal|indication)|"
    r"not (a |the )?(good|right|real|useful|meaningful|valid|true|reliable)|"
    r"(is|are|was|were|would be|will be|'s)( not)? (a |an |the )?(bad|poor|weak|wrong) )")
_POST_NEG = re.compile(
    r"\b(is not|isn't|are not|aren't|was not|wasn't|would not|wouldn't|does not|doesn't|do not|don't|"
    r"did not|didn't|won't|will not|cannot|can't|can not|never|should not|shouldn't)\b(?!\s+(just|only|enough|"
    r"drop|fall|decline|decrease|go down|get worse|suffer|regress|hurt|change|move|degrade|worsen|slip|"
    r"budge|improve|rise|increase))")


# a following clause that describes the mention: "DAU, which is a vanity metric" / "CTR - it only ..."
_DESCRIBES = re.compile(r"^((which|that) (is|are|was|were|would be|will be|'s|only|just|merely|measures?|"
                        r"counts?|tells?|shows?|says?)|(it|they|this|that) (is|are|'s|only|just|measures?|counts?)|"
                        r"(as|since|because) (it|they) )\b")


def _clause_of(sent: Sentence, pos: int) -> tuple[int, int]:
    for start, end in sent.clauses:
        if start <= pos < end:
            return start, end
    return 0, len(sent.lower)


def _pre_stance(before: str) -> str | None:
    """Stance set by cues in the clause text before a mention (the nearest cue wins)."""
    if _HEDGE.search(before[-40:]):
        return HEDGE
    cue = None
    for m in _PRE.finditer(before):
        if m.group(0) == "over" and (m.start() < 2 or _OVER_TIME.match(before[m.end():])):
            continue
        cue = m
    if cue is None:
        return None
    tail = before[cue.end():]
    if _RESET.search(tail):
        return None
    if _HARM.search(tail) and cue.group(0) not in ("instead of", "rather than", "over", "vs", "vs.", "versus"):
        return ENDORSE  # "don't hurt completion", "without losing completion": completion is protected
    if len(tail.split()) > 8:  # too far away to be about this mention
        return None
    return REJECT


def _post_stance(after: str) -> str | None:
    m = _POST.search(after)
    n = _POST_NEG.search(after)
    if m is None and n is None:
        return None
    first = min(x.start() for x in (m, n) if x is not None)
    # another proposition starting before the cue ("X and Y is misleading") is not about X
    if _RESET.search(after[:first]):
        return None
    return REJECT


def stance_at(sent: Sentence, start: int, end: int) -> str:
    """Stance of the mention at ``lower[start:end]`` within its clause."""
    c_start, c_end = _clause_of(sent, start)
    before = sent.lower[c_start:start]
    after = sent.lower[end:c_end]
    pre = _pre_stance(before)
    if pre is not None:
        return pre
    post = _post_stance(after)
    if post is not None:
        return post
    # "DAU, which is a vanity metric" / "CTR - it only measures curiosity": the next clause describes it
    nxt = [c for c in sent.clauses if c[0] >= c_end]
    if nxt:
        follow = sent.lower[nxt[0][0]:nxt[0][1]].strip()
        if _DESCRIBES.match(follow) and _post_stance(
                " " + follow.split(" ", 1)[-1]) == REJECT:
            return REJECT
    return ENDORSE


def clause_stance(sent: Sentence, clause: tuple[int, int]) -> str:
    """Stance of a whole clause (for a semantic match whose words we can only locate by clause)."""
    text = sent.lower[clause[0]:clause[1]]
    if _HEDGE.search(text):
        return HEDGE
    if _PRE.search(text) and not all(
            m.group(0) == "over" and (m.start() < 2 or _OVER_TIME.match(text[m.end():])) for m in _PRE.finditer(text)):
        return REJECT
    if _POST.search(text) or _POST_NEG.search(text):
        return REJECT
    return ENDORSE


def sentence_has_rejection(sent: Sentence) -> bool:
    return any(clause_stance(sent, c) == REJECT for c in sent.clauses)


_PROPOSAL = re.compile(
    r"\b(should|would|will|i'd|we'd|i'll|we'll|let's|let us|propose|recommend|plan to|goal|success|"
    r"successful|north star|primary|kpi|optimi[sz]e|target|aim|maximi[sz]e|focus on|we can|is a win|"
    r"to (increase|drive|boost|grow|raise|lift|get|bring|improve)|must|need to|want to|best metric|"
    r"key metric|measure of|(is|are) (good|great|better|the way|a cheap way|a good way|an easy way|fine))\b")
_GUARDRAIL = re.compile(r"\b(counter[- ]?metrics?|guardrails?|health metrics?|secondary|diagnostic)\b")


def in_guardrail_clause(sent: Sentence, pos: int, end: int) -> bool:
    """Is the mention at ``pos:end`` named as a counter-metric or guardrail ("DAU as a guardrail")?

    Only words next to the mention count: "ship it and track outcomes as a guardrail" still ships it.
    """
    window = sent.lower[max(0, pos - 30):end + 40]
    return bool(_GUARDRAIL.search(window))


def proposes(sent: Sentence) -> bool:
    """Does the sentence put something forward (a decision, a goal), rather than report data?"""
    if _PROPOSAL.search(sent.lower):
        return True
    # an imperative note ("Send push reminders to...") or a bare list of metrics under no heading
    first = sent.lower.split(" ", 1)[0]
    return sent.is_fragment or first in {"send", "make", "lower", "push", "add", "use", "launch", "ship",
                                         "cut", "reduce", "increase", "grow", "drive", "optimize", "optimise",
                                         "focus", "prioritize", "prioritise", "measure", "track", "remove",
                                         "ease", "shorten", "boost", "maximize", "maximise", "target"}
