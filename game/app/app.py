"""The window and its loop: the menu, then matches, until the player quits.

Each frame runs the same named phases on the current screen (menu or match):
events -> input -> update -> draw -> tick, with ``pygame.time.Clock.tick(FPS)`` at the end, so a
match advances exactly one world tick per frame at 60 frames per second.

Keys handled here, on every screen: M mutes or unmutes, F11 toggles fullscreen. Closing the
window quits. Everything else belongs to the screen (see :mod:`game.app.menu`,
:mod:`game.app.play`).

Without a screen SDL quietly falls back to its "offscreen" video driver, and a window nobody can
see would wait forever for keys: :func:`open_window` refuses that with a :class:`DisplayError`
unless ``SDL_VIDEODRIVER`` asks for a headless driver on purpose (as the tests do).
"""

from __future__ import annotations

import os
import warnings
from typing import Callable

import pygame

from game.app.hud import Hud
from game.app.layout import FPS, TITLE, WINDOW_SIZE, Fonts, make_icon
from game.app.menu import MenuScene, Opponent
from game.app.play import COUNTDOWN_S, MakeController, MatchScene, MatchSetup, build_controllers
from game.app.sound import Sounds
from game.controllers import Controller, ControllerError
from game.seeding import fresh_seed
from game.world import World

Scene = MenuScene | MatchScene

HEADLESS_DRIVERS = ("dummy", "offscreen")  # SDL video drivers that show nothing on any screen
NEEDS_SCREEN = "the game needs a screen (set DISPLAY, or SDL_VIDEODRIVER=dummy for a headless run)"


class DisplayError(Exception):
    """There is no screen to open the game's window on; the message is one sentence for the user."""


def headless_requested() -> bool:
    """True when ``SDL_VIDEODRIVER`` names a headless driver: the deliberate windowless mode."""
    asked = os.environ.get("SDL_VIDEODRIVER", "")
    return any(name.strip().lower() in HEADLESS_DRIVERS for name in asked.split(","))


def require_display() -> None:
    """Raise :class:`DisplayError` unless SDL can show a window (or headless was requested).

    Starts pygame's display module to see which video driver SDL picks; it is left running when
    a screen was found and shut again when not, so a caller (e.g. the command line, before it
    loads any agent) can call this first and open the window later.
    """
    if headless_requested():
        return
    try:
        pygame.display.init()
    except pygame.error as error:
        raise DisplayError(f"no display found ({error}): {NEEDS_SCREEN}") from None
    if pygame.display.get_driver().lower() in HEADLESS_DRIVERS:
        pygame.display.quit()
        raise DisplayError(f"no display found: {NEEDS_SCREEN}")


def open_window(fullscreen: bool = False, size: tuple[int, int] = WINDOW_SIZE, title: str = TITLE) -> pygame.Surface:
    """Initialise the display and fonts and open a scaled, resizable window of logical ``size``.

    Raises :class:`DisplayError` when there is no screen (see :func:`require_display`).
    """
    require_display()
    pygame.display.init()
    pygame.font.init()
    pygame.display.set_caption(title)
    pygame.display.set_icon(make_icon())
    flags = pygame.SCALED | pygame.RESIZABLE | (pygame.FULLSCREEN if fullscreen else 0)
    with warnings.catch_warnings():  # the dummy video driver warns it has no fast renderer
        warnings.filterwarnings("ignore", message="no fast renderer")
        return pygame.display.set_mode(size, flags)


def toggle_fullscreen() -> None:
    """Switch between window and fullscreen; some drivers cannot, and then nothing happens."""
    try:
        pygame.display.toggle_fullscreen()
    except pygame.error:
        pass


class App:
    """The interactive program. ``run`` plays until quit (or ``max_frames``) and can be called again.

    With ``start`` given the app opens on that match (flown by ``start_controllers``, or by
    controllers built for it) and quits when the match is left (``python main.py play``);
    otherwise it opens on the menu and returns to it after matches.
    ``result`` says why :meth:`run` stopped: ``"quit"`` or ``"error"`` (then ``error`` is the
    message of the controller that failed), or None while the app can go on.
    ``make_learning_controller(spec)``, when given, builds the AI opponents of "Human vs AI"
    while the menu's "Learn while playing" toggle is on (saved agents that learn as they play).
    A match screen that is done, or still open when the app closes, has its controllers closed.
    Every match starts with a countdown of ``countdown_s`` (0 for none, e.g. in tests about
    something else; see :class:`game.app.play.MatchScene`).
    """

    def __init__(
        self,
        make_controller: MakeController,
        opponents: list[Opponent],
        seed: int | None = None,
        fullscreen: bool = False,
        mute: bool = False,
        start: MatchSetup | None = None,
        start_controllers: tuple[Controller, Controller] | None = None,
        make_learning_controller: MakeController | None = None,
        observer: Callable[[World, int], None] | None = None,
        countdown_s: float = COUNTDOWN_S,
    ) -> None:
        self.make_controller = make_controller
        self.make_learning_controller = make_learning_controller
        self.learn = False  # the menu's "Learn while playing" toggle, kept between visits
        self.opponents = list(opponents)
        self.seed = fresh_seed() if seed is None else seed
        self.standalone = start is not None
        self.countdown_s = countdown_s
        self.series = 0  # matches started from the menu so far; series k is seeded seed + k
        self.result: str | None = None
        self.error: str | None = None
        self.frames = 0
        self.screen = open_window(fullscreen)
        self.clock = pygame.time.Clock()
        self.fonts = Fonts()
        self.hud = Hud(self.fonts)
        self.sounds = Sounds(muted=mute)
        if start is not None:
            controllers = start_controllers or build_controllers(start, make_controller)
            self.scene: Scene = MatchScene(start, controllers, self.sounds, self.hud, esc_does="quit",
                                           observer=observer, countdown_s=countdown_s)
        else:
            self.scene = self._menu()

    def _menu(self, message: str = "") -> MenuScene:
        return MenuScene(self.opponents, self.hud, seed=self.seed, message=message,
                         can_learn=self.make_learning_controller is not None, learn=self.learn)

    # --- the loop ------------------------------------------------------------------------
    def run(self, max_frames: int | None = None) -> str | None:
        """Run frames until the user quits, a controller fails, or ``max_frames`` more frames ran."""
        frames = 0
        while self.result is None and (max_frames is None or frames < max_frames):
            # events
            for event in pygame.event.get():
                self.handle_event(event)
                if self.result is not None:
                    return self.result
            # input
            inputs = self.scene.read_input()
            # update
            self.scene.update(inputs)
            # draw
            self.scene.draw(self.screen)
            pygame.display.flip()
            self._follow()
            # tick
            self.clock.tick(FPS)
            frames += 1
            self.frames += 1
        return self.result

    def handle_event(self, event: pygame.event.Event) -> None:
        """Keys of every screen first, then the current screen's; then any change of screen."""
        if event.type == pygame.KEYDOWN and event.key == pygame.K_m:
            self.sounds.toggle_mute()
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_F11:
            toggle_fullscreen()
        else:
            self.scene.handle_event(event)
            self._follow()

    def _follow(self) -> None:
        """Move to the next screen when the current one is done."""
        outcome = self.scene.outcome
        if outcome is None:
            return
        if isinstance(self.scene, MenuScene):
            self.learn = self.scene.learn
            if outcome[0] == "quit":
                self.result = "quit"
            else:
                self._start(MatchSetup(outcome[1], outcome[2], self.seed + self.series, learn="learn" in outcome[3:]))
            return
        self.scene.close()  # the session is over: background work stops
        if outcome == "quit" or (outcome == "leave" and self.standalone):
            self.result = "quit"
        elif outcome == "leave":
            self.scene = self._menu()
        elif outcome == "error":
            if self.standalone:
                self.result, self.error = "error", self.scene.error
            else:
                self.scene = self._menu(self.scene.error or "")

    def _start(self, setup: MatchSetup) -> None:
        self.series += 1
        try:
            make = self.make_learning_controller if setup.learn and self.make_learning_controller else self.make_controller
            controllers = build_controllers(setup, make)
            self.scene = MatchScene(setup, controllers, self.sounds, self.hud, countdown_s=self.countdown_s)
        except ControllerError as error:
            self.scene = self._menu(str(error))

    # --- the end -------------------------------------------------------------------------
    def save_screenshot(self, path: str) -> None:
        """The last frame drawn, as a PNG (or any format pygame writes, by the name's ending)."""
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        pygame.image.save(self.screen, path)

    def close(self) -> None:
        """Close the controllers of a match still on screen, then sound and window."""
        try:
            if isinstance(self.scene, MatchScene):
                self.scene.close()
        finally:
            self.sounds.close()
            pygame.font.quit()
            pygame.display.quit()
