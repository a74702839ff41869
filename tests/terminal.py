"""Drive a real `pmdrill` process through a pseudo-terminal: type keys, wait for text, kill it.

The terminal answers the cursor-position queries a full-screen prompt sends, as a real one would.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

ESC_ENTER = "\x1b\r"   # submits a multi-line answer
CTRL_D = "\x04"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]|\r")
PMDRILL = Path(sys.executable).with_name("pmdrill")


class Terminal:
    """One process on a pty; ``expect`` waits for text in what it has printed (ANSI codes removed)."""

    def __init__(self, args: list[str], env: dict[str, str], *, cols: int = 140, rows: int = 40) -> None:
        master, slave = pty.openpty()
        import fcntl
        import struct
        import termios

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {**env, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)}
        self.proc = subprocess.Popen([str(PMDRILL), *args], stdin=slave, stdout=slave, stderr=slave,
                                     env=full_env, close_fds=True, start_new_session=True)
        os.close(slave)
        self.master = master
        self.raw = ""
        self.seen = 0  # where the last expect matched, so the next one looks at later output

    def _pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return
        try:
            chunk = os.read(self.master, 65536).decode("utf-8", "replace")
        except OSError:  # the process closed its end
            time.sleep(timeout)
            return
        if "\x1b[6n" in chunk:  # cursor position request: answer like a terminal would
            os.write(self.master, b"\x1b[1;1R")
        self.raw += chunk

    @property
    def text(self) -> str:
        return _ANSI.sub("", self.raw)

    def expect(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            found = regex.search(self.text, self.seen)
            if found:
                self.seen = found.end()
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"did not see {pattern!r} within {timeout} s; the screen ends with:\n"
                                     f"{self.text[-2500:]}")
            if self.proc.poll() is not None:
                self._pump(0.2)
                if not regex.search(self.text, self.seen):
                    raise AssertionError(f"the process exited ({self.proc.returncode}) before {pattern!r}:\n"
                                         f"{self.text[-2500:]}")
            self._pump(0.1)

    def type(self, text: str, *, per_chunk: int = 64) -> None:
        """Send text the way a fast typist's terminal does (in small chunks)."""
        data = text.replace("\n", "\r").encode()
        for i in range(0, len(data), per_chunk):
            os.write(self.master, data[i:i + per_chunk])
            self._pump(0.01)

    def submit(self, text: str) -> None:
        self.type(text)
        time.sleep(0.2)
        os.write(self.master, ESC_ENTER.encode())

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def wait(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.kill9()
                raise AssertionError(f"still running after {timeout} s:\n{self.text[-2500:]}")
            self._pump(0.1)
        self._pump(0.1)
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill9()
        os.close(self.master)
