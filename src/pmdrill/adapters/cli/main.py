"""The `pmdrill` command: composes one Typer app per command group and maps errors to messages."""

from __future__ import annotations

import sys

import typer

from pmdrill.adapters.cli import groups
from pmdrill.adapters.cli.output import err_console
from pmdrill.errors import PmdrillError

app = typer.Typer(
    name="pmdrill",
    help="Practise the EdTech PM analytical interview: SQL, metrics, cases and experiments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for name, sub in groups.GROUPS:
    app.add_typer(sub, name=name)
for command in groups.COMMANDS:
    app.command(command.__name__.replace("_", "-"))(command)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a user mistake prints one line and exits 1, never a traceback."""
    try:
        app(args=argv, standalone_mode=False)
    except PmdrillError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", markup=True)
        return 1
    except typer.Abort:
        err_console.print("aborted")
        return 1
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except SystemExit as exc:  # typer.Exit inside commands
        return int(exc.code or 0)
    except Exception as exc:  # click usage errors arrive here with standalone_mode=False
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
