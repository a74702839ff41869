"""Screenshots of the pages, kept as test artifacts (test-artifacts/screenshots/, ignored by git)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def screenshot(pg: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path
