"""The optional LLM judge: build an OpenAI-compatible chat request for a case answer and read its verdict.

Pure: the adapter sends the request (stdlib urllib) only when the user configured llm_url and llm_model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pmdrill.core.judgement.model import Case
from pmdrill.errors import LlmResponseError

__all__ = ["LlmResponseError", "LlmVerdict", "build_request", "endpoint", "parse_response"]

SYSTEM = (
    "You are a hiring-committee member scoring a product manager's answer to an analytical case at an "
    "online-learning company. Reward: metrics anchored in learners becoming more capable, a counter-metric, "
    "quantified trade-offs, segmentation, skepticism about the data, clear reasoning and a decision. Penalise "
    "vanity metrics proposed as success, engagement without a learning trigger, and raising completion by "
    "easing assessments. Reply with JSON only: {\"score\": 0-100, \"verdict\": \"pass\" or \"fail\", "
    "\"strengths\": [..], \"gaps\": [..]}."
)


@dataclass(frozen=True)
class LlmVerdict:
    score: float
    verdict: str
    strengths: tuple[str, ...]
    gaps: tuple[str, ...]
    model: str

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "verdict": self.verdict, "strengths": list(self.strengths),
                "gaps": list(self.gaps), "model": self.model}


def endpoint(base_url: str) -> str:
    """The chat completions URL of an OpenAI-compatible base URL (``.../v1`` or the full path)."""
    url = base_url.rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


def build_request(case: Case, answer: str, model: str) -> dict[str, Any]:
    """The JSON body of the chat request: the case prompt, what a strong answer covers, the answer."""
    covers = "; ".join(c.label for d in case.dimensions if d.asked for c in d.concepts if not c.generic)
    user = (f"Case ({case.kind}): {case.prompt.strip()}\n\n"
            f"A strong answer covers: {covers or 'the seven dimensions above'}.\n"
            f"Pass mark: {case.pass_mark:g}/100.\n\nCandidate's answer:\n{answer.strip()}")
    return {"model": model, "temperature": 0, "messages": [{"role": "system", "content": SYSTEM},
                                                            {"role": "user", "content": user}]}


def parse_response(body: bytes | str, model: str = "") -> LlmVerdict:
    """Read the verdict from a chat completion; the JSON may sit inside a code fence or prose."""
    try:
        data = json.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LlmResponseError(f"not a chat completion: {exc}") from None
    match = re.search(r"\{.*\}", content or "", re.DOTALL)
    if match is None:
        raise LlmResponseError("the reply holds no JSON verdict")
    try:
        verdict = json.loads(match.group(0))
        score = float(verdict["score"])
    except (ValueError, KeyError, TypeError) as exc:
        raise LlmResponseError(f"the verdict has no numeric score: {exc}") from None
    if not 0 <= score <= 100:
        raise LlmResponseError(f"score {score} is outside 0-100")
    texts = lambda key: tuple(str(x) for x in verdict.get(key, []) if str(x).strip())  # noqa: E731
    return LlmVerdict(score=score, verdict=str(verdict.get("verdict", "")), strengths=texts("strengths"),
                      gaps=texts("gaps"), model=str(data.get("model") or model))
