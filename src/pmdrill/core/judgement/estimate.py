"""Read the final number of an estimation answer and check it against the question's plausible range.

"2.5 million", "40k", "$3M", "1.2bn", "12%" and "1,200,000" are understood; the final number is the one in
the last sentence that concludes ("so", "total", "about"...), else the last number of the answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from pmdrill.core.judgement.model import NumericRange

_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "million": 1e6, "millions": 1e6,
          "b": 1e9, "bn": 1e9, "billion": 1e9, "billions": 1e9, "t": 1e12, "trillion": 1e12}
_NUMBER = re.compile(r"(?<![\w.])\$?\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*"
                     r"(thousand|millions?|billions?|trillion|mm|mn|bn|[kmbt])?(?![a-z])\s*(%|percent)?",
                     re.IGNORECASE)
_CONCLUDES = re.compile(r"\b(so|therefore|total|in total|overall|about|roughly|approximately|around|"
                        r"estimate|answer|final|comes? to|lands? at|ballpark|≈|~|=)\b|[≈~=]", re.IGNORECASE)


@dataclass(frozen=True)
class Estimate:
    value: float | None
    text: str            # the words the number was read from
    score: float         # 1 inside the range, decaying to 0 at 10x outside
    in_range: bool

    def to_dict(self) -> dict[str, object]:
        return {"value": self.value, "text": self.text, "in_range": self.in_range, "score": round(self.score, 3)}


def numbers(text: str) -> list[tuple[float, str]]:
    """Every number in a text with its scale applied, and the words it came from.

    Example:
        >>> [v for v, _ in numbers("about 2.5 million learners, 40k of them paid, 12% convert")]
        [2500000.0, 40000.0, 12.0]
    """
    out = []
    for m in _NUMBER.finditer(text):
        value = float(m.group(1).replace(",", ""))
        scale = (m.group(2) or "").lower()
        value *= _SCALE.get(scale, 1.0)
        out.append((value, m.group(0).strip()))
    return out


def final_number(sentences: list[str]) -> tuple[float, str] | None:
    """The answer's final number: from the last concluding sentence with a number, else the last number."""
    for sent in reversed(sentences):
        found = numbers(sent)
        if found and _CONCLUDES.search(sent):
            return found[-1]
    for sent in reversed(sentences):
        found = numbers(sent)
        if found:
            return found[-1]
    return None


def check(sentences: list[str], rng: NumericRange) -> Estimate:
    """Score the final number: 1 inside [low, high]; outside, 1 - log10(distance ratio), floored at 0."""
    found = final_number(sentences)
    if found is None:
        return Estimate(None, "", 0.0, False)
    value, text = found
    if rng.low <= value <= rng.high:
        return Estimate(value, text, 1.0, True)
    if value <= 0 or rng.low <= 0:
        return Estimate(value, text, 0.0, False)
    ratio = rng.low / value if value < rng.low else value / rng.high
    return Estimate(value, text, max(0.0, 1.0 - math.log10(ratio)), False)
