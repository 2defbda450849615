"""Every gameplay constant of the duel, in one frozen dataclass.

Units are in the names: ``_px`` pixels, ``_px_s`` pixels per second, ``_px_s2`` pixels per
second squared, ``_rad_s`` radians per second, ``_s`` seconds. The simulation converts seconds
to whole ticks once (see the ``*_ticks`` properties) and then counts ticks only; nothing reads a
clock.

The values are the original browser game's (../shared/docs/original-game.md), converted from its
30 updates per second to our fixed 60 ticks per second where a rate was given per update.
Where the original was silent or broken, the choice is commented.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rules:
    """The rules of one match. Construct with keyword overrides for variants, e.g. ``Rules(lives=1)``."""

    # --- time -----------------------------------------------------------------------------
    tick_rate: int = 60  # simulation ticks per second (fixed step, never wall-clock)
    time_limit_s: float = 180.0  # a match still running after this is a draw

    # --- arena ----------------------------------------------------------------------------
    arena_width_px: int = 1200
    arena_height_px: int = 600

    # --- ships ----------------------------------------------------------------------------
    ship_radius_px: float = 18.0  # pentagon circumradius, also the collision radius
    ship_starts_px: tuple[tuple[float, float], tuple[float, float]] = ((400.0, 300.0), (800.0, 300.0))
    ship_start_heading_rad: float = -math.pi / 2  # pointing up (screen y grows downwards)
    ship_turn_rad_s: float = 4.5
    ship_thrust_px_s2: float = 1200.0  # original: "thrust adds speed"; reaches top speed in 0.3 s
    ship_drag_px_s2: float = 300.0  # linear decay of speed without thrust (original)
    ship_max_forward_px_s: float = 350.0
    ship_max_reverse_px_s: float = 350.0
    lives: int = 3
    respawn_delay_s: float = 3.0  # dead this long, then back where it died, at rest
    invulnerable_s: float = 1.5  # after respawn: asteroids and bullets pass through

    # --- bullets --------------------------------------------------------------------------
    bullet_speed_px_s: float = 1000.0
    bullet_radius_px: float = 2.0  # collision radius
    bullet_length_px: float = 18.0  # drawn streak
    fire_cooldown_s: float = 0.2

    # --- asteroids ------------------------------------------------------------------------
    # The original spawned with 0.4 % chance per 30 Hz update: 0.12 asteroids per second.
    asteroid_spawn_per_s: float = 0.12
    asteroid_spawn_edge_px: float = 120.0  # spawn within this distance of an edge
    asteroid_spawn_clearance_px: float = 120.0  # never spawn this close to a living ship (new)
    asteroid_start_count: int = 3  # on the field at the start (new: the original began empty)
    asteroid_max_count: int = 14  # the spawner pauses at this many (new: keeps the game bounded)
    asteroid_spawn_radii_px: tuple[float, ...] = (80.0, 40.0, 80.0 / 3.0)
    asteroid_spawn_weights: tuple[float, ...] = (0.2, 0.6, 0.2)
    asteroid_split_factor: float = 1.5  # a shot asteroid splits into two of radius / this
    asteroid_min_radius_px: float = 17.0  # pieces smaller than this are not made
    asteroid_speed_px_s: float = 20.0
    asteroid_retarget_s: float = 6.0  # picks a new random heading this often
    asteroid_turn_rad_s: float = 0.25  # and turns towards it this fast ("slowly turning")
    asteroid_spin_rad_s: float = math.pi / 64

    # --- score ----------------------------------------------------------------------------
    score_asteroid: int = 10
    score_kill: int = 50  # the killed ship's owner loses this, the other player gains it

    # --- derived values, in ticks (computed once, in __post_init__) -----------------------
    dt_s: float = field(init=False)
    time_limit_ticks: int = field(init=False)
    respawn_delay_ticks: int = field(init=False)
    invulnerable_ticks: int = field(init=False)
    fire_cooldown_ticks: int = field(init=False)
    asteroid_retarget_ticks: int = field(init=False)
    asteroid_spawn_chance_per_tick: float = field(init=False)

    def __post_init__(self) -> None:
        if self.tick_rate <= 0:
            raise ValueError("tick_rate must be positive")
        if abs(sum(self.asteroid_spawn_weights) - 1.0) > 1e-9:
            raise ValueError("asteroid_spawn_weights must sum to 1")
        if len(self.asteroid_spawn_weights) != len(self.asteroid_spawn_radii_px):
            raise ValueError("asteroid_spawn_weights and asteroid_spawn_radii_px differ in length")
        derived = {
            "dt_s": 1.0 / self.tick_rate,
            "time_limit_ticks": self.ticks(self.time_limit_s),
            "respawn_delay_ticks": self.ticks(self.respawn_delay_s),
            "invulnerable_ticks": self.ticks(self.invulnerable_s),
            "fire_cooldown_ticks": self.ticks(self.fire_cooldown_s),
            "asteroid_retarget_ticks": self.ticks(self.asteroid_retarget_s),
            "asteroid_spawn_chance_per_tick": self.asteroid_spawn_per_s / self.tick_rate,
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)  # frozen: set once here

    def ticks(self, seconds: float) -> int:
        """Whole ticks in ``seconds`` (rounded), the only conversion from time to ticks."""
        return int(round(seconds * self.tick_rate))


DEFAULT_RULES = Rules()
