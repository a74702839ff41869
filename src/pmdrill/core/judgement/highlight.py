"""An answer cut into pieces, each marked with the red flags its sentence raised, so a page can highlight
the sentence behind every flag.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def segments(answer: str, flags: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``[{"text": ..., "flags": [codes]}]`` covering the whole answer in order.

    Example:
        >>> segments("CTR is up. Ship it now.", [{"code": "ship_on_click", "evidence": "Ship it now."}])
        [{'text': 'CTR is up. ', 'flags': []}, {'text': 'Ship it now.', 'flags': ['ship_on_click']}]
    """
    spans: list[tuple[int, int, str]] = []
    for f in flags:
        evidence = str(f.get("evidence") or "").strip()
        if not evidence:
            continue
        at = answer.find(evidence)
        if at < 0:  # the scorer normalises spaces: try the first words
            probe = " ".join(evidence.split()[:6])
            at = answer.find(probe) if probe else -1
            if at < 0:
                continue
            end = min(len(answer), at + len(evidence))
        else:
            end = at + len(evidence)
        spans.append((at, end, str(f.get("code", "flag"))))
    cuts = sorted({0, len(answer), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out = []
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        if lo == hi:
            continue
        codes = [code for s, e, code in spans if s <= lo and hi <= e]
        out.append({"text": answer[lo:hi], "flags": list(dict.fromkeys(codes))})
    return out
