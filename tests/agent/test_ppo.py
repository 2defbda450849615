"""PPO pieces against independent references: finite differences and a plain GAE loop."""

import numpy as np
import pytest

from agent.ppo import compute_gae, ppo_loss


def make_batch(rng, batch=7, actions=5):
    return dict(
        logits=rng.normal(size=(batch, actions)),
        values=rng.normal(size=batch),
        actions=rng.integers(0, actions, batch),
        old_logprobs=np.log(rng.uniform(0.05, 0.6, batch)),
        advantages=rng.normal(size=batch),
        returns=rng.normal(size=batch),
        old_values=rng.normal(size=batch) * 0.1,
    )


@pytest.mark.parametrize("clip_vloss", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_ppo_loss_gradient_matches_finite_differences(seed, clip_vloss):
    rng = np.random.default_rng(seed)
    b = make_batch(rng)
    # move the values close to old_values, so both sides of the value clip get exercised
    b["values"] = b["old_values"] + rng.normal(size=b["values"].shape) * 0.15
    kwargs = dict(clip_coef=0.2, vf_coef=0.5, ent_coef=0.05, clip_vloss=clip_vloss)

    def loss(logits, values):
        return ppo_loss(logits, values, b["actions"], b["old_logprobs"], b["advantages"], b["returns"],
                        b["old_values"], **kwargs)[0]["loss"]

    _, dlogits, dvalues = ppo_loss(b["logits"], b["values"], b["actions"], b["old_logprobs"],
                                   b["advantages"], b["returns"], b["old_values"], **kwargs)
    eps = 1e-6
    for index in np.ndindex(b["logits"].shape):
        up, down = b["logits"].copy(), b["logits"].copy()
        up[index] += eps
        down[index] -= eps
        numeric = (loss(up, b["values"]) - loss(down, b["values"])) / (2 * eps)
        assert dlogits[index] == pytest.approx(numeric, abs=1e-6)
    for i in range(len(b["values"])):
        up, down = b["values"].copy(), b["values"].copy()
        up[i] += eps
        down[i] -= eps
        numeric = (loss(b["logits"], up) - loss(b["logits"], down)) / (2 * eps)
        assert dvalues[i] == pytest.approx(numeric, abs=1e-6)


def test_gradient_pushes_probability_towards_good_actions():
    logits = np.zeros((1, 3))
    stats, dlogits, _ = ppo_loss(logits, np.zeros(1), np.array([2]), np.log(np.full(1, 1 / 3)),
                                 np.array([1.0]), np.zeros(1), np.zeros(1), 0.2, 0.5, 0.0, norm_adv=False)
    assert dlogits[0, 2] < 0 and dlogits[0, 0] > 0  # descending raises the good action's logit


def gae_reference(rewards, values, dones, next_value, next_done, gamma, lam):
    """A plain per-stream loop, written from the GAE definition."""
    steps, streams = rewards.shape
    adv = np.zeros((steps, streams))
    for s in range(streams):
        for t in range(steps):
            total, discount = 0.0, 1.0
            for k in range(t, steps):
                if k + 1 < steps:
                    nv, nd = values[k + 1, s], dones[k + 1, s]
                else:
                    nv, nd = next_value[s], next_done[s]
                delta = rewards[k, s] + gamma * nv * (1 - nd) - values[k, s]
                total += discount * delta
                if nd:
                    break
                discount *= gamma * lam
            adv[t, s] = total
    return adv


def test_gae_matches_the_definition_and_stops_at_episode_ends():
    rng = np.random.default_rng(1)
    steps, streams = 9, 3
    rewards = rng.normal(size=(steps, streams)).astype(np.float32)
    values = rng.normal(size=(steps, streams)).astype(np.float32)
    dones = rng.random((steps, streams)) < 0.25
    next_value = rng.normal(size=streams).astype(np.float32)
    next_done = np.array([False, True, False])
    adv, ret = compute_gae(rewards, values, dones, next_value, next_done, 0.97, 0.9)
    expected = gae_reference(rewards, values, dones, next_value, next_done, 0.97, 0.9)
    assert np.allclose(adv, expected, atol=1e-5)
    assert np.allclose(ret, adv + values)


def test_training_and_learning_while_playing_share_one_ppo_config_and_stay_flat():
    from dataclasses import asdict, fields

    from agent.online import OnlineConfig
    from agent.ppo import PPOConfig
    from agent.trainer import TrainConfig

    ppo = [f.name for f in fields(PPOConfig)]
    assert "gamma" in ppo and "clip_coef" in ppo and "aim_shaping" in ppo
    for kind in (TrainConfig, OnlineConfig):
        names = [f.name for f in fields(kind)]
        assert names[: len(ppo)] == ppo  # every PPO field, once, in one order
        assert list(asdict(kind())) == names  # saved flat, no nested "ppo" section
        assert all(f.metadata.get("help") for f in fields(kind))  # the command line shows each one
    # learning while playing keeps its own, more careful defaults
    assert (OnlineConfig().learning_rate, OnlineConfig().clip_coef, OnlineConfig().num_minibatches) == (1e-4, 0.1, 4)
    # training's own: one pass over each rollout in 16 minibatches (2026-12-02), PPOConfig's are two in 8
    assert (TrainConfig().learning_rate, TrainConfig().num_minibatches, TrainConfig().update_epochs) == (6e-4, 16, 1)
    assert (PPOConfig().num_minibatches, PPOConfig().update_epochs) == (8, 2)
    rewards = TrainConfig(asteroid_reward=0.5, aim_shaping=0.1, dodge_shaping=0.2).rewards
    assert (rewards.asteroid, rewards.aim_shaping, rewards.dodge_shaping, rewards.kill) == (0.5, 0.1, 0.2, 1.0)


def test_a_rollout_is_a_copy_of_the_buffer_with_the_next_value():
    from agent.ppo import RolloutBuffer

    buffer = RolloutBuffer(3, 2, (1, 4, 4))
    buffer.rewards[:] = 1.0
    buffer.obs[0, 1] = 7
    rollout = buffer.rollout(np.array([0.5, -0.5], np.float32), np.array([False, True]))
    buffer.rewards[:] = 0.0  # refilled for the next round: the rollout handed over keeps its data
    assert rollout.rewards.shape == (3, 2) and (rollout.rewards == 1.0).all() and rollout.obs[0, 1].max() == 7
    assert rollout.obs.dtype == np.uint8 and rollout.next_value.dtype == np.float32
    assert rollout.next_done.tolist() == [False, True]
    single = RolloutBuffer(2, 1, (1, 4, 4)).rollout(0.25, True)
    assert single.next_value.tolist() == [0.25] and single.next_done.tolist() == [True]
