"""The menu's opponent lists in groups: headings between the groups, never selectable."""

import numpy as np
import pygame
import pytest

from game.app.app import App
from game.app.layout import WINDOW_SIZE
from game.app.menu import BACK, HEADING_COLOR, ITEMS_TOP, LIST_HEIGHT, MenuScene, Opponent, list_rows
from game.app.play import MatchScene
from game.bots import BOTS
from keys import press

LEVELS, MINE, BOTS_GROUP = "Difficulty levels", "Your agents", "Bots"
GROUPED = (
    [Opponent("random", "Rookie", "easy  ·  Elo 1000", LEVELS), Opponent("rookie", "Pilot", "medium", LEVELS),
     Opponent("sniper", "Ace", "hard  ·  Elo 1600", LEVELS)]
    + [Opponent("circler", "mine-1", "Elo 1100", MINE), Opponent("spinner", "mine-2", "", MINE)]
    + [Opponent(b, b, "scripted", BOTS_GROUP) for b in ("idle", "aimbot", "rusher", "dodger", "sprayer")]
)


@pytest.fixture
def app():
    app = App(lambda spec: BOTS[spec](), GROUPED, seed=5, mute=True, countdown_s=0)
    yield app
    app.close()


def open_page(app: App, *keys: int) -> MenuScene:
    press(*keys)
    app.run(max_frames=1)
    return app.scene


def test_an_opponent_without_a_group_is_built_as_before():
    assert Opponent("aimbot", "aimbot") == Opponent("aimbot", "aimbot", "", "")
    assert Opponent("x", "X", "detail").group == "" and Opponent("x", "X", group="g").group == "g"


def test_rows_have_a_heading_where_the_group_changes():
    items = [Opponent("a", "a", group="G1"), Opponent("b", "b", group="G1"), Opponent("c", "c"),
             Opponent("d", "d", group="G2"), Opponent("e", "e", group="G1"), BACK]
    assert list_rows(items) == ["G1", 0, 1, 2, "G2", 3, "G1", 4, 5]
    assert list_rows([Opponent("a", "a"), BACK]) == [0, 1]  # no groups: no headings, as before


def test_the_opponent_page_opens_on_the_first_entry_under_its_heading(app):
    menu = open_page(app, pygame.K_DOWN, pygame.K_RETURN)  # Human vs AI
    page = menu.page
    assert page.kind == "opponent" and page.selected == 0 and page.top == 0
    headings = menu.heading_rects()
    assert [group for group, _ in headings] == [LEVELS, MINE]  # "Bots" is further down
    assert headings[0][1].top == ITEMS_TOP  # the first group's heading is the first row
    items = dict(menu.item_rects())
    assert headings[0][1].bottom < items[0].top and items[2].bottom < headings[1][1].top < items[3].top
    rows = [rect for _, rect in headings] + list(items.values())
    assert all(ITEMS_TOP <= r.top and r.bottom <= ITEMS_TOP + LIST_HEIGHT for r in rows)
    assert not any(a.colliderect(b) for i, a in enumerate(rows) for b in rows[i + 1:])


def test_headings_are_drawn_in_their_colour(app):
    menu = open_page(app, pygame.K_DOWN, pygame.K_RETURN)
    pixels = pygame.surfarray.pixels3d(app.screen).astype(int)
    for _, rect in menu.heading_rects():
        box = pixels[rect.left : rect.right, rect.top : rect.bottom]
        assert (np.abs(box - np.array(HEADING_COLOR)).max(axis=2) <= 10).sum() > 100  # the group's name


def test_up_and_down_go_through_the_entries_only_and_keep_them_in_view(app):
    menu = open_page(app, pygame.K_DOWN, pygame.K_RETURN)
    page = menu.page
    n = len(page.items)  # the opponents and Back
    seen = []
    for _ in range(n):
        press(pygame.K_DOWN)
        app.run(max_frames=1)
        seen.append(page.selected)
        visible = menu.item_rects()
        assert page.selected in dict(visible)
        rows = page.visible_rows()
        assert not isinstance(rows[-1][0], str)  # a heading is never left alone at the bottom
        if page.selected in (3, 5):  # the first of "Your agents", of "Bots": its heading is shown above it
            group = GROUPED[page.selected].group
            assert rows[[r for r, _ in rows].index(page.selected) - 1][0] == group
    assert seen == list(range(1, n)) + [0]  # every entry once, no stop on a heading, then round again
    assert page.top == 0
    press(pygame.K_UP)  # up from the first entry: round to Back, the list scrolled to the end
    app.run(max_frames=1)
    assert page.selected == n - 1 and page.items[page.selected] == BACK and page.top > 0


def test_a_click_on_a_heading_chooses_nothing(app):
    menu = open_page(app, pygame.K_DOWN, pygame.K_RETURN)
    _, heading = menu.heading_rects()[1]
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=heading.center, rel=(0, 0), buttons=(0, 0, 0)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=heading.center, button=1))
    app.run(max_frames=1)
    assert app.scene is menu and menu.outcome is None and menu.page.selected == 0
    rect = dict(menu.item_rects())[3]  # mine-1, under that heading
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=rect.center, button=1))
    app.run(max_frames=1)
    assert isinstance(app.scene, MatchScene) and (app.scene.setup.p1, app.scene.setup.p2) == ("human", "circler")


def test_the_bot_pages_still_open_on_the_aimbot_scrolled_into_view(app):
    menu = open_page(app, pygame.K_DOWN, pygame.K_DOWN, pygame.K_RETURN)  # Bot vs Bot
    page = menu.page
    assert page.kind == "bot1" and GROUPED[page.selected].spec == "aimbot" and page.selected in dict(menu.item_rects())
    press(pygame.K_RETURN, pygame.K_RETURN)  # Enter, Enter: the aimbot demo, as before
    app.run(max_frames=2)
    assert isinstance(app.scene, MatchScene) and (app.scene.setup.p1, app.scene.setup.p2) == ("aimbot", "aimbot")


def test_the_grouped_menu_fits_the_window(app):
    menu = open_page(app, pygame.K_DOWN, pygame.K_RETURN)
    window = pygame.Rect((0, 0), WINDOW_SIZE)
    assert all(window.contains(rect) for _, rect in menu.item_rects() + menu.heading_rects())
