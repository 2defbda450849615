"""The controller interface shared by keyboard players, scripted bots and the CNN agent.

A controller is any object with

- ``reset(seed: int | None) -> None``: a new match starts (seed its own random generator, if any);
- ``act(world: World, player: int) -> int``: the action (0..17) for ``player`` this tick.

A plain function ``f(world, player) -> int`` is accepted too and wrapped by :func:`as_controller`,
so users can bring their own bot as ``module:attr`` (an object, a class, or a function).
:func:`controller_from_spec` builds a scripted bot from its name or such a user's controller,
checked: whatever goes wrong in the user's code (importing, building, ``reset``, ``act``, a bad
action) becomes a :class:`ControllerError` whose message names the controller and says why.

Optional hooks: a controller may also have any of these; the window calls them only when they
exist (through the helpers below), so bots and plain controllers need none of them.

- ``status() -> str``: a short live status, shown under the controller's name in the HUD
  (e.g. ``"learning · 3 updates"``); empty for none.
- ``close() -> None``: the session is over (the player left the match or closed the window):
  stop any background work and keep what it produced. Called once, before any question.
- ``session_question() -> str | None``: after ``close()``, a yes/no question for the player
  (e.g. whether to keep what an agent learned), or None when there is nothing to ask.
- ``answer_session_question(yes: bool) -> str``: the player's answer (Y or N); returns a short
  message for the screen saying what was done.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable, Protocol, runtime_checkable

from game.actions import NUM_ACTIONS
from game.bots import BOTS
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
    """Passes a user's controller through, turning an exception it raises or a bad action into a
    :class:`ControllerError` that names it."""

    def __init__(self, inner: Controller, name: str) -> None:
        self.inner = inner
        self.name = name

    def reset(self, seed: int | None = None) -> None:
        _call_user_code(f"controller {self.name!r} failed in reset(seed)", self.inner.reset, seed)

    def act(self, world: World, player: int) -> int:
        action = _call_user_code(f"controller {self.name!r} failed in act(world, player)", self.inner.act, world, player)
        try:
            value = int(action)
        except (TypeError, ValueError):
            value = -1
        if not 0 <= value < NUM_ACTIONS or value != action:
            raise ControllerError(f"controller {self.name!r} returned {action!r}, not an action 0..17")
        return value


class ControllerError(Exception):
    """A controller could not be found, built, or returned a bad action; the message is for users."""


def _call_user_code(failure: str, function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)``; an exception from it (a user's code) becomes ``ControllerError("failure: why")``."""
    try:
        return function(*args)
    except ControllerError:
        raise
    except Exception as error:
        raise ControllerError(f"{failure}: {describe_exception(error)}") from error


def describe_exception(error: BaseException) -> str:
    """``"TypeError: what it says"`` on one line (the message's whitespace collapsed)."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def controller_from_spec(spec: str) -> Controller:
    """A new scripted bot named ``spec``, or the user's ``module:attr`` controller, checked.

    Raises :class:`ControllerError` for any other spec (saved agents are built by the command line,
    with the agent package) and for a ``module:attr`` that cannot be imported or built.
    """
    if spec in BOTS:
        return BOTS[spec]()
    if ":" in spec:
        return CheckedController(as_controller(load_object(spec), spec), spec)
    raise ControllerError(f"{spec!r} is neither a bot ({', '.join(sorted(BOTS))}) nor module:attr")


def as_controller(obj: Any, name: str = "custom") -> Controller:
    """A controller from a controller object, a class with no required arguments, or a function."""
    if inspect.isclass(obj):
        obj = _call_user_code(f"controller {name!r} could not be built", obj)
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
    except Exception as error:  # the module's own code failed as it was imported
        raise ControllerError(f"cannot import module {module_name!r} ({describe_exception(error)})") from error
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ControllerError(f"module {module_name!r} has no attribute {attr!r}") from None
    return obj


# --- the optional hooks ---------------------------------------------------------------------
def controller_status(controller: Controller) -> str:
    """The controller's ``status()`` (a short text for the HUD), or "" when it has none."""
    status = getattr(controller, "status", None)
    return str(status()) if callable(status) else ""


def close_controller(controller: Controller) -> None:
    """Call the controller's ``close()`` if it has one."""
    close = getattr(controller, "close", None)
    if callable(close):
        close()


def session_question(controller: Controller) -> str | None:
    """The controller's ``session_question()`` if it has one (and the hook to answer it), else None."""
    ask = getattr(controller, "session_question", None)
    if not callable(ask) or not callable(getattr(controller, "answer_session_question", None)):
        return None
    return ask() or None
