"""The embedding model ships in installed packages and loads with no network at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from pmdrill.core.judgement.embed import (
    CachedEmbedder,
    EmbedderUnavailable,
    MiniLMEmbedder,
    default_embedder,
    model_files,
)

# Runs in a fresh interpreter: any socket use fails, hub variables say offline, then the model loads.
OFFLINE_SCRIPT = textwrap.dedent("""
    import json, socket, time

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    started = time.perf_counter()
    from pmdrill.core.judgement.embed import MiniLMEmbedder
    emb = MiniLMEmbedder()
    loaded = time.perf_counter() - started
    vecs = emb.encode(["measure first-module completion", "track completion of the first module",
                       "the cafeteria serves soup on fridays"])
    print(json.dumps({"load_s": loaded, "shape": list(vecs.shape),
                      "close": float(vecs[0] @ vecs[1]), "far": float(vecs[0] @ vecs[2])}))
""")


def test_model_loads_offline_behind_a_socket_guard() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "NO_PROXY": "*", "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    out = subprocess.run([sys.executable, "-c", OFFLINE_SCRIPT], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\nmodel load without network: {data['load_s']:.2f} s")
    assert data["shape"] == [3, 384]
    assert data["close"] > data["far"] + 0.3


def test_model_files_come_from_installed_packages() -> None:
    model, tokenizer = model_files()
    assert model.name == "model.onnx" and model.stat().st_size > 10_000_000
    assert tokenizer.name == "tokenizer.json"


def test_vectors_are_normalised_and_order_independent() -> None:
    emb = default_embedder()
    texts = ["a short one", "a much longer sentence about first-module completion of recommended courses",
             "counter-metric", ""]
    vecs = emb.inner.encode(texts)
    assert vecs.shape == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(vecs[:3], axis=1), 1.0, atol=1e-5)
    reordered = emb.inner.encode(texts[::-1])[::-1]
    np.testing.assert_allclose(vecs, reordered, atol=1e-4)


def test_paraphrases_are_closer_than_topic_neighbours() -> None:
    emb = default_embedder()
    vecs = emb.encode(["CTR is the wrong success metric because clicks measure curiosity",
                       "click-through rate only shows curiosity, so it should not define success",
                       "we should lower the pass mark so more learners complete"])
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2


def test_cache_round_trip(tmp_path) -> None:
    inner = default_embedder().inner
    cached = CachedEmbedder(inner)
    first = cached.encode(["first-module completion", "counter-metric"])
    path = tmp_path / "cache.npz"
    cached.save(path)
    again = CachedEmbedder(inner)
    assert again.preload(path) == 2
    np.testing.assert_allclose(again.encode(["counter-metric", "first-module completion"]), first[::-1])
    assert again.preload(tmp_path / "missing.npz") == 0


def test_a_missing_model_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(EmbedderUnavailable, match="NO_SUCHFILE.onnx"):
        MiniLMEmbedder(model_path=tmp_path / "NO_SUCHFILE.onnx", tokenizer_path=model_files()[1])
