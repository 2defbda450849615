"""A small NumPy-only neural-network library: layers with forward/backward, Adam, init.

Everything computes in float32 by default (float64 on request, for gradient checks) and
never imports pygame or the game.
"""

from .activations import Flatten, ReLU
from .base import Layer
from .conv import Conv2D, conv_output_size
from .dense import Dense
from .init import he_normal, orthogonal
from .optim import Adam, clip_grad_norm
from .sequential import Sequential

__all__ = [
    "Adam", "Conv2D", "Dense", "Flatten", "Layer", "ReLU", "Sequential",
    "clip_grad_norm", "conv_output_size", "he_normal", "orthogonal",
]
