"""Agents from their files: the names an agent cannot take, and a saved network rebuilt and checked.

:func:`load_policy` is the one way a saved agent becomes a network: training from a parent,
playing, evaluating, importing and adapting all go through it, so every one of them refuses a
damaged or crafted file in the same sentence.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from agent import saves
from agent.policy import ActorCritic, NetworkConfig, count_weights, parameter_count
from game.env import BOT_NAMES, ObservationConfig, saved_observation

RESERVED_NAMES = frozenset(BOT_NAMES) | {"human"}  # controller names that would hide an agent
MAX_SETTING = 4096  # no count or size in a network or observation setting is larger
MAX_OBSERVATION_VALUES = 2**22  # pixels in one stacked observation (4 MiB)
MAY_BE_ZERO = frozenset({"margin"})  # counts where 0 means "none"; every other count or size is > 0


def check_reserved(name: str) -> None:
    """SaveError if ``name`` is the name of a built-in controller (a bot, or "human")."""
    if name.lower() in RESERVED_NAMES:
        raise saves.SaveError(f"{name!r} is the name of a built-in controller; choose another name")


def load_policy(path: Path) -> tuple[ActorCritic, ObservationConfig, dict]:
    """The network of an agent file, built with the architecture and observation it was saved with.

    Every setting is checked (known names, right types, sizes that fit the weights in the file)
    before anything is built, so a damaged or crafted file ends in a SaveError, not a crash.
    """
    params, meta = saves.load_agent(path)
    network = _settings(path, NetworkConfig, meta["network"], "network")
    observation = _settings(path, ObservationConfig, saved_observation(meta["observation"]), "observation")
    channels, height, width = observation.shape
    if channels * height * width > MAX_OBSERVATION_VALUES:
        raise saves.SaveError(f"{path} asks for observations too large to play ({channels} x {height} x {width})")
    expected = parameter_count(observation.shape, network)
    found = count_weights(params)
    if expected != found:
        raise saves.SaveError(f"{path} holds {found:,} weights but its network settings need {expected:,}")
    policy = ActorCritic(observation.shape, network)
    try:
        policy.set_params(params)
    except ValueError as error:
        raise saves.SaveError(f"{path} holds weights that do not fit its network ({error})") from None
    return policy, observation, meta


def _settings(path: Path, kind: type, values: dict, what: str):
    """``kind(**values)`` after checking every name and type, else a SaveError saying which is wrong."""
    defaults = {f.name: f.default for f in fields(kind)}
    for key, value in values.items():
        if key not in defaults:
            raise saves.SaveError(f"{path} has a {what} setting this version does not know ({key!r})")
        if not _same_kind(value, 0 if key in MAY_BE_ZERO else defaults[key]):
            raise saves.SaveError(f"{path} has an invalid {what} setting ({key} = {value!r})")
    try:
        return kind(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
    except (TypeError, ValueError) as error:
        raise saves.SaveError(f"{path} has invalid {what} settings ({error})") from None


def _same_kind(value: Any, default: Any) -> bool:
    """Whether a JSON value can stand for a setting whose default is ``default``."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, int):
        return isinstance(value, int) and min(default, 1) <= value <= MAX_SETTING  # sizes > 0
    if isinstance(default, float):
        return isinstance(value, (int, float)) and 0 <= value <= 1e6
    if isinstance(default, tuple):
        return isinstance(value, list) and 0 < len(value) <= 16 and all(_same_kind(v, 1) for v in value)
    return isinstance(value, type(default))

