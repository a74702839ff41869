"""Every command, given bad arguments and bad files, answers one clear line and a non-zero exit code.

The commands and their options come from the CLI's own command table, so a new command or option is
covered the day it is added (and a new file option must be classified below, or this test fails).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from pmdrill.adapters.cli.main import app, main

# options and arguments that read a file the user gives; the others that take a path write one
INPUT_FILES = {"answer", "reference", "batch", "plan_file", "file", "answers"}
OUTPUT_PATHS = {"out", "directory", "ics", "markdown", "html", "warehouse_file", "path"}
ROOT = typer.main.get_command(app)


def commands(group: Any = ROOT, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, cmd in sorted(group.commands.items()):
        if hasattr(cmd, "commands"):
            yield from commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name), cmd


def is_option(p: Any) -> bool:
    return getattr(p, "param_type_name", "") == "option"


ALL = sorted(commands(), key=lambda c: c[0])
IDS = [" ".join(path) for path, _ in ALL]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.err


def _one_clear_line(code: int, err: str, *, expect: int | None = None) -> None:
    assert code != 0, "a mistake must not exit 0"
    if expect is not None:
        assert code == expect, (code, err)
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error:"), err


def _required_args(cmd: Any) -> list[str]:
    """Placeholder values for required arguments, so the option under test is what fails."""
    return ["x" for p in cmd.params if getattr(p, "param_type_name", "") == "argument" and p.required]


@pytest.mark.parametrize(("path", "cmd"), ALL, ids=IDS)
def test_an_unknown_option_is_one_line(path: tuple[str, ...], cmd: Any,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, *path, "--nosuch")
    _one_clear_line(code, err, expect=2)
    assert "--nosuch" in err and " ".join(path) in err


def valued_options(cmd: Any) -> list[Any]:
    return [p for p in cmd.params if is_option(p) and not p.is_flag and p.opts[0] != "--help"]


WITH_VALUES = [(path, cmd) for path, cmd in ALL if valued_options(cmd)]


@pytest.mark.parametrize(("path", "cmd"), WITH_VALUES, ids=[" ".join(p) for p, _ in WITH_VALUES])
def test_an_option_without_its_value_is_one_line(path: tuple[str, ...], cmd: Any,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    for p in valued_options(cmd):
        code, err = _run(capsys, *path, *_required_args(cmd), p.opts[0])
        _one_clear_line(code, err, expect=2)
        assert p.opts[0] in err, err


def test_every_path_parameter_is_classified() -> None:
    for path, cmd in ALL:
        for p in cmd.params:
            annotation = str(getattr(getattr(p, "type_descriptor", None), "annotation", ""))
            if "Path" in annotation or p.name in INPUT_FILES | OUTPUT_PATHS:
                assert p.name in INPUT_FILES | OUTPUT_PATHS, f"classify {p.name} of pmdrill {' '.join(path)}"


FILE_CASES = {
    "missing": None,
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "latin-1": "Die Abschlussquote ist gestiegen, \u00fcber 5 %.\n".encode("latin-1"),
    "folder": "dir",
}


def _make(tmp_path: Path, kind: str) -> Path:
    target = tmp_path / f"input-{kind}.txt"
    content = FILE_CASES[kind]
    if content == "dir":
        target.mkdir()
    elif isinstance(content, bytes):
        target.write_bytes(content)
    return target


# each command that reads a file, with the rest of a valid call around it
FILE_COMMANDS = [
    (("sql", "check", "paying-learners-may-2026", "--answer"), ()),
    (("sql", "check", "--answer", "{ok}", "--reference"), ()),
    (("sql", "check", "--batch"), ()),
    (("sql", "logic", "paying-learners-may-2026", "--plan-file"), ()),
    (("sql", "run", "--file"), ()),
    (("case", "score", "rec-engine-success", "--answer"), ()),
    (("import",), ()),
]


def test_every_input_file_option_is_exercised() -> None:
    exercised = {(c[0], c[1]) if len(c) > 1 else c for c, _ in FILE_COMMANDS}
    for path, cmd in ALL:
        for p in cmd.params:
            if p.name in INPUT_FILES and p.name != "answers":
                assert any(tuple(path) == tuple(c[:len(path)]) for c in exercised), (path, p.name)


@pytest.mark.parametrize("kind", list(FILE_CASES))
@pytest.mark.parametrize("args", [c for c, _ in FILE_COMMANDS], ids=[" ".join(c) for c, _ in FILE_COMMANDS])
def test_a_bad_file_is_one_line_naming_it(args: tuple[str, ...], kind: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    ok = tmp_path / "ok.sql"
    ok.write_text("SELECT 1 AS x\n")
    bad = _make(tmp_path, kind)
    argv = [a.replace("{ok}", str(ok)) for a in args] + [str(bad)]
    code, err = _run(capsys, *argv)
    _one_clear_line(code, err)
    assert bad.name in err
    said = {"missing": "not found", "binary": "binary", "latin-1": "not UTF-8", "folder": "folder"}[kind]
    assert said in err, err


def test_a_non_utf8_file_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "answer.md"
    f.write_bytes(b"First line is fine.\nSecond is fine too.\nThird has \xe9 in Latin-1.\n")
    code, err = _run(capsys, "case", "score", "rec-engine-success", "--answer", str(f))
    _one_clear_line(code, err, expect=1)
    assert f"{f}:3:" in err and "0xe9" in err


@pytest.mark.parametrize(("argv", "typo", "suggestion"), [
    (["sqll", "list"], "sqll", "sql"),
    (["mok", "history"], "mok", "mock"),
    (["sql", "chek"], "chek", "check"),
    (["progres"], "progres", "progress"),
])
def test_a_typo_in_a_command_is_one_line_with_the_closest_name(argv: list[str], typo: str, suggestion: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, *argv)
    _one_clear_line(code, err, expect=2)
    assert f"'{typo}'" in err and f"'{suggestion}'" in err


@pytest.mark.parametrize("argv", [
    ["warehouse", "build", "--scale", "huge"],
    ["warehouse", "build", "--as-of", "June"],
    ["sql", "list", "--difficulty", "impossible"],
    ["sql", "check", "paying-learners-may-2026", "--answer", "-", "--dialect", "oracle"],
    ["case", "list", "--kind", "riddle"],
    ["plan", "--rest-days", "someday"],
    ["plan", "--interview-date", "2020-01-01"],
    ["plan", "--hours-per-day", "30"],
    ["mock", "show", "--seed", "1", "--minutes", "5"],
    ["mock", "show", "--seed", "1", "--focus", "poetry"],
    ["regrade", "--since", "yesterday"],
    ["metrics", "list", "--kind", "sparkly"],
])
def test_a_bad_value_is_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, *argv)
    _one_clear_line(code, err)
