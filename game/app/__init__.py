"""The interactive program: a window with a menu, matches with HUD and sound, and screenshots.

Entry points (called by ``main.py``):

- :func:`run_app` opens the menu (Human vs Human, Human vs AI, Bot vs Bot, Quit);
- :func:`run_match` starts one match directly and quits when it is left;
- :func:`require_display` raises :class:`DisplayError` (one sentence) when there is no screen
  to open a window on; every window does this check itself when it opens, and the command line
  can call it first, before it loads anything.

Modules: ``app`` (window and loop), ``menu``, ``play`` (the match screen), ``hud``,
``keyboard`` (keyboard controllers), ``sound`` (synthesised effects), ``layout`` (sizes,
colours, fonts), ``screenshot``.
"""

from __future__ import annotations

from typing import Callable

from game.app.app import App, DisplayError, fresh_seed, require_display
from game.app.menu import Opponent
from game.app.play import COUNTDOWN_S, MakeController, MatchSetup, build_controllers
from game.controllers import ControllerError
from game.world import World

__all__ = ["DisplayError", "Opponent", "require_display", "run_app", "run_match"]


def run_app(
    make_controller: MakeController,
    opponents: list[Opponent],
    seed: int | None = None,
    fullscreen: bool = False,
    mute: bool = False,
    make_learning_controller: MakeController | None = None,
) -> None:
    """Open the window on the main menu and play until the user quits.

    ``opponents`` are the choices of the "Human vs AI" and "Bot vs Bot" pages, in order, each
    an :class:`Opponent` (spec, title, detail, group: a heading is shown where the group changes). ``make_controller(spec)`` builds the controller
    for a spec (humans get keyboard controllers here). A controller that fails shows its
    message on the menu. With ``make_learning_controller`` the "Human vs AI" page offers
    "Learn while playing", and while it is on that builds the opponent instead (see
    :mod:`game.controllers` for the hooks such a controller may have). Raises
    :class:`DisplayError` when there is no screen.
    """
    app = App(make_controller, opponents, seed=seed, fullscreen=fullscreen, mute=mute,
              make_learning_controller=make_learning_controller)
    try:
        app.run()
    finally:
        app.close()


def run_match(
    p1: str,
    p2: str,
    make_controller: MakeController,
    seed: int | None = None,
    fullscreen: bool = False,
    mute: bool = False,
    max_frames: int | None = None,
    screenshot: str | None = None,
    observer: Callable[[World, int], None] | None = None,
    countdown_s: float = COUNTDOWN_S,
) -> None:
    """Play one match of ``p1`` against ``p2`` ("human" or a bot spec) until the user leaves it.

    R plays again with the next seed of the series; Esc on the pause screen or after the match
    quits. ``max_frames`` stops after that many frames (for headless runs); ``screenshot``
    saves the last frame as a PNG; ``observer(world, match_index)`` is called after every tick
    (e.g. :meth:`game.recording.ObservationRecorder.record`); each match starts with a countdown
    of ``countdown_s`` (frames of it count towards ``max_frames``; 0 for none).
    Raises :class:`ControllerError` (after closing the window) when a controller cannot be built or fails during the match, and :class:`DisplayError` before
    building anything when there is no screen.
    """
    require_display()
    app_seed = fresh_seed() if seed is None else seed
    setup = MatchSetup(p1, p2, app_seed)
    controllers = build_controllers(setup, make_controller)  # fails before any window opens
    app = App(
        make_controller, [], seed=app_seed, fullscreen=fullscreen, mute=mute, start=setup, start_controllers=controllers,
        observer=observer, countdown_s=countdown_s,
    )
    try:
        app.run(max_frames)
        if screenshot:
            app.save_screenshot(screenshot)
    finally:
        app.close()
    if app.result == "error":
        raise ControllerError(app.error or "a controller failed")
