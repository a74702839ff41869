"""Split an answer into sentences and clauses, and read the cheap features the scorer needs.

Features: does a sentence carry a verb or decision, does it reason (because/so/if...), is it a bare list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Bullets and line breaks end a sentence too: answers are often written as notes.
_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n|\n\s*(?:[-*•]|\d+[.)])\s+|;\s+")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")
_WORD = re.compile(r"[a-z0-9']+(?:[-_][a-z0-9']+)*")

_MODALS = {"would", "should", "will", "could", "can", "must", "might", "may", "shall", "i'd", "we'd", "i'll",
           "we'll", "let's", "is", "are", "was", "were", "be", "been", "being", "isn't", "aren't", "wasn't",
           "don't", "doesn't", "didn't", "won't", "wouldn't", "shouldn't", "can't", "do", "does", "did", "has",
           "have", "had", "it's", "that's", "there's", "'s"}
_VERB_STEMS = (
    "measur", "track", "use", "define", "choose", "pick", "prefer", "prioriti", "optimi", "focus", "compare",
    "segment", "split", "check", "verify", "confirm", "look", "see", "watch", "monitor", "ship", "launch",
    "roll", "keep", "kill", "stop", "drop", "lower", "raise", "increase", "decrease", "reduce", "improve",
    "grow", "drive", "boost", "lift", "fall", "rise", "rose", "move", "show", "prove", "mean", "tell",
    "indicat", "suggest", "recommend", "propose", "decide", "weigh", "trade", "cost", "gain", "lose", "lost",
    "hurt", "harm", "test", "run", "rerun", "read", "analy", "investigat", "ask", "clarify", "start",
    "begin", "break", "cut", "estimat", "assum", "multipl", "divid", "add", "send", "make", "build", "target",
    "aim", "want", "need", "expect", "predict", "attribut", "cause", "explain", "find", "found", "dig",
    "inflat", "game", "reward", "earn", "pay", "convert", "finish", "complet", "pass", "fail", "learn",
    "captur", "ignor", "avoid", "reject", "question", "doubt", "exclud", "filter", "control", "correct",
    "adjust", "normali", "sav", "spend", "matter", "count", "favo", "think", "believe", "argu", "guard",
    "protect", "balanc", "accept", "hold", "stay", "remain", "drop", "declin", "shorten", "lengthen", "split",
    "giv", "cover", "open", "goes", "get", "take", "took", "come", "came", "bring", "brought", "buy", "bought",
    "sell", "sold", "visit", "view", "spend", "spent", "skew", "appl", "help", "jump", "stall", "churn", "renew",
)
# the verb list cannot be complete: a longer sentence without a known verb is still taken as a sentence
FRAGMENT_WORDS = 8
_REASON = re.compile(r"\b(because|since|so that|so|therefore|thus|hence|which means|this means|that means|"
                     r"as a result|that is why|that's why|if|unless|then|otherwise|but|however|whereas|while|"
                     r"instead|rather than|at the cost of|in exchange|which would|so we|given that|meaning)\b")
_DECISION = re.compile(r"\b(i('d| would| will)?|we('d| would| should| will)?|my|recommend|decide|decision|"
                       r"ship|launch|roll ?back|keep|kill|choose|prefer|prioriti[sz]e|propose)\b")


@dataclass(frozen=True)
class Sentence:
    index: int
    text: str
    lower: str
    clauses: tuple[tuple[int, int], ...]   # (start, end) offsets into ``lower``
    has_verb: bool
    reasons: bool
    decides: bool
    is_fragment: bool                      # no verb: a heading or a bare list of names


def _has_verb(words: list[str]) -> bool:
    for w in words:
        if w in _MODALS or w.endswith("n't"):
            return True
        if len(w) > 3 and w.startswith(_VERB_STEMS):
            # "completion", "measurement": nouns that share a stem do not make a sentence
            if not w.endswith(("tion", "ment", "ness", "ity", "ance", "ence", "ers", "ics")):
                return True
    return False


# Clause boundaries: punctuation and the conjunctions that switch what a negation applies to.
_CLAUSE_SPLIT = re.compile(r"[,;:()]|\s[-–—]\s|\b(?:but|however|whereas|while|although|though|yet|because|"
                           r"since|so|unless|if|then|which|and then|otherwise)\b")


def clauses_of(lower: str) -> tuple[tuple[int, int], ...]:
    """Offsets of the clauses of a lower-cased sentence."""
    spans = []
    start = 0
    for m in _CLAUSE_SPLIT.finditer(lower):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.start() if m.group(0).isalpha() else m.end()
        # a conjunction opens the next clause (it is part of it), punctuation belongs to neither
    if start < len(lower):
        spans.append((start, len(lower)))
    return tuple(s for s in spans if lower[s[0]:s[1]].strip()) or ((0, len(lower)),)


def is_list(lower: str) -> bool:
    """Four or more short comma-separated items: a list of names, whatever verbs hide in it."""
    # a thousands separator ("17,000") is not a list comma
    items = [i for i in re.split(r"(?<!\d),|,(?!\d{3}\b)|;|\band\b", lower) if i.strip()]
    return len(items) >= 5 and sum(len(i.split()) for i in items) / len(items) <= 3.0


def split_sentences(answer: str) -> list[Sentence]:
    """Sentences of an answer (bullets and line breaks split too), each with its clauses and features."""
    out: list[Sentence] = []
    seen: set[str] = set()
    for raw in _SENT_END.split(answer.replace("\r\n", "\n")):
        text = _BULLET.sub("", " ".join(raw.split())).strip()
        if not text or not re.search(r"[A-Za-z]", text):
            continue
        lower = text.lower().replace("’", "'")
        if lower in seen:  # a repeated sentence earns nothing twice
            continue
        seen.add(lower)
        words = _WORD.findall(lower)
        has_verb = _has_verb(words)
        out.append(Sentence(index=len(out), text=text, lower=lower, clauses=clauses_of(lower), has_verb=has_verb,
                            reasons=bool(_REASON.search(lower)), decides=bool(_DECISION.search(lower)),
                            is_fragment=(not has_verb and len(words) < FRAGMENT_WORDS) or is_list(lower)))
    return out


def content_words(text: str) -> set[str]:
    """Words that carry meaning (for locating which clause a semantic match is about)."""
    return {w for w in _WORD.findall(text.lower()) if len(w) > 3 and w not in _STOP}


_STOP = {"that", "this", "with", "from", "they", "their", "them", "would", "should", "will", "have", "what",
         "which", "when", "where", "than", "then", "into", "about", "because", "whether", "there", "these",
         "those", "also", "only", "just", "more", "most", "less", "very", "much", "does", "were", "been",
         "being", "such", "each", "other", "some", "like", "make", "sure", "want"}
