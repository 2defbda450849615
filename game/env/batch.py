"""N matches stepped together with NumPy arrays and automatic reset, for training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from game.actions import NUM_ACTIONS
from game.bots import BOTS
from game.controllers import Controller
from game.env.match import Match, match_info
from game.env.opponents import make_bot
from game.env.rewards import RewardConfig
from game.env.spaces import Box, Discrete
from game.observation import ObservationConfig, ObservationRenderer
from game.rules import DEFAULT_RULES, Rules
from game.seeding import derive_seed, fresh_seed
from game.world import World


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
    :class:`game.env.DuelEnv` reset with ``seed=BatchDuelEnv.slot_seed(seed, i)``.

    ``set_controller(i, player, controller)`` lets a scripted controller fly a player in slot
    i from its next match on (None gives the player back to ``step``'s actions).
    :meth:`potentials` and :meth:`aim_errors` read the players' shaping potentials and aim (see
    :mod:`game.env.rewards`);
    :meth:`state_dict` / :meth:`load_state_dict` save and restore the matches in flight.
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

    def potentials(self, slots: np.ndarray, players: np.ndarray) -> np.ndarray:
        """Shaping potentials (float32) of ``players[k]`` in match ``slots[k]``, for every k."""
        out = np.zeros(len(slots), np.float32)
        for k, (slot, player) in enumerate(zip(slots, players)):
            out[k] = self.matches[slot].potential(player)
        return out

    def aim_errors(self, slots: np.ndarray, players: np.ndarray) -> np.ndarray:
        """How far ``players[k]``'s gun in match ``slots[k]`` points from its opponent, radians
        (float64; NaN while either ship is dead), for every k."""
        out = np.full(len(slots), np.nan)
        for k, (slot, player) in enumerate(zip(slots, players)):
            error = self.matches[slot].aim_error(player)
            if error is not None:
                out[k] = error
        return out

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
        """Start every slot's match; ``options={"slot_seeds": [...]}`` gives each slot's match its
        own seed instead of ``slot_seed(seed, i)`` (e.g. to play part of a seeded series)."""
        if seed is None:
            seed = fresh_seed()
        slot_seeds = (options or {}).get("slot_seeds")
        if slot_seeds is not None and len(slot_seeds) != self.num_matches:
            raise ValueError(f"slot_seeds needs one seed per match ({self.num_matches}), got {len(slot_seeds)}")
        for i, match in enumerate(self.matches):
            self._apply_pending(i)
            match.reset(self.slot_seed(seed, i) if slot_seeds is None else int(slot_seeds[i]))
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

    # ------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The matches in flight, JSON-compatible except each match's ``"stack"`` (an array).

        ``{"matches": [one per slot], "controllers": [[name or None] * 2 per slot],
        "pending": [[slot, player, name or None], ...]}``. Controllers are kept by name, so only
        scripted bots (and None) can be saved; another controller is a ValueError.
        """
        return {
            "matches": [match.state_dict() for match in self.matches],
            "controllers": [[_bot_name(c) for c in match.controllers] for match in self.matches],
            "pending": [[slot, player, _bot_name(c)] for slot, player, c in self._pending],
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` into a batch built with the same settings."""
        for match, names, saved in zip(self.matches, state["controllers"], state["matches"], strict=True):
            match.controllers = [None if name is None else make_bot(name) for name in names]
            match.load_state_dict(saved)
        self._pending = [(slot, player, None if name is None else make_bot(name))
                         for slot, player, name in state["pending"]]

    def close(self) -> None:
        pass


def _bot_name(controller: Controller | None) -> str | None:
    if controller is None:
        return None
    name = getattr(controller, "name", None)
    if name not in BOTS or type(controller) is not BOTS[name]:
        raise ValueError(f"only scripted bots can be saved with a batch of matches, not {controller!r}")
    return name
