"""A screenshot of a match in progress, drawn off-screen by the game's own code (no window needed).

``save_screenshot("assets/screenshot.png", seed=29)`` plays aimbot against random headless for a
few seconds of match time and saves the full window picture: HUD bar, arena and help line.
"""

from __future__ import annotations

import os

import pygame

from game.app.hud import Hud
from game.app.layout import WINDOW_SIZE, Fonts
from game.app.play import MatchScene, MatchSetup
from game.app.sound import Sounds
from game.bots import BOTS

SCREENSHOT_SECONDS = 7.5  # match time before the picture is taken: mid-fight for seed 29


def render_match_frame(
    seed: int, seconds: float = SCREENSHOT_SECONDS, p1: str = "aimbot", p2: str = "random"
) -> pygame.Surface:
    """The window's picture after ``seconds`` of a match between two of the scripted bots."""
    started_fonts = not pygame.font.get_init()
    pygame.font.init()
    try:
        fonts = Fonts()
        setup = MatchSetup(p1, p2, seed)
        scene = MatchScene(setup, (BOTS[p1](), BOTS[p2]()), Sounds(enabled=False), Hud(fonts),
                           countdown_s=0)  # the picture is of the fight, not of its start
        for _ in range(scene.rules.ticks(seconds)):
            scene.update(scene.read_input())
        surface = pygame.Surface(WINDOW_SIZE)
        scene.draw(surface)
        return surface
    finally:
        if started_fonts:
            pygame.font.quit()


def save_screenshot(path: str, seed: int = 29, seconds: float = SCREENSHOT_SECONDS) -> None:
    """Save a PNG of an aimbot vs random match ``seconds`` in, seeded with ``seed``."""
    surface = render_match_frame(seed, seconds)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    pygame.image.save(surface, path)
