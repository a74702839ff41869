"""Plain column frames (dict of NumPy arrays) and their conversion to Arrow tables.

Timestamps are int64 seconds since 1970 inside the generator; NaT-like nulls are -1 (``NULL_TS``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

Frame = dict[str, np.ndarray]
NULL_TS = -1
NULL_ID = -1


def take(frame: Frame, index: np.ndarray) -> Frame:
    return {k: v[index] for k, v in frame.items()}


def concat(frames: Sequence[Frame]) -> Frame:
    keys = frames[0].keys()
    return {k: np.concatenate([f[k] for f in frames]) for k in keys}


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")``, faster for non-negative integers such as timestamps.

    Each value is packed with its position into one int64 key, so an unstable (SIMD) sort of the keys
    gives exactly the stable order; other inputs fall back to NumPy's stable sort.
    """
    values = np.asarray(values)
    n = len(values)
    if n == 0 or values.dtype.kind not in "iu":
        return np.argsort(values, kind="stable")
    bits = n.bit_length()
    if int(values.min()) < 0 or int(values.max()) >= 1 << (62 - bits):
        return np.argsort(values, kind="stable")
    return np.sort((values.astype(np.int64) << bits) | np.arange(n, dtype=np.int64)) & ((1 << bits) - 1)


def ts(seconds: np.ndarray) -> pa.Array:
    """int64 seconds (NULL_TS for null) -> timestamp[us]."""
    seconds = np.asarray(seconds, dtype=np.int64)
    return pa.array(seconds * 1_000_000, pa.timestamp("us"), mask=seconds == NULL_TS)


def date(days: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32), pa.date32())


INT64 = pa.int64()


def ids(values: np.ndarray, kind: pa.DataType = INT64, nullable: bool = False) -> pa.Array:
    values = np.asarray(values)
    mask = values == NULL_ID if nullable else None
    return pa.array(values.astype(kind.to_pandas_dtype()), kind, mask=mask)


def labels(codes: np.ndarray, names: Sequence[str], null_code: int | None = None) -> pa.Array:
    """Category codes -> dictionary-encoded strings (DuckDB stores them as VARCHAR on insert)."""
    codes = np.asarray(codes, dtype=np.int32)
    mask = codes == null_code if null_code is not None else None
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32(), mask=mask), pa.array(list(names)))


def money(values: np.ndarray, nullable_mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.round(np.asarray(values, dtype=np.float64), 2), pa.float64(), mask=nullable_mask)


def table(columns: dict[str, pa.Array]) -> pa.Table:
    return pa.table(columns)


def group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Index of the first row of each run of equal keys in a sorted array."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def repeat_ranges(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts [2, 0, 3]: owner index [0, 0, 2, 2, 2] and offset [0, 1, 0, 1, 2]."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    offset = np.arange(len(owner)) - starts[owner]
    return owner, offset
