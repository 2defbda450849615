"""The scripted opponents an env (or a learner's league) can field, by name."""

from __future__ import annotations

from typing import Callable

from game.bots import BOTS
from game.controllers import Controller, as_controller

BOT_NAMES: tuple[str, ...] = tuple(BOTS)  # idle, random, spinner, circler, rookie, aimbot, sniper


def make_bot(name: str) -> Controller:
    """A new scripted opponent ``name`` (one of :data:`BOT_NAMES`); ValueError for another name."""
    if name not in BOTS:
        raise ValueError(f"unknown bot {name!r}; choose one of {', '.join(sorted(BOTS))}")
    return BOTS[name]()


def as_opponent(opponent: Controller | Callable | str) -> Controller:
    """A controller from a bot name, a controller, or a function ``f(world, player) -> action``."""
    if isinstance(opponent, str):
        return make_bot(opponent)
    return as_controller(opponent, getattr(opponent, "name", "opponent"))
