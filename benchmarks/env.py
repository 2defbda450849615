"""Environment speed: agent steps per second, both players' observations made, on one core.

Run with ``python main.py bench env``. An agent step is one decision: ``action_repeat`` ticks
of simulation plus both players' frames drawn and stacked. Actions are drawn in advance so
only the environment is timed. A third figure is the batch as training plays it: the default
run's matches (16: 4 of the learner against itself, 12 against a scripted bot, ``aimbot``, whose
frames are not drawn: it reads the world), counted in learner observations (20 a step). The
process is pinned to one CPU where the OS allows it, as the Arcade Learning Environment's figure (about 5,400 steps/s for Atari Asteroids, frameskip 4,
grayscale, one core of this kind of machine) is per core.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from agent.trainer import TrainConfig
from game.env import AGENTS, BatchDuelEnv, DuelEnv, make_bot

ALE_ASTEROIDS_STEPS_PER_S = 5400.0


def _pin_to_one_core() -> bool:
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        return True
    except (AttributeError, OSError):
        return False


def _time_duel(seconds: float, seed: int) -> float:
    env = DuelEnv()
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, 18, (200_000, 2)).tolist()
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            a0, a1 = actions[steps % len(actions)]
            env.step({AGENTS[0]: a0, AGENTS[1]: a1})
            steps += 1
            if not env.agents:
                env.reset()
    return steps / (time.perf_counter() - start)


def _time_batch(num_matches: int, seconds: float, seed: int) -> float:
    env = BatchDuelEnv(num_matches, copy=False)
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, 18, (1000, num_matches, 2))
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(actions[steps % len(actions)])
        steps += 1
    return steps * num_matches / (time.perf_counter() - start)


def _time_training_batch(seconds: float, seed: int) -> float:
    """Learner observations per second of training's default batch (see the module docstring)."""
    config = TrainConfig()
    env = BatchDuelEnv(config.num_matches, copy=False)
    for slot in range(config.self_play_matches, config.num_matches):
        env.set_controller(slot, 1, make_bot("aimbot"))
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, 18, (1000, config.num_matches, 2))
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(actions[steps % len(actions)])
        steps += 1
    return steps * config.num_streams / (time.perf_counter() - start)


def run_env_bench(seconds: float = 2.0, repeats: int = 5, num_matches: int = 16) -> dict:
    """Median agent steps per second for one match, a batch and training's batch; repeats interleaved."""
    pinned = _pin_to_one_core()
    duel, batch, training = [], [], []
    for repeat in range(repeats):
        duel.append(_time_duel(seconds, repeat))
        batch.append(_time_batch(num_matches, seconds, repeat))
        training.append(_time_training_batch(seconds, repeat))
    one = statistics.median(duel)
    return {
        "benchmark": "env",
        "pinned_to_one_core": pinned,
        "repeats": repeats,
        "one_match_steps_per_s": one,
        "one_match_all": duel,
        "batch_matches": num_matches,
        "batch_steps_per_s": statistics.median(batch),
        "batch_all": batch,
        "training_batch_learner_steps_per_s": statistics.median(training),
        "training_batch_all": training,
        "ale_asteroids_reference_steps_per_s": ALE_ASTEROIDS_STEPS_PER_S,
        "ratio_to_ale": one / ALE_ASTEROIDS_STEPS_PER_S,
    }


def format_env_bench(result: dict) -> str:
    config = TrainConfig()
    return "\n".join([
        f"agent steps per second ({'one core' if result['pinned_to_one_core'] else 'not pinned'}), "
        f"median of {result['repeats']}:",
        f"  one match          {result['one_match_steps_per_s']:>9,.0f}   "
        f"({result['ratio_to_ale']:.2f}x ALE Atari Asteroids' ~{result['ale_asteroids_reference_steps_per_s']:,.0f})",
        f"  batch of {result['batch_matches']:<2} matches {result['batch_steps_per_s']:>9,.0f}",
        f"  training's batch   {result['training_batch_learner_steps_per_s']:>9,.0f}   learner observations "
        f"({config.num_matches} matches, {config.num_matches - config.self_play_matches} against aimbot, "
        f"whose frames are not drawn)",
    ])
