"""Saving what the players see during a match, as PNG files a person can look at.

``python main.py play ... --save-observations DIR`` records with an :class:`ObservationRecorder`:
every ``every_ticks`` ticks it saves each player's observation, the (K, H, W) stack of gray
frames exactly as an agent receives it (made by :class:`game.env.PlayerEyes`), as one picture
with the K frames side by side, oldest first.
"""

from __future__ import annotations

from pathlib import Path

from game.env import PlayerEyes
from game.observation import ObservationConfig, save_observation
from game.world import World


class ObservationRecorder:
    """Saves both players' observations every ``every_ticks`` ticks into ``directory``.

    Files are named ``match001_tick000030_player1.png``: the match of the session (from 1), the
    world tick and the player. The first save of a match is at its first tick.
    """

    def __init__(self, directory: str | Path, observation: ObservationConfig = ObservationConfig(),
                 every_ticks: int = 30) -> None:
        if every_ticks < 1:
            raise ValueError("every_ticks must be at least 1")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.every_ticks = every_ticks
        self.eyes = (PlayerEyes(observation, 0), PlayerEyes(observation, 1))
        self.saved: list[Path] = []
        self._match: int | None = None
        self._last_saved: int | None = None

    def record(self, world: World, match: int) -> None:
        """Look at ``world`` (call once per tick, after it); save when a save is due.

        ``match`` numbers the matches of the session from 0; a new number starts new stacks.
        The players look on the ticks an agent decides on (every ``action_repeat`` ticks), so
        each saved stack is exactly the one an agent would decide from at that tick.
        """
        if match != self._match:
            self._match = match
            self._last_saved = None
            for eyes in self.eyes:
                eyes.reset()
        if not self.eyes[0].decide_now(world):
            return
        stacks = [eyes.look(world) for eyes in self.eyes]
        if self._last_saved is not None and world.tick - self._last_saved < self.every_ticks:
            return
        self._last_saved = world.tick
        for player, stack in enumerate(stacks):
            path = self.directory / f"match{match + 1:03d}_tick{world.tick:06d}_player{player + 1}.png"
            save_observation(stack, str(path))
            self.saved.append(path)
