"""Asteroids Duel's command line: ``python main.py`` (or ``asteroids-duel``, the console script).

With no command it opens the game's menu. One module per group of commands:

- :mod:`cli.play`: the menu and ``play`` (the game's window);
- :mod:`cli.evaluate`: ``eval`` (headless matches, counted);
- :mod:`cli.train`: ``train`` and ``watch`` (the same options, from one decorator);
- :mod:`cli.agents`: ``agents list|show|rename|delete|export|import|report``;
- :mod:`cli.bench`: ``bench game|env|conv|train|watch|adapt``.

:mod:`cli.options` holds the options several commands share, :mod:`cli.controllers` builds
controllers from their names, and :mod:`cli.errors` is the one place where the project's errors
become one sentence and an exit status. To add a command: write it in the module of its group
(or a new one) and give it a line in ``COMMANDS`` below.
"""

from __future__ import annotations

import importlib
import os
import sys

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # before anything imports pygame

import click  # noqa: E402

from cli.errors import TranslatingGroup  # noqa: E402
from cli.options import fullscreen_option, mute_option, seed_option  # noqa: E402

__all__ = ["cli", "main"]

COMMANDS = {  # name: (module, attribute, its line in the list of commands)
    "agents": ("cli.agents", "agents", "Manage the saved agents (list, show, report, ...)."),
    "bench": ("cli.bench", "bench", "Benchmarks: game, env, conv, train, watch, adapt."),
    "eval": ("cli.evaluate", "eval_", "Play A against B headless and count wins, draws and losses."),
    "play": ("cli.play", "play", "Start a match directly, e.g. --p1 human --p2 aimbot."),
    "train": ("cli.train", "train", "Train an agent headless, by self-play and against a league."),
    "watch": ("cli.train", "watch", "Train an agent in a window that shows it learning."),
}


class CommandLine(TranslatingGroup):
    """The top group. A command's module is imported when that command runs or shows its help, so
    ``--help`` and the menu load only what they need (the list of commands comes from COMMANDS)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][2]) for name in self.list_commands(ctx)])


@click.group(name="asteroids-duel", cls=CommandLine, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@seed_option("Seed for the matches started from the menu.")
@fullscreen_option
@mute_option
@click.pass_context
def cli(ctx: click.Context, seed: int | None, fullscreen: bool, mute: bool) -> None:
    """Asteroids Duel: two pentagon ships fight among asteroids.

    With no command, opens the game's menu.
    """
    if ctx.invoked_subcommand is None:
        from cli.play import run_menu

        run_menu(seed, fullscreen, mute)


def program_name(argv0: str) -> str:
    """How the user ran the program, for usage lines: ``python main.py`` or ``asteroids-duel``."""
    name = os.path.basename(argv0)
    return f"python {name}" if name.endswith(".py") else name


def main() -> None:
    """The entry point of ``python main.py`` and of the console script."""
    cli(prog_name=program_name(sys.argv[0]))
