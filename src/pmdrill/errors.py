"""The one exception tree of pmdrill; adapters turn these into user messages once.

    PmdrillError                 base: ``message`` plus optional ``where`` (file:line or line:col)
    ├── SettingsError            a setting has a bad value
    ├── WarehouseError           the warehouse is missing, unreadable or cannot be built
    ├── ContentError             a bank file (YAML) is invalid: ``path`` and ``line`` say where
    ├── NotFoundError            an id (question, case, KPI, experiment) does not exist
    ├── SqlError                 a candidate's SQL cannot be graded
    │   ├── SqlSyntaxError       parse error: ``line``, ``column`` and the ``fragment``
    │   ├── SqlRefused           the gate refused it (unsafe or untranslatable): ``reason``
    │   └── SqlRuntimeError      it ran and failed (error, timeout, memory)
    └── EngineError              an external engine (PostgreSQL) failed or is unreachable
"""

from __future__ import annotations

from typing import Any


class PmdrillError(Exception):
    """Base of every error a user can cause or see; never shown with a traceback."""

    def __init__(self, message: str, *, where: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.fields = fields

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "message": self.message, "where": self.where, **self.fields}


class SettingsError(PmdrillError):
    pass


class WarehouseError(PmdrillError):
    pass


class ContentError(PmdrillError):
    def __init__(self, message: str, *, path: str, line: int | None = None, **fields: Any) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(message, where=where, path=path, line=line, **fields)
        self.path = path
        self.line = line


class NotFoundError(PmdrillError):
    pass


class SqlError(PmdrillError):
    pass


class SqlSyntaxError(SqlError):
    def __init__(self, message: str, *, line: int, column: int, fragment: str = "", **fields: Any) -> None:
        super().__init__(message, where=f"line {line}, column {column}", line=line, column=column,
                         fragment=fragment, **fields)
        self.line = line
        self.column = column
        self.fragment = fragment


class SqlRefused(SqlError):
    pass


class SqlRuntimeError(SqlError):
    pass


class EngineError(PmdrillError):
    pass
