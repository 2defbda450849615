"""Optional adapters for other libraries: ``pip install -e ".[rl]"`` brings Gymnasium and PettingZoo.

- :func:`register_gymnasium` registers ``"AsteroidsDuel-v0"`` (one player against a bot, see
  :class:`game.env.SingleAgentEnv`), so ``gymnasium.make("AsteroidsDuel-v0", opponent="aimbot")``
  works and Gymnasium-based trainers can use it.
- :func:`parallel_env` returns the two-player match as a real ``pettingzoo.ParallelEnv``.

Both are thin: the spaces are converted, and every call goes to the project's own env, so
the behaviour (rewards, seeding, episode ends) is exactly the one documented in
:mod:`game.env`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from game.env import DuelEnv, SingleAgentEnv

GYMNASIUM_ID = "AsteroidsDuel-v0"

try:
    import gymnasium
    from gymnasium import spaces as gym_spaces
except ImportError:  # the extra is not installed
    gymnasium = None

try:
    from pettingzoo import ParallelEnv
except ImportError:
    ParallelEnv = object  # type: ignore[assignment,misc]
    _HAVE_PETTINGZOO = False
else:
    _HAVE_PETTINGZOO = True


def _need(flag: bool, package: str) -> None:
    if not flag:
        raise ImportError(f"{package} is not installed; install the extra with: pip install -e \".[rl]\"")


if gymnasium is not None:

    class GymnasiumDuel(gymnasium.Env):
        """:class:`game.env.SingleAgentEnv` as a ``gymnasium.Env`` (same arguments)."""

        metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 30}

        def __init__(self, render_mode: str | None = None, **kwargs: Any) -> None:
            self.env = SingleAgentEnv(render_mode=render_mode, **kwargs)
            self.render_mode = render_mode
            self.metadata = dict(self.env.metadata)
            box = self.env.observation_space
            self.observation_space = gym_spaces.Box(0, 255, box.shape, np.uint8)
            self.action_space = gym_spaces.Discrete(self.env.action_space.n)

        def reset(self, *, seed: int | None = None, options: dict | None = None):
            super().reset(seed=seed)
            return self.env.reset(seed=seed, options=options)

        def step(self, action):
            return self.env.step(int(action))

        def render(self):
            return self.env.render()

        def close(self) -> None:
            self.env.close()


def register_gymnasium() -> str:
    """Register the single-player env with Gymnasium (idempotent); returns its id."""
    _need(gymnasium is not None, "gymnasium")
    if GYMNASIUM_ID not in gymnasium.registry:
        gymnasium.register(id=GYMNASIUM_ID, entry_point="game.adapters:GymnasiumDuel")
    return GYMNASIUM_ID


class PettingZooDuel(ParallelEnv):  # type: ignore[misc,valid-type]
    """:class:`game.env.DuelEnv` as a ``pettingzoo.ParallelEnv`` (same arguments)."""

    metadata = dict(DuelEnv.metadata)

    def __init__(self, render_mode: str | None = None, **kwargs: Any) -> None:
        _need(_HAVE_PETTINGZOO and gymnasium is not None, "pettingzoo")
        self.env = DuelEnv(render_mode=render_mode, **kwargs)
        self.render_mode = render_mode
        self.possible_agents = list(self.env.possible_agents)
        self.agents: list[str] = []
        box = self.env.observation_space("player_0")
        self.observation_spaces = {a: gym_spaces.Box(0, 255, box.shape, np.uint8) for a in self.possible_agents}
        self.action_spaces = {a: gym_spaces.Discrete(18) for a in self.possible_agents}

    def observation_space(self, agent: str):
        return self.observation_spaces[agent]

    def action_space(self, agent: str):
        return self.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            for i, agent in enumerate(self.possible_agents):  # so space.sample() is seeded too
                self.action_spaces[agent].seed(seed + i)
        observations, infos = self.env.reset(seed=seed, options=options)
        self.agents = list(self.env.agents)
        return observations, infos

    def step(self, actions: dict):
        result = self.env.step({agent: int(a) for agent, a in actions.items()})
        self.agents = list(self.env.agents)
        return result

    def render(self):
        return self.env.render()

    def state(self) -> np.ndarray:
        return self.env.state()

    def close(self) -> None:
        self.env.close()


def parallel_env(**kwargs: Any) -> PettingZooDuel:
    """The two-player match as a PettingZoo ParallelEnv."""
    return PettingZooDuel(**kwargs)
