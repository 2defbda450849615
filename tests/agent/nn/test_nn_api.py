"""Dtypes, parameter naming and saving, inference mode, seeding, and import hygiene."""

import subprocess
import sys

import numpy as np
import pytest

from agent.nn import Conv2D, Dense, Flatten, ReLU, Sequential, he_normal, orthogonal


def policy_like(rng, fused=False):
    """A scaled-down version of the agent's network (same layer types and strides)."""
    act = "relu" if fused else None
    layers = [Conv2D(2, 4, 8, stride=4, rng=rng, needs_input_grad=False, activation=act)]
    layers += [] if fused else [ReLU()]
    layers += [Conv2D(4, 8, 4, stride=2, rng=rng, activation=act)]
    layers += [] if fused else [ReLU()]
    layers += [Flatten(), Dense(8 * 2 * 6, 16, rng=rng, activation=act)]
    layers += [] if fused else [ReLU()]
    layers += [Dense(16, 19, rng=rng, init="orthogonal", gain=0.01)]
    return Sequential(*layers)


@pytest.mark.parametrize("fused", [False, True])
def test_float32_everywhere(fused):
    rng = np.random.default_rng(0)
    net = policy_like(rng, fused)
    for x in (rng.random((3, 2, 28, 64)),  # float64 input: cast down, never promoted up
              rng.random((3, 2, 28, 64), dtype=np.float32),
              rng.integers(0, 256, (3, 2, 28, 64), dtype=np.uint8)):
        y = net.forward(x)
        assert y.dtype == np.float32 and y.shape == (3, 19)
        assert net.forward(x, train=False).dtype == np.float32
        net.backward(np.ones(y.shape))  # float64 upstream gradient, too
        for name, g in net.grads().items():
            assert g.dtype == np.float32, name
        for name, p in net.params().items():
            assert p.dtype == np.float32, name
    # Layer by layer, including the input gradient of a layer that computes it.
    h = rng.random((3, 2, 28, 64), dtype=np.float32)
    for layer in net:
        h = layer.forward(h)
        assert h.dtype == np.float32, layer
    g = np.ones(h.shape, np.float32)
    for layer in reversed(net.layers[1:]):
        g = layer.backward(g)
        assert g.dtype == np.float32, layer


def test_parameter_names_order_and_round_trip(tmp_path):
    net = policy_like(np.random.default_rng(0))
    names = list(net.params())
    assert names == ["0.weights", "0.bias", "2.weights", "2.bias", "5.weights", "5.bias",
                     "7.weights", "7.bias"]
    assert net.params()["0.weights"].shape == (4, 2, 8, 8)
    assert net.params()["5.weights"].shape == (96, 16)
    path = tmp_path / "net.npz"
    np.savez(path, **net.get_params())
    other = policy_like(np.random.default_rng(1))
    with np.load(path, allow_pickle=False) as saved:
        other.set_params(dict(saved))
    x = np.random.default_rng(2).random((2, 2, 28, 64), dtype=np.float32)
    np.testing.assert_array_equal(other.forward(x, train=False), net.forward(x, train=False))


def test_set_params_rejects_mismatches_without_changing_anything():
    net = policy_like(np.random.default_rng(0))
    before = net.get_params()
    bad = dict(before)
    bad["7.bias"] = np.zeros(5, np.float32)
    with pytest.raises(ValueError, match="7.bias"):
        net.set_params(bad)
    missing = dict(before)
    del missing["0.bias"]
    with pytest.raises(ValueError, match="missing"):
        net.set_params(missing)
    for name, p in net.params().items():
        np.testing.assert_array_equal(p, before[name])


def test_get_params_returns_copies():
    net = policy_like(np.random.default_rng(0))
    saved = net.get_params()
    saved["0.bias"][...] = 5
    assert not np.any(net.params()["0.bias"] == 5)


def test_inference_forward_does_not_disturb_a_training_step():
    rng = np.random.default_rng(0)
    x, other = rng.random((4, 2, 28, 64), dtype=np.float32), rng.random((7, 2, 28, 64), dtype=np.float32)
    g = rng.standard_normal((4, 19)).astype(np.float32)
    a, b = policy_like(np.random.default_rng(5)), policy_like(np.random.default_rng(5))
    ya = a.forward(x)
    a.backward(g)
    yb = b.forward(x)
    np.testing.assert_array_equal(b.forward(x, train=False), yb)
    b.forward(other, train=False)  # acting in between must not clobber the saved state
    b.backward(g)
    np.testing.assert_array_equal(ya, yb)
    for name, grad in a.grads().items():
        np.testing.assert_array_equal(b.grads()[name], grad, err_msg=name)


def test_backward_overwrites_gradients():
    rng = np.random.default_rng(0)
    net = policy_like(rng)
    x = rng.random((2, 2, 28, 64), dtype=np.float32)
    g = rng.standard_normal((2, 19)).astype(np.float32)
    net.forward(x)
    net.backward(g)
    first = {k: v.copy() for k, v in net.grads().items()}
    net.forward(x)
    net.backward(g)
    for name, grad in net.grads().items():
        np.testing.assert_array_equal(grad, first[name], err_msg=name)


def test_initialisation_is_seeded_and_scaled():
    a, b = policy_like(np.random.default_rng(3)), policy_like(np.random.default_rng(3))
    for name, p in a.params().items():
        np.testing.assert_array_equal(p, b.params()[name])
    rng = np.random.default_rng(0)
    w = he_normal(rng, (400, 300), fan_in=300)
    assert w.dtype == np.float32 and np.std(w) == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    q = orthogonal(rng, 16, 128, gain=2.0).astype(np.float64)
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(16), atol=1e-5)
    q = orthogonal(rng, 64, 10).astype(np.float64)
    np.testing.assert_allclose(q.T @ q, np.eye(10), atol=1e-5)
    conv = Conv2D(2, 8, 3, rng=rng, init="orthogonal", gain=1.0, dtype=np.float64)
    flat = conv.weights.reshape(8, -1)
    np.testing.assert_allclose(flat @ flat.T, np.eye(8), atol=1e-12)
    dense = Dense(32, 8, rng=rng, init="orthogonal", gain=1.0, dtype=np.float64)
    np.testing.assert_allclose(dense.weights.T @ dense.weights, np.eye(8), atol=1e-12)
    with pytest.raises(ValueError, match="init"):
        Dense(3, 3, rng=rng, init="xavier")


def test_nn_imports_neither_pygame_nor_the_game():
    code = ("import sys, agent.nn; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('pygame', 'game')]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
