"""The Delta Framework: what a +5% / -5% (relative) move of a KPI means in learners, certificates, dollars.

Pure arithmetic over numbers the adapter measured on the warehouse (value, yearly population, $ per unit).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

DEFAULT_CHANGE = 0.05


@dataclass(frozen=True)
class DeltaSide:
    """One direction of the move: the KPI's new value and what it is worth per year."""

    change: float          # relative change applied, e.g. +0.05
    new_value: float
    units: float           # population x value x change: extra (or lost) units of the numerator per year
    learners: float
    certificates: float
    usd_per_year: float
    good: bool | None      # the move goes the way the KPI's direction calls good (None: neutral KPI)
    signal: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DeltaResult:
    value: float
    population: float
    unit_label: str
    usd_per_unit: float
    certificates_per_unit: float
    learners_per_unit: float
    up: DeltaSide
    down: DeltaSide

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "population": self.population, "unit_label": self.unit_label,
                "usd_per_unit": self.usd_per_unit, "certificates_per_unit": self.certificates_per_unit,
                "learners_per_unit": self.learners_per_unit,
                "up": self.up.to_dict(), "down": self.down.to_dict()}


def _side(value: float, population: float, change: float, usd: float, certs: float, learners: float,
          direction: str, signal: str) -> DeltaSide:
    units = population * value * change
    return DeltaSide(change=change, new_value=value * (1 + change), units=units,
                     learners=units * learners, certificates=units * certs, usd_per_year=units * usd,
                     good=None if direction == "neutral" else (change > 0) == (direction == "up"),
                     signal=signal)


def compute_delta(value: float, population: float, usd_per_unit: float, *,
                  certificates_per_unit: float = 0.0, learners_per_unit: float = 1.0,
                  direction: str = "up", unit_label: str = "units", signal_up: str = "",
                  signal_down: str = "", change: float = DEFAULT_CHANGE) -> DeltaResult:
    """Translate a relative +/-``change`` of ``value`` into yearly learners, certificates and dollars.

    One unit is one item of the KPI's numerator (a completion, a certificate, a dollar, a day): a rate
    of 0.5 on 1,000 enrollments a year moving +5% is 1000 x 0.5 x 0.05 = 25 more completions.

    Example:
        >>> d = compute_delta(0.5, 1000, 40.0, certificates_per_unit=0.6, unit_label="completions")
        >>> (d.up.units, d.up.certificates, d.up.usd_per_year, d.up.new_value)
        (25.0, 15.0, 1000.0, 0.525)
        >>> (d.down.units, d.down.good)
        (-25.0, False)
    """
    if direction not in ("up", "down", "neutral"):
        raise ValueError(f"direction must be 'up', 'down' or 'neutral', not {direction!r}")
    if change <= 0:
        raise ValueError("change is the size of the move and must be positive")

    def side(sign: int, signal: str) -> DeltaSide:
        return _side(value, population, sign * change, usd_per_unit, certificates_per_unit,
                     learners_per_unit, direction, signal)

    return DeltaResult(value=value, population=population, unit_label=unit_label,
                       usd_per_unit=usd_per_unit, certificates_per_unit=certificates_per_unit,
                       learners_per_unit=learners_per_unit, up=side(1, signal_up), down=side(-1, signal_down))


def describe(result: DeltaResult, unit_label: str | None = None) -> list[str]:
    """Two plain sentences (for +change and -change) a PM could say out loud.

    Example:
        >>> describe(compute_delta(0.5, 1000, 40.0, unit_label="completions"))[0]
        '+5%: 0.5 -> 0.525; +25 completions, +25 learners, +0 certificates, +$1,000 per year'
    """
    label = unit_label or result.unit_label
    lines = []
    for side in (result.up, result.down):
        lines.append(f"{side.change:+.0%}: {_num(result.value)} -> {_num(side.new_value)}; "
                     f"{side.units:+,.0f} {label}, {side.learners:+,.0f} learners, "
                     f"{side.certificates:+,.0f} certificates, "
                     f"{'-' if side.usd_per_year < 0 else '+'}${abs(side.usd_per_year):,.0f} per year")
    return lines


def _num(x: float) -> str:
    return f"{x:.4g}"
