"""Learning checks: a short one that fails if learning is broken, and a slow one in the real game.

The short check drives the trainer's real update (network, PPO loss, GAE, Adam) on a visual
bandit: a bright bar at the top or the bottom of the frames says which way to turn. A broken
gradient, a wrong sign or a broken advantage cannot pass it.
"""

import numpy as np
import pytest

from agent.policy import NetworkConfig
from agent.trainer import Trainer, TrainConfig
from game.actions import TURN_LEFT, TURN_OF, TURN_RIGHT
from game.env import ObservationConfig

OBS = ObservationConfig(width=32, height=16, frames=1)
NET = NetworkConfig(channels=(4, 8), kernel_sizes=(4, 3), strides=(2, 1), hidden=32)


def bandit_round(trainer: Trainer, rng: np.random.Generator) -> float:
    """Fill one rollout with bar frames, act, reward the right turn; returns the accuracy."""
    cfg = trainer.config
    shape = (cfg.num_steps, cfg.num_streams)
    top = rng.random(shape) < 0.5
    frames = rng.integers(0, 40, (*shape, *OBS.shape), dtype=np.uint8)  # noise
    frames[top, :, 2:4, :] = 255
    frames[~top, :, 12:14, :] = 255
    trainer.buffer.obs[...] = frames
    flat = frames.reshape(-1, *OBS.shape)
    actions, logprobs, values, _ = trainer.policy.act(flat, trainer.rng)
    turns = np.array(TURN_OF)[actions].reshape(shape)
    correct = np.where(top, turns == TURN_LEFT, turns == TURN_RIGHT)
    trainer.buffer.actions[...] = actions.reshape(shape)
    trainer.buffer.logprobs[...] = logprobs.reshape(shape)
    trainer.buffer.values[...] = values.reshape(shape)
    trainer.buffer.rewards[...] = correct.astype(np.float32)
    trainer.buffer.dones[...] = True  # every step is its own one-step episode
    trainer.next_done[...] = True
    trainer.learn(lr=cfg.learning_rate)
    return float(correct.mean())


def test_ppo_update_learns_which_way_to_turn_from_pixels():
    config = TrainConfig(num_matches=4, self_play_matches=0, num_steps=32, num_minibatches=4, update_epochs=4,
                         learning_rate=2e-3, ent_coef=0.0, eval_every=0, snapshot_every=0)
    trainer = Trainer(config, OBS, NET)
    rng = np.random.default_rng(0)
    accuracy = [bandit_round(trainer, rng) for _ in range(40)]
    # the uniform policy turns the right way 1/3 of the time
    assert accuracy[0] < 0.45
    assert np.mean(accuracy[-5:]) > 0.8, accuracy


@pytest.mark.slow
def test_agent_learns_to_turn_towards_a_still_target_in_the_game():
    """About two minutes: aim shaping teaches the agent to face an idle opponent."""
    obs = ObservationConfig(width=64, height=32, ego_view=True)
    net = NetworkConfig(channels=(8, 16), kernel_sizes=(4, 3), strides=(2, 2), hidden=64)
    config = TrainConfig(num_matches=8, self_play_matches=0, num_steps=32, league_bots="idle", snapshot_every=0,
                         eval_every=0, update_epochs=4, num_minibatches=4, learning_rate=1e-3, aim_shaping=1.0,
                         match_time_limit_s=20)
    trainer = Trainer(config, obs, net)
    errors = [trainer.train_one_update(0.0)["aim_error_deg"] for _ in range(160)]
    assert np.mean(errors[:10]) > 60
    assert np.mean(errors[-30:]) < 50, errors[-30:]
