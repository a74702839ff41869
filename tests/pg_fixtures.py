"""PostgreSQL fixtures: a server URL for the session (CI's, or a throwaway server started here).

PMDRILL_TEST_POSTGRES_URL wins; otherwise, outside CI, a local server is started from
/usr/lib/postgresql/*/bin if installed, else the tests skip. In CI (CI=true) no server is a failure.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

URL_ENV = "PMDRILL_TEST_POSTGRES_URL"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _no_server(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"CI=true but no PostgreSQL server: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not installed: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _ThrowawayServer:
    """initdb + pg_ctl in a temp folder; as the postgres user when running as root (initdb refuses root)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="pmdrill-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str, stdin: str | None = None) -> None:
        cmd = list(args)
        if self.as_root:
            cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in cmd)]
        proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=self.root, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")

    def start(self) -> str:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                  "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-sync")
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-w", "-t", "60", "-o", opts, "start")
        password = secrets.token_hex(12)
        with psycopg.connect(host=str(self.root), port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as con:
            con.execute(sql.SQL("CREATE ROLE pmdrill_test LOGIN CREATEROLE PASSWORD {}").format(password))
            con.execute("CREATE DATABASE pmdrill_test OWNER pmdrill_test")
        return f"postgresql://pmdrill_test:{password}@127.0.0.1:{self.port}/pmdrill_test"

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except RuntimeError:
            pass  # never started; nothing to stop
        shutil.rmtree(self.root, ignore_errors=True)


def _check(url: str) -> None:
    """Fail (never skip) when a configured server is unreachable: someone asked for it."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with psycopg.connect(url, connect_timeout=5) as con:
                con.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                pytest.fail(f"{URL_ENV} is set but the server is unreachable: "
                            f"{type(exc).__name__}", pytrace=False)
            time.sleep(0.5)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose user may create schemas (and roles, for the reader role)."""
    url = os.environ.get(URL_ENV, "")
    if url:
        _check(url)
        yield url
        return
    if _in_ci():
        _no_server(f"{URL_ENV} is not set (.ci/run sets it)")
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        _no_server(f"set {URL_ENV}, or install the server (apt-get install postgresql)")
    server = _ThrowawayServer(Path(candidates[-1]).parent)
    try:
        url = server.start()
    except (RuntimeError, OSError, psycopg.Error) as exc:
        server.stop()
        _no_server(f"could not start a throwaway server: {exc}")
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[str]:
    """A fresh schema name, dropped after the test (with any staging copy load-postgres left)."""
    name = f"pmt_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(postgres_url, autocommit=True) as con:
        for s in (name, f"{name}__staging"):
            con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(s)))


@pytest.fixture(scope="session")
def tiny_postgres(postgres_url: str, tiny_warehouse: Path) -> Iterator[str]:
    """The tiny warehouse loaded once into its own schema; yields the schema name."""
    from pmdrill.adapters.postgres_load import load_postgres

    name = f"pmt_tiny_{uuid.uuid4().hex[:8]}"
    load_postgres(tiny_warehouse, postgres_url, schema=name)
    yield name
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
