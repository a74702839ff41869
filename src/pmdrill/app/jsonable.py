"""Plain data as every face sends it: JSON-safe values (dates as ISO text, decimals as numbers, NaN as
null, dataclasses through their ``to_dict``), so the CLI's ``--json`` and the web's JSON are the same.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from pathlib import Path
from typing import Any


def plain(value: Any) -> Any:
    """``value`` as JSON-safe data (a verdict's counterexample holds dates, decimals and tuples).

    Example:
        >>> plain({"d": dt.date(2026, 5, 1), "rows": [(1, 2.5)], "nan": float("nan")})
        {'d': '2026-05-01', 'rows': [[1, 2.5]], 'nan': None}
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return plain(item())
    if isinstance(value, Path):
        return str(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return plain(to_dict())
    return str(value)


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """``value`` as JSON text (non-ASCII kept as it is)."""
    return json.dumps(plain(value), indent=indent, ensure_ascii=False)
