"""The one settings table (name, kind, default, help), parsed once per process into a typed ``Settings``.

Every setting can be overridden by an environment variable ``PMDRILL_<NAME>`` (upper case). The CLI,
the docs (docs/settings.md) and the web app's settings page all read ``SETTINGS``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pmdrill.errors import SettingsError

SCALES = ("tiny", "small", "medium", "large")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class Secret:
    """A value that never prints (a PostgreSQL URL with a password)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def reveal(self) -> str:
        return self._value


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    kind: str = "str"                 # str | int | float | bool | date | choice | path
    choices: tuple[str, ...] = ()
    secret: bool = False
    low: float | None = None          # inclusive bounds for int and float
    high: float | None = None

    @property
    def env(self) -> str:
        return "PMDRILL_" + self.name.upper()

    def parse(self, raw: str) -> Any:
        """The typed value of ``raw`` (an environment variable's text); SettingsError names the variable."""
        def bad(expected: str) -> SettingsError:
            return SettingsError(f"{self.env}={raw!r} is not {expected}", where=self.env)

        text = raw.strip()
        value: Any
        if self.kind == "int":
            try:
                value = int(text)
            except ValueError:
                raise bad("a whole number") from None
        elif self.kind == "float":
            try:
                value = float(text)
            except ValueError:
                raise bad("a number") from None
        elif self.kind == "bool":
            if text.lower() not in _TRUE + _FALSE:
                raise bad("true or false")
            value = text.lower() in _TRUE
        elif self.kind == "date":
            try:
                value = dt.date.fromisoformat(text)
            except ValueError:
                raise bad("a date (YYYY-MM-DD)") from None
        elif self.kind == "choice":
            if text not in self.choices:
                raise bad("one of " + ", ".join(self.choices))
            value = text
        elif self.kind == "path":
            value = Path(text).expanduser() if text else None
        else:
            value = text
        if self.low is not None and value < self.low:
            raise bad(f"at least {self.low:g}")
        if self.high is not None and value > self.high:
            raise bad(f"at most {self.high:g}")
        return Secret(value) if self.secret else value

    def default_value(self) -> Any:
        value = self.default
        if self.kind == "date" and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        if self.kind == "path":
            value = Path(value).expanduser() if value else None
        return Secret(value) if self.secret else value


SETTINGS: tuple[Setting, ...] = (
    Setting("home", "", "Folder for pmdrill's data (warehouse, caches, your history, your own questions). "
            "Empty means the platform's user data folder.", "path"),
    Setting("scale", "small", "Default warehouse scale.", "choice", SCALES),
    Setting("seed", 42, "Default random seed of the warehouse generator.", "int"),
    Setting("as_of", "2026-06-30", "Default as-of date of the warehouse: nothing happens after it.", "date"),
    Setting("warehouse", "", "Path of the warehouse file; empty means <home>/warehouse-<scale>.duckdb.", "path"),
    Setting("sql_timeout_s", 5.0, "Wall-clock limit for one graded SQL statement, in seconds.", "float",
            low=0.1, high=600),
    Setting("sql_memory_mb", 1024, "Memory limit of the SQL grading worker, in MB.", "int", low=64),
    Setting("sql_row_cap", 10000, "Most rows shown or sent back from one statement.", "int", low=1),
    Setting("sql_compare_rows", 250000, "Most rows of a result compared when grading (results of any size up "
            "to this are compared completely; only sql_row_cap rows are ever shown).", "int", low=1000),
    Setting("sandbox_workers", 0, "Hardened SQL worker processes per pmdrill process; 0 means one per CPU core "
            "(at least two).", "int", low=0, high=64),
    Setting("postgres_url", "", "PostgreSQL URL for --engine postgres (never printed).", "str", secret=True),
    Setting("tracker_url", "", "Where your practice history lives: empty means SQLite at "
            "<home>/history.sqlite3; a postgresql:// URL shares it (never printed).", "str", secret=True),
    Setting("record", True, "Record every graded answer in your history (commands take --no-record).", "bool"),
    Setting("desired_retention", 0.9, "Spaced repetition: the chance of recalling an item when it comes "
            "back for review.", "float", low=0.7, high=0.99),
    Setting("llm_url", "", "Optional OpenAI-compatible endpoint for an LLM case judge; off when empty."),
    Setting("llm_model", "", "Model name for the optional LLM judge."),
    Setting("llm_api_key", "", "API key sent to the LLM judge's endpoint (never printed).", "str", secret=True),
    Setting("host", "127.0.0.1", "Address the web app listens on."),
    Setting("port", 8765, "Port the web app listens on (the next free one is used if taken).", "int",
            low=1, high=65535),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Every setting, typed; built once per process by ``Settings.load()`` (tests pass ``env``)."""

    home: Path
    scale: str
    seed: int
    as_of: dt.date
    warehouse: Path | None
    sql_timeout_s: float
    sql_memory_mb: int
    sql_row_cap: int
    sql_compare_rows: int
    sandbox_workers: int
    postgres_url: Secret
    tracker_url: Secret
    record: bool
    desired_retention: float
    llm_url: str
    llm_model: str
    llm_api_key: Secret
    host: str
    port: int

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Parse the environment (default ``os.environ``); ``overrides`` win (already typed)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for s in SETTINGS:
            raw = env.get(s.env)
            values[s.name] = s.default_value() if raw is None or raw.strip() == "" else s.parse(raw)
        values.update(overrides)
        if values["home"] is None:
            import platformdirs

            values["home"] = Path(platformdirs.user_data_dir("pmdrill", appauthor=False))
        return cls(**values)

    def warehouse_path(self, scale: str | None = None) -> Path:
        """Where the warehouse of a scale lives, unless the ``warehouse`` setting names a file."""
        if self.warehouse is not None:
            return self.warehouse
        if scale is not None and scale not in SCALES:
            raise SettingsError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}", where="--scale")
        return self.home / f"warehouse-{scale or self.scale}.duckdb"

    def ensure_home(self) -> Path:
        """The data folder, created on first use."""
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home

    @property
    def cache_dir(self) -> Path:
        path = self.ensure_home() / "cache"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def tracker_location(self) -> str:
        """The tracker's SQLAlchemy-style URL (a secret's text: never print it)."""
        url = self.tracker_url.reveal()
        return url or f"sqlite:///{self.ensure_home() / 'history.sqlite3'}"

    def as_table(self) -> list[dict[str, Any]]:
        """The settings as rows, secrets masked: for `pmdrill settings`, the docs and the settings page."""
        rows = []
        for s in SETTINGS:
            value = getattr(self, s.name)
            if s.secret:
                shown: Any = str(value) if value else ""
            elif isinstance(value, Path | dt.date):
                shown = str(value)
            else:
                shown = value
            rows.append({"name": s.name, "env": s.env, "kind": s.kind, "default": s.default, "value": shown,
                         "help": s.help, **({"choices": list(s.choices)} if s.choices else {})})
        return rows


assert [f.name for f in fields(Settings)] == [s.name for s in SETTINGS], "Settings fields follow SETTINGS"


def setting(name: str) -> Setting:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise SettingsError(f"unknown setting {name!r}") from None
