"""The controller interface shared by keyboard players, scripted bots and the CNN agent.

A controller is any object with

- ``reset(seed: int | None) -> None``: a new match starts (seed its own random generator, if any);
- ``act(world: World, player: int) -> int``: the action (0..17) for ``player`` this tick.

A plain function ``f(world, player) -> int`` is accepted too and wrapped by :func:`as_controller`,
so users can bring their own bot as ``module:attr`` (an object, a class, or a function).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable, Protocol, runtime_checkable

from game.actions import NUM_ACTIONS
from game.world import World


@runtime_checkable
class Controller(Protocol):
    def reset(self, seed: int | None = None) -> None: ...

    def act(self, world: World, player: int) -> int: ...


class FunctionController:
    """Wraps ``f(world, player) -> action`` as a controller."""

    def __init__(self, function: Callable[[World, int], int], name: str = "function") -> None:
        self.function = function
        self.name = name

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, world: World, player: int) -> int:
        return self.function(world, player)


class CheckedController:
    """Passes a user's controller through, turning a bad action into a clear error."""

    def __init__(self, inner: Controller, name: str) -> None:
        self.inner = inner
        self.name = name

    def reset(self, seed: int | None = None) -> None:
        self.inner.reset(seed)

    def act(self, world: World, player: int) -> int:
        action = self.inner.act(world, player)
        try:
            value = int(action)
        except (TypeError, ValueError):
            value = -1
        if not 0 <= value < NUM_ACTIONS or value != action:
            raise ControllerError(f"controller {self.name!r} returned {action!r}, not an action 0..17")
        return value


class ControllerError(Exception):
    """A controller could not be found, built, or returned a bad action; the message is for users."""


def as_controller(obj: Any, name: str = "custom") -> Controller:
    """A controller from a controller object, a class with no required arguments, or a function."""
    if inspect.isclass(obj):
        try:
            obj = obj()
        except TypeError as error:
            raise ControllerError(f"{name!r} is a class that cannot be built without arguments ({error})")
    if callable(getattr(obj, "act", None)):
        if not callable(getattr(obj, "reset", None)):
            raise ControllerError(f"{name!r} has act() but no reset(seed) method")
        return obj
    if callable(obj):
        return FunctionController(obj, name)
    raise ControllerError(f"{name!r} is neither a controller (reset/act) nor a function")


def load_object(spec: str) -> Any:
    """Import ``module:attr`` (attr may be dotted) and return the object it names."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ControllerError(f"{spec!r} is not of the form module:attr")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise ControllerError(f"cannot import module {module_name!r} ({error})") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ControllerError(f"module {module_name!r} has no attribute {attr!r}") from None
    return obj
