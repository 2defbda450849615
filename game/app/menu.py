"""The main menu: pick who plays, then the match starts.

Pages: the main page (Human vs Human, Human vs AI, Bot vs Bot, Quit); for Human vs AI the
opponent (the first entry preselected); for Bot vs Bot the bot of player 1 and then of player 2
(aimbot preselected, so Enter, Enter gives the aimbot demo). The choices are :class:`Opponent`
entries given by the caller (bots and saved agents), each shown with its title and a line of
detail, in the caller's order; entries may belong to groups (e.g. "Difficulty levels", "Your
agents", "Bots"), and a heading is drawn wherever the group changes. Headings are not entries:
the keys and the mouse only ever select entries. Behind the menu a bot match plays, dimmed.

Controls: Up/Down (or W/S) choose, Enter or Space select, Esc goes back (quits on the main
page); the mouse points and clicks. M mutes and F11 toggles fullscreen. When the app can build
learning controllers, the "Human vs AI" page has a "Learn while playing" line: L (or a click on
it) turns it on or off, and while it is on the chosen saved agent learns from the match.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from game.app.hud import Hud
from game.app.layout import (
    ACCENT,
    ARENA_RECT,
    HELP_RECT,
    PANEL_BG,
    PANEL_EDGE,
    TEXT,
    TEXT_DIM,
    WARNING,
    WINDOW_SIZE,
    dim,
)
from game.bots import AimBot
from game.match import MatchSeries
from game.render import Effects, WorldRenderer

TITLE_TEXT = "ASTEROIDS DUEL"
DEFAULT_BOT = "aimbot"
ITEM_HEIGHT = 44
HEADING_HEIGHT = 30  # a group's heading takes a shorter row
MAX_VISIBLE_ITEMS = 8
LIST_HEIGHT = MAX_VISIBLE_ITEMS * ITEM_HEIGHT  # px; longer lists scroll
ITEMS_TOP = 268
PAGE_TITLE_Y = ITEMS_TOP - 34  # the page's title (and the learn toggle), above the "more above" hint
HEADING_SIZE = 22
HEADING_COLOR = (214, 182, 100)  # a quieter accent than the selected entry's
MENU_WIDTH = 420
LIST_WIDTH = 940  # the opponent pages: a title on the left, its detail on the right
LEARN_SIZE = 26  # font size of the "Learn while playing" line
HELP_TEXT = "Up/Down choose   Enter select   Esc back   M mute   F11 fullscreen"
LEARN_HELP_TEXT = "Up/Down choose   Enter select   L learn while playing   Esc back   M mute   F11 fullscreen"
LEARN_KEY = pygame.K_l
SELECT_KEYS = (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE)
UP_KEYS = (pygame.K_UP, pygame.K_w)
DOWN_KEYS = (pygame.K_DOWN, pygame.K_s)

HUMAN_VS_HUMAN = "Human vs Human"
HUMAN_VS_AI = "Human vs AI"
BOT_VS_BOT = "Bot vs Bot (demo)"
QUIT = "Quit"
BACK = "Back"
MAIN_ITEMS = (HUMAN_VS_HUMAN, HUMAN_VS_AI, BOT_VS_BOT, QUIT)


@dataclass(frozen=True)
class Opponent:
    """A choice on the opponent pages: the controller ``spec`` to play, its ``title`` in the list,
    a ``detail`` line (e.g. a saved agent's rating and training time), and the ``group`` it is
    listed under (its heading; "" for none). Entries of one group should be next to each other:
    a heading is drawn wherever the group changes."""

    spec: str
    title: str
    detail: str = ""
    group: str = ""


Item = Opponent | str  # the main page and "Back" are plain strings
Row = int | str  # in a page's list: an item (its index in ``items``) or a group's heading (its text)


def _group(item: Item) -> str:
    return item.group if isinstance(item, Opponent) else ""


def list_rows(items: list[Item]) -> list[Row]:
    """The rows of a list: each item's index, with a group's heading before the first item of
    each run of a (non-empty) group."""
    rows: list[Row] = []
    previous = ""
    for index, item in enumerate(items):
        group = _group(item)
        if group and group != previous:
            rows.append(group)
        previous = group
        rows.append(index)
    return rows


def _row_height(row: Row) -> int:
    return HEADING_HEIGHT if isinstance(row, str) else ITEM_HEIGHT


@dataclass
class Page:
    kind: str  # "main", "opponent", "bot1" or "bot2"
    title: str
    items: list[Item]
    selected: int = 0  # index in items (never a heading)
    top: int = 0  # first visible row when the list scrolls

    def __post_init__(self) -> None:
        self.rows = list_rows(self.items)

    def visible_rows(self) -> list[tuple[Row, int]]:
        """(row, y of its top) for the rows that fit in the list's height, from ``top`` down."""
        shown: list[tuple[Row, int]] = []
        y = ITEMS_TOP
        for row in self.rows[self.top :]:
            if y + _row_height(row) > ITEMS_TOP + LIST_HEIGHT:
                break
            shown.append((row, y))
            y += _row_height(row)
        if shown and isinstance(shown[-1][0], str):
            shown.pop()  # a heading with none of its entries under it waits for the next scroll
        return shown

    def scroll_to_selected(self) -> None:
        """Scroll the least so that the selected item is visible, with its group's heading when
        it is the first of its group."""
        row = self.rows.index(self.selected)
        if row > 0 and isinstance(self.rows[row - 1], str):
            row -= 1  # bring the heading along
        if row < self.top:
            self.top = row
        while self.selected not in [r for r, _ in self.visible_rows()]:
            self.top += 1


class MenuScene:
    """The menu screen. ``outcome`` becomes ``("play", p1, p2)`` (``("play", "human", spec, "learn")``
    for a learning opponent) or ``("quit",)`` when chosen.

    ``opponents`` are offered as AI opponents and demo bots, in their order;
    ``message`` is shown under the menu (e.g. why the last match could not start);
    ``can_learn`` offers the "Learn while playing" toggle on the "Human vs AI" page, starting
    at ``learn``.
    """

    def __init__(
        self, opponents: list[Opponent], hud: Hud, seed: int, message: str = "", can_learn: bool = False,
        learn: bool = False,
    ) -> None:
        if not opponents:
            raise ValueError("the menu needs at least one opponent")
        self.can_learn = can_learn
        self.learn = learn and can_learn
        self.opponents = list(opponents)
        self.hud = hud
        self.fonts = hud.fonts
        self.message = message
        self.outcome: tuple[str, ...] | None = None
        self.pages = [Page("main", "", list(MAIN_ITEMS))]
        self._p1_bot = ""
        # the demo behind the menu: aimbot against aimbot, a new match whenever one ends
        self._demo_series = MatchSeries(seed)
        self._demo_index = -1
        self._demo_bots = (AimBot(aim_noise_rad=0.05), AimBot(aim_noise_rad=0.05))
        self._renderer = WorldRenderer()
        self._next_demo()

    @property
    def page(self) -> Page:
        return self.pages[-1]

    # --- events --------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.outcome = ("quit",)
        elif event.type == pygame.KEYDOWN:
            if event.key in UP_KEYS:
                self._move(-1)
            elif event.key in DOWN_KEYS:
                self._move(1)
            elif event.key in SELECT_KEYS:
                self._choose(self.page.items[self.page.selected])
            elif event.key == pygame.K_ESCAPE:
                self._back()
            elif event.key == LEARN_KEY and self.learn_offered:
                self.learn = not self.learn
        elif event.type == pygame.MOUSEMOTION:
            index = self.item_at(event.pos)
            if index is not None:
                self.page.selected = index
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and self._learn_clicked(event.pos):
            self.learn = not self.learn
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            index = self.item_at(event.pos)
            if index is not None:
                self.page.selected = index
                self._choose(self.page.items[index])

    def _move(self, step: int) -> None:
        page = self.page
        page.selected = (page.selected + step) % len(page.items)
        page.scroll_to_selected()

    def _open(self, kind: str, title: str) -> None:
        items: list[Item] = [*self.opponents, BACK]
        page = Page(kind, title, items)
        specs = [o.spec for o in self.opponents]
        if kind != "opponent" and DEFAULT_BOT in specs:  # a person's opponent: the caller's first choice
            page.selected = specs.index(DEFAULT_BOT)
            page.scroll_to_selected()
        self.pages.append(page)

    def _back(self) -> None:
        if len(self.pages) == 1:
            self.outcome = ("quit",)
        else:
            self.pages.pop()

    def _choose(self, item: Item) -> None:
        if item == BACK:  # a string; an Opponent (even one called "Back") never equals it
            self._back()
        elif self.page.kind == "main":
            if item == HUMAN_VS_HUMAN:
                self.outcome = ("play", "human", "human")
            elif item == HUMAN_VS_AI:
                self._open("opponent", "Choose your opponent")
            elif item == BOT_VS_BOT:
                self._open("bot1", "Player 1 bot")
            elif item == QUIT:
                self.outcome = ("quit",)
        elif isinstance(item, Opponent):
            kind = self.page.kind
            if kind == "opponent":
                self.outcome = ("play", "human", item.spec, "learn") if self.learn else ("play", "human", item.spec)
            elif kind == "bot1":
                self._p1_bot = item.spec
                self._open("bot2", "Player 2 bot")
            elif kind == "bot2":
                self.outcome = ("play", self._p1_bot, item.spec)

    # --- layout --------------------------------------------------------------------------
    def _row_rects(self) -> list[tuple[Row, pygame.Rect]]:
        """(row, screen rect) of the rows visible on the current page, headings included."""
        page = self.page
        width = MENU_WIDTH if page.kind == "main" else LIST_WIDTH
        left = (WINDOW_SIZE[0] - width) // 2
        return [(row, pygame.Rect(left, y, width, _row_height(row) - 6)) for row, y in page.visible_rows()]

    def item_rects(self) -> list[tuple[int, pygame.Rect]]:
        """(item index, screen rect) of the items visible on the current page."""
        return [(row, rect) for row, rect in self._row_rects() if isinstance(row, int)]

    def heading_rects(self) -> list[tuple[str, pygame.Rect]]:
        """(group, screen rect) of the group headings visible on the current page."""
        return [(row, rect) for row, rect in self._row_rects() if isinstance(row, str)]

    @property
    def learn_offered(self) -> bool:
        """True on the "Human vs AI" page when the toggle is available."""
        return self.can_learn and self.page.kind == "opponent"

    def learn_text(self) -> str:
        return f"Learn while playing: {'on' if self.learn else 'off'} (L)"

    def learn_rect(self) -> pygame.Rect:
        """Where the toggle line is: right-aligned with the list, on the row of the page title."""
        width, height = self.fonts.font(LEARN_SIZE).size(self.learn_text())
        right = (WINDOW_SIZE[0] + LIST_WIDTH) // 2
        return pygame.Rect(right - width, PAGE_TITLE_Y - height // 2, width, height)

    def _learn_clicked(self, pos: tuple[int, int]) -> bool:
        return self.learn_offered and self.learn_rect().inflate(12, 12).collidepoint(pos)

    def item_at(self, pos: tuple[int, int]) -> int | None:
        for index, rect in self.item_rects():
            if rect.collidepoint(pos):
                return index
        return None

    # --- input and update: the demo behind the menu ---------------------------------------
    def _next_demo(self) -> None:
        self._demo_index += 1
        match = self._demo_series.match(self._demo_index)
        self._demo = match.new_world()
        self._effects = Effects(seed=match.world_seed)
        match.reset(self._demo_bots)

    def read_input(self) -> tuple[int, int]:
        return (self._demo_bots[0].act(self._demo, 0), self._demo_bots[1].act(self._demo, 1))

    def update(self, actions: tuple[int, int]) -> None:
        if self._demo.over:
            self._next_demo()
            return
        events = self._demo.step(actions)
        self._effects.update(self._demo, events)

    # --- draw ----------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        self._renderer.draw(surface.subsurface(ARENA_RECT), self._demo, self._effects)
        self.hud.draw_bar(surface, self._demo, ("demo", "demo"))
        dim(surface, surface.get_rect(), 165)
        surface.fill(PANEL_BG, HELP_RECT)
        cx = WINDOW_SIZE[0] // 2
        self.fonts.blit(surface, TITLE_TEXT, 112, ACCENT, center=(cx, 130))
        self.fonts.blit(surface, "two ships, one arena, three lives each", 28, TEXT_DIM, center=(cx, 188))
        page = self.page
        if page.title:
            self.fonts.blit(surface, page.title, 32, TEXT, center=(cx, PAGE_TITLE_Y))
        for group, rect in self.heading_rects():
            self._draw_heading(surface, group, rect)
        for index, rect in self.item_rects():
            selected = index == page.selected
            if selected:
                panel = pygame.Surface(rect.size, pygame.SRCALPHA)
                panel.fill((*PANEL_BG, 220))
                surface.blit(panel, rect)
                pygame.draw.rect(surface, ACCENT, rect, 2, border_radius=6)
            self._draw_item(surface, page.items[index], rect, selected)
        rows = self._row_rects()
        if page.top > 0:
            self.fonts.blit(surface, "more above", 20, TEXT_DIM, midbottom=(cx, rows[0][1].top - 2))
        if page.top + len(rows) < len(page.rows):
            self.fonts.blit(surface, "more below", 20, TEXT_DIM, midtop=(cx, rows[-1][1].bottom + 2))
        if self.message:
            self.fonts.blit(surface, self.message, 24, WARNING, center=(cx, ARENA_RECT.bottom - 30))
        if self.learn_offered:
            self.fonts.blit(surface, self.learn_text(), LEARN_SIZE, ACCENT if self.learn else TEXT_DIM,
                            topleft=self.learn_rect().topleft)
        pygame.draw.line(surface, PANEL_EDGE, HELP_RECT.topleft, HELP_RECT.topright)
        help_text = LEARN_HELP_TEXT if self.learn_offered else HELP_TEXT
        self.fonts.blit(surface, help_text, 20, TEXT_DIM, center=HELP_RECT.center)

    def _draw_heading(self, surface: pygame.Surface, group: str, rect: pygame.Rect) -> None:
        """A group's name at the left of its row, and a thin rule from it to the list's right edge."""
        y = rect.bottom - 8
        text = self.fonts.blit(surface, group.upper(), HEADING_SIZE, HEADING_COLOR, bottomleft=(rect.left + 14, y + 5))
        pygame.draw.line(surface, PANEL_EDGE, (text.right + 12, y), (rect.right - 14, y))

    def _draw_item(self, surface: pygame.Surface, item: Item, rect: pygame.Rect, selected: bool) -> None:
        """A plain item centred; an opponent's title on the left and its detail on the right."""
        color = ACCENT if selected else TEXT
        if not isinstance(item, Opponent):
            self.fonts.blit(surface, item, 34, color, center=rect.center)
            return
        detail = self.fonts.blit(surface, item.detail, 22, TEXT if selected else TEXT_DIM,
                                 midright=(rect.right - 14, rect.centery)) if item.detail else None
        room = (detail.left if detail else rect.right) - rect.left - 40
        self.fonts.blit(surface, _fit(self.fonts.font(32), item.title, room), 32, color,
                        midleft=(rect.left + 14, rect.centery))


def _fit(font: pygame.font.Font, text: str, width: int) -> str:
    """``text``, shortened with '...' at the end if it is wider than ``width`` pixels."""
    if font.size(text)[0] <= width:
        return text
    while text and font.size(text + "...")[0] > width:
        text = text[:-1]
    return text + "..."
