"""The one settings table: name, default, help; read by the CLI, the docs and (later) the web app.

Every setting can be overridden by an environment variable ``PMDRILL_<NAME>`` (upper case).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmdrill.errors import SettingsError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    kind: type = str
    secret: bool = False

    @property
    def env(self) -> str:
        return "PMDRILL_" + self.name.upper()


class Secret:
    """A value that never prints (a PostgreSQL URL with a password)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def reveal(self) -> str:
        return self._value


SETTINGS: tuple[Setting, ...] = (
    Setting("home", "", "Folder for pmdrill's data (warehouse, caches, your own questions). "
            "Empty means the platform's user data folder."),
    Setting("scale", "small", "Default warehouse scale: tiny, small, medium or large."),
    Setting("seed", 42, "Default random seed of the warehouse generator.", int),
    Setting("as_of", "2026-06-30", "Default as-of date of the warehouse: nothing happens after it."),
    Setting("warehouse", "", "Path of the warehouse file; empty means <home>/warehouse-<scale>.duckdb."),
    Setting("sql_timeout_s", 5.0, "Wall-clock limit for one graded SQL statement, in seconds.", float),
    Setting("sql_memory_mb", 1024, "Memory limit of the SQL grading worker, in MB.", int),
    Setting("sql_row_cap", 10000, "Most rows fetched from one graded statement.", int),
    Setting("postgres_url", "", "PostgreSQL URL for --engine postgres (never printed).", str, True),
    Setting("llm_url", "", "Optional OpenAI-compatible endpoint for an LLM case judge; off when empty."),
    Setting("llm_model", "", "Model name for the optional LLM judge."),
    Setting("llm_api_key", "", "API key sent to the LLM judge's endpoint (never printed).", str, True),
    Setting("host", "127.0.0.1", "Address the web app listens on."),
    Setting("port", 8765, "Port the web app listens on.", int),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> Any:
    """The value of a setting: the environment variable if set, else the default."""
    try:
        s = _BY_NAME[name]
    except KeyError:
        raise SettingsError(f"unknown setting {name!r}") from None
    raw = os.environ.get(s.env)
    if raw is None or raw == "":
        value: Any = s.default
    else:
        try:
            value = s.kind(raw)
        except ValueError:
            raise SettingsError(f"{s.env}={raw!r} is not a valid {s.kind.__name__}") from None
    return Secret(value) if s.secret else value


def home() -> Path:
    """The data folder (created on first use)."""
    raw = get("home")
    if raw:
        path = Path(raw).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("pmdrill", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def warehouse_path(scale: str | None = None) -> Path:
    """Where the warehouse of a scale lives, unless PMDRILL_WAREHOUSE names a file."""
    explicit = get("warehouse")
    if explicit:
        return Path(explicit).expanduser()
    return home() / f"warehouse-{scale or get('scale')}.duckdb"


def as_table() -> list[dict[str, Any]]:
    """The settings as rows, secrets masked: for `pmdrill settings` and the docs."""
    rows = []
    for s in SETTINGS:
        value = get(s.name)
        rows.append({"name": s.name, "env": s.env, "default": s.default,
                     "value": str(value) if s.secret and value.reveal() else
                     ("" if s.secret else value), "help": s.help})
    return rows
