"""Does an agent adapt to an opponent it has never met by learning while it plays?

Run with ``python main.py bench adapt [--agent NAME] [--opponent BOT] [--matches N]``. The agent
plays a series of matches against the bot twice on the same seeds: once frozen, once learning
online (:class:`agent.online.LearningController`, its updates applied between decisions, the
same small PPO updates as in the game). The series is split in halves; the learning agent's
second half against the frozen one's shows what it gained. Sides swap every match.

The default opponent is ``sniper`` (the aimbot keeping 500-700 px away): the champion never
trained against it (its league is random, rookie, aimbot and itself) and loses most matches
to it when it samples its actions, as a learning agent does.
"""

from __future__ import annotations

import time
from pathlib import Path

from agent import saves
from agent.controller import AgentController
from agent.online import LearningController, OnlineConfig
from agent.session import load_policy
from game.bots import BOTS
from game.match import play_match


def _series(controller, opponent: str, matches: int, seed: int) -> list[float]:
    """The agent's result (1 win, 0.5 draw, 0 loss) in each match of the series."""
    results = []
    for i in range(matches):
        side = i % 2
        bot = BOTS[opponent]()
        pair = (controller, bot) if side == 0 else (bot, controller)
        outcome = play_match(pair, seed, i)
        results.append(0.5 if outcome.winner is None else float(outcome.winner == side))
    return results


def run_adapt_bench(agent: str = "champion", opponent: str = "sniper", matches: int = 200, seed: int = 1,
                    saves_dir: Path | None = None) -> dict:
    path = saves.agent_dir(agent, saves_dir) / saves.AGENT_FILE
    policy, observation, _ = load_policy(path)
    start = time.perf_counter()
    # like for like: the learner samples its actions (it must, to learn on-policy), so does the frozen one
    frozen = _series(AgentController(policy, observation, greedy=False), opponent, matches, seed)
    learning_policy, _, _ = load_policy(path)
    learner = LearningController(learning_policy, observation, OnlineConfig(), background=False)
    learning = _series(learner, opponent, matches, seed)
    learner.close()
    half = matches // 2

    def rate(xs: list[float]) -> float:
        return sum(xs) / max(len(xs), 1)

    return {
        "benchmark": "adapt",
        "agent": agent,
        "opponent": opponent,
        "matches": matches,
        "seed": seed,
        "frozen_first_half": rate(frozen[:half]),
        "frozen_second_half": rate(frozen[half:]),
        "learning_first_half": rate(learning[:half]),
        "learning_second_half": rate(learning[half:]),
        "updates": learner.updates,
        "samples_learned": learner.samples,
        "seconds": time.perf_counter() - start,
    }


def format_adapt_bench(r: dict) -> str:
    return "\n".join([
        f"{r['agent']} against {r['opponent']}, {r['matches']} matches (seed {r['seed']}), score per half:",
        f"  frozen:            {r['frozen_first_half']:.2f} -> {r['frozen_second_half']:.2f}",
        f"  learning online:   {r['learning_first_half']:.2f} -> {r['learning_second_half']:.2f}"
        f"   ({r['updates']} updates from {r['samples_learned']:,} decisions)",
    ])
