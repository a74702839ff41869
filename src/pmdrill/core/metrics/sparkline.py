"""A unicode sparkline of a numeric series (the KPI trend in a terminal line).

Missing points (None) print as a space; a flat series prints as a flat middle line.
"""

from __future__ import annotations

from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None]) -> str:
    """One bar per value, scaled between the series' min and max.

    Example:
        >>> sparkline([1, 2, 3, 4, 5, 6, 7, 8])
        '▁▂▃▄▅▆▇█'
        >>> sparkline([3, None, 3])
        '▄ ▄'
        >>> sparkline([])
        ''
    """
    present = [float(v) for v in values if v is not None]
    if not present:
        return " " * len(values)
    low, high = min(present), max(present)
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif span == 0:
            out.append(BARS[len(BARS) // 2 - 1])
        else:
            out.append(BARS[min(len(BARS) - 1, int((float(v) - low) / span * (len(BARS) - 1) + 0.5))])
    return "".join(out)


def change_summary(values: Sequence[float | None]) -> float | None:
    """Relative change from the first to the last present point (None when undefined).

    Example:
        >>> change_summary([2.0, None, 3.0])
        0.5
    """
    present = [float(v) for v in values if v is not None]
    if len(present) < 2 or present[0] == 0:
        return None
    return present[-1] / present[0] - 1
