"""Central finite differences in float64 against every layer's backward, and a whole network."""

import numpy as np
import pytest

from agent.nn import Conv2D, Dense, Flatten, ReLU, Sequential

EPS = 1e-6


def numeric_grad(f, arr, rng, samples=None):
    """d f / d arr by central differences, at all entries or a seeded sample of them."""
    flat = arr.reshape(-1)  # a view: nudging it nudges arr
    idx = np.arange(flat.size) if samples is None or samples >= flat.size else \
        rng.choice(flat.size, samples, replace=False)
    grads = np.empty(len(idx))
    for t, i in enumerate(idx):
        old = flat[i]
        flat[i] = old + EPS
        up = f()
        flat[i] = old - EPS
        down = f()
        flat[i] = old
        grads[t] = (up - down) / (2 * EPS)
    return idx, grads


def check_layer(layer, x, rng, samples=None):
    """Loss sum(forward(x) * r): compare backward's dx and parameter grads with numerics."""
    r = rng.standard_normal(layer.forward(x).shape)

    def loss():
        return float(np.sum(layer.forward(x, train=False) * r))

    layer.forward(x)
    gx = layer.backward(r.copy())
    checks = [("input", x, gx)] + [(name, p, layer.grads()[name]) for name, p in layer.params().items()]
    for name, arr, analytic in checks:
        if analytic is None:
            continue
        assert analytic.dtype == np.float64, name
        idx, numeric = numeric_grad(loss, arr, rng, samples)
        np.testing.assert_allclose(analytic.reshape(-1)[idx], numeric, rtol=1e-6, atol=1e-7,
                                   err_msg=f"gradient of {name} in {layer!r}")


@pytest.mark.parametrize("k, stride, padding, relu", [
    (3, 1, 0, False), (3, 1, 1, False), (4, 2, 0, False), (3, 2, 1, False),
    (8, 4, 0, False), (5, 3, 2, False), (4, 2, 1, True),
])
@pytest.mark.parametrize("method", ["cells", "windows", "einsum"])
def test_conv_gradients(k, stride, padding, relu, method):
    rng = np.random.default_rng(k * 100 + stride * 10 + padding)
    layer = Conv2D(2, 3, k, stride, padding, rng=rng, dtype=np.float64, method=method,
                   activation="relu" if relu else None)
    layer.bias[...] = rng.standard_normal(3) * 0.1
    x = rng.standard_normal((2, 2, 9 + k, 8 + k))
    check_layer(layer, x, rng, samples=40)


@pytest.mark.parametrize("relu", [False, True])
def test_dense_gradients(relu):
    rng = np.random.default_rng(1)
    layer = Dense(5, 4, rng=rng, dtype=np.float64, activation="relu" if relu else None)
    layer.bias[...] = rng.standard_normal(4) * 0.1
    check_layer(layer, rng.standard_normal((3, 5)), rng)


def test_relu_and_flatten_gradients():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink, where differences are meaningless
    check_layer(ReLU(), x, rng)
    check_layer(Flatten(), x, rng)


def small_net(rng, dtype=np.float64):
    return Sequential(
        Conv2D(2, 4, 4, stride=2, padding=1, rng=rng, dtype=dtype),
        ReLU(),
        Conv2D(4, 6, 3, stride=2, rng=rng, activation="relu", dtype=dtype),
        Flatten(),
        Dense(6 * 2 * 3, 8, rng=rng, activation="relu", dtype=dtype),
        Dense(8, 3, rng=rng, dtype=dtype),
    )


def test_whole_network_gradients():
    rng = np.random.default_rng(4)
    net = small_net(rng)
    for p in net.params().values():
        if p.ndim == 1:
            p[...] = rng.standard_normal(p.shape) * 0.1
    x = rng.standard_normal((3, 2, 11, 14))
    check_layer(net, x, rng, samples=25)


def test_float32_network_converts_to_float64_for_checks():
    rng = np.random.default_rng(5)
    net = small_net(rng, dtype=np.float32)
    before = net.get_params()
    net.astype(np.float64)
    assert all(p.dtype == np.float64 for p in net.params().values())
    assert all(g.dtype == np.float64 for g in net.grads().values())
    for name, p in net.params().items():
        np.testing.assert_array_equal(p, before[name].astype(np.float64))
    check_layer(net, rng.standard_normal((2, 2, 11, 14)), rng, samples=10)


def test_dense_split_across_threads_matches_plain_matmuls():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((64, 300))
    g = rng.standard_normal((64, 300))
    layer = Dense(300, 300, rng=rng, activation="relu", threads=3, dtype=np.float64)
    assert layer._parts(64) > 1  # big enough to be split into row / column blocks
    y = layer.forward(x)
    gx = layer.backward(g)
    z = x @ layer.weights + layer.bias
    np.testing.assert_allclose(y, np.maximum(z, 0), rtol=1e-12, atol=1e-12)
    g_eff = g * (z > 0)
    np.testing.assert_allclose(layer.grad_weights, x.T @ g_eff, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grad_bias, g_eff.sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(gx, g_eff @ layer.weights.T, rtol=1e-10, atol=1e-12)
