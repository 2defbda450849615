"""A tiny CNN must learn where a bright dot is; the same run with a broken backward must not."""

import numpy as np
import pytest

from agent.nn import Adam, Conv2D, Dense, Flatten, ReLU, Sequential, clip_grad_norm
from agent.nn.blas import blas_thread_limit

CELLS = 4  # the dot's position is one of 4 x 4 cells of a 16 x 16 image: 16 classes


def dot_images(rng, n, size=16):
    """Dim noise plus one bright pixel; the label is the 4x4 cell holding the pixel."""
    x = rng.random((n, 1, size, size), dtype=np.float32) * 0.3
    r, c = rng.integers(0, size, n), rng.integers(0, size, n)
    x[np.arange(n), 0, r, c] = 1.0
    return x, (r // (size // CELLS)) * CELLS + c // (size // CELLS)


def train_dot_finder(seed, break_relu=False, steps=300, batch=64):
    rng = np.random.default_rng(seed)
    net = Sequential(
        Conv2D(1, 8, 4, stride=2, padding=1, rng=rng, needs_input_grad=False), ReLU(),
        Conv2D(8, 16, 3, stride=2, padding=1, rng=rng), ReLU(),
        Flatten(), Dense(16 * 4 * 4, 16, rng=rng), ReLU(),
        Dense(16, CELLS * CELLS, rng=rng, init="orthogonal", gain=0.01),
    )
    if break_relu:  # the original project's bug: ReLU's backward dropped the gradient
        for layer in net:
            if isinstance(layer, ReLU):
                layer.backward = np.zeros_like
    opt = Adam(net.params(), lr=3e-3)
    for _ in range(steps):
        x, y = dot_images(rng, batch)
        logits = net.forward(x)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        dlogits = p
        dlogits[np.arange(batch), y] -= 1.0  # d(mean cross-entropy)/d(logits)
        net.backward(dlogits / batch)
        clip_grad_norm(net.grads(), 5.0)
        opt.step(net.grads())
    x, y = dot_images(np.random.default_rng(10_000 + seed), 1000)
    return float(np.mean(net.forward(x, train=False).argmax(axis=1) == y))


@pytest.fixture(autouse=True)
def one_blas_thread():
    # Small GEMMs on a shared 2-core machine stall when the second core is busy.
    with blas_thread_limit(1):
        yield


def test_cnn_learns_where_the_dot_is():
    assert train_dot_finder(seed=0) >= 0.97  # chance is 1/16


def test_learning_test_fails_when_relu_backward_drops_the_gradient():
    assert train_dot_finder(seed=0, break_relu=True) < 0.5
