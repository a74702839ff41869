"""The one exception tree of pmdrill; each class carries its CLI exit code and HTTP status.

    PmdrillError                 base: ``message`` plus optional ``where`` (file:line, line:col, a field)
    ├── UsageError               the request is malformed: options that conflict, a value out of range
    │   └── SettingsError        a setting (environment variable) has a bad value
    ├── NotFoundError            an id (question, case, KPI, experiment, attempt, mock) does not exist
    ├── ContentError             a bank file (YAML) or an imported file is invalid: ``path`` and ``line``
    ├── WarehouseError           the warehouse is missing, unreadable or cannot be built
    ├── TrackerError             the attempt history cannot be opened or written (corrupt, newer, locked)
    ├── SqlError                 a candidate's SQL cannot be graded
    │   ├── SqlSyntaxError       parse error: ``line``, ``column`` and the ``fragment``
    │   ├── SqlRefused           the gate refused it (unsafe or untranslatable): ``reason``
    │   └── SqlRuntimeError      it ran and failed (error, timeout, memory)
    ├── StatsError               a statistic cannot be computed from the numbers given
    └── EngineError              an external engine or model failed or is unreachable
        ├── EmbedderUnavailable  the local sentence-embedding model cannot be loaded
        └── LlmResponseError     the optional LLM judge answered something unreadable

The CLI prints ``str(error)`` on one line and exits with ``exit_code``; the web app answers
``{"error": {"code", "message", "where"}}`` with ``http_status``. Neither shows a traceback.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PmdrillError(Exception):
    """Base of every error a user can cause or see; never shown with a traceback."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 500
    code: ClassVar[str] = "error"

    def __init__(self, message: str, *, where: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.fields = fields

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "message": self.message, "where": self.where, **self.fields}

    def to_api(self) -> dict[str, Any]:
        """The body the web API answers with."""
        return {"error": {"code": self.code, "message": self.message, "where": self.where}}


class UsageError(PmdrillError):
    exit_code = 2
    http_status = 400
    code = "usage"


class SettingsError(UsageError):
    code = "settings"


class NotFoundError(PmdrillError):
    http_status = 404
    code = "not_found"


class ContentError(PmdrillError):
    http_status = 422
    code = "content"

    def __init__(self, message: str, *, path: str, line: int | None = None, **fields: Any) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(message, where=where, path=path, line=line, **fields)
        self.path = path
        self.line = line


class WarehouseError(PmdrillError):
    http_status = 503
    code = "warehouse"


class TrackerError(PmdrillError):
    http_status = 503
    code = "tracker"


class SqlError(PmdrillError):
    http_status = 422
    code = "sql"


class SqlSyntaxError(SqlError):
    code = "sql_syntax"

    def __init__(self, message: str, *, line: int, column: int, fragment: str = "", **fields: Any) -> None:
        super().__init__(message, where=f"line {line}, column {column}", line=line, column=column,
                         fragment=fragment, **fields)
        self.line = line
        self.column = column
        self.fragment = fragment


class SqlRefused(SqlError):
    code = "sql_refused"


class SqlRuntimeError(SqlError):
    code = "sql_runtime"


class StatsError(PmdrillError):
    http_status = 422
    code = "stats"


class EngineError(PmdrillError):
    http_status = 502
    code = "engine"


class EmbedderUnavailable(EngineError):
    http_status = 503
    code = "embedder"


class LlmResponseError(EngineError):
    code = "llm"
