"""Options that several commands share, and the options made from a settings dataclass.

Each is a decorator, applied like ``click.option``. Help texts are sentences (capital first,
full stop last); click adds the default and the allowed range in brackets.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any, Callable

import click
from click.core import ParameterSource

from agent.saves import SAVES_ENV

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

SEED = click.IntRange(min=0)  # numpy's SeedSequence takes no negative seeds
MAX_MATCHES = 100_000  # of a series: hours of matches already; a bound that catches a typo (an extra zero or three)


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that also refuses nan and inf (click lets nan through every range)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def saves_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--saves DIR`` (or the environment variable), passed as ``saves_dir``: a Path or None."""
    return click.option(
        "--saves", "saves_dir", type=click.Path(file_okay=False, path_type=Path), default=None, envvar=SAVES_ENV,
        show_envvar=True, help="Folder of saved agents (the project's saves/ when not given).",
    )(function)


def seed_option(help: str, default: int | None = None) -> Decorator:
    """``--seed N``, a whole number from 0 up."""
    return click.option("--seed", type=SEED, default=default, show_default=default is not None, help=help)


def json_option(help: str = "Print one JSON object instead of a table.") -> Decorator:
    """``--json``, passed as ``as_json``."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def sample_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--sample``: saved agents draw their actions from their policy."""
    return click.option("--sample", is_flag=True,
                        help="Saved agents sample their actions instead of taking the most likely.")(function)


def fullscreen_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--fullscreen", is_flag=True, help="Start in fullscreen (F11 toggles).")(function)


def mute_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--mute", is_flag=True, help="Start with sound off (M toggles).")(function)


def png_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An option's callback: the file name must end in .png (pygame would otherwise pick another
    format), and its folder must exist and be writable, so that a picture written at the end of a
    match or a benchmark is refused before, not after."""
    if value is None:
        return value
    if Path(value).suffix.lower() != ".png":
        raise click.ClickException(f"{param.opts[0]} writes a PNG image, so its file name must end in .png "
                                   f"(got {value})")
    folder = Path(value).parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise click.ClickException(f"{param.opts[0]} cannot write {value}: {folder} is not a folder that can "
                                   "be written to")
    return value


def sentence(text: str) -> str:
    """``text`` as a help sentence: capital first letter, full stop at the end."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def config_options(config: type, types: dict[str, click.ParamType] | None = None) -> Decorator:
    """One option per field of the dataclass ``config`` (cleanrl style: the dataclass is the one source).

    ``num_matches: int = 16`` becomes ``--num-matches INTEGER`` with default 16, a bool field a
    ``--flag/--no-flag`` pair; the help is the field's ``metadata["help"]``. ``types`` gives a
    field a narrower click type than its annotation (e.g. a range). A command learns which of them
    the user gave with :func:`given_options`.
    """
    types = types or {}

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        for field in reversed(dataclasses.fields(config)):
            flag = "--" + field.name.replace("_", "-")
            kind = field.type if isinstance(field.type, str) else field.type.__name__
            default = None if field.default is dataclasses.MISSING else field.default
            help_text = sentence(field.metadata.get("help", ""))
            if kind == "bool":
                option = click.option(f"{flag}/--no-{flag[2:]}", field.name, default=default, show_default=True,
                                      help=help_text)
            else:
                click_type = types.get(field.name, {"int": int, "float": float}.get(kind, str))
                option = click.option(flag, field.name, type=click_type, default=default, show_default=True,
                                      help=help_text)
            function = option(function)
        return function

    return decorate


def given_options(ctx: click.Context, names: list[str]) -> dict[str, Any]:
    """The values of the parameters ``names`` that the user gave (on the command line or in the
    environment), leaving out those that are only their defaults."""
    defaults = (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)
    return {name: ctx.params[name] for name in names if ctx.get_parameter_source(name) not in defaults}
