"""OS processes sharing one history: concurrent writers never fail; a killed writer loses nothing returned.

The children are fresh interpreters (the CLI and the web app are separate processes in real use).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker_fixtures import BACKENDS, Backend, backends

WRITER = """
import datetime as dt, sys, time
from pathlib import Path
from pmdrill.adapters.tracker import open_tracker
from pmdrill.core.coach.records import Attempt

url, tag, n, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])

def wait_for(name):
    while not (folder / name).exists():
        time.sleep(0.001)

print("ready", flush=True)
wait_for("open")
tracker = open_tracker(url)  # both race to create the history
print("opened", flush=True)
wait_for("write")
first_call = time.time_ns()
for i in range(n):
    tracker.record(Attempt(item_id=f"sql:{tag}", kind="sql", title=tag, answer=str(i), passed=True,
                           score=float(i), submitted_at=dt.datetime.now(dt.UTC), source=tag))
last_return = time.time_ns()
tracker.close()
print("done", first_call, last_return, flush=True)
"""

LOOPER = """
import datetime as dt, itertools, sys
from pmdrill.adapters.tracker import open_tracker
from pmdrill.core.coach.records import Attempt

tracker = open_tracker(sys.argv[1])
for i in itertools.count():
    kept = tracker.record(Attempt(item_id="sql:loop", kind="sql", title="loop", answer=str(i) * 50,
                                  passed=i % 2 == 0, score=float(i), submitted_at=dt.datetime.now(dt.UTC),
                                  detail={"i": i, "pad": "x" * 500}))
    print(kept.id, kept.uid, flush=True)  # only once record() has returned
"""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from backends(request, tmp_path)


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_processes_writing_at_once_both_succeed(backend: Backend, tmp_path: Path) -> None:
    url = backend.new_url()
    children = [_child(WRITER, url, tag, "300", str(tmp_path)) for tag in ("left", "right")]
    try:
        for step, said in (("open", "ready\n"), ("write", "opened\n")):
            for child in children:
                assert child.stdout is not None and child.stdout.readline() == said
            (tmp_path / step).touch()  # then both go at once: first to create the history, then to write
        outcomes = [child.communicate(timeout=180) for child in children]
    finally:
        for child in children:
            child.kill()
    assert [child.returncode for child in children] == [0, 0], [err for _, err in outcomes]
    assert [err for _, err in outcomes] == ["", ""]
    windows = [tuple(int(t) for t in out.split()[1:]) for out, _ in outcomes]
    # the writers really competed: each made its first call before the other's last one returned
    assert max(start for start, _ in windows) < min(end for _, end in windows), windows

    tracker = backend.open(url)
    rows = tracker.attempts()
    assert len(rows) == tracker.count() == 600
    ids = {tag: [a.id for a in rows if a.source == tag] for tag in ("left", "right")}
    assert [len(ids["left"]), len(ids["right"])] == [300, 300]
    assert len({a.id for a in rows}) == len({a.uid for a in rows}) == 600
    for tag in ("left", "right"):  # each writer's own attempts in the order it wrote them
        mine = [a for a in rows if a.source == tag]
        assert [a.answer for a in sorted(mine, key=lambda a: a.id)] == [str(i) for i in range(300)]


def test_a_killed_writer_loses_no_attempt_whose_record_returned(backend: Backend) -> None:
    url = backend.new_url()
    backend.open(url).close()
    returned: dict[int, str] = {}
    for round_, stop_after in enumerate((150, 7, 90)):
        child = _child(LOOPER, url)
        assert child.stdout is not None
        seen = 0
        deadline = time.monotonic() + 120
        while seen < stop_after and time.monotonic() < deadline:
            attempt_id, uid = child.stdout.readline().split()
            returned[int(attempt_id)] = uid
            seen += 1
        os.kill(child.pid, signal.SIGKILL)
        rest = child.stdout.read()  # not communicate(): it would skip what readline() already buffered
        child.wait(timeout=30)
        assert child.stderr is not None and child.stderr.read() == ""
        child.stderr.close()
        child.stdout.close()
        for line in rest.split("\n")[:-1]:  # the last piece is empty, or a line the kill cut short
            attempt_id, uid = line.split()
            returned[int(attempt_id)] = uid
        assert child.returncode == -signal.SIGKILL, round_
        assert seen == stop_after

        tracker = backend.open(url)
        stored = {a.id: a.uid for a in tracker.attempts()}
        assert {i: stored.get(i) for i in returned} == returned
        # at most the one attempt in flight when the kill came was committed without being printed
        assert len(returned) <= len(stored) <= len(returned) + round_ + 1
        tracker.close()
