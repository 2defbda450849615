"""The countdown before every match in the window: 3, 2, 1 while the world stands still, then GO."""

import numpy as np
import pygame
import pytest

from game.app.app import App
from game.app.hud import Hud
from game.app.layout import ACCENT, ARENA_RECT, WINDOW_SIZE, Fonts
from game.app.menu import MenuScene, Opponent
from game.app.play import COUNTDOWN_STEP_S, GO_S, MatchScene, MatchSetup
from game.app.sound import Sounds
from game.bots import BOTS
from game.rules import DEFAULT_RULES
from game.seeding import match_seeds
from game.world import World
from keys import press

STEP = DEFAULT_RULES.ticks(COUNTDOWN_STEP_S)  # frames each number is shown
COUNTDOWN = 3 * STEP  # frames before the first tick
GO = DEFAULT_RULES.ticks(GO_S)


class Counting:
    """A scripted bot that also counts how often it was asked for an action."""

    def __init__(self, spec: str) -> None:
        self.bot = BOTS[spec]()
        self.calls = 0

    def reset(self, seed=None):
        self.bot.reset(seed)

    def act(self, world, player):
        self.calls += 1
        return self.bot.act(world, player)


def frames(scene: MatchScene, n: int) -> None:
    """``n`` frames of the scene's input and update phases, as the app's loop runs them, but
    without drawing or waiting for the clock (the app's own loop keeps 60 frames per second)."""
    for _ in range(n):
        scene.update(scene.read_input())


@pytest.fixture
def apps():
    """Builds Apps with the default countdown and closes them after the test."""
    made = []

    def build(*args, **kwargs):
        app = App(*args, mute=True, **kwargs)
        made.append(app)
        return app

    yield build
    for app in made:
        app.close()


def bot_match(apps, p1: str, p2: str, seed: int = 11) -> App:
    bots = (Counting(p1), Counting(p2))
    return apps(lambda spec: BOTS[spec](), [], seed=seed, start=MatchSetup(p1, p2, seed), start_controllers=bots)


def headless(p1: str, p2: str, seed: int, ticks: int) -> World:
    """Match 0 of the series played without any window: the reference the window must match."""
    world_seed, s0, s1 = match_seeds(seed, 0)
    world = World(seed=world_seed)
    bots = (BOTS[p1](), BOTS[p2]())
    bots[0].reset(s0)
    bots[1].reset(s1)
    for _ in range(ticks):
        world.step((bots[0].act(world, 0), bots[1].act(world, 1)))
    return world


def near(surface: pygame.Surface, color, rect: pygame.Rect = ARENA_RECT) -> int:
    """How many pixels of ``rect`` are within a few levels of ``color``."""
    pixels = pygame.surfarray.pixels3d(surface.subsurface(rect)).astype(int)
    return int((np.abs(pixels - np.array(color)).max(axis=2) <= 8).sum())


def green(surface: pygame.Surface, rect: pygame.Rect = ARENA_RECT) -> int:
    """How many pixels of ``rect`` are clearly green (nothing else in the arena is): the see-through GO."""
    pixels = pygame.surfarray.pixels3d(surface.subsurface(rect)).astype(int)
    return int((pixels[..., 1] - pixels[..., [0, 2]].max(axis=2) > 40).sum())


def test_the_countdown_lasts_about_two_seconds():
    assert 0.5 <= COUNTDOWN_STEP_S <= 1.0 and COUNTDOWN == 126  # 3 x 0.7 s at 60 frames per second


def test_the_world_stands_still_during_the_countdown_then_plays_as_headless(apps):
    app = bot_match(apps, "sprayer", "spinner")  # both fire all the time once they may
    start = World(seed=match_seeds(11, 0)[0]).snapshot()
    scene, world = app.scene, app.scene.world
    app.run(max_frames=2)  # the window's loop
    frames(scene, COUNTDOWN - 2)
    assert world.tick == 0 and world.bullets == [] and world.snapshot() == start
    assert [c.calls for c in scene.controllers] == [0, 0]  # nobody was even asked to act

    app.run(max_frames=1)  # the first frame after the countdown is the first tick
    assert world.tick == 1 and [c.calls for c in scene.controllers] == [1, 1]
    frames(scene, 59)
    assert world.tick == 60 and len(world.bullets) > 0
    assert world.snapshot() == headless("sprayer", "spinner", 11, 60).snapshot()  # the same match, only later


def test_each_number_is_shown_for_its_step_then_go_over_the_first_moments_of_play(apps):
    app = bot_match(apps, "idle", "idle")
    scene = app.scene
    assert scene.countdown() == ("3", 0.0)  # before the first frame too
    seen = []
    for _ in range(COUNTDOWN + GO + 5):
        frames(scene, 1)
        shown = scene.countdown()
        seen.append((shown[0] if shown else None, scene.world.tick))
    assert seen == ([("3", 0)] * STEP + [("2", 0)] * STEP + [("1", 0)] * STEP
                    + [("GO", t) for t in range(1, GO + 1)] + [(None, t) for t in range(GO + 1, GO + 6)])


def test_the_numbers_and_go_are_drawn_big_over_the_arena():
    pygame.font.init()
    scene = MatchScene(MatchSetup("idle", "idle", 2), (BOTS["idle"](), BOTS["idle"]()), Sounds(enabled=False),
                       Hud(Fonts()))
    surface = pygame.Surface(WINDOW_SIZE)
    drawn = {}  # what is shown -> (accent pixels, green pixels) on its first frame, at full strength
    for _ in range(COUNTDOWN + GO + 1):
        shown = scene.countdown()
        if shown is not None and shown[1] == 0.0:
            scene.draw(surface)
            drawn[shown[0]] = (near(surface, ACCENT), green(surface))
        scene.update(scene.read_input())
    assert set(drawn) == {"3", "2", "1", "GO"}
    for number in ("3", "2", "1"):  # in the accent colour, thousands of pixels big
        assert drawn[number][0] > 1500 and drawn[number][1] == 0, drawn
    assert drawn["GO"][1] > 3000 and drawn["GO"][0] == 0, drawn
    scene.draw(surface)
    assert scene.countdown() is None and near(surface, ACCENT) == green(surface) == 0


def test_pausing_during_the_countdown_holds_it(apps):
    app = bot_match(apps, "idle", "idle")
    scene = app.scene
    frames(scene, 10)
    press(pygame.K_p)
    app.run(max_frames=1)
    frames(scene, 50)
    assert scene.paused and scene.countdown_left == COUNTDOWN - 10 and scene.countdown()[0] == "3"
    press(pygame.K_p)  # resume
    app.run(max_frames=1)
    frames(scene, COUNTDOWN - 11)
    assert not scene.paused and scene.world.tick == 0
    frames(scene, 1)
    assert scene.world.tick == 1


def test_play_again_counts_down_again(apps):
    app = bot_match(apps, "aimbot", "idle")
    scene = app.scene
    while not scene.world.over:  # the countdown, then the whole match, without drawing
        scene.update(scene.read_input())
    press(pygame.K_r)
    app.run(max_frames=1)
    frames(scene, COUNTDOWN - 1)
    assert scene.index == 1 and scene.world.tick == 0 and scene.world.bullets == []
    app.run(max_frames=1)
    assert scene.world.tick == 1


def test_a_match_chosen_on_the_menu_counts_down(apps):
    app = apps(lambda spec: BOTS[spec](), [Opponent("sprayer", "sprayer")], seed=5)
    press(pygame.K_DOWN, pygame.K_RETURN, pygame.K_RETURN)  # Human vs AI, the sprayer
    app.run(max_frames=1)
    assert isinstance(app.scene, MatchScene) and app.scene.labels[0].startswith("Human")
    frames(app.scene, COUNTDOWN - 1)
    assert app.scene.world.tick == 0 and app.scene.world.bullets == []
    frames(app.scene, 30)
    assert app.scene.world.tick == 30 and len(app.scene.world.bullets) > 0
    press(pygame.K_ESCAPE, pygame.K_ESCAPE)
    app.run(max_frames=1)
    assert isinstance(app.scene, MenuScene)


def test_no_countdown_when_asked_for_none(apps):
    app = apps(lambda spec: BOTS[spec](), [], seed=3, start=MatchSetup("idle", "idle", 3),
               start_controllers=(BOTS["idle"](), BOTS["idle"]()), countdown_s=0)
    assert app.scene.countdown() is None
    app.run(max_frames=1)
    assert app.scene.world.tick == 1 and app.scene.countdown() is None
    with pytest.raises(ValueError, match="countdown_s"):
        MatchScene(MatchSetup("idle", "idle", 3), (BOTS["idle"](), BOTS["idle"]()), Sounds(enabled=False),
                   Hud(Fonts()), countdown_s=-1)

