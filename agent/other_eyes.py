"""Saved agents in the league that see or think otherwise than the learner.

A past champion saved with other frames (size, margin, stack) or another network cannot act on
the learner's observations. Here it gets its own: each league match it plays has its own
:class:`game.env.PlayerEyes`, which draws that agent's frames of the match exactly as its own
training and ``eval`` drew them, and all matches against the same agent decide in one batched
forward pass, like the learner's snapshots. Its decisions are turned from its view into the
learner's view of player 2 (the batch of matches mirrors player 2 by the learner's settings).

The only requirement is the same ``action_repeat``: the batch of matches decides every
``action_repeat`` ticks, so an agent deciding at another rate would not play as it was trained.

Everything here is saved and restored with the trainer (:meth:`OtherEyesAgents.state`), so a
resumed run plays these matches on exactly as an uninterrupted one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from agent.policy import ActorCritic, NetworkConfig
from game.env import MIRRORED, ObservationConfig, PlayerEyes, World, saved_observation


@dataclass(eq=False)
class LeagueAgent:
    """A saved agent's weights with the observation and network settings it was saved with."""

    params: dict[str, np.ndarray]
    observation: ObservationConfig
    network: NetworkConfig


class OtherEyesAgents:
    """The league's agents with other eyes: their networks, and their eyes in each match they play.

    ``act(opponents, worlds, actions, rng)`` writes each agent's decisions for its matches
    into ``actions[slot, 1]``; ``match_ended(slot)`` forgets that match's frames (the next
    match in the slot starts with fresh eyes).
    """

    def __init__(self, agents: dict[str, LeagueAgent], observation: ObservationConfig,
                 threads: int | None = None) -> None:
        for name, agent in agents.items():
            if agent.observation.action_repeat != observation.action_repeat:
                raise ValueError(f"the league agent {name!r} decides every {agent.observation.action_repeat} ticks, "
                                 f"the learner every {observation.action_repeat}: it cannot play in its league")
        self.observation = observation
        self.agents = agents
        self.networks: dict[str, ActorCritic] = {}
        for name, agent in agents.items():
            net = ActorCritic(agent.observation.shape, agent.network, threads=threads)
            net.set_params(agent.params)
            self.networks[name] = net
        self.eyes: dict[int, tuple[str, PlayerEyes]] = {}  # slot -> (agent, its eyes on that match)

    def act(self, opponents: dict[int, str], worlds: list[World], actions: np.ndarray,
            rng: np.random.Generator) -> None:
        """Decisions (sampled, like the snapshots') of these agents where they are player 2 of
        ``opponents``' slots, written in place into ``actions`` in the learner's view."""
        groups: dict[str, list[int]] = {}
        for slot, name in opponents.items():
            if name in self.agents:
                groups.setdefault(name, []).append(slot)
        for name, slots in groups.items():
            eyes = [self._eyes(slot, name) for slot in slots]
            stacks = np.stack([e.look(worlds[slot]) for e, slot in zip(eyes, slots)])
            chosen, *_ = self.networks[name].act(stacks, rng)
            for e, slot, action in zip(eyes, slots, chosen.tolist()):
                world_action = e.to_world_action(action)
                actions[slot, 1] = MIRRORED[world_action] if self.observation.mirror_player2 else world_action

    def _eyes(self, slot: int, name: str) -> PlayerEyes:
        held = self.eyes.get(slot)
        if held is None or held[0] != name:
            held = self.eyes[slot] = (name, PlayerEyes(self.agents[name].observation, player=1))
        return held[1]

    def match_ended(self, slot: int) -> None:
        self.eyes.pop(slot, None)

    # ------------------------------------------------------------------------------------
    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-compatible settings and eyes, named arrays: weights and frame stacks)."""
        state, arrays = agents_state(self.agents)
        eyes = {}
        for slot, (name, e) in self.eyes.items():
            eyes[str(slot)] = {"agent": name, "started_tick": e.started_tick}
            arrays[f"eyes/{slot}"] = e.stack.copy()
        return {"agents": state, "eyes": eyes}, arrays

    @classmethod
    def restore(cls, state: dict, arrays: dict[str, np.ndarray], observation: ObservationConfig,
                threads: int | None = None) -> OtherEyesAgents:
        out = cls(agents_from_state(state["agents"], arrays), observation, threads)
        for slot, saved in state["eyes"].items():
            eyes = out._eyes(int(slot), saved["agent"])
            eyes.restore(arrays[f"eyes/{slot}"], saved["started_tick"])
        return out


def agents_state(agents: dict[str, LeagueAgent]) -> tuple[dict, dict[str, np.ndarray]]:
    """Saved agents as (JSON-compatible settings by name, their weights as named arrays)."""
    arrays = {f"weights/{name}/{k}": v.copy() for name, agent in agents.items() for k, v in agent.params.items()}
    state = {name: {"observation": asdict(a.observation), "network": a.network.to_dict()} for name, a in agents.items()}
    return state, arrays


def agents_from_state(state: dict, arrays: dict[str, np.ndarray]) -> dict[str, LeagueAgent]:
    """The agents :func:`agents_state` saved."""
    agents = {}
    for name, saved in state.items():
        prefix = f"weights/{name}/"
        agents[name] = LeagueAgent({k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)},
                                   ObservationConfig(**saved_observation(saved["observation"])),
                                   NetworkConfig.from_dict(saved["network"]))
    return agents
