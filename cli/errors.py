"""The one place where the project's errors become one sentence on stderr and a non-zero exit.

Commands let the errors a user can cause rise as they are; :class:`TranslatingGroup`, the class of
the top group, catches them around every command and re-raises each as the click exception
that prints ``Error: <one sentence>`` (no traceback):

- :class:`agent.saves.SaveError` (a missing, damaged or unwritable agent) and
  :class:`game.controllers.ControllerError` (a controller that cannot be found, built, or fails):
  their message, exit status 1;
- ``OSError`` (``PermissionError``, ``FileNotFoundError``, ...): the file and the reason, exit 1;
- ``pygame.error`` (no display for the window, a picture that cannot be written): exit 1;
- ``ValueError`` from the settings' dataclasses (a value out of its range, values that do not
  fit together): a usage error, exit status 2, like a bad option. The settings' field names in
  the sentence become the options the user typed: ``num_minibatches must be at least 1`` reads
  ``--num-minibatches must be at least 1``.

Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import click

from agent.saves import SaveError
from game.controllers import ControllerError


COMMAND_KEY = "cli.errors.command"  # in ctx.meta: the command the top group chose to run
_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*\b")


def option_names(message: str, command: click.Command | None) -> str:
    """``message`` with the parameter names of ``command``'s options written as the options:
    the first word when it is one (``seed must be ...``), and every snake_case one
    (``... between 0 and num_matches``). For a group: the options of its commands."""
    options = {p.name: p.opts[0] for c in _commands(command) for p in c.params
               if isinstance(p, click.Option) and p.name}

    def option(match: re.Match) -> str:
        word = match.group()
        if word in options and (match.start() == 0 or "_" in word):
            return options[word]
        return word

    return _NAME.sub(option, message)


def _commands(command: click.Command | None) -> list[click.Command]:
    if isinstance(command, click.Group):
        return [c for name in command.list_commands(click.Context(command))
                for c in _commands(command.get_command(click.Context(command), name))]
    return [command] if command is not None else []


def user_error(error: Exception, command: click.Command | None = None) -> click.ClickException | None:
    """The click exception that tells the user about ``error``, or None when it is not theirs to fix.

    ``command``, the command that raised it, names the options in a settings' ValueError."""
    if isinstance(error, (SaveError, ControllerError)):
        return click.ClickException(str(error))
    if isinstance(error, BrokenPipeError):  # output piped into e.g. `head`: click ends quietly itself
        return None
    if isinstance(error, OSError):
        reason = error.strerror or str(error)
        return click.ClickException(f"cannot use {error.filename} ({reason})" if error.filename else reason)
    if isinstance(error, ValueError):
        return click.UsageError(option_names(str(error), command))
    app = sys.modules.get("game.app.app")  # only a command that opened the window can raise this one
    if app is not None and isinstance(error, app.DisplayError):
        return click.ClickException(str(error))
    pygame = sys.modules.get("pygame")  # only a command that imported pygame can raise its error
    if pygame is not None and isinstance(error, pygame.error):
        if any(word in str(error).lower() for word in ("video", "display", "x11", "wayland")):
            return click.ClickException(f"cannot open the game window ({error}); is a display available?")
        return click.ClickException(f"pygame failed: {error}")
    return None


class TranslatingGroup(click.Group):
    """A click group that turns the project's errors (see the module's docstring) into one sentence."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta[COMMAND_KEY] = command
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as error:
            translated = user_error(error, ctx.meta.get(COMMAND_KEY, self))
            if translated is None:
                raise
            raise translated from None
