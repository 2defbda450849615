"""Proximal Policy Optimization: its settings, rollout storage, advantages (GAE), the loss, the update.

Names follow the paper and cleanrl: ``advantages``, ``returns``, ``clip_coef``, ``approx_kl``.
:class:`PPOConfig` holds the settings every learner shares (training runs and learning while
playing extend it); a :class:`RolloutBuffer` collects what the policy saw and did, and hands it
over as a :class:`Rollout`; :func:`ppo_update` learns from one. :func:`ppo_loss` does not touch
the network: it takes the logits and values a forward pass produced and returns the loss
statistics and the gradient of the loss with respect to those logits and values, which the
caller sends back through the network.

The loss, averaged over a minibatch of B samples (``r = exp(logp - old_logp)``, ``A`` the
advantages, normalised per minibatch when ``norm_adv``):

    L = mean(max(-A r, -A clip(r, 1-c, 1+c)))            policy (clipped surrogate)
      + vf_coef * mean(0.5 * (V - R)^2)                   value (optionally clipped, as in PPO2)
      - ent_coef * mean(H(pi))                            entropy bonus
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from agent.nn import Adam, clip_grad_norm
from agent.policy import ActorCritic
from agent.settings import check_settings, setting
from game.env import RewardConfig


@dataclass
class PPOConfig:
    """The PPO settings every learner shares, and what it is rewarded for.

    Every field has a one-line help and, for numbers, an inclusive range (see
    :mod:`agent.settings`); a config outside them is a ValueError naming the field.
    """

    learning_rate: float = setting(6e-4, "Adam learning rate (at the start, when it is annealed)", 0.0, 1.0)
    gamma: float = setting(0.99, "discount factor", 0.0, 1.0)
    gae_lambda: float = setting(0.95, "GAE lambda", 0.0, 1.0)
    num_minibatches: int = setting(8, "minibatches per epoch", 1, 4096)
    update_epochs: int = setting(2, "passes over each rollout", 1, 100)
    norm_adv: bool = setting(True, "normalise advantages per minibatch")
    clip_coef: float = setting(0.2, "PPO clipping of the probability ratio", 0.0, 1.0)
    clip_vloss: bool = setting(True, "clip the value loss around the old prediction")
    ent_coef: float = setting(0.01, "entropy bonus coefficient", 0.0, 1.0)
    vf_coef: float = setting(0.5, "value loss coefficient", 0.0, 10.0)
    max_grad_norm: float = setting(0.5, "global gradient-norm clip", 0.0, 1000.0)
    target_kl: float = setting(0.0, "stop an update's epochs early above this KL (0: never)", 0.0, 10.0)
    aim_shaping: float = setting(0.3, "potential-based aim shaping scale (0: off)", 0.0, 10.0)
    dodge_shaping: float = setting(0.0, "potential-based shaping for staying off the opponent's aim", 0.0, 10.0)
    open_shaping: float = setting(0.0, "potential-based shaping for flying away from the walls (0: off)", 0.0, 10.0)
    asteroid_reward: float = setting(0.2, "reward for an asteroid shot (a kill is 1)", -10.0, 10.0)

    def __post_init__(self) -> None:
        check_settings(self)

    @property
    def rewards(self) -> RewardConfig:
        """The reward the learner is trained on: the game's events plus the shaping potential."""
        return RewardConfig(asteroid=self.asteroid_reward, aim_shaping=self.aim_shaping,
                            dodge_shaping=self.dodge_shaping, open_shaping=self.open_shaping)


def ppo_setting(name: str, default: Any) -> Any:
    """:class:`PPOConfig`'s field ``name`` with another default (same help and range), for a subclass."""
    return field(default=default, metadata=PPOConfig.__dataclass_fields__[name].metadata)


@dataclass
class Rollout:
    """What one round of play produced, (T, S) per stream and step; frames as uint8."""

    obs: np.ndarray  # (T, S, C, H, W) uint8
    actions: np.ndarray  # (T, S) int64
    logprobs: np.ndarray  # (T, S) float32, of the policy that played
    values: np.ndarray  # (T, S) float32, of the policy that played
    rewards: np.ndarray  # (T, S) float32, shaped
    dones: np.ndarray  # (T, S) bool: the observation began a new match
    next_value: np.ndarray  # (S,) value of the observation after the last step
    next_done: np.ndarray  # (S,)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class RolloutBuffer:
    """Room for ``steps`` decisions of ``streams`` learning streams; frames kept as uint8.

    The player fills row ``t`` (``obs[t]``, ``actions[t]``, ...) and :meth:`rollout` hands a copy
    over to the learner, so the buffer can be filled again at once.
    """

    def __init__(self, steps: int, streams: int, obs_shape: tuple[int, ...]) -> None:
        self.obs = np.zeros((steps, streams, *obs_shape), np.uint8)
        self.actions = np.zeros((steps, streams), np.int64)
        self.logprobs = np.zeros((steps, streams), np.float32)
        self.values = np.zeros((steps, streams), np.float32)
        self.rewards = np.zeros((steps, streams), np.float32)
        self.dones = np.zeros((steps, streams), bool)

    def rollout(self, next_value: Any, next_done: Any) -> Rollout:
        """A copy of the buffer, with the value (and done flag) of the observation after it."""
        return Rollout(self.obs.copy(), self.actions.copy(), self.logprobs.copy(), self.values.copy(),
                       self.rewards.copy(), self.dones.copy(), np.array(next_value, np.float32, ndmin=1),
                       np.array(next_done, bool, ndmin=1))


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


#: ``reduce(grads, stats)``: combines one minibatch step's gradients and loss statistics with
#: those of the other workers of a run, in place (see :class:`agent.workers.GradientAverager`).
GradientReducer = Callable[[dict[str, np.ndarray], dict[str, float]], None]


def ppo_update(policy: ActorCritic, optimizer: Adam, rollout: Rollout, config: PPOConfig, lr: float,
               rng: np.random.Generator, reduce: GradientReducer | None = None) -> dict:
    """Learn from ``rollout``: GAE, then epochs of minibatch PPO steps (gradient clipping, Adam).

    Returns the statistics of :func:`ppo_loss` averaged over the minibatch steps, with the
    explained variance of the values and the mean gradient norm before clipping.

    ``reduce``, when given, is called with each minibatch's gradients and statistics before
    they are clipped and applied: with several workers it averages them over all workers'
    minibatches (DD-PPO), so every worker takes the same step and keeps the same weights.
    """
    cfg = config
    advantages, returns = compute_gae(rollout.rewards, rollout.values, rollout.dones, rollout.next_value,
                                      rollout.next_done, cfg.gamma, cfg.gae_lambda)
    b_obs = rollout.obs.reshape(-1, *rollout.obs.shape[2:])
    b_actions = rollout.actions.reshape(-1)
    b_logprobs = rollout.logprobs.reshape(-1)
    b_advantages = advantages.reshape(-1)
    b_returns = returns.reshape(-1)
    b_values = rollout.values.reshape(-1)
    batch = len(b_actions)
    minibatch = batch // cfg.num_minibatches

    stats_sum: dict[str, float] = {}
    count = 0
    grad_norms = []
    for _ in range(cfg.update_epochs):
        order = rng.permutation(batch)
        for start in range(0, batch - minibatch + 1, minibatch):
            idx = order[start : start + minibatch]
            logits, values = policy.forward(b_obs[idx], train=True)
            stats, dlogits, dvalues = ppo_loss(
                logits, values, b_actions[idx], b_logprobs[idx], b_advantages[idx], b_returns[idx],
                b_values[idx], cfg.clip_coef, cfg.vf_coef, cfg.ent_coef, cfg.norm_adv, cfg.clip_vloss,
            )
            policy.backward(dlogits, dvalues)
            grads = policy.grads()
            if reduce is not None:
                reduce(grads, stats)
            grad_norms.append(clip_grad_norm(grads, cfg.max_grad_norm))
            optimizer.step(grads, lr=lr)
            for key, value in stats.items():
                stats_sum[key] = stats_sum.get(key, 0.0) + value
            count += 1
        if cfg.target_kl and stats["approx_kl"] > cfg.target_kl:
            break
    out = {key: value / max(count, 1) for key, value in stats_sum.items()}
    variance = float(np.var(b_returns))
    out["explained_variance"] = float("nan") if variance == 0 else 1.0 - float(np.var(b_returns - b_values)) / variance
    out["grad_norm"] = float(np.mean(grad_norms)) if grad_norms else 0.0
    return out
