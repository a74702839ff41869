"""The attempt tracker: an append-only ledger of practice in SQLite (default) or PostgreSQL, for one user.

Every write commits before its method returns, so a verdict the candidate sees is a verdict kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Engine,
    Select,
    Table,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError

from pmdrill.adapters.tracker.connect import (
    WRITE_OPTION,
    Target,
    describe_failure,
    make_engine,
    parse_url,
    vet_sqlite_file,
)
from pmdrill.adapters.tracker.migrate import ensure_schema
from pmdrill.adapters.tracker.models import (
    ATTEMPTS,
    DEFAULT_USER,
    MOCKS,
    PREFS,
    REVIEW_CARDS,
    REVIEW_PROGRESS,
)
from pmdrill.adapters.tracker.rows import (
    MOCK_COLUMNS,
    AttemptReader,
    attempt_values,
    collector_paused,
    mock_record,
    mock_values,
)
from pmdrill.adapters.tracker.transfer import (
    MOCK_STATUSES,
    History,
    build_document,
    parse_document,
    parse_text,
)
from pmdrill.core.coach.records import Attempt, MockRecord
from pmdrill.errors import NotFoundError, TrackerError, UsageError

_PG_USER_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_UID_CHUNK = 500


@dataclass(frozen=True)
class ImportReport:
    """What an import changed: records added, and those skipped because their uid was already there."""

    added_attempts: int
    skipped_attempts: int
    added_mocks: int
    skipped_mocks: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def open_tracker(url: str, *, user: str = DEFAULT_USER) -> Tracker:
    """Open (creating or upgrading when needed) the history at ``url``, as seen by ``user``.

    ``url`` is ``sqlite:////abs/path/tracker.sqlite3`` or ``postgresql://user:pw@host:port/db``. Raises
    TrackerError for a history that is unreadable, newer than this pmdrill, or not a pmdrill history;
    such a history is never modified.
    """
    if not user.strip():
        raise UsageError("the tracker's user must be a non-empty name")
    target = parse_url(url)
    if target.path is not None:
        vet_sqlite_file(target.path)
    engine = make_engine(target)
    try:
        ensure_schema(engine, target)
    except BaseException:
        engine.dispose()
        raise
    return Tracker(engine, target, user)


class Tracker:
    """One history, seen by one user (``user=`` arguments read someone else's part of it)."""

    def __init__(self, engine: Engine, target: Target, user: str) -> None:
        self.user = user
        self.location = target.label           # safe to show: a path, or the URL with its password masked
        self.backend = engine.dialect.name     # sqlite | postgresql
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._target = target
        self._closed = False
        self._reader = AttemptReader(self.backend)
        # only the dialect in use: importing PostgreSQL's costs an SQLite user 20 ms per command
        dialect_insert: Callable[[Table], Any]
        if self.backend == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
        self._upsert_card = _upsert(dialect_insert, REVIEW_CARDS, ("state", "updated_at"))
        self._upsert_progress = _upsert(dialect_insert, REVIEW_PROGRESS, ("last_attempt_id",))
        self._upsert_pref = _upsert(dialect_insert, PREFS, ("value",))

    def __repr__(self) -> str:
        return f"Tracker({self.location!r}, user={self.user!r})"

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connections (SQLite folds its write-ahead log back into the file)."""
        self._closed = True
        self._engine.dispose()

    # attempts

    def record(self, attempt: Attempt, *, clear_pref: str | None = None) -> Attempt:
        """Append ``attempt``, committed, and return it as stored: with its id, a uid and the time in UTC.

        An empty uid gets a uuid4 hex. An attempt left at the default user ("local") is the tracker's user's.
        ``clear_pref`` deletes that preference in the same transaction (the state the answer consumed).
        """
        stored = replace(attempt, uid=attempt.uid or uuid.uuid4().hex, user=self._owner(attempt.user),
                         submitted_at=_utc(attempt.submitted_at, "submitted_at"), score=float(attempt.score),
                         seconds=None if attempt.seconds is None else float(attempt.seconds))
        with self._writing(stored.user) as conn:
            new_id = _new_id(conn.execute(insert(ATTEMPTS), attempt_values(stored)))
            if clear_pref is not None:
                conn.execute(delete(PREFS).where(PREFS.c.user == stored.user, PREFS.c.key == clear_pref))
        return replace(stored, id=new_id)

    def attempts(self, *, user: str | None = None, item_id: str | None = None, kind: str | None = None,
                 since: dt.datetime | None = None, mock_id: str | None = None, limit: int | None = None,
                 newest_first: bool = False, after_id: int | None = None, light: bool = False) -> list[Attempt]:
        """The user's attempts in time order (``since`` inclusive; ``after_id``: only rows with a larger id);
        ``limit`` counts from the chosen end. ``light`` leaves out the answers and full verdicts (empty)."""
        c = ATTEMPTS.c
        query = self._reader.select(light=light).where(c.user == (user or self.user))
        for column, wanted in ((c.item_id, item_id), (c.kind, kind), (c.mock_id, mock_id)):
            if wanted is not None:
                query = query.where(column == wanted)
        if since is not None:
            query = query.where(c.submitted_at >= _utc(since, "since"))
        if after_id is not None:
            query = query.where(c.id > after_id)
        order = (c.submitted_at.desc(), c.id.desc()) if newest_first else (c.submitted_at, c.id)
        query = query.order_by(*order)
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as conn:
            return self._reader.fetch(conn, query)

    def attempt(self, id: int) -> Attempt:
        """One of the user's attempts by row id; NotFoundError for an id that is not theirs."""
        query = self._reader.select().where(ATTEMPTS.c.id == id, ATTEMPTS.c.user == self.user)
        with self._reading() as conn:
            found = self._reader.fetch(conn, query)
        if not found:
            raise NotFoundError(f"no attempt {id} in {self.user}'s practice history")
        return found[0]

    def count(self, user: str | None = None) -> int:
        query = select(func.count()).select_from(ATTEMPTS).where(ATTEMPTS.c.user == (user or self.user))
        with self._reading() as conn:
            return int(conn.execute(query).scalar_one())

    # mocks

    def start_mock(self, mock: MockRecord) -> MockRecord:
        """Store a new mock round and return it with its id (and a uid "m-<hex>" when it had none)."""
        _check_status(mock.status)
        stored = replace(mock, uid=mock.uid or f"m-{uuid.uuid4().hex[:12]}", user=self._owner(mock.user),
                         started_at=_utc(mock.started_at, "started_at"),
                         ended_at=None if mock.ended_at is None else _utc(mock.ended_at, "ended_at"))
        with self._writing(stored.user) as conn:
            new_id = _new_id(conn.execute(insert(MOCKS), mock_values(stored)))
        return replace(stored, id=new_id)

    def update_mock(self, uid: str, *, status: str | None = None, ended_at: dt.datetime | None = None,
                    debrief: dict[str, Any] | None = None) -> MockRecord:
        """Change the given fields of one of the user's mocks and return it as now stored."""
        changes: dict[str, Any] = {}
        if status is not None:
            changes["status"] = _check_status(status)
        if ended_at is not None:
            changes["ended_at"] = _utc(ended_at, "ended_at")
        if debrief is not None:
            changes["debrief"] = debrief
        mine = (MOCKS.c.uid == uid, MOCKS.c.user == self.user)
        with self._writing(self.user) as conn:
            if changes:
                conn.execute(update(MOCKS).where(*mine).values(**changes))
            row = conn.execute(select(*MOCK_COLUMNS).where(*mine)).first()
            if row is None:
                raise NotFoundError(f"no mock {uid!r} in {self.user}'s practice history")
        return mock_record(row)

    def mock(self, uid: str) -> MockRecord:
        found = self._mocks(select(*MOCK_COLUMNS).where(MOCKS.c.uid == uid, MOCKS.c.user == self.user))
        if not found:
            raise NotFoundError(f"no mock {uid!r} in {self.user}'s practice history")
        return found[0]

    def mocks(self, user: str | None = None) -> list[MockRecord]:
        """The user's mocks, newest first."""
        return self._mocks(self._newest_mocks(user))

    def running_mock(self, user: str | None = None) -> MockRecord | None:
        """The newest of the user's mocks still running, if any."""
        found = self._mocks(self._newest_mocks(user).where(MOCKS.c.status == "running").limit(1))
        return found[0] if found else None

    # review state and preferences

    def review_state(self, user: str | None = None) -> tuple[dict[str, dict[str, Any]], int]:
        """The user's review cards by key, and the id of the last attempt folded into them (0: none yet)."""
        who = user or self.user
        cards = select(REVIEW_CARDS.c.key, REVIEW_CARDS.c.state).where(REVIEW_CARDS.c.user == who)
        last = select(REVIEW_PROGRESS.c.last_attempt_id).where(REVIEW_PROGRESS.c.user == who)
        with self._reading() as conn:
            return (dict(conn.execute(cards.order_by(REVIEW_CARDS.c.key)).all()),
                    int(conn.execute(last).scalar() or 0))

    def save_review_state(self, cards: Mapping[str, dict[str, Any]], last_attempt_id: int,
                          user: str | None = None) -> None:
        """Insert or replace the given cards and set the last applied attempt id, in one transaction."""
        who = user or self.user
        now = dt.datetime.now(dt.UTC)
        with self._writing(who) as conn:
            if cards:
                conn.execute(self._upsert_card, [{"user": who, "key": key, "state": state, "updated_at": now}
                                                 for key, state in cards.items()])
            conn.execute(self._upsert_progress, {"user": who, "last_attempt_id": last_attempt_id})

    def get_pref(self, key: str, default: Any = None, user: str | None = None) -> Any:
        query = select(PREFS.c.value).where(PREFS.c.user == (user or self.user), PREFS.c.key == key)
        with self._reading() as conn:
            row = conn.execute(query).first()
        return default if row is None else row[0]

    def set_pref(self, key: str, value: Any, user: str | None = None) -> None:
        """Store a JSON value under ``key``, replacing any earlier one."""
        who = user or self.user
        with self._writing(who) as conn:
            conn.execute(self._upsert_pref, {"user": who, "key": key, "value": value})

    # export and import

    def export_document(self, user: str | None = None) -> dict[str, Any]:
        """The user's attempts, mocks and prefs as one JSON-ready document (review cards are rebuilt)."""
        who = user or self.user
        attempts = self._reader.select().where(ATTEMPTS.c.user == who).order_by(
            ATTEMPTS.c.submitted_at, ATTEMPTS.c.uid)
        mocks = select(*MOCK_COLUMNS).where(MOCKS.c.user == who).order_by(MOCKS.c.started_at, MOCKS.c.uid)
        prefs = select(PREFS.c.key, PREFS.c.value).where(PREFS.c.user == who)
        with self._reading() as conn, collector_paused():  # one transaction: one consistent snapshot
            return build_document(self._reader.fetch(conn, attempts),
                                  [mock_record(row) for row in conn.execute(mocks)],
                                  dict(conn.execute(prefs).all()))

    def import_document(self, doc: dict[str, Any], *, source: str = "<document>") -> ImportReport:
        """Add a document's attempts and mocks whose uid is new, and prefs not set here yet, as the user's.

        All or nothing: a malformed record raises ContentError naming it, and nothing is written.
        """
        with collector_paused():
            return self._import(parse_document(doc, source=source))

    def import_text(self, text: str, *, source: str = "<text>") -> ImportReport:
        """``import_document`` on JSON text; errors name the line in ``source`` (JSON syntax: and column)."""
        with collector_paused():
            return self._import(parse_text(text, source=source))

    # internals

    def _owner(self, user: str) -> str:
        # records default to "local"; a tracker opened for a named user claims those as its user's
        return self.user if user == DEFAULT_USER else user

    def _newest_mocks(self, user: str | None) -> Select[Any]:
        c = MOCKS.c
        return select(*MOCK_COLUMNS).where(c.user == (user or self.user)).order_by(
            c.started_at.desc(), c.id.desc())

    def _mocks(self, query: Select[Any]) -> list[MockRecord]:
        with self._reading() as conn:
            return [mock_record(row) for row in conn.execute(query)]

    def _import(self, history: History) -> ImportReport:
        # an export is one user's history; importing it makes it this tracker's user's
        attempts = [replace(a, user=self.user) for a in history.attempts]
        mocks = [replace(m, user=self.user) for m in history.mocks]
        with self._writing(self.user) as conn:
            new_mocks = _unseen(conn, MOCKS.c.uid, mocks)
            if new_mocks:
                conn.execute(insert(MOCKS), [mock_values(m) for m in new_mocks])
            new_attempts = _unseen(conn, ATTEMPTS.c.uid, attempts)
            if new_attempts:
                conn.execute(insert(ATTEMPTS), [attempt_values(a) for a in new_attempts])
            if history.prefs:
                mine = PREFS.c.user == self.user
                have = set(conn.execute(select(PREFS.c.key).where(mine)).scalars())
                fresh = [{"user": self.user, "key": key, "value": value}
                         for key, value in history.prefs.items() if key not in have]
                if fresh:
                    conn.execute(insert(PREFS), fresh)
        return ImportReport(len(new_attempts), len(attempts) - len(new_attempts),
                            len(new_mocks), len(mocks) - len(new_mocks))

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        self._check_open()
        try:
            with self._engine.begin() as conn:
                yield conn
        except DBAPIError as exc:
            raise TrackerError(describe_failure(exc, self._target, "read")) from None

    @contextmanager
    def _writing(self, *users: str) -> Iterator[Connection]:
        """A write transaction: BEGIN IMMEDIATE on SQLite; on PostgreSQL, per-user advisory locks.

        The locks make a user's attempt ids grow in commit order (a sequence alone does not), which the
        review watermark (last_attempt_id) relies on.
        """
        self._check_open()
        try:
            with self._writer.begin() as conn:
                if self.backend == "postgresql":
                    for user in sorted(set(users)):  # one order for everyone: no deadlocks
                        conn.execute(_PG_USER_LOCK, {"key": _lock_key(user)})
                yield conn
        except DBAPIError as exc:
            raise TrackerError(describe_failure(exc, self._target, "write to")) from None

    def _check_open(self) -> None:
        if self._closed:
            raise TrackerError(f"the practice history at {self.location} was closed")


def _utc(moment: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(moment, dt.datetime) or moment.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(dt.UTC)


def _check_status(status: str) -> str:
    if status not in MOCK_STATUSES:
        raise UsageError(f"unknown mock status {status!r}: expected {', '.join(MOCK_STATUSES)}")
    return status


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _unseen(conn: Connection, uid: ColumnElement[Any], records: Sequence[Any]) -> list[Any]:
    """The records whose uid the table does not hold yet."""
    uids = [r.uid for r in records]
    seen: set[str] = set()
    for start in range(0, len(uids), _UID_CHUNK):
        seen.update(conn.execute(select(uid).where(uid.in_(uids[start:start + _UID_CHUNK]))).scalars())
    return [r for r in records if r.uid not in seen]


def _upsert(dialect_insert: Callable[[Table], Any], table: Table, changing: tuple[str, ...]) -> Any:
    statement = dialect_insert(table)
    return statement.on_conflict_do_update(index_elements=list(table.primary_key.columns),
                                           set_={name: statement.excluded[name] for name in changing})


def _lock_key(user: str) -> int:
    digest = hashlib.blake2b(f"pmdrill.tracker.user:{user}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
