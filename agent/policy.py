"""The actor-critic CNN that plays from stacked gray frames.

    frames (K, H, W) uint8 -> / 255
      -> Conv 8x8 stride 4, ReLU -> Conv 4x4 stride 2, ReLU -> Flatten -> Dense, ReLU
      -> policy head: 18 logits (one per action)     value head: 1 number (expected return)

One network plays either side: the environment mirrors player 2's view and actions, so both
players see themselves starting on the left. Weights are initialised orthogonally (gain
sqrt(2) in the body, 0.01 for the policy head so the first policy is nearly uniform, 1 for
the value head), as in PPO practice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from agent.nn import Conv2D, Dense, Flatten, Sequential
from agent.nn.conv import conv_output_size
from game.env import NUM_ACTIONS


@dataclass(frozen=True)
class NetworkConfig:
    """The architecture; saved with every agent so it can be rebuilt when loaded."""

    channels: tuple[int, ...] = (16, 32)  # kernels of each conv layer
    kernel_sizes: tuple[int, ...] = (8, 4)
    strides: tuple[int, ...] = (4, 2)
    hidden: int = 256  # units of the dense layer before the heads

    def __post_init__(self) -> None:
        if not (len(self.channels) == len(self.kernel_sizes) == len(self.strides) >= 1):
            raise ValueError("channels, kernel_sizes and strides need one entry per conv layer")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> NetworkConfig:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def conv_grid(obs_shape: tuple[int, int, int], network: NetworkConfig) -> tuple[int, int, int]:
    """(channels, height, width) of the last convolution's output for observations ``obs_shape``."""
    channels, height, width = obs_shape
    for out, k, s in zip(network.channels, network.kernel_sizes, network.strides):
        channels, height, width = out, conv_output_size(height, k, s), conv_output_size(width, k, s)
    return channels, height, width


def parameter_count(obs_shape: tuple[int, int, int], network: NetworkConfig) -> int:
    """How many weights :class:`ActorCritic` has for these settings (computed, nothing allocated);
    -1 when the convolutions leave nothing of the frames (no network can be built)."""
    channels, height, width = conv_grid(obs_shape, network)  # a size < 1 stays < 1 in later layers
    if height < 1 or width < 1:
        return -1
    inputs = (obs_shape[0], *network.channels[:-1])
    count = sum(out * c * k * k + out for out, c, k in zip(network.channels, inputs, network.kernel_sizes))
    flat = channels * height * width
    return count + flat * network.hidden + network.hidden + (network.hidden + 1) * (NUM_ACTIONS + 1)


def count_weights(params: dict[str, np.ndarray]) -> int:
    """How many numbers a set of weights holds."""
    return sum(int(value.size) for value in params.values())


def widen_params(params: dict[str, np.ndarray], network: NetworkConfig, old_shape: tuple[int, int, int],
                 new_shape: tuple[int, int, int]) -> dict[str, np.ndarray]:
    """The weights of a network for observations ``old_shape`` moved to one for ``new_shape``,
    the same frames with rows and columns added below and to the right (a frame margin).

    The convolutions are unchanged; the last one's output grid grows at the bottom and right, and
    the dense layer's weights for the new positions are zero. The new positions read only the
    added pixels and the old ones the same pixels as before, so on a frame with its margin the
    widened network computes what the old one did on the frame without it (to float rounding):
    it starts out playing as before and can learn to use what it now sees.
    """
    if old_shape[0] != new_shape[0] or new_shape[1] < old_shape[1] or new_shape[2] < old_shape[2]:
        raise ValueError(f"a network for observations {old_shape} can be widened only to larger frames of "
                         f"the same channels, not {new_shape}")
    (c, h0, w0), (_, h1, w1) = conv_grid(old_shape, network), conv_grid(new_shape, network)
    key = f"body.{len(network.channels) + 1}.weights"  # the dense layer after Flatten
    old = params[key]
    if old.shape[0] != c * h0 * w0:
        raise ValueError(f"the weights are not those of a network for observations {old_shape}")
    dense = np.zeros((c, h1, w1, old.shape[1]), old.dtype)
    dense[:, :h0, :w0] = old.reshape(c, h0, w0, old.shape[1])  # Flatten's order: channel, row, column
    return {**{k: v.copy() for k, v in params.items()}, key: dense.reshape(c * h1 * w1, old.shape[1])}


class ActorCritic:
    """Policy and value network over (B, K, H, W) uint8 observations.

    ``forward`` returns (logits (B, 18), values (B,)); ``backward(dlogits, dvalues)`` fills the
    gradients returned by ``grads()``; ``act`` samples actions for a batch.
    """

    def __init__(
        self,
        obs_shape: tuple[int, int, int],
        config: NetworkConfig = NetworkConfig(),
        rng: np.random.Generator | None = None,
        threads: int | None = None,
    ) -> None:
        """``threads``: worker threads of each layer (None: one per core, at most 4)."""
        rng = rng if rng is not None else np.random.default_rng(0)
        self.obs_shape = tuple(obs_shape)
        self.config = config
        layers = []
        channels, height, width = obs_shape
        for i, (out, k, s) in enumerate(zip(config.channels, config.kernel_sizes, config.strides)):
            conv = Conv2D(channels, out, k, s, rng=rng, init="orthogonal", activation="relu",
                          needs_input_grad=i > 0, threads=threads,
                          input_scale=1.0 / 255.0 if i == 0 else 1.0)  # frames arrive as uint8
            layers.append(conv)
            channels, height, width = conv.output_shape((channels, height, width))
        layers.append(Flatten())
        layers.append(Dense(channels * height * width, config.hidden, rng=rng, init="orthogonal",
                            activation="relu", threads=threads))
        self.body = Sequential(*layers)
        self.policy_head = Dense(config.hidden, NUM_ACTIONS, rng=rng, init="orthogonal", gain=0.01, threads=threads)
        self.value_head = Dense(config.hidden, 1, rng=rng, init="orthogonal", gain=1.0, threads=threads)

    # ------------------------------------------------------------------------------------
    def forward(self, obs: np.ndarray, train: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Logits (B, 18) and values (B,) for uint8 observations (B, K, H, W)."""
        if obs.shape[1:] != self.obs_shape:
            raise ValueError(f"this network sees observations of shape {self.obs_shape}, got {obs.shape[1:]}")
        hidden = self.body.forward(obs, train)  # the first layer scales the uint8 frames by 1/255
        logits = self.policy_head.forward(hidden, train)
        values = self.value_head.forward(hidden, train)[:, 0]
        return logits, values

    def backward(self, dlogits: np.ndarray, dvalues: np.ndarray) -> None:
        """Back-propagate the loss gradients of the last ``forward(train=True)``."""
        dhidden = self.policy_head.backward(dlogits)
        dhidden += self.value_head.backward(dvalues[:, None].astype(np.float32))
        self.body.backward(dhidden)

    def act(
        self, obs: np.ndarray, rng: np.random.Generator, greedy: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(actions, log-probabilities, values, probabilities) for a batch, sampling or greedy."""
        logits, values = self.forward(obs, train=False)
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        if greedy:
            actions = probs.argmax(axis=1)
        else:
            cumulative = probs.cumsum(axis=1)
            u = rng.random(len(probs))[:, None] * cumulative[:, -1:]
            actions = np.minimum((cumulative < u).sum(axis=1), NUM_ACTIONS - 1)
        logprobs = np.log(probs[np.arange(len(probs)), actions] + 1e-12)
        return actions, logprobs.astype(np.float32), values, probs

    # ------------------------------------------------------------------------------------
    def params(self) -> dict[str, np.ndarray]:
        """Live parameter arrays by name (the optimizer updates these in place)."""
        out = {f"body.{k}": v for k, v in self.body.params().items()}
        out.update({f"policy.{k}": v for k, v in self.policy_head.params().items()})
        out.update({f"value.{k}": v for k, v in self.value_head.params().items()})
        return out

    def grads(self) -> dict[str, np.ndarray]:
        out = {f"body.{k}": v for k, v in self.body.grads().items()}
        out.update({f"policy.{k}": v for k, v in self.policy_head.grads().items()})
        out.update({f"value.{k}": v for k, v in self.value_head.grads().items()})
        return out

    def get_params(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.params().items()}

    def set_params(self, values: dict[str, np.ndarray]) -> None:
        """Copy weights in; ValueError (changing nothing) if names or shapes differ."""
        params = self.params()
        if set(values) != set(params):
            missing, extra = sorted(set(params) - set(values)), sorted(set(values) - set(params))
            raise ValueError(f"the weights do not fit this network (missing {missing}, unexpected {extra})")
        for name, arr in params.items():
            if np.shape(values[name]) != arr.shape:
                raise ValueError(f"weight {name} has shape {np.shape(values[name])}, the network needs {arr.shape}")
        for name, arr in params.items():
            arr[...] = values[name]
