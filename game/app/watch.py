"""The watch screen: a learning agent's live match, what it sees and thinks, and how it learns.

``python main.py watch`` opens this window while the agent trains in another process. The main
view is a display match of the learner (player 1, blue), drawn as a person sees the game; the
side panel shows the stacked frames the agent received for its latest decision (enlarged), the
activations of its first convolution layer on them, its action probabilities and value; below
the match are charts of the training (win rate against the bots, Elo, episode length, entropy,
samples per second) and the league of opponents with their ratings.

Keys: Space pauses the shown match (training goes on), + / - change its speed, Tab shows the
next display match, S saves a checkpoint now, L pauses or resumes learning, H hides the panel
(the arena then takes the whole width, under a bar as wide, and H shows the panel again),
Esc (or closing the window, or Ctrl-C in the terminal) saves and stops. The window can be
resized (it is scaled). The first Ctrl-C saves and stops like Esc; a second one gives up at
once, keeping the last checkpoint.

Everything shown comes from a :class:`WatchSource` (``agent.watch.WatchBackend`` in the
program): this module never learns and never imports the agent. A frame runs the usual phases:
events -> update (take in training messages, advance the shown match by its speed) -> draw ->
tick at 60 frames per second. Slow pieces (the frames, the feature maps, the bars, the charts)
are redrawn only when their data changes and blitted from a cache otherwise.
"""

from __future__ import annotations

import signal
import time
from collections import deque
from contextlib import contextmanager
from typing import Callable, Iterator, Mapping, Protocol, Sequence

import numpy as np
import pygame

from game.app.app import open_window
from game.app.hud import Hud
from game.app.layout import (
    ACCENT, ARENA_RECT, FPS, HUD_RECT, PANEL_BG, PANEL_EDGE, TEXT, TEXT_DIM, WARNING, Fonts, dim, panel,
)
from game.app.watch_panel import draw_eyes, draw_feature_maps, draw_league, draw_probabilities
from game.charts import PANEL_STYLE, Chart, Series, draw_chart
from game.render import PLAYER_COLORS, Effects, WorldRenderer
from game.world import Event, World

WATCH_SIZE = (1600, 900)  # logical window size; pygame.SCALED fits it to the window
PANEL_RECT = pygame.Rect(ARENA_RECT.right, 0, WATCH_SIZE[0] - ARENA_RECT.right, 876)
CHARTS_RECT = pygame.Rect(0, ARENA_RECT.bottom, ARENA_RECT.width, PANEL_RECT.bottom - ARENA_RECT.bottom)
HELP_RECT = pygame.Rect(0, PANEL_RECT.bottom, WATCH_SIZE[0], WATCH_SIZE[1] - PANEL_RECT.bottom)
# with the panel hidden: a bar as wide as the window, the match line in a strip under it, and the
# arena as wide as the window, down to the help line
WIDE_HUD_RECT = pygame.Rect(0, 0, WATCH_SIZE[0], HUD_RECT.height)
INFO_RECT = pygame.Rect(0, WIDE_HUD_RECT.bottom, WATCH_SIZE[0], HELP_RECT.top - WIDE_HUD_RECT.bottom - WATCH_SIZE[0] // 2)
BIG_ARENA_RECT = pygame.Rect(0, INFO_RECT.bottom, WATCH_SIZE[0], WATCH_SIZE[0] // 2)
MARGIN = 12
CHART_WIDTH = 180
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # world ticks per frame of the shown match
FRAME_WINDOW = 600  # frames over which the panel reports frame times
UPDATE_BUDGET_S = 0.010  # a frame advances the shown match for at most this long: at high speeds
# on a slow machine the match runs slower than asked instead of the window dropping frames
HELP_TEXT = ("Space pause match   +/- speed   Tab next match   S save now   L pause learning   "
             "H {} panel   Esc save & quit   (resize the window freely)")  # H hide / show
TITLE = "Asteroids Duel - watching an agent learn"


class WatchSource(Protocol):
    """What the watch screen shows and commands; ``agent.watch.WatchBackend`` provides it."""

    match_names: Sequence[str]  # the display matches, in Tab order
    shown: int  # index of the shown one
    name: str  # the agent's name
    step_count: int  # samples learned from so far
    update: int  # updates so far
    elo: float
    progress: float  # share of the budget spent, 0..1
    learning: bool  # False while learning is paused
    stopping: bool  # asked to stop (saving)
    finished: bool  # the training process has ended (saved, or failed: see ``error``)
    error: str | None
    note: str  # the latest thing that happened, for the status line
    updates_received: int  # grows with every metrics row received
    league: Sequence[Mapping]  # League.table() rows
    playing: Mapping[str, int]  # training matches against each league member right now

    def poll(self) -> None: ...  # take in the training process's messages, never blocking

    def select(self, index: int) -> None: ...

    def step(self) -> list[Event]: ...  # one tick of the shown match

    def save(self) -> None: ...

    def set_learning(self, on: bool) -> None: ...

    def stop(self) -> None: ...

    @property
    def world(self) -> World: ...

    @property
    def match_key(self) -> tuple[int, int]: ...  # changes when another world is shown

    @property
    def players(self) -> tuple[str, str]: ...

    @property
    def tally(self) -> Mapping[str, int]: ...  # the learner's wins/draws/losses in the shown match

    @property
    def decisions(self) -> int: ...  # grows with every decision of the shown agent

    @property
    def views(self) -> int: ...  # images per frame in the observation (1, or 2 with the ego view)

    @property
    def observation_stack(self) -> np.ndarray | None: ...  # (K, H, W) uint8 of the latest decision

    @property
    def feature_maps(self) -> np.ndarray | None: ...  # (F, h, w): first conv layer on that stack

    @property
    def probabilities(self) -> np.ndarray | None: ...  # (18,)

    @property
    def value(self) -> float: ...

    @property
    def action(self) -> int | None: ...

    @property
    def evaluations(self) -> bool: ...  # whether win rates against the bots are measured

    @property
    def series(self): ...  # .points: {"eval_random", "eval_aimbot", "elo", ...: [(step, value)]}


class _Cached:
    """A piece of the screen drawn on its own surface and redrawn only when its key changes.

    ``on_screen`` says whether the window already shows the latest drawing: the window surface
    keeps its pixels between frames, so an unchanged piece is not even blitted again.
    """

    def __init__(self, rect: pygame.Rect) -> None:
        self.rect = rect
        self.surface = pygame.Surface(rect.size)
        self.key: object = object()
        self.on_screen = False

    def stale(self, key: object) -> bool:
        if key == self.key:
            return False
        self.key = key
        self.on_screen = False
        return True

    def show(self, target: pygame.Surface, again: bool) -> None:
        """Blit the drawing unless the target shows it already (``again``: it may not)."""
        if again or not self.on_screen:
            target.blit(self.surface, self.rect)
            self.on_screen = True

    @property
    def local(self) -> pygame.Rect:
        return self.surface.get_rect()


class WatchScreen:
    """The watch screen's state, events, update and drawing (the window loop is :class:`WatchApp`)."""

    def __init__(self, source: WatchSource, fonts: Fonts) -> None:
        self.source = source
        self.fonts = fonts
        self.hud = Hud(fonts)
        self.renderer = WorldRenderer()
        self.paused = False
        self.speed = SPEEDS.index(1.0)
        self.panel_shown = True
        self.owed_ticks = 0.0
        self.effects = Effects(seed=0)
        self.effects_key: tuple[int, int] | None = None
        self.frame_ms: deque[float] = deque(maxlen=FRAME_WINDOW)
        self.frames_recorded = 0
        self.frame_stats = (0.0, 0.0)  # median and 99th percentile of frame_ms, refreshed each second
        self.redraw_all = True  # the next draw repaints everything (first frame, panel shown again, ...)
        self.bar_rects: list[pygame.Rect] = []  # the probability bars, in window coordinates
        x, w = PANEL_RECT.x + MARGIN, PANEL_RECT.width - 2 * MARGIN
        self.status = _Cached(pygame.Rect(x, MARGIN, w, 112))
        self.eyes = _Cached(pygame.Rect(x, self.status.rect.bottom + 6, w, 24 + 96 * source.views))
        self.maps = _Cached(pygame.Rect(x, self.eyes.rect.bottom + 8, w, 190))
        bars_top = self.maps.rect.bottom + 8
        self.bars = _Cached(pygame.Rect(x, bars_top, w, PANEL_RECT.bottom - bars_top - 8))
        charts_w = CHART_WIDTH * 5
        self.charts = _Cached(pygame.Rect(CHARTS_RECT.x, CHARTS_RECT.y, charts_w, CHARTS_RECT.height))
        self.league = _Cached(pygame.Rect(charts_w, CHARTS_RECT.y, CHARTS_RECT.width - charts_w, CHARTS_RECT.height))
        self.help = _Cached(HELP_RECT)

    # --- timing and the end --------------------------------------------------------------
    def frame_drawn(self, interval_ms: float) -> None:
        """Record the time since the previous frame (the panel shows their median and 99th percentile)."""
        self.frame_ms.append(interval_ms)
        self.frames_recorded += 1
        if self.frames_recorded % FPS == 0:
            times = sorted(self.frame_ms)
            self.frame_stats = (times[len(times) // 2], times[min(len(times) - 1, int(0.99 * len(times)))])

    @property
    def done(self) -> bool:
        """True when the training process has ended (saved), so the window can close."""
        return self.source.finished

    def request_stop(self) -> None:
        self.source.stop()

    # --- events --------------------------------------------------------------------------

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.request_stop()
        elif event.type in (pygame.VIDEOEXPOSE, pygame.WINDOWEXPOSED, pygame.WINDOWSIZECHANGED):
            self.redraw_all = True
        elif event.type == pygame.KEYDOWN:
            self.handle_key(event.key, event.unicode if hasattr(event, "unicode") else "")

    def handle_key(self, key: int, text: str = "") -> None:
        source = self.source
        if key == pygame.K_ESCAPE:
            self.request_stop()
        elif key == pygame.K_SPACE:
            self.paused = not self.paused
        elif key in (pygame.K_PLUS, pygame.K_KP_PLUS, pygame.K_EQUALS) or text == "+":
            self.speed = min(self.speed + 1, len(SPEEDS) - 1)
        elif key in (pygame.K_MINUS, pygame.K_KP_MINUS) or text == "-":
            self.speed = max(self.speed - 1, 0)
        elif key == pygame.K_TAB:
            source.select(source.shown + 1)
            self.owed_ticks = 0.0
        elif key == pygame.K_s:
            source.save()
        elif key == pygame.K_l:
            source.set_learning(not source.learning)
        elif key == pygame.K_h:
            self.panel_shown = not self.panel_shown
            self.redraw_all = True

    # --- update --------------------------------------------------------------------------
    def update(self) -> None:
        """Take in training messages, then advance the shown match by this frame's ticks."""
        self.source.poll()
        if self.paused:
            return
        self.owed_ticks += SPEEDS[self.speed]
        started = time.perf_counter()
        while self.owed_ticks >= 1.0 and time.perf_counter() - started < UPDATE_BUDGET_S:
            self.owed_ticks -= 1.0
            self._sync_effects()
            events = self.source.step()
            self._sync_effects()
            self.effects.update(self.source.world, events)
        self.owed_ticks %= 1.0  # ticks the budget had no time for are dropped, not owed

    def _sync_effects(self) -> None:
        """A different world on screen (new match, or Tab) starts with no dust."""
        if self.source.match_key != self.effects_key:
            self.effects_key = self.source.match_key
            self.effects.clear()

    # --- draw ----------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        source = self.source
        self._sync_effects()
        world = source.world
        if self.panel_shown:
            arena, info = ARENA_RECT, None
            self.hud.draw_bar(surface, world, source.players)
        else:
            arena, info = BIG_ARENA_RECT, INFO_RECT
            self.hud.draw_bar(surface, world, source.players, rect=WIDE_HUD_RECT)
        self.renderer.draw(surface.subsurface(arena), world, self.effects)
        self._draw_overlay(surface, arena, info)
        again, self.redraw_all = self.redraw_all, False
        if self.panel_shown:
            if again:
                surface.fill(PANEL_BG, PANEL_RECT)
                pygame.draw.line(surface, PANEL_EDGE, PANEL_RECT.topleft, PANEL_RECT.bottomleft)
            for piece, draw in ((self.status, self._draw_status), (self.eyes, self._draw_eyes),
                                (self.maps, self._draw_maps), (self.bars, self._draw_bars),
                                (self.charts, self._draw_charts), (self.league, self._draw_league)):
                draw(piece)
                piece.show(surface, again)
        if self.help.stale(self.panel_shown):
            self.help.surface.fill(PANEL_BG)
            pygame.draw.line(self.help.surface, PANEL_EDGE, (0, 0), (HELP_RECT.width, 0))
            self.fonts.blit(self.help.surface, self.help_text, 20, TEXT_DIM, center=self.help.local.center)
        self.help.show(surface, again)

    @property
    def help_text(self) -> str:
        """The keys, with what H does now."""
        return HELP_TEXT.format("hide" if self.panel_shown else "show")

    def _draw_overlay(self, surface: pygame.Surface, arena: pygame.Rect, info: pygame.Rect | None) -> None:
        """Which match this is, its speed and tally (in ``info``, else over the arena); PAUSED; the
        result at the end of a match."""
        source = self.source
        names = source.match_names
        tally = source.tally
        speed = SPEEDS[self.speed]
        line = (f"{names[source.shown]} ({source.shown + 1}/{len(names)}, Tab: next)   match {source.match_key[1] + 1}"
                f"   learner {tally['wins']} won, {tally['draws']} drawn, {tally['losses']} lost"
                f"   speed x{speed:g}")
        if info is None:
            self.fonts.blit(surface, line, 20, TEXT_DIM, topleft=(arena.x + 10, arena.y + 8))
        else:
            surface.fill(PANEL_BG, info)
            pygame.draw.line(surface, PANEL_EDGE, (info.left, info.bottom - 1), (info.right, info.bottom - 1))
            self.fonts.blit(surface, line, 20, TEXT_DIM, midleft=(info.x + 10, info.centery))
        world = source.world
        cx, cy = arena.center
        if world.over:
            dim(surface, arena, 80)
            if world.winner is None:
                title, color = "Draw", ACCENT
            else:
                title = f"{source.players[world.winner]} (player {world.winner + 1}) wins"
                color = PLAYER_COLORS[world.winner]
            panel(surface, pygame.Rect(0, 0, 620, 110).move(cx - 310, cy - 55), color)
            self.fonts.blit(surface, title, 52, color, center=(cx, cy - 14))
            self.fonts.blit(surface, "the next match follows", 24, TEXT_DIM, center=(cx, cy + 30))
        elif self.paused:
            panel(surface, pygame.Rect(0, 0, 520, 100).move(cx - 260, cy - 50), ACCENT)
            self.fonts.blit(surface, "MATCH PAUSED", 56, ACCENT, center=(cx, cy - 12))
            self.fonts.blit(surface, "learning goes on; Space resumes", 24, TEXT, center=(cx, cy + 28))

    def _draw_status(self, piece: _Cached) -> None:
        s = self.source
        p50, p99 = self.frame_stats
        if s.error:
            state, color = s.error, WARNING
        elif s.finished:
            state, color = "training finished and saved", ACCENT
        elif s.stopping:
            state, color = "saving and stopping...", WARNING
        else:
            state, color = ("learning", TEXT) if s.learning else ("learning paused (L resumes)", WARNING)
        key = (s.step_count, s.update, s.note, state, round(p50), round(p99), round(100 * s.progress))
        if not piece.stale(key):
            return
        out = piece.surface
        out.fill(PANEL_BG)
        self.fonts.blit(out, f"Learning: {s.name}", 30, ACCENT, topleft=(0, 0))
        self.fonts.blit(out, f"{s.step_count:,} samples   update {s.update}   Elo {s.elo:.0f}", 22, TEXT,
                        topleft=(0, 28))
        self.fonts.blit(out, f"budget {s.progress:.0%} spent   -   {state}", 20, color, topleft=(0, 50))
        self.fonts.blit(out, s.note[:64], 18, TEXT_DIM, topleft=(0, 72))
        self.fonts.blit(out, f"frame time {p50:.0f} ms, 99th percentile {p99:.0f} ms", 18, TEXT_DIM, topleft=(0, 92))

    def _draw_eyes(self, piece: _Cached) -> None:
        s = self.source
        if piece.stale((s.match_key, s.decisions)):
            draw_eyes(piece.surface, piece.local, self.fonts, s.observation_stack, s.views)

    def _draw_maps(self, piece: _Cached) -> None:
        s = self.source
        if piece.stale((s.match_key, s.decisions)):
            draw_feature_maps(piece.surface, piece.local, self.fonts, s.feature_maps)

    def _draw_bars(self, piece: _Cached) -> None:
        s = self.source
        if piece.stale((s.match_key, s.decisions)):
            rects = draw_probabilities(piece.surface, piece.local, self.fonts, s.probabilities, s.action, s.value)
            self.bar_rects = [r.move(piece.rect.topleft) for r in rects]

    def _draw_charts(self, piece: _Cached) -> None:
        s = self.source
        if not piece.stale(s.updates_received):
            return
        points = s.series.points
        rect = pygame.Rect(0, 0, CHART_WIDTH, piece.rect.height)
        no_eval = "waiting for an evaluation" if s.evaluations else "evaluations are off"
        charts = (
            ("Win rate vs bots", [("random", points["eval_random"]), ("aimbot", points["eval_aimbot"])],
             (0.0, 1.0), "{:.2f}", no_eval),
            ("Elo (league)", [("", points["elo"])], None, "{:.0f}", "no data yet"),
            ("Episode length, s", [("", points["episode_s"])], None, "{:.1f}", "no match has ended"),
            ("Policy entropy", [("", points["entropy"])], None, "{:.2f}", "no data yet"),
            ("Samples per second", [("", points["steps_per_s"])], None, "{:.0f}", "no data yet"),
        )
        for k, (title, lines, y_range, fmt, empty) in enumerate(charts):
            chart = Chart(title, "samples", "", [_latest_series(label, line, fmt) for label, line in lines], y_range,
                          empty)
            draw_chart(piece.surface, rect.move(k * CHART_WIDTH, 0), chart, self.fonts, PANEL_STYLE)

    def _draw_league(self, piece: _Cached) -> None:
        s = self.source
        if piece.stale(s.updates_received):
            draw_league(piece.surface, piece.local, self.fonts, s.league, s.playing)


def _latest_series(label: str, points: Sequence[tuple[float, float]], fmt: str) -> Series:
    """(step, value) points as a chart series whose legend also says the latest value."""
    latest = fmt.format(points[-1][1]) if points else "-"
    return Series(f"{label} {latest}" if label else latest, [x for x, _ in points], [y for _, y in points])


class WatchApp:
    """The watch window and its loop. ``run`` draws frames until training has ended (or ``max_frames``).

    ``prepare``, if given, is called once the window is open and says "starting", before the
    source is first read: ``main.py`` starts the training process there, so a missing display
    fails before any training starts. If it raises, the window is closed again.
    """

    def __init__(
        self, source: WatchSource, fullscreen: bool = False, prepare: Callable[[], None] | None = None
    ) -> None:
        self.screen = open_window(fullscreen, WATCH_SIZE, TITLE)
        self.fonts = Fonts()
        if prepare is not None:
            self.screen.fill(PANEL_BG)
            self.fonts.blit(self.screen, "starting the training process...", 40, TEXT,
                            center=self.screen.get_rect().center)
            pygame.display.flip()
            try:
                prepare()
            except BaseException:
                self.close()
                raise
        self.watch = WatchScreen(source, self.fonts)
        self.clock = pygame.time.Clock()
        self.frames = 0
        self.frame_intervals_ms: list[float] = []  # flip to flip, every frame
        self.frame_work_ms: list[float] = []  # events + update + draw + flip, every frame
        self.interrupts = 0
        self._last_flip: float | None = None

    def run(self, max_frames: int | None = None) -> bool:
        """Run frames until training has ended or ``max_frames`` more frames ran; True when it has ended."""
        frames = 0
        while not self.watch.done and (max_frames is None or frames < max_frames):
            started = time.perf_counter()
            # events
            for event in pygame.event.get():
                self.watch.handle_event(event)
            # update
            self.watch.update()
            # draw
            self.watch.draw(self.screen)
            pygame.display.flip()
            now = time.perf_counter()
            self.frame_work_ms.append(1000 * (now - started))
            if self._last_flip is not None:
                interval = 1000 * (now - self._last_flip)
                self.frame_intervals_ms.append(interval)
                self.watch.frame_drawn(interval)
            self._last_flip = now
            # tick
            self.clock.tick(FPS)
            frames += 1
            self.frames += 1
        return self.watch.done

    @contextmanager
    def ctrl_c_stops(self) -> Iterator[None]:
        """While inside: the first Ctrl-C saves and stops like Esc, a second one raises KeyboardInterrupt."""

        def on_sigint(signum, frame) -> None:
            self.interrupts += 1
            if self.interrupts > 1:
                raise KeyboardInterrupt
            self.watch.request_stop()

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def save_screenshot(self, path: str) -> None:
        """The last frame drawn, as a PNG."""
        pygame.image.save(self.screen, path)

    def close(self) -> None:
        pygame.font.quit()
        pygame.display.quit()


def run_watch(source: WatchSource, fullscreen: bool = False, prepare: Callable[[], None] | None = None) -> WatchApp:
    """Open the window, ``prepare()``, and show ``source`` until its training has ended; Ctrl-C saves and stops."""
    app = WatchApp(source, fullscreen, prepare)
    try:
        with app.ctrl_c_stops():
            app.run()
    finally:
        app.close()
    return app
