"""The one place where the project's errors become one sentence on stderr and a non-zero exit.

Commands let the errors a user can cause rise as they are; :class:`TranslatingGroup`, the class of
the top group, catches them around every command and re-raises each as the click exception
that prints ``Error: <one sentence>`` (no traceback):

- :class:`agent.saves.SaveError` (a missing, damaged or unwritable agent) and
  :class:`game.controllers.ControllerError` (a controller that cannot be found, built, or fails):
  their message, exit status 1;
- ``OSError`` (``PermissionError``, ``FileNotFoundError``, ...): the file and the reason, exit 1;
- ``pygame.error`` (no display for the window, a picture that cannot be written): exit 1;
- ``ValueError`` from the settings' dataclasses (values that do not fit together): a usage
  error, exit status 2, like a bad option.

Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from agent.saves import SaveError
from game.controllers import ControllerError


def user_error(error: Exception) -> click.ClickException | None:
    """The click exception that tells the user about ``error``, or None when it is not theirs to fix."""
    if isinstance(error, (SaveError, ControllerError)):
        return click.ClickException(str(error))
    if isinstance(error, BrokenPipeError):  # output piped into e.g. `head`: click ends quietly itself
        return None
    if isinstance(error, OSError):
        reason = error.strerror or str(error)
        return click.ClickException(f"cannot use {error.filename} ({reason})" if error.filename else reason)
    if isinstance(error, ValueError):
        return click.UsageError(str(error))
    pygame = sys.modules.get("pygame")  # only a command that imported pygame can raise its error
    if pygame is not None and isinstance(error, pygame.error):
        if any(word in str(error).lower() for word in ("video", "display", "x11", "wayland")):
            return click.ClickException(f"cannot open the game window ({error}); is a display available?")
        return click.ClickException(f"pygame failed: {error}")
    return None


class TranslatingGroup(click.Group):
    """A click group that turns the project's errors (see the module's docstring) into one sentence."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as error:
            translated = user_error(error)
            if translated is None:
                raise
            raise translated from None
