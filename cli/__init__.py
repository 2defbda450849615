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
(or a new one) and add it to the top group below.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # before anything imports pygame

import click  # noqa: E402

from cli import agents, bench, evaluate, play, train  # noqa: E402
from cli.errors import TranslatingGroup  # noqa: E402
from cli.options import fullscreen_option, mute_option, seed_option  # noqa: E402

__all__ = ["cli", "main"]


@click.group(name="asteroids-duel", cls=TranslatingGroup, invoke_without_command=True,
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
        play.run_menu(seed, fullscreen, mute)


for _command in (agents.agents, bench.bench, evaluate.eval_, play.play, train.train, train.watch):
    cli.add_command(_command)


def program_name(argv0: str) -> str:
    """How the user ran the program, for usage lines: ``python main.py`` or ``asteroids-duel``."""
    name = os.path.basename(argv0)
    return f"python {name}" if name.endswith(".py") else name


def main() -> None:
    """The entry point of ``python main.py`` and of the console script."""
    cli(prog_name=program_name(sys.argv[0]))
