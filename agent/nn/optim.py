"""Adam with resumable state, and global gradient-norm clipping."""

from __future__ import annotations

import math
from typing import Iterable, Mapping

import numpy as np


def clip_grad_norm(grads: Mapping[str, np.ndarray] | Iterable[np.ndarray], max_norm: float) -> float:
    """Scale all gradients in place so their joint L2 norm is at most max_norm.

    Returns the norm before clipping (as PPO logs it). The norm is summed in float64 so a
    float32 network's many small squares are not lost; the scaling keeps each array's dtype.
    """
    arrays = list(grads.values()) if isinstance(grads, Mapping) else list(grads)
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in arrays))
    if total > max_norm:
        scale = max_norm / (total + 1e-6)  # the 1e-6 matches torch.nn.utils.clip_grad_norm_
        for g in arrays:
            g *= scale
    return total


class Adam:
    """Adam (Kingma & Ba 2015) in PyTorch's form, updating parameter arrays in place.

    For each parameter p with gradient g, at step t = 1, 2, ...:
        m = beta1*m + (1-beta1)*g;   v = beta2*v + (1-beta2)*g*g
        p -= lr / (1-beta1**t) * m / (sqrt(v) / sqrt(1-beta2**t) + eps)
    eps defaults to 1e-5 as in PPO implementations (cleanrl, baselines), not 1e-8.

    Args:
        params: the live arrays by name (e.g. `net.params()`); updated in place.
        lr: learning rate; `step(grads, lr=...)` or assigning `.lr` changes it (schedules).
    """

    def __init__(self, params: Mapping[str, np.ndarray], lr: float = 2.5e-4,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-5) -> None:
        if lr < 0 or eps <= 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Adam needs lr >= 0, eps > 0 and betas in [0, 1); got lr={lr}, "
                             f"betas={betas}, eps={eps}.")
        self.params = dict(params)
        self.lr, self.betas, self.eps = float(lr), (float(betas[0]), float(betas[1])), float(eps)
        self.t = 0
        self.m = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.v = {name: np.zeros_like(p) for name, p in self.params.items()}

    def step(self, grads: Mapping[str, np.ndarray], lr: float | None = None) -> None:
        """One update from gradients named like `params`; lr, if given, becomes the new rate."""
        if grads.keys() != self.params.keys():
            raise ValueError("Adam.step needs one gradient per parameter, with the same names.")
        if lr is not None:
            self.lr = float(lr)
        self.t += 1
        b1, b2 = self.betas
        step_size = self.lr / (1.0 - b1 ** self.t)
        root_bc2 = math.sqrt(1.0 - b2 ** self.t)
        for name, p in self.params.items():
            g, m, v = grads[name], self.m[name], self.v[name]
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            denom = np.sqrt(v)
            denom /= root_bc2
            denom += self.eps
            p -= step_size * (m / denom)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat arrays for np.savez: "step", "m.<name>", "v.<name>" (copies)."""
        state = {"step": np.array(self.t, dtype=np.int64)}
        state.update({f"m.{name}": a.copy() for name, a in self.m.items()})
        state.update({f"v.{name}": a.copy() for name, a in self.v.items()})
        return state

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore from `state_dict()` output, so training resumes exactly."""
        expected = {"step"} | {f"{k}.{name}" for k in "mv" for name in self.params}
        if set(state.keys()) != expected:
            raise ValueError("Optimizer state does not match these parameters "
                             f"(missing {sorted(expected - state.keys())}, "
                             f"unexpected {sorted(state.keys() - expected)}).")
        for name, p in self.params.items():
            for k, store in (("m", self.m), ("v", self.v)):
                if np.shape(state[f"{k}.{name}"]) != p.shape:
                    raise ValueError(f"Optimizer state {k}.{name} has the wrong shape.")
        self.t = int(state["step"])
        for name in self.params:
            self.m[name][...] = state[f"m.{name}"]
            self.v[name][...] = state[f"v.{name}"]
