"""The case scorer with its I/O: the local embedding model, its phrasing cache file, the optional LLM judge.

``build_scorer`` is called once per process by the context; ``ask_llm`` only when the user asks for it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pmdrill.core.judgement import llm
from pmdrill.core.judgement.model import Case
from pmdrill.core.judgement.score import Scorer
from pmdrill.errors import EmbedderUnavailable, EngineError, LlmResponseError, UsageError
from pmdrill.settings import Settings


class CachingScorer(Scorer):
    """A scorer that remembers where its embedder's phrasing cache lives, to save it after scoring."""

    cache_path: Path | None = None

    def save_cache(self) -> None:
        """Rewrite the cache (a few MB) only when this process added phrasings it does not hold yet."""
        embedder = self.embedder
        if self.cache_path is None or embedder is None:
            return
        needs_save = getattr(embedder, "needs_save", None)
        save = getattr(embedder, "save", None)
        if save is None or (needs_save is not None and not needs_save(self.cache_path)):
            return
        try:
            save(self.cache_path)
        except OSError:
            pass  # the cache only saves time


def build_scorer(settings: Settings, *, warn: Callable[[str], None]) -> CachingScorer:
    """The scorer with the local model; lexical matching only, with a warning, if the model is missing."""
    from pmdrill.core.judgement.embed import default_embedder

    try:
        embedder = default_embedder(settings.cache_dir / "model")
    except EmbedderUnavailable as exc:
        warn(f"no embedding model ({exc}); matching on patterns only")
        return CachingScorer(None)
    cache = settings.cache_dir / "case-embeddings.npz"
    try:
        embedder.preload(cache)
    except (OSError, ValueError, KeyError):
        pass  # a stale or broken cache is rebuilt as answers are scored
    scorer = CachingScorer(embedder)
    scorer.cache_path = cache
    return scorer


def ask_llm(settings: Settings, case: Case, text: str, timeout: float = 60.0) -> dict[str, Any]:
    """The optional second opinion of an OpenAI-compatible endpoint (settings llm_url, llm_model)."""
    url, model = settings.llm_url, settings.llm_model
    if not url or not model:
        raise UsageError("--llm needs PMDRILL_LLM_URL and PMDRILL_LLM_MODEL (an OpenAI-compatible endpoint)",
                         where="--llm")
    body = json.dumps(llm.build_request(case, text, model)).encode()
    headers = {"Content-Type": "application/json"}
    key = settings.llm_api_key.reveal()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(llm.endpoint(url), data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the user's own URL
            raw = response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise EngineError(f"the LLM judge at {url} failed: {getattr(exc, 'reason', exc)}") from None
    try:
        return llm.parse_response(raw, model).to_dict()
    except LlmResponseError as exc:
        raise LlmResponseError(f"the LLM judge's reply could not be read: {exc}") from None
