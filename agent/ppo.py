"""Proximal Policy Optimization, the pieces: advantages (GAE) and the clipped loss with its gradient.

Names follow the paper and cleanrl: ``advantages``, ``returns``, ``clip_coef``, ``approx_kl``.
The network is not touched here: :func:`ppo_loss` takes the logits and values a forward pass
produced and returns the loss statistics and the gradient of the loss with respect to those
logits and values, which the caller sends back through the network.

The loss, averaged over a minibatch of B samples (``r = exp(logp - old_logp)``, ``A`` the
advantages, normalised per minibatch when ``norm_adv``):

    L = mean(max(-A r, -A clip(r, 1-c, 1+c)))            policy (clipped surrogate)
      + vf_coef * mean(0.5 * (V - R)^2)                   value (optionally clipped, as in PPO2)
      - ent_coef * mean(H(pi))                            entropy bonus
"""

from __future__ import annotations

import numpy as np


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax, stable for large logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def compute_gae(
    rewards: np.ndarray,
    values: np.ndarray,
    dones: np.ndarray,
    next_value: np.ndarray,
    next_done: np.ndarray,
    gamma: float,
    gae_lambda: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Generalized advantage estimation over a (T, S) rollout of S streams.

    ``dones[t]`` says the observation at step t began a new episode (so nothing flows back
    across it); ``next_value`` / ``next_done`` are for the observation after the last step.
    Returns ``(advantages, returns)``, both (T, S) float32, with returns = advantages + values.
    """
    steps = rewards.shape[0]
    advantages = np.zeros_like(rewards, dtype=np.float32)
    last = np.zeros(rewards.shape[1], np.float32)
    for t in reversed(range(steps)):
        if t == steps - 1:
            not_done = 1.0 - next_done.astype(np.float32)
            following = next_value
        else:
            not_done = 1.0 - dones[t + 1].astype(np.float32)
            following = values[t + 1]
        delta = rewards[t] + gamma * following * not_done - values[t]
        last = delta + gamma * gae_lambda * not_done * last
        advantages[t] = last
    return advantages, (advantages + values).astype(np.float32)


def ppo_loss(
    logits: np.ndarray,
    values: np.ndarray,
    actions: np.ndarray,
    old_logprobs: np.ndarray,
    advantages: np.ndarray,
    returns: np.ndarray,
    old_values: np.ndarray,
    clip_coef: float,
    vf_coef: float,
    ent_coef: float,
    norm_adv: bool = True,
    clip_vloss: bool = True,
) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """Loss statistics and d(loss)/d(logits) (B, A) and d(loss)/d(values) (B,) for a minibatch."""
    batch = logits.shape[0]
    rows = np.arange(batch)
    logp_all = log_softmax(logits)
    probs = np.exp(logp_all)
    logp = logp_all[rows, actions]
    log_ratio = logp - old_logprobs
    ratio = np.exp(log_ratio)

    adv = advantages
    if norm_adv and batch > 1:
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)

    # policy: the unclipped term's gradient flows only where it is the larger (pessimistic) one
    unclipped = -adv * ratio
    clipped = -adv * np.clip(ratio, 1.0 - clip_coef, 1.0 + clip_coef)
    pg_loss = np.maximum(unclipped, clipped).mean()
    active = unclipped >= clipped
    dlogp = np.where(active, -adv * ratio, 0.0) / batch  # d pg_loss / d logp
    dlogits = -probs * dlogp[:, None]
    dlogits[rows, actions] += dlogp

    # entropy bonus: dH/dlogits_j = -p_j (log p_j + H)
    entropy = -(probs * logp_all).sum(axis=1)
    dlogits += (ent_coef / batch) * probs * (logp_all + entropy[:, None])

    # value loss, clipped around the old prediction as in PPO2 / cleanrl
    if clip_vloss:
        v_clipped = old_values + np.clip(values - old_values, -clip_coef, clip_coef)
        loss_unclipped = (values - returns) ** 2
        loss_clipped = (v_clipped - returns) ** 2
        use_unclipped = loss_unclipped >= loss_clipped
        v_loss = 0.5 * np.maximum(loss_unclipped, loss_clipped).mean()
        inside = np.abs(values - old_values) < clip_coef
        dvalues = np.where(use_unclipped, values - returns, np.where(inside, v_clipped - returns, 0.0))
    else:
        v_loss = 0.5 * ((values - returns) ** 2).mean()
        dvalues = values - returns
    dvalues = (vf_coef / batch) * dvalues

    stats = {
        "policy_loss": float(pg_loss),
        "value_loss": float(v_loss),
        "entropy": float(entropy.mean()),
        "approx_kl": float(((ratio - 1.0) - log_ratio).mean()),
        "clip_fraction": float((np.abs(ratio - 1.0) > clip_coef).mean()),
        "loss": float(pg_loss - ent_coef * entropy.mean() + vf_coef * v_loss),
    }
    return stats, dlogits.astype(logits.dtype, copy=False), dvalues.astype(values.dtype, copy=False)
