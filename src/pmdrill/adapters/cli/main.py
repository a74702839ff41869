"""The `pmdrill` command: composes one Typer app per command group and maps errors to one line each.

Every mistake a user can make at the command line (an unknown command or option, an option without
its value, a bad file, a bad id) prints one line naming what was wrong and where, and exits non-zero.
"""

from __future__ import annotations

import difflib
import sys
from typing import Any

import typer
import typer.main
from rich.markup import escape

from pmdrill.adapters.cli import groups
from pmdrill.adapters.cli.output import CURRENT, BuildBar, err_console
from pmdrill.errors import PmdrillError

app = typer.Typer(
    name="pmdrill",
    help="Practise the EdTech PM analytical interview: SQL, metrics, cases, experiments, mocks and a plan.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(ctx: typer.Context) -> None:
    """Practise the EdTech PM analytical interview: SQL, metrics, cases, experiments, mocks and a plan."""
    from pmdrill.context import Context
    from pmdrill.settings import Settings

    bar = BuildBar()
    context = Context(Settings.load(), on_build=bar, warn=lambda m: err_console.print(f"warning: {m}", markup=False))
    ctx.obj = context
    CURRENT.set(context)
    ctx.call_on_close(context.close)
    ctx.call_on_close(bar.close)


for name, sub in groups.GROUPS:
    app.add_typer(sub, name=name)
for command in groups.COMMANDS:
    app.command(command.__name__.rstrip("_").replace("_", "-"))(command)


def _command_path(argv: list[str]) -> str:
    """The command an argument list names ("pmdrill warehouse build"), read from the command table."""
    node: Any = typer.main.get_command(app)
    path = ["pmdrill"]
    for word in argv:
        sub = node.commands.get(word) if hasattr(node, "commands") else None
        if sub is None:
            break
        path.append(word)
        node = sub
    return " ".join(path)


def _one_line(exc: Any, argv: list[str]) -> str:
    """A command-line usage error as one line: the command, what was wrong, the closest names."""
    ctx = getattr(exc, "ctx", None)
    where = _command_path(argv)
    if ctx is not None and len(ctx.command_path.split()) > len(where.split()):
        where = ctx.command_path
    message = " ".join(exc.format_message().split())
    if ctx is not None and "No such command" in message and hasattr(ctx.command, "list_commands"):
        wrong = message.split("'")[1] if "'" in message else ""
        close = difflib.get_close_matches(wrong, ctx.command.list_commands(ctx), n=3, cutoff=0.5)
        if close and "Did you mean" not in message:
            message += f" Did you mean {', '.join(close)}?"
    return f"{where}: {message} (see `{where} --help`)"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a user mistake prints one line and exits non-zero, never a traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, standalone_mode=False, prog_name="pmdrill")
    except PmdrillError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        return exc.exit_code
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except typer.Abort:
        err_console.print("aborted")
        return 1
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except typer.TyperException as exc:  # the command line itself: unknown command or option, missing value
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.format_message())  # type: ignore[attr-defined]
            return 0
        err_console.print(f"[bold red]error:[/] {escape(_one_line(exc, args))}", highlight=False)
        return int(getattr(exc, "exit_code", 2))
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except BrokenPipeError:
        return 0  # `pmdrill ... | head`: the reader left, nothing is wrong
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
