"""What the agent sees: the arena drawn small, in gray, from one player's point of view.

The frame is drawn with pygame straight at the small size (no HUD, the arena's 2:1 aspect kept),
with the human view's ship and bullet shapes (:mod:`game.geometry`) but filled shapes and gray
levels chosen so the network can tell its own things from the opponent's:

=====================  ==========  =================================================
thing                  gray level  why
=====================  ==========  =================================================
background             0
opponent's sight line  32          the opponent's heading, so shots can be dodged
asteroid               64          filled disc
own sight line / nose  96          where the own gun points (the heading, readable)
opponent's bullet      128
opponent's ship        160 (112)   in parentheses: while it is invulnerable
own bullet             192
own ship               255 (208)   in parentheses: while it is invulnerable
=====================  ==========  =================================================

Ships are drawn ``ship_scale`` times their collision size and carry a nose line that goes on as
a thin *sight line* ``sight_px`` long: at a few pixels per ship the pentagon alone does not show
its heading to better than about 20 degrees, while a line tens of pixels long shows it to about
a degree (see tests/test_observation.py, which recovers headings from frames).

Ego view: player 2's frame is drawn mirrored left to right (x -> arena width - x), so both
players see themselves starting on the left; the environment mirrors player 2's left/right
actions to match. Drawing the mirrored scene (rather than flipping pixels) makes the two views
of mirror-image situations identical to the pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from game.geometry import bullet_streak, ship_outline
from game.world import World


@dataclass(frozen=True)
class ObservationConfig:
    """How observations are drawn and stacked. The defaults are the ones the agent learns with."""

    # The arena is drawn width x height (its 2:1 aspect kept: 13.6 arena px per pixel), and
    # ``margin`` black pixels are added below and to the right: 92 x 48 frames by default. The
    # default network's windows (8x8 stride 4, then 4x4 stride 2) read the first 44 rows and 92
    # columns of such a frame, i.e. every pixel of the arena. (Agents trained with the earlier
    # defaults, 96 x 48 and no margin, never see the last 50 arena px along the bottom and far
    # walls; see docs/learning-log.md. Files saved before the margin existed have none:
    # saved_observation.)
    width: int = 88  # px
    height: int = 44
    frames: int = 2  # the last K frames are stacked, oldest first
    action_repeat: int = 2  # ticks each decision is held (60 ticks/s -> 30 decisions/s)
    ship_scale: float = 1.6  # ships are drawn this many times their collision radius
    sight_px: float = 400.0  # length of the sight line from a ship's centre, arena px (0: none)
    mirror_player2: bool = True  # player 2 sees the arena mirrored left to right
    ego_view: bool = True  # add a view turned with the own ship (centre, nose to the right)
    ego_span_px: float = 1600.0  # arena px across the ego view's width
    margin: int = 4

    def __post_init__(self) -> None:
        if self.width != 2 * self.height:
            raise ValueError(f"observation must keep the arena's 2:1 aspect, got {self.width} x {self.height}")
        if self.height < 8 or self.frames < 1 or self.action_repeat < 1:
            raise ValueError("observation height must be >= 8, frames and action_repeat >= 1")
        if not 0 <= self.margin <= self.height:
            raise ValueError(f"the frame margin must be between 0 and the frame height {self.height} (got {self.margin})")

    @property
    def views(self) -> int:
        """Images drawn per frame: the arena, plus the ego view if asked for."""
        return 2 if self.ego_view else 1

    @property
    def shape(self) -> tuple[int, int, int]:
        """(K * views, H + margin, W + margin) of one player's observation: frames oldest first,
        views within a frame."""
        return (self.frames * self.views, self.height + self.margin, self.width + self.margin)


def saved_observation(values: dict) -> dict:
    """The observation settings written in an agent file or a checkpoint, with the ones older
    files lack filled in as those files were drawn (not with today's defaults): files saved
    before the margin existed had none."""
    return {"margin": 0, **values}


# gray levels, see the module docstring
BACKGROUND = 0
OPPONENT_SIGHT = 32
ASTEROID = 64
OWN_SIGHT = 96
OPPONENT_BULLET = 128
OPPONENT_SHIP = 160
OPPONENT_SHIP_INVULNERABLE = 112
OWN_BULLET = 192
OWN_SHIP = 255
OWN_SHIP_INVULNERABLE = 208


class ObservationRenderer:
    """Draws one player's current frame of a world into a (H, W) uint8 array.

    Keeps one small 8-bit surface per player and a NumPy view of its pixels, so a frame costs
    only the draw calls and one copy.
    """

    def __init__(self, config: ObservationConfig = ObservationConfig()) -> None:
        import pygame  # here, not at the top: importing the observation settings never loads pygame

        self.config = config
        self._surfaces = []
        self._pixels = []  # (W, H) views; .T is the (H, W) frame
        for _ in range(config.views):
            surface = pygame.Surface((config.width, config.height), depth=8)
            surface.set_palette([(i, i, i) for i in range(256)])
            self._surfaces.append(surface)
            self._pixels.append(pygame.surfarray.pixels2d(surface))
        # the margin's pixels are never drawn on: they stay black
        self._frames = [np.zeros((config.views, *config.shape[1:]), np.uint8) for _ in range(2)]

    def draw(self, world: World, player: int) -> np.ndarray:
        """Draw ``player``'s view of ``world``: a (V, H + margin, W + margin) uint8 array (V = 2
        with the ego view).

        The array is overwritten by the next ``draw`` for the same player: copy it to keep it.
        """
        cfg = self.config
        rules = world.rules
        out = self._frames[player]
        scale = cfg.height / rules.arena_height_px
        mirror = cfg.mirror_player2 and player == 1
        if mirror:  # the mirrored view draws every x as (arena width - x); headings h become pi - h
            x0 = rules.arena_width_px * scale

            def arena_point(x: float, y: float) -> tuple[float, float]:
                return x0 - x * scale, y * scale

            def arena_angle(h: float) -> float:
                return math.pi - h
        else:

            def arena_point(x: float, y: float) -> tuple[float, float]:
                return x * scale, y * scale

            def arena_angle(h: float) -> float:
                return h

        self._draw_scene(0, world, player, arena_point, arena_angle, scale, cfg.sight_px, True)
        h, w = cfg.height, cfg.width
        out[0, :h, :w] = self._pixels[0].T
        if cfg.ego_view:
            me = world.ships[player]
            # the own ship in the (possibly mirrored) arena, then the arena turned about it
            mx, my = (rules.arena_width_px - me.x if mirror else me.x), me.y
            mh = arena_angle(me.heading)
            cos_h, sin_h = math.cos(mh), math.sin(mh)
            ego_scale = cfg.width / cfg.ego_span_px
            half_w, half_h = cfg.width / 2, cfg.height / 2
            sign = -1.0 if mirror else 1.0
            wx = rules.arena_width_px if mirror else 0.0

            def ego_point(x: float, y: float) -> tuple[float, float]:
                dx, dy = wx + sign * x - mx, y - my
                return (half_w + (dx * cos_h + dy * sin_h) * ego_scale,
                        half_h + (dy * cos_h - dx * sin_h) * ego_scale)

            def ego_angle(h: float) -> float:
                return arena_angle(h) - mh

            # the own sight line would be the same line in every ego frame: only the opponent's is drawn
            self._draw_scene(1, world, player, ego_point, ego_angle, ego_scale, cfg.ego_span_px, False)
            out[1, :h, :w] = self._pixels[1].T
        return out

    def _draw_scene(self, layer, world, player, point, angle, scale, sight_px, own_sight) -> None:
        """Draw the scene on surface ``layer`` through the map ``point`` / ``angle`` at ``scale``."""
        import pygame

        cfg = self.config
        rules = world.rules
        surface = self._surfaces[layer]
        self._pixels[layer].fill(BACKGROUND)
        draw_line = pygame.draw.line
        draw_circle = pygame.draw.circle
        for a in world.asteroids:
            draw_circle(surface, ASTEROID, point(a.x, a.y), max(a.radius * scale, 1.0))

        ships = world.ships
        if sight_px > 0:
            for ship in ships:
                if ship.alive and (own_sight or ship.player != player):
                    color = OWN_SIGHT if ship.player == player else OPPONENT_SIGHT
                    end = point(ship.x + math.cos(ship.heading) * sight_px, ship.y + math.sin(ship.heading) * sight_px)
                    draw_line(surface, color, point(ship.x, ship.y), end)

        for b in world.bullets:
            color = OWN_BULLET if b.owner == player else OPPONENT_BULLET
            tail, head = bullet_streak(b, rules)
            draw_line(surface, color, point(*tail), point(*head))

        radius = rules.ship_radius_px * cfg.ship_scale * scale
        for ship in ships:
            if not ship.alive:
                continue
            own = ship.player == player
            if ship.invulnerable:
                color = OWN_SHIP_INVULNERABLE if own else OPPONENT_SHIP_INVULNERABLE
            else:
                color = OWN_SHIP if own else OPPONENT_SHIP
            cx, cy = point(ship.x, ship.y)
            corners = ship_outline(cx, cy, angle(ship.heading), max(radius, 1.5))
            pygame.draw.polygon(surface, color, corners)
            # the nose line: from the centre out through the nose, in the sight line's gray
            draw_line(surface, OWN_SIGHT if own else OPPONENT_SIGHT, (cx, cy), corners[0])



def observation_image(stack: np.ndarray, zoom: int = 4, gap: int = 2) -> "pygame.Surface":
    """A picture of a (K, H, W) observation: the K frames side by side, oldest first, enlarged."""
    import pygame

    frames, height, width = stack.shape
    canvas = np.full((height * zoom, frames * (width * zoom + gap) - gap), 40, np.uint8)
    for k in range(frames):
        big = np.kron(stack[k], np.ones((zoom, zoom), np.uint8))
        x = k * (width * zoom + gap)
        canvas[:, x : x + width * zoom] = big
    rgb = np.repeat(canvas.T[:, :, None], 3, axis=2)
    return pygame.surfarray.make_surface(rgb)


def save_observation(stack: np.ndarray, path: str, zoom: int = 4) -> None:
    """Save a (K, H, W) observation as a PNG a person can look at."""
    import pygame

    pygame.image.save(observation_image(stack, zoom), path)
