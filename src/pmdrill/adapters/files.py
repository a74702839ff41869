"""Reading the files a user names (answers, plans, batches, imports): one clear error for each way
a file can be wrong, naming the file and, for text, the line of the first bad byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pmdrill.errors import ContentError, UsageError

MAX_FILE_BYTES = 50_000_000


def read_text(path: Path | str, what: str) -> str:
    """A file the user named, as text: '-' is standard input; a missing, unreadable, binary or
    non-UTF-8 file is one clear error naming the file (and the line of the first bad byte)."""
    if str(path) == "-":
        return sys.stdin.read()
    p = Path(path).expanduser()
    try:
        if p.is_dir():
            raise UsageError(f"the {what} file is a folder", where=str(p))
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UsageError(f"the {what} file is {size:,} bytes; the most is {MAX_FILE_BYTES:,}", where=str(p))
        raw = p.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{what} file not found", where=str(p)) from None
    except PermissionError:
        raise UsageError(f"cannot read the {what} file: permission denied", where=str(p)) from None
    except OSError as exc:
        raise UsageError(f"cannot read the {what} file: {exc.strerror or exc}", where=str(p)) from None
    if b"\0" in raw:
        line = raw[:raw.index(b"\0")].count(b"\n") + 1
        raise ContentError(f"the {what} file is binary, not text (a NUL byte); give a text file", path=str(p),
                           line=line)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ContentError(f"the {what} file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
                           path=str(p), line=line) from None
