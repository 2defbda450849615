"""The window, its loop, the menu and the match screen, run headless with posted events."""

import pygame
import pytest

from game.app import run_match
from game.app.app import App
from game.app.layout import ARENA_RECT, HUD_RECT, PANEL_BG, WINDOW_SIZE
from game.app.menu import MenuScene, Opponent, _fit
from game.app.play import MatchScene, MatchSetup
from game.app.screenshot import save_screenshot
from game.bots import BOTS
from game.controllers import CheckedController, ControllerError
from game.seeding import match_seeds
from game.render import BACKGROUND
from game.world import World
from keys import press

OPPONENTS = [Opponent("random", "random", "holds random actions"), Opponent("aimbot", "aimbot"),
             Opponent("spinner", "The Spinner", "turns and fires")]
SPECS = [o.spec for o in OPPONENTS]


def make_controller(spec: str):
    if spec not in BOTS:
        raise ControllerError(f"there is no controller called {spec!r}")
    return BOTS[spec]()


def click(pos: tuple[int, int]) -> None:
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))


@pytest.fixture
def apps():
    """Builds Apps and closes them after the test, whatever happens. Their matches start without
    the countdown (``countdown_s=0``), so frames are ticks; the countdown has its own tests."""
    made = []

    def build(**kwargs):
        kwargs.setdefault("mute", True)
        kwargs.setdefault("countdown_s", 0)
        app = App(make_controller, OPPONENTS, **kwargs)
        made.append(app)
        return app

    yield build
    for app in made:
        app.close()


def bot_match(apps, seed: int = 11, p1: str = "aimbot", p2: str = "random") -> App:
    setup = MatchSetup(p1, p2, seed)
    return apps(seed=seed, start=setup, start_controllers=(BOTS[p1](), BOTS[p2]()))


def test_one_world_tick_per_frame_same_as_headless(apps):
    app = bot_match(apps)
    assert app.run(max_frames=120) is None  # still going
    assert app.frames == 120
    world = app.scene.world
    assert world.tick == 120

    # the same match played headless, with the seeds of match 0 of the series
    world_seed, s0, s1 = match_seeds(11, 0)
    headless = World(seed=world_seed)
    bots = (BOTS["aimbot"](), BOTS["random"]())
    bots[0].reset(s0)
    bots[1].reset(s1)
    for _ in range(120):
        headless.step((bots[0].act(headless, 0), bots[1].act(headless, 1)))
    assert world.snapshot() == headless.snapshot()


def test_run_match_headless_writes_screenshot(tmp_path):
    path = tmp_path / "shots" / "last.png"
    run_match("aimbot", "random", make_controller, seed=3, mute=True, max_frames=30, screenshot=str(path))
    assert not pygame.display.get_init()  # the window was closed
    image = pygame.image.load(str(path))
    assert image.get_size() == (1200, 672) == WINDOW_SIZE
    assert tuple(image.get_at((ARENA_RECT.centerx, ARENA_RECT.top + 5)))[:3] == BACKGROUND
    assert tuple(image.get_at((HUD_RECT.centerx - 150, HUD_RECT.centery)))[:3] == PANEL_BG


def test_pause_stops_ticks_and_escape_from_pause_quits_a_direct_match(apps):
    app = bot_match(apps)
    app.run(max_frames=10)
    assert app.scene.world.tick == 10
    press(pygame.K_p)
    app.run(max_frames=15)
    assert app.scene.paused and app.scene.world.tick == 10
    press(pygame.K_p)  # resume
    app.run(max_frames=5)
    assert app.scene.world.tick == 15
    press(pygame.K_ESCAPE)
    app.run(max_frames=5)
    assert app.scene.paused and app.scene.world.tick == 15
    press(pygame.K_ESCAPE)  # Esc on the pause screen leaves; a direct match then quits
    assert app.run(max_frames=5) == "quit"


def test_r_restarts_with_the_next_seed_after_the_match(apps):
    app = bot_match(apps, p1="aimbot", p2="idle")
    scene = app.scene
    press(pygame.K_r)  # during play R does nothing
    app.run(max_frames=2)
    assert scene.index == 0 and scene.world.tick == 2
    while not scene.world.over:  # play the rest headless, quickly
        scene.update(scene.read_input())
    assert scene.world.winner == 0
    app.run(max_frames=3)
    assert scene.world.over and not scene.running  # finished matches do not tick
    press(pygame.K_r)
    app.run(max_frames=4)
    assert scene.index == 1 and scene.world.tick == 4
    assert scene.world.seed == match_seeds(11, 1)[0]


def test_menu_starts_a_bot_demo_and_quits(apps):
    app = apps(seed=5)
    assert isinstance(app.scene, MenuScene)
    # main menu: Human vs Human, Human vs AI, Bot vs Bot, Quit; both bot pages preselect aimbot
    press(pygame.K_DOWN, pygame.K_DOWN, pygame.K_RETURN, pygame.K_RETURN, pygame.K_RETURN)
    assert app.run(max_frames=10) is None
    assert isinstance(app.scene, MatchScene)
    assert (app.scene.setup.p1, app.scene.setup.p2) == ("aimbot", "aimbot")
    assert app.scene.world.tick == 10
    press(pygame.K_ESCAPE, pygame.K_ESCAPE)  # pause, then back to the menu
    app.run(max_frames=2)
    assert isinstance(app.scene, MenuScene)
    press(pygame.K_UP, pygame.K_RETURN)  # from the first item up wraps round to Quit
    assert app.run(max_frames=50) == "quit"
    assert app.frames == 12


def test_menu_by_mouse_starts_human_vs_chosen_bot(apps):
    app = apps(seed=5)
    menu = app.scene
    rect = dict(menu.item_rects())[1]  # Human vs AI
    click(rect.center)
    app.run(max_frames=1)
    assert menu.page.kind == "opponent"
    rect = dict(menu.item_rects())[SPECS.index("spinner")]
    click(rect.center)
    app.run(max_frames=3)
    assert isinstance(app.scene, MatchScene)
    assert (app.scene.setup.p1, app.scene.setup.p2) == ("human", "spinner")
    assert app.scene.labels[0].startswith("Human")


def test_escape_backs_out_of_menu_pages_and_quits(apps):
    app = apps(seed=5)
    press(pygame.K_DOWN, pygame.K_DOWN, pygame.K_RETURN, pygame.K_RETURN)  # on "Player 2 bot"
    app.run(max_frames=1)
    assert app.scene.page.kind == "bot2"
    press(pygame.K_ESCAPE, pygame.K_ESCAPE)
    app.run(max_frames=1)
    assert app.scene.page.kind == "main"
    press(pygame.K_ESCAPE)
    assert app.run(max_frames=5) == "quit"


def test_window_close_quits_and_m_mutes(apps):
    app = apps(seed=5, mute=False)
    press(pygame.K_m)
    app.run(max_frames=1)
    assert app.sounds.muted
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert app.run(max_frames=5) == "quit"


class BrokenBot:
    def reset(self, seed=None):
        pass

    def act(self, world, player):
        return 99 if world.tick >= 5 else 0


def test_failing_controller_ends_a_direct_match_with_its_message():
    def make(spec):
        return CheckedController(BrokenBot(), "broken") if spec == "broken" else make_controller(spec)

    with pytest.raises(ControllerError, match="'broken' returned 99"):
        run_match("aimbot", "broken", make, seed=1, mute=True, max_frames=100, countdown_s=0)
    assert not pygame.display.get_init()


def test_failing_controller_in_the_app_returns_to_the_menu_with_its_message(apps):
    app = apps(seed=5)
    app.make_controller = lambda spec: CheckedController(BrokenBot(), spec)
    press(pygame.K_DOWN, pygame.K_RETURN, pygame.K_RETURN)  # Human vs AI, the preselected opponent
    app.run(max_frames=20)
    assert isinstance(app.scene, MenuScene)
    assert "returned 99" in app.scene.message


def test_unknown_opponent_shows_the_reason_on_the_menu(apps):
    app = App(make_controller, [Opponent("nobody", "Nobody")], seed=5, mute=True)
    try:
        press(pygame.K_DOWN, pygame.K_RETURN, pygame.K_RETURN)
        app.run(max_frames=2)
        assert isinstance(app.scene, MenuScene)
        assert app.scene.message == "there is no controller called 'nobody'"
    finally:
        app.close()


def test_save_screenshot_draws_a_match_in_progress(tmp_path):
    path = tmp_path / "screenshot.png"
    save_screenshot(str(path), seed=3)
    image = pygame.image.load(str(path))
    assert image.get_size() == WINDOW_SIZE
    arena = pygame.surfarray.pixels3d(image)[:, ARENA_RECT.top : ARENA_RECT.bottom]
    is_background = (arena == BACKGROUND).all(axis=2)
    assert 0.9 < is_background.mean() < 0.999  # mostly slate gray, with things drawn on it


def test_opponent_page_shows_titles_and_details_and_plays_the_spec(apps):
    opponents = [Opponent("aimbot", "Back", "an agent may be called Back: it is not the Back item"),
                 Opponent("random", "x" * 200, "a title too long is shortened, not drawn over its detail")]
    app = App(make_controller, opponents, seed=5, mute=True)
    try:
        press(pygame.K_DOWN, pygame.K_RETURN)  # Human vs AI
        app.run(max_frames=1)
        page = app.scene.page
        assert [item.title if isinstance(item, Opponent) else item for item in page.items] == ["Back", "x" * 200, "Back"]
        assert page.selected == 0  # the aimbot entry, whatever its title
        rects = dict(app.scene.item_rects())
        assert rects[0].width > 800  # room for a title and a detail line
        font = app.fonts.font(32)
        assert font.size(_fit(font, "x" * 200, 300))[0] <= 300 < font.size("x" * 200)[0]
        press(pygame.K_RETURN)  # the first entry, titled "Back", is still the aimbot
        app.run(max_frames=2)
        assert isinstance(app.scene, MatchScene)
        assert (app.scene.setup.p1, app.scene.setup.p2) == ("human", "aimbot")
    finally:
        app.close()
