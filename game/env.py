"""The door between the game and the agent: environments that speak in frames and actions.

Three shapes of the same match, all built on :class:`Match`:

- :class:`DuelEnv`: both players, PettingZoo *parallel* shape (dicts keyed by agent name);
- :class:`BatchDuelEnv`: N matches stepped together with NumPy arrays and automatic reset, for
  training;
- :class:`SingleAgentEnv`: one player against any controller, Gymnasium shape.

Observations are stacks of the last K gray frames drawn by :mod:`game.observation` (uint8,
shape (K, H, W), player 2's view mirrored); each decision is held for ``action_repeat`` ticks.
A player may instead be driven by a *controller* (a bot, or any ``act(world, player)``), which
is asked every tick, like in the interactive game: scripted opponents keep their full reaction
speed and the action given for that player in ``step`` is ignored.

Rewards (per player, per step; by default the game's score change divided by the kill score, 50;
other weights can be given with a :class:`RewardConfig`):

=================================  ======
event                              reward
=================================  ======
the opponent's ship destroyed      +1.0
own ship destroyed (any way)       -1.0
shoot an asteroid                  +0.2
=================================  ======

A match is *terminated* when a player has no lives left and *truncated* when it reaches the
rules' time limit (a draw). ``infos`` carry ``score``, ``lives``, ``winner`` (0, 1, None) and
the match statistics (``shots``, ``hits``, ``asteroids_shot``, ``deaths``, ``tick``).

Seeding: ``reset(seed=s)`` makes match j (counting resets from that one) use world seed
``SeedSequence([s, j])``; in a batch seeded with s, match slot i is seeded as
``DuelEnv.reset(seed=BatchDuelEnv.slot_seed(s, i))`` would be, so a batch replays the same
sequence of matches every time, whatever order its matches end in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from game.actions import MIRRORED, NUM_ACTIONS
from game.bots import BOTS
from game.controllers import Controller, as_controller
from game.observation import ObservationConfig, ObservationRenderer
from game.rules import DEFAULT_RULES, Rules
from game.seeding import derive_seed
from game.spaces import Box, Discrete
from game.world import World

__all__ = [
    "AGENTS", "BatchDuelEnv", "DuelEnv", "Match", "ObservationConfig", "PlayerEyes", "RewardConfig", "Rules",
    "SingleAgentEnv", "World", "derive_seed", "match_info",
]

AGENTS = ("player_0", "player_1")
_MIRROR = np.array(MIRRORED, dtype=np.int64)


@dataclass(frozen=True)
class RewardConfig:
    """Reward per event for each player; the defaults equal the game's score change / 50."""

    kill: float = 1.0  # the opponent's ship destroyed, by any cause (as the score counts it)
    death: float = -1.0  # the own ship destroyed
    asteroid: float = 0.2  # an asteroid shot


def match_info(world: World) -> dict[str, Any]:
    """Score, lives, winner and statistics of a match, as carried in ``infos``."""
    s0, s1 = world.ships
    return {
        "tick": world.tick,
        "winner": world.winner,
        "timed_out": world.timed_out,
        "score": (s0.score, s1.score),
        "lives": (s0.lives, s1.lives),
        "shots": (s0.shots, s1.shots),
        "hits": (s0.hits, s1.hits),
        "asteroids_shot": (s0.asteroids_shot, s1.asteroids_shot),
        "deaths": (s0.deaths, s1.deaths),
    }


class Match:
    """One match seen by both players: the world, their frame stacks, action repeat, rewards.

    ``stack`` is a (2, K, H, W) uint8 array (given, so a batch can own one big buffer) that
    always holds both players' current observations.
    """

    def __init__(
        self,
        rules: Rules = DEFAULT_RULES,
        observation: ObservationConfig = ObservationConfig(),
        stack: np.ndarray | None = None,
        renderer: ObservationRenderer | None = None,
        rewards: RewardConfig = RewardConfig(),
    ) -> None:
        self.rules = rules
        self.config = observation
        self.rewards = rewards
        self.renderer = renderer or ObservationRenderer(observation)
        self.stack = np.zeros((2, *observation.shape), np.uint8) if stack is None else stack
        self.world = World(rules, seed=0)
        self.controllers: list[Controller | None] = [None, None]
        self.base_seed: int | None = None
        self.match_index = 0

    def reset(self, seed: int | None = None) -> None:
        """Start the next match; a seed restarts the numbering of matches from that seed."""
        if seed is not None:
            self.base_seed, self.match_index = int(seed), 0
        elif self.base_seed is None:
            self.base_seed, self.match_index = int(np.random.SeedSequence().entropy % 2**63), 0
        else:
            self.match_index += 1
        world_seed = derive_seed(self.base_seed, self.match_index)
        self.world.reset(world_seed)
        for player, controller in enumerate(self.controllers):
            if controller is not None:
                controller.reset(derive_seed(world_seed, player + 1))
        views = self.config.views
        for player in (0, 1):
            frame = self.renderer.draw(self.world, player)
            for k in range(self.config.frames):
                self.stack[player, k * views : (k + 1) * views] = frame

    def step(self, action0: int, action1: int) -> tuple[float, float]:
        """Hold the two actions for ``action_repeat`` ticks (or until the match ends); rewards."""
        world = self.world
        s0, s1 = world.ships
        deaths0, deaths1, rocks0, rocks1 = s0.deaths, s1.deaths, s0.asteroids_shot, s1.asteroids_shot
        if self.config.mirror_player2:
            action1 = MIRRORED[action1]
        c0, c1 = self.controllers
        for _ in range(self.config.action_repeat):
            if world.over:
                break
            world.step((
                action0 if c0 is None else c0.act(world, 0),
                action1 if c1 is None else c1.act(world, 1),
            ))
        stack = self.stack
        views = self.config.views
        stack[:, :-views] = stack[:, views:]
        draw = self.renderer.draw
        stack[0, -views:] = draw(world, 0)
        stack[1, -views:] = draw(world, 1)
        w = self.rewards
        died0, died1 = s0.deaths - deaths0, s1.deaths - deaths1
        return (
            w.kill * died1 + w.death * died0 + w.asteroid * (s0.asteroids_shot - rocks0),
            w.kill * died0 + w.death * died1 + w.asteroid * (s1.asteroids_shot - rocks1),
        )

    @property
    def terminated(self) -> bool:
        return self.world.over and not self.world.timed_out

    def state_dict(self) -> dict:
        """The match mid-flight, JSON-compatible except ``stack`` (an array)."""
        return {
            "world": self.world.state_dict(),
            "base_seed": self.base_seed,
            "match_index": self.match_index,
            "stack": self.stack.copy(),
            "controllers": [
                c.state_dict() if c is not None and hasattr(c, "state_dict") else None for c in self.controllers
            ],
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`; the same kinds of controllers must already be in place."""
        self.world.load_state_dict(state["world"])
        self.base_seed, self.match_index = state["base_seed"], state["match_index"]
        self.stack[...] = state["stack"]
        for controller, saved in zip(self.controllers, state["controllers"]):
            if controller is not None and saved is not None:
                controller.load_state_dict(saved)

    @property
    def truncated(self) -> bool:
        return self.world.timed_out


class PlayerEyes:
    """One player's observations of a world, made exactly as the environments make them.

    For controllers that fly a ship from pixels inside the game loop (the trained agent): call
    :meth:`decide_now` every tick; when it says so, :meth:`look` gives the (K, H, W) stack to
    decide from, and :meth:`to_world_action` turns the decision back into a world action (it
    undoes the mirroring of player 2's view). Decisions are taken every ``action_repeat``
    ticks, starting at a match's first tick, like :class:`Match`.
    """

    def __init__(self, observation: ObservationConfig = ObservationConfig(), player: int = 0) -> None:
        self.config = observation
        self.player = player
        self.renderer = ObservationRenderer(observation)
        self.stack = np.zeros(observation.shape, np.uint8)
        self._started_tick: int | None = None

    def reset(self) -> None:
        """Forget the frames: the next decision fills the whole stack from one frame."""
        self._started_tick = None

    def decide_now(self, world: World) -> bool:
        if self._started_tick is None or world.tick < self._started_tick:
            return True
        return (world.tick - self._started_tick) % self.config.action_repeat == 0

    def look(self, world: World) -> np.ndarray:
        """Draw the current frame and return the stack (a view, overwritten by the next look)."""
        frame = self.renderer.draw(world, self.player)
        views = self.config.views
        if self._started_tick is None or world.tick < self._started_tick:
            self._started_tick = world.tick
            for k in range(self.config.frames):
                self.stack[k * views : (k + 1) * views] = frame
        else:
            self.stack[:-views] = self.stack[views:]
            self.stack[-views:] = frame
        return self.stack

    def to_world_action(self, action: int) -> int:
        return MIRRORED[action] if self.config.mirror_player2 and self.player == 1 else action


def _check_action(action: Any) -> int:
    try:
        value = int(action)
    except (TypeError, ValueError):
        raise ValueError(f"an action is an integer in [0, {NUM_ACTIONS}), got {action!r}") from None
    if value != action or not 0 <= value < NUM_ACTIONS:
        raise ValueError(f"an action is an integer in [0, {NUM_ACTIONS}), got {action!r}")
    return value


def _resolve_controller(opponent: Controller | Callable | str) -> Controller:
    if isinstance(opponent, str):
        if opponent not in BOTS:
            raise ValueError(f"unknown bot {opponent!r}; choose one of {', '.join(sorted(BOTS))}")
        return BOTS[opponent]()
    return as_controller(opponent, getattr(opponent, "name", "opponent"))


class _Rendering:
    """The human view for ``render_mode`` "human" (a window) or "rgb_array" (an array)."""

    def __init__(self, mode: str | None, fps: int) -> None:
        if mode not in (None, "human", "rgb_array"):
            raise ValueError(f"render_mode must be None, 'human' or 'rgb_array', got {mode!r}")
        self.mode = mode
        self.fps = fps
        self._window = None
        self._clock = None
        self._renderer = None

    def render(self, world: World) -> np.ndarray | None:
        if self.mode is None:
            return None
        import pygame

        from game.render import WorldRenderer

        if self._renderer is None:
            self._renderer = WorldRenderer()
        size = (world.rules.arena_width_px, world.rules.arena_height_px)
        if self.mode == "rgb_array":
            surface = pygame.Surface(size)
            self._renderer.draw(surface, world)
            return np.transpose(pygame.surfarray.array3d(surface), (1, 0, 2)).copy()
        if self._window is None:
            pygame.display.init()
            self._window = pygame.display.set_mode(size)
            pygame.display.set_caption("Asteroids Duel")
            self._clock = pygame.time.Clock()
        pygame.event.pump()
        self._renderer.draw(self._window, world)
        pygame.display.flip()
        self._clock.tick(self.fps)
        return None

    def close(self) -> None:
        if self._window is not None:
            import pygame

            pygame.display.quit()
            self._window = None


class DuelEnv:
    """Two players, one match, in the PettingZoo parallel shape.

    ``possible_agents`` are ``"player_0"`` (left) and ``"player_1"`` (right). Each step takes a
    dict of actions (integers 0..17, see :mod:`game.actions`; player 1's left and right are
    mirrored to match its mirrored view) and returns ``(observations, rewards, terminations,
    truncations, infos)``, dicts keyed by agent. After the match ends ``agents`` is empty and
    ``reset`` starts the next one. See the module docstring for rewards and seeding.

    Arguments (all keyword, all optional): ``rules`` (a :class:`game.rules.Rules`),
    ``observation`` (an :class:`game.observation.ObservationConfig`), ``render_mode``
    (None, "human" or "rgb_array").
    """

    metadata = {"name": "asteroids_duel_v0", "render_modes": ["human", "rgb_array"], "render_fps": 30,
                "is_parallelizable": True}
    possible_agents = list(AGENTS)

    def __init__(
        self,
        *,
        rules: Rules = DEFAULT_RULES,
        observation: ObservationConfig = ObservationConfig(),
        render_mode: str | None = None,
    ) -> None:
        self.match = Match(rules, observation)
        self.render_mode = render_mode
        self.metadata = dict(self.metadata, render_fps=rules.tick_rate // observation.action_repeat)
        self._rendering = _Rendering(render_mode, self.metadata["render_fps"])
        self._observation_space = Box(0, 255, observation.shape, np.uint8)
        self._action_space = Discrete(NUM_ACTIONS)
        self.agents: list[str] = []

    @property
    def world(self) -> World:
        """The current match's world (scripted controllers read it)."""
        return self.match.world

    def observation_space(self, agent: str) -> Box:
        return self._observation_space

    def action_space(self, agent: str) -> Discrete:
        return self._action_space

    def _observations(self) -> dict[str, np.ndarray]:
        return {agent: self.match.stack[p].copy() for p, agent in enumerate(AGENTS)}

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        self.match.reset(seed)
        self.agents = list(AGENTS)
        info = match_info(self.world)
        return self._observations(), {agent: info for agent in AGENTS}

    def step(self, actions: dict[str, int]) -> tuple[dict, dict, dict, dict, dict]:
        if not self.agents:
            raise RuntimeError("the match is over: call reset() to start the next one")
        missing = [agent for agent in AGENTS if agent not in actions]
        if missing:
            raise ValueError(f"step needs an action for every agent; missing {missing}")
        r0, r1 = self.match.step(_check_action(actions[AGENTS[0]]), _check_action(actions[AGENTS[1]]))
        terminated, truncated = self.match.terminated, self.match.truncated
        info = match_info(self.world)
        observations = self._observations()
        if terminated or truncated:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return (
            observations,
            {AGENTS[0]: r0, AGENTS[1]: r1},
            {agent: terminated for agent in AGENTS},
            {agent: truncated for agent in AGENTS},
            {agent: info for agent in AGENTS},
        )

    def render(self) -> np.ndarray | None:
        return self._rendering.render(self.world)

    def state(self) -> np.ndarray:
        """A global view: both players' current frames side by side (PettingZoo's ``state``)."""
        return np.concatenate([self.match.stack[0, -1], self.match.stack[1, -1]], axis=1)  # newest images

    def close(self) -> None:
        self._rendering.close()


class SingleAgentEnv:
    """One player against a controller, in the Gymnasium shape.

    ``reset(seed=None, options=None) -> (obs, info)``; ``step(action) -> (obs, reward,
    terminated, truncated, info)``. The observation is the agent's (K, H, W) uint8 frame stack;
    the action an integer 0..17; rewards as in the module docstring, for the agent's player.

    Arguments (all keyword, all optional): ``opponent`` (a bot name, a controller with
    ``reset``/``act``, or a function ``f(world, player) -> action``; default ``"aimbot"``),
    ``player`` (0: the agent flies the left ship, 1: the right one, seeing the mirrored view),
    ``rules``, ``observation``, ``render_mode`` (None, "human" or "rgb_array").
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 30}

    def __init__(
        self,
        *,
        opponent: Controller | Callable | str = "aimbot",
        player: int = 0,
        rules: Rules = DEFAULT_RULES,
        observation: ObservationConfig = ObservationConfig(),
        render_mode: str | None = None,
    ) -> None:
        if player not in (0, 1):
            raise ValueError(f"player must be 0 or 1, got {player!r}")
        self.player = player
        self.match = Match(rules, observation)
        self.match.controllers[1 - player] = _resolve_controller(opponent)
        self.render_mode = render_mode
        self.metadata = dict(self.metadata, render_fps=rules.tick_rate // observation.action_repeat)
        self._rendering = _Rendering(render_mode, self.metadata["render_fps"])
        self.observation_space = Box(0, 255, observation.shape, np.uint8)
        self.action_space = Discrete(NUM_ACTIONS)
        self._needs_reset = True

    @property
    def world(self) -> World:
        return self.match.world

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        self.match.reset(seed)
        self._needs_reset = False
        if self.render_mode == "human":
            self.render()
        return self.match.stack[self.player].copy(), match_info(self.world)

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        if self._needs_reset:
            raise RuntimeError("call reset() before step(), and again after a match ends")
        action = _check_action(action)
        rewards = self.match.step(action, 0) if self.player == 0 else self.match.step(0, action)
        terminated, truncated = self.match.terminated, self.match.truncated
        self._needs_reset = terminated or truncated
        if self.render_mode == "human":
            self.render()
        return (self.match.stack[self.player].copy(), rewards[self.player], terminated, truncated,
                match_info(self.world))

    def render(self) -> np.ndarray | None:
        return self._rendering.render(self.world)

    def close(self) -> None:
        self._rendering.close()


@dataclass
class BatchStep:
    """What :meth:`BatchDuelEnv.step` returns, unpackable as a 5-tuple like Gymnasium's."""

    observations: np.ndarray  # (N, 2, K, H, W) uint8; ended matches already show the next one
    rewards: np.ndarray  # (N, 2) float32
    terminated: np.ndarray  # (N,) bool
    truncated: np.ndarray  # (N,) bool
    infos: dict  # "final_info": {slot: info}, "final_observation": {slot: (2, K, H, W)}

    def __iter__(self):
        return iter((self.observations, self.rewards, self.terminated, self.truncated, self.infos))


class BatchDuelEnv:
    """N matches stepped together, with automatic reset of the ones that end.

    ``reset(seed) -> (observations (N, 2, K, H, W), infos)``; ``step(actions (N, 2)) ->
    (observations, rewards (N, 2), terminated (N,), truncated (N,), infos)``. When match i ends,
    its final observation and info go to ``infos["final_observation"][i]`` and
    ``infos["final_info"][i]`` and slot i starts its next match at once (its row of
    ``observations`` is already the new match's first one). Slot i behaves exactly like a
    :class:`DuelEnv` reset with ``seed=BatchDuelEnv.slot_seed(seed, i)``.

    ``set_controller(i, player, controller)`` lets a scripted controller fly a player in slot
    i from its next match on (None gives the player back to ``step``'s actions).
    """

    def __init__(
        self,
        num_matches: int = 8,
        *,
        rules: Rules = DEFAULT_RULES,
        observation: ObservationConfig = ObservationConfig(),
        rewards: RewardConfig = RewardConfig(),
        copy: bool = True,
    ) -> None:
        if num_matches < 1:
            raise ValueError("a batch needs at least one match")
        self.num_matches = num_matches
        self.config = observation
        self.copy = copy
        self._obs = np.zeros((num_matches, 2, *observation.shape), np.uint8)
        renderer = ObservationRenderer(observation)  # one set of surfaces serves every slot
        self.matches = [Match(rules, observation, self._obs[i], renderer, rewards) for i in range(num_matches)]
        self._pending: list[tuple[int, int, Controller | None]] = []
        self.observation_space = Box(0, 255, (num_matches, 2, *observation.shape), np.uint8)
        self.single_observation_space = Box(0, 255, observation.shape, np.uint8)
        self.single_action_space = Discrete(NUM_ACTIONS)

    @staticmethod
    def slot_seed(seed: int, slot: int) -> int:
        """The DuelEnv seed that slot ``slot`` of a batch seeded with ``seed`` behaves like."""
        return derive_seed(seed, slot, 0xBA7C4)

    @property
    def worlds(self) -> list[World]:
        return [m.world for m in self.matches]

    @property
    def observations(self) -> np.ndarray:
        """The current (N, 2, K, H, W) observations, not copied (they change with every step)."""
        return self._obs

    def set_controller(self, slot: int, player: int, controller: Controller | None) -> None:
        """Fly ``player`` of match ``slot`` by ``controller`` from that slot's next match on."""
        self._pending.append((slot, player, controller))

    def _apply_pending(self, slot: int) -> None:
        keep = []
        for s, player, controller in self._pending:
            if s == slot:
                self.matches[slot].controllers[player] = controller
            else:
                keep.append((s, player, controller))
        self._pending = keep

    def _out(self) -> np.ndarray:
        return self._obs.copy() if self.copy else self._obs

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**63)
        for i, match in enumerate(self.matches):
            self._apply_pending(i)
            match.reset(self.slot_seed(seed, i))
        return self._out(), {}

    def reset_slot(self, slot: int) -> None:
        """End slot ``slot``'s match now and start its next one (e.g. to change its opponent)."""
        self._apply_pending(slot)
        self.matches[slot].reset()

    def step(self, actions: np.ndarray) -> BatchStep:
        actions = np.asarray(actions)
        if actions.shape != (self.num_matches, 2):
            raise ValueError(f"actions must have shape ({self.num_matches}, 2), got {actions.shape}")
        if actions.min() < 0 or actions.max() >= NUM_ACTIONS:
            raise ValueError(f"actions must be integers in [0, {NUM_ACTIONS})")
        rewards = np.zeros((self.num_matches, 2), np.float32)
        terminated = np.zeros(self.num_matches, bool)
        truncated = np.zeros(self.num_matches, bool)
        final_info: dict[int, dict] = {}
        final_obs: dict[int, np.ndarray] = {}
        for i, (match, (a0, a1)) in enumerate(zip(self.matches, actions.tolist())):
            rewards[i] = match.step(a0, a1)
            if match.world.over:
                terminated[i], truncated[i] = match.terminated, match.truncated
                final_info[i] = match_info(match.world)
                final_obs[i] = match.stack.copy()
                self._apply_pending(i)
                match.reset()
        infos = {"final_info": final_info, "final_observation": final_obs}
        return BatchStep(self._out(), rewards, terminated, truncated, infos)

    def close(self) -> None:
        pass
