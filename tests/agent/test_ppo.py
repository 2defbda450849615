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
