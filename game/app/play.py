"""The match screen: one duel on screen, one world tick per frame, with HUD, sounds and dust.

Every match (the first and each one after R) starts with a countdown: 3, 2, 1, each shown big
over the arena for ``COUNTDOWN_STEP_S``, while the world stands still (no one moves or fires and
the controllers are not asked), then "GO" flashes over the first moments of play. Pausing works
during the countdown too. Headless matches (:mod:`game.match`) have no countdown.

Controls while playing (besides the players' own keys, see :mod:`game.app.keyboard`):
Esc or P pause; on the pause screen P resumes, R restarts and Esc leaves (to the menu, or quits
when the match was started from the command line); after the match R plays again and Esc leaves.
M mutes and F11 toggles fullscreen everywhere (handled by :mod:`game.app.app`).

Leaving ends the session: each controller's optional ``close()`` is called, then its optional
``session_question()`` is put to the player (see :mod:`game.controllers`), answered with Y or N;
the answers' messages stay on screen until a key is pressed. The HUD shows each controller's
optional ``status()`` under its name.

The app's loop calls the phases of a frame in order: ``handle_event`` for each event, then
``read_input`` (the controllers choose this tick's actions), ``update`` (one world tick, sounds,
effects), ``draw``. Paused, counting down or finished matches do not tick. Time is counted in
ticks (frames) only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pygame

from game.app.hud import Hud
from game.app.keyboard import KeyboardController
from game.app.layout import ARENA_RECT
from game.app.sound import Sounds
from game.controllers import Controller, ControllerError, close_controller, controller_status, session_question
from game.match import MatchSeries
from game.render import Effects, WorldRenderer
from game.rules import DEFAULT_RULES, Rules
from game.world import World

HUMAN = "human"
MakeController = Callable[[str], Controller]

COUNTDOWN_FROM = 3  # the numbers shown before a match: 3, 2, 1
COUNTDOWN_STEP_S = 0.7  # how long each number is shown
COUNTDOWN_S = COUNTDOWN_FROM * COUNTDOWN_STEP_S  # the world stands still this long at the start
GO_S = 0.6  # "GO" is shown this long after the countdown, while the match runs


@dataclass(frozen=True)
class MatchSetup:
    """Who plays and the series seed: match ``i`` is ``MatchSeries(seed).match(i)`` (same sides every match)."""

    p1: str  # "human" or a controller spec for make_controller
    p2: str
    seed: int
    learn: bool = False  # the AI players are built by the app's maker of learning controllers


def build_controllers(setup: MatchSetup, make_controller: MakeController) -> tuple[Controller, Controller]:
    """Keyboard controllers for "human", ``make_controller(spec)`` for everything else."""
    return tuple(
        KeyboardController(player) if spec == HUMAN else make_controller(spec)
        for player, spec in enumerate((setup.p1, setup.p2))
    )  # type: ignore[return-value]


def controller_label(spec: str, controller: Controller) -> str:
    """How the HUD names a controller: the keys of a human, the spec of anything else."""
    if isinstance(controller, KeyboardController):
        return f"Human  ({controller.hint})"
    return spec


class MatchScene:
    """A series of matches between the same two controllers (R starts the next one).

    ``outcome`` is set when the scene is done: ``"leave"`` (Esc from the pause screen or the
    end banner, after any end-of-session questions), ``"quit"`` (the window was closed) or
    ``"error"`` (a controller failed; ``error`` holds its message).

    ``countdown_s`` is how long each match stands still at its start while 3-2-1 counts down
    (0: no countdown and no "GO", the match runs from the first frame).
    """

    def __init__(
        self,
        setup: MatchSetup,
        controllers: tuple[Controller, Controller],
        sounds: Sounds,
        hud: Hud,
        esc_does: str = "menu",
        rules: Rules = DEFAULT_RULES,
        observer: Callable[[World, int], None] | None = None,
        countdown_s: float = COUNTDOWN_S,
    ) -> None:
        if countdown_s < 0:
            raise ValueError(f"countdown_s must be 0 or more, not {countdown_s}")
        self.setup = setup
        self.series = MatchSeries(setup.seed)
        self.observer = observer  # called after every tick with the world and the match's index
        self.controllers = controllers
        self.labels = (controller_label(setup.p1, controllers[0]), controller_label(setup.p2, controllers[1]))
        self.sounds = sounds
        self.hud = hud
        self.esc_does = esc_does
        self.rules = rules
        self.countdown_ticks = rules.ticks(countdown_s)  # frames of countdown before each match
        self.countdown_left = 0  # frames of countdown still to run in this match
        self.renderer = WorldRenderer()
        self.has_human = any(isinstance(c, KeyboardController) for c in controllers)
        self.index = -1
        self.outcome: str | None = None
        self.error: str | None = None
        self.closed = False
        self.ending = False  # the player left: the session's questions are up
        self.questions: list[tuple[Controller, str]] = []  # still to answer, the one shown first
        self.notes: list[str] = []  # the messages of the answers given
        self.restart()

    def restart(self) -> None:
        """Start the next match of the series, with its own seeds."""
        self.index += 1
        match = self.series.match(self.index)
        self.world = match.new_world(self.rules)
        self.effects = Effects(seed=match.world_seed)
        self.paused = False
        self.countdown_left = self.countdown_ticks
        for controller, seed in zip(self.controllers, match.controller_seeds):
            try:
                controller.reset(seed)
            except ControllerError as error:
                self._fail(error)

    def _fail(self, error: ControllerError) -> None:
        self.error = str(error)
        self.outcome = "error"

    def close(self) -> None:
        """End the session for the controllers: their ``close()`` hooks, once."""
        if not self.closed:
            self.closed = True
            for controller in self.controllers:
                close_controller(controller)

    # --- leaving: the session's questions ------------------------------------------------
    def _leave(self) -> None:
        """Close the controllers, then ask their questions, if any; else the scene is done."""
        self.close()
        self.ending = True
        for controller in self.controllers:
            question = session_question(controller)
            if question:
                self.questions.append((controller, question))
        if not self.questions:
            self.outcome = "leave"

    def _handle_ending_key(self, key: int) -> None:
        if not self.questions:
            self.outcome = "leave"  # any key, once the messages are read
        elif key in (pygame.K_y, pygame.K_n):
            controller, _ = self.questions.pop(0)
            self.notes.append(str(controller.answer_session_question(key == pygame.K_y)))

    # --- events --------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.outcome = "quit"
        elif event.type == pygame.WINDOWFOCUSLOST and self.has_human and not self.world.over:
            self.paused = True  # a person cannot play a window they cannot type into
        elif event.type == pygame.KEYDOWN:
            self._handle_key(event.key)

    def _handle_key(self, key: int) -> None:
        if self.ending:
            self._handle_ending_key(key)
        elif self.world.over:
            if key == pygame.K_r:
                self.restart()
            elif key == pygame.K_ESCAPE:
                self._leave()
        elif self.paused:
            if key == pygame.K_p:
                self.paused = False
            elif key == pygame.K_r:
                self.restart()
            elif key == pygame.K_ESCAPE:
                self._leave()
        elif key in (pygame.K_ESCAPE, pygame.K_p):
            self.paused = True

    # --- input ---------------------------------------------------------------------------
    @property
    def counting_down(self) -> bool:
        """True while the match's countdown runs (or is paused): the world stands still."""
        return self.countdown_left > 0

    @property
    def running(self) -> bool:
        """True when the next frame advances the world."""
        return not (self.paused or self.counting_down or self.world.over or self.outcome or self.ending)

    def countdown(self) -> tuple[str, float] | None:
        """What the countdown shows this frame, and how far it has faded (0 to 1): "3", "2", "1"
        (``COUNTDOWN_STEP_S`` each) while the world stands at its start, then "GO" over the first
        ``GO_S`` of play; None at any other time, and always without a countdown."""
        if not self.countdown_ticks or self.world.over:
            return None
        if self.world.tick == 0:
            shown = max(1, self.countdown_ticks - self.countdown_left)  # countdown frames so far, this one too
            step, part = divmod((shown - 1) * COUNTDOWN_FROM, self.countdown_ticks)
            return str(COUNTDOWN_FROM - step), part / self.countdown_ticks
        go_ticks = self.rules.ticks(GO_S)
        if self.world.tick <= go_ticks:
            return "GO", (self.world.tick - 1) / go_ticks
        return None

    def read_input(self) -> tuple[int, int] | None:
        """This tick's actions, or None when the world does not tick this frame."""
        if not self.running:
            return None
        try:
            return (self.controllers[0].act(self.world, 0), self.controllers[1].act(self.world, 1))
        except ControllerError as error:
            self._fail(error)
            return None

    # --- update --------------------------------------------------------------------------
    def update(self, actions: tuple[int, int] | None) -> None:
        """One world tick with ``actions``; its events make sounds and dust. During the countdown
        (unless paused) a frame of it passes instead, with a beep at each number and at "GO"."""
        if self.counting_down:
            if not (self.paused or self.outcome or self.ending):
                before = self.countdown()
                self.countdown_left -= 1
                after = self.countdown()
                first = self.countdown_left == self.countdown_ticks - 1
                if first or (before and after and before[0] != after[0]):
                    self.sounds.play("count")
            return
        if actions is None:
            return
        events = self.world.step(actions)
        if self.countdown_ticks and self.world.tick == 1:
            self.sounds.play("go")
        self.effects.update(self.world, events)
        self.sounds.play_events(events)
        if self.observer is not None:
            self.observer(self.world, self.index)

    # --- draw ----------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        self.renderer.draw(surface.subsurface(ARENA_RECT), self.world, self.effects)
        statuses = (controller_status(self.controllers[0]), controller_status(self.controllers[1]))
        self.hud.draw_bar(surface, self.world, self.labels, statuses)
        self.hud.draw_help(surface, self.sounds.status)
        if self.ending:
            self.hud.draw_question(surface, self.questions[0][1] if self.questions else None, self.notes)
        elif self.world.over:
            self.hud.draw_banner(surface, self.world, self.esc_does)
        elif self.paused:
            self.hud.draw_pause(surface, self.esc_does)
        else:
            shown = self.countdown()
            if shown is not None:
                self.hud.draw_countdown(surface, *shown)
