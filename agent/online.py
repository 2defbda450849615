"""An agent that keeps learning from the matches it plays (against you, or anyone).

:class:`LearningController` is a controller (``reset(seed)``, ``act(world, player)``) that plays
exactly like :class:`agent.controller.AgentController` and also records what it saw, did and
got. Every ``rollout_steps`` decisions it hands the rollout to a learner (by default in a second
process, so the game's frames never wait) and, when the new weights come back, plays on with
them. Updates are small and careful (low learning rate, few epochs): it adapts to an opponent's
style without forgetting how to play. The rewards are the game's (kill +1, death -1, asteroid
+0.2) plus the potential-based aim shaping, counted as the envs count them (:mod:`game.env`).

In the window it also has the optional hooks of :mod:`game.controllers`: ``status()`` for the
HUD ("learning · 3 updates"), ``close()``, and, when given an :class:`AdaptedAgentSaver`, a
question when the session ends: keep what it learned as a new saved agent (``NAME-vs-you``,
``NAME-vs-you-2``, ...: never over anything) or discard it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from agent import saves
from agent.controller import AgentController
from agent.learner import InlineLearner, ProcessLearner
from agent.loading import RESERVED_NAMES
from agent.nn import Adam
from agent.policy import ActorCritic
from agent.ppo import PPOConfig, RolloutBuffer, ppo_setting
from agent.settings import setting
from game.env import ObservationConfig, Tally, World, tally


@dataclass
class OnlineConfig(PPOConfig):
    """Hyperparameters of learning while playing: PPO's, with smaller and more careful updates."""

    learning_rate: float = ppo_setting("learning_rate", 1e-4)
    num_minibatches: int = ppo_setting("num_minibatches", 4)
    clip_coef: float = ppo_setting("clip_coef", 0.1)
    rollout_steps: int = setting(256, "decisions between updates (about 8.5 s of play at 30 a second)", 1, 10**6)

    def __post_init__(self) -> None:
        super().__post_init__()  # every field's type and range
        if self.num_minibatches > self.rollout_steps:
            raise ValueError(f"num_minibatches must be between 1 and rollout_steps, {self.rollout_steps} "
                             f"(got {self.num_minibatches})")


class LearningController:
    """Plays with ``policy`` and learns from its own matches; ``updates`` counts the updates made.

    It samples its actions (``greedy=False``): learning on-policy needs the actions' probabilities
    to be the ones it plays by. With a ``saver``, the player is asked at the end of the session
    whether to keep what it learned (see :class:`AdaptedAgentSaver`)."""

    def __init__(
        self,
        policy: ActorCritic,
        observation: ObservationConfig = ObservationConfig(),
        config: OnlineConfig = OnlineConfig(),
        greedy: bool = False,
        background: bool = True,
        name: str = "agent",
        saver: AdaptedAgentSaver | None = None,
    ) -> None:
        self.config = config
        self.saver = saver
        self.closed = False
        self.settled = False  # the adaptation was saved or discarded: nothing more to ask
        self._offered: str | None = None  # the name proposed in the question
        self.policy = policy
        self.agent = AgentController(policy, observation, greedy=greedy, name=name)
        self.name = name
        self.optimizer = Adam(policy.params(), lr=config.learning_rate)
        self._background = background
        self._learner: InlineLearner | ProcessLearner | None = None
        self.updates = 0
        self.samples = 0
        self.last_stats: dict = {}
        self.buffer = RolloutBuffer(config.rollout_steps, 1, observation.shape)
        self._count = 0  # decisions recorded in the buffer
        self._world: World | None = None
        self._player = 0
        self.rewards = config.rewards
        self._tally: Tally | None = None  # the player's kills, deaths and asteroids at the last decision
        self._potential = 0.0
        self._new_match = True

    # --- controller interface ------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        self._close_match()
        self.agent.reset(seed)
        self._new_match = True

    def act(self, world: World, player: int) -> int:
        if world is not self._world or player != self._player:
            if self._world is not None and world is not self._world:
                self._close_match()  # a new world without a reset: the old match is over
            self._world, self._player, self._new_match = world, player, True
        decisions = self.agent.decisions
        action = self.agent.act(world, player)
        if self.agent.decisions != decisions:
            self._record(world, player)
        self.poll()
        return action

    # --- learning ------------------------------------------------------------------------
    def poll(self) -> None:
        """Take new weights from the learner if an update has finished (never waits)."""
        if self._learner is not None and self._learner.ready():
            weights, self.last_stats = self._learner.result()
            if weights is not None:
                self.policy.set_params(weights)
            self.updates += 1

    def _reward_since_last(self, world: World, player: int, potential: float) -> float:
        """The game's reward since the previous decision, plus the change in shaping potential."""
        reward = self.rewards.reward(self._tally, tally(world, player))
        return reward + self.config.gamma * potential - self._potential

    def _record(self, world: World, player: int) -> None:
        potential = self.rewards.potential(world, player)
        if not self._new_match and self._count > 0:
            self.buffer.rewards[self._count - 1, 0] = self._reward_since_last(world, player, potential)
        if self._count == self.config.rollout_steps:
            self._submit(next_value=self.agent.last_value, next_done=self._new_match)
        k, buffer = self._count, self.buffer
        buffer.obs[k, 0] = self.agent.last_observation
        buffer.actions[k, 0] = self.agent.last_action
        probs = self.agent.last_probs
        buffer.logprobs[k, 0] = math.log(max(float(probs[self.agent.last_action]), 1e-12))
        buffer.values[k, 0] = self.agent.last_value
        buffer.rewards[k, 0] = 0.0
        buffer.dones[k, 0] = self._new_match
        self._count += 1
        self._tally = tally(world, player)
        self._potential = potential
        self._new_match = False

    def _close_match(self) -> None:
        """The match the controller was playing is over: its last events count for the last step."""
        if self._world is not None and self._count > 0 and not self._new_match:
            # the final state has no value of its own: the match is over (potential 0)
            self.buffer.rewards[self._count - 1, 0] = self._reward_since_last(self._world, self._player, 0.0)
        self._new_match = True

    def _submit(self, next_value: float, next_done: bool) -> None:
        if self._learner is None:
            kind = ProcessLearner if self._background else InlineLearner
            self._learner = kind(self.policy, self.optimizer, self.config)
        rollout = self.buffer.rollout(next_value, next_done)
        if self._learner.pending:
            pass  # the previous update is still running: skip this rollout rather than wait
        else:
            self._learner.submit(rollout, self.config.learning_rate, self.updates + 1)
            self.samples += self.config.rollout_steps
            if not self._background:
                self.poll()
        self._count = 0

    def close(self) -> None:
        """Wait for the update in flight, take its weights, stop the learner."""
        self.closed = True
        if self._learner is not None:
            if self._learner.pending:
                weights, self.last_stats = self._learner.result()
                if weights is not None:
                    self.policy.set_params(weights)
                self.updates += 1
            self._learner.close()
            self._learner = None

    # --- the window's optional hooks (see game.controllers) ------------------------------
    def status(self) -> str:
        """The HUD's line under the agent's name, e.g. "learning · 3 updates"."""
        return f"learning · {self.updates} update{'' if self.updates == 1 else 's'}"

    @property
    def unsaved(self) -> bool:
        """True when it learned something (an update) that was neither kept nor discarded yet."""
        return self.saver is not None and self.updates > 0 and not self.settled

    def session_question(self) -> str | None:
        """Whether to keep what it learned, once it learned anything (asked after ``close()``)."""
        if not self.unsaved:
            return None
        self._offered = self.saver.free_name()
        return f"Keep what {self.name} learned? Save it as '{self._offered}' (Y/N)"

    def answer_session_question(self, yes: bool) -> str:
        """Y saves the adapted agent under a free name, N discards it; a message for the screen."""
        if not self.unsaved:
            return "Nothing to keep."
        if not yes:
            self.settled = True
            return f"Discarded what {self.name} learned."
        try:
            saved = self.save_adapted()
        except saves.SaveError as error:
            return f"Nothing was saved: {error}."
        return f"Saved as '{saved}' ({self.updates} update{'' if self.updates == 1 else 's'} against you)."

    def save_adapted(self) -> str:
        """Stop learning and save the weights as a new agent (SaveError if it cannot); its name."""
        if self.saver is None:
            raise saves.SaveError("this agent was not given a place to save what it learns")
        self.close()
        name = self.saver.save(self.policy, self.updates, self.samples)
        self.settled = True
        return name


ADAPTED_SUFFIX = "-vs-you"
DROPPED_METADATA = ("elo", "league", "evaluation", "history", "imported_from", "format", "format_version")


class AdaptedAgentSaver:
    """Saves an agent adapted by playing a person as a new agent beside the original ``name``.

    The new agent is ``NAME-vs-you``, or ``NAME-vs-you-2``, ``-3``, ... whichever is free (its
    folder is claimed before anything is written, so nothing is ever overwritten). Its metadata
    is the original's settings (network, observation, training) with ``parent`` = the original,
    ``created`` = now and ``adapted`` = {updates, samples, against: "human"}; the original's
    ratings are left out, since they measured the original.
    """

    def __init__(self, name: str, metadata: dict[str, Any], saves_dir: Path | None = None) -> None:
        self.name = name
        self.metadata = dict(metadata)
        self.saves_dir = saves_dir

    def candidate(self, index: int) -> str:
        """The ``index``-th name tried (1: ``NAME-vs-you``), shortened to fit the 64-character limit."""
        suffix = ADAPTED_SUFFIX + ("" if index == 1 else f"-{index}")
        return self.name[: 64 - len(suffix)] + suffix

    def _taken(self, name: str) -> bool:
        return name.lower() in RESERVED_NAMES or os.path.lexists(saves.agent_dir(name, self.saves_dir))

    def free_name(self) -> str:
        """The first candidate name no agent (or anything else) uses yet."""
        index = 1
        while self._taken(self.candidate(index)):
            index += 1
        return self.candidate(index)

    def adapted_metadata(self, name: str, updates: int, samples: int) -> dict[str, Any]:
        meta = {k: v for k, v in self.metadata.items() if k not in DROPPED_METADATA}
        now = saves.now()
        meta.update(name=name, parent=self.name, created=now, saved=now,
                    adapted={"updates": updates, "samples": samples, "against": "human"})
        return meta

    def save(self, policy: ActorCritic, updates: int, samples: int) -> str:
        """Write ``policy`` as a new agent under the first free name (atomically); that name."""
        while True:
            name = self.free_name()
            try:
                saves.create_agent(saves.agent_dir(name, self.saves_dir), policy.params(),
                                   self.adapted_metadata(name, updates, samples))
            except FileExistsError:
                continue  # taken since we looked: try the next one
            return name
