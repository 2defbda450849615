"""Adam against a hand-worked update, exact resume from saved state, gradient clipping."""

import numpy as np
import pytest

from agent.nn import Adam, clip_grad_norm


def test_adam_matches_hand_worked_steps():
    # p = 1, lr 0.1, betas (0.9, 0.999), eps 1e-5.
    # Step 1, g = 0.5: m = 0.05, v = 0.00025, m_hat = 0.5, sqrt(v_hat) = 0.5
    #   p = 1 - 0.1 * 0.5 / (0.5 + 1e-5) = 0.90000199996...
    # Step 2, g = -0.25, lr changed to 0.05: m = 0.02, v = 0.00031225,
    #   p -= 0.05 / (1 - 0.9**2) * 0.02 / (sqrt(0.00031225 / (1 - 0.999**2)) + 1e-5) -> 0.88668548...
    p = np.array([1.0])
    opt = Adam({"p": p}, lr=0.1)
    assert opt.eps == 1e-5
    opt.step({"p": np.array([0.5])})
    np.testing.assert_allclose(p, [0.9000019999600007], rtol=1e-14)
    opt.step({"p": np.array([-0.25])}, lr=0.05)
    np.testing.assert_allclose(p, [0.8866854849116944], rtol=1e-14)
    assert opt.lr == 0.05 and opt.t == 2


def test_adam_float32_stays_float32():
    p = np.ones((3, 2), np.float32)
    opt = Adam({"w": p}, lr=1e-3)
    opt.step({"w": np.full((3, 2), 0.5, np.float32)})
    assert p.dtype == np.float32 and opt.m["w"].dtype == np.float32 and opt.v["w"].dtype == np.float32
    np.testing.assert_allclose(p, 1 - 1e-3 * 0.5 / (0.5 + 1e-5), rtol=1e-6)


def test_adam_resumes_exactly_from_saved_state():
    rng = np.random.default_rng(0)
    grads = [{"a": rng.standard_normal(4).astype(np.float32),
              "b": rng.standard_normal((2, 2)).astype(np.float32)} for _ in range(6)]
    start = {"a": np.zeros(4, np.float32), "b": np.ones((2, 2), np.float32)}

    straight = {k: v.copy() for k, v in start.items()}
    opt = Adam(straight, lr=0.01)
    for g in grads:
        opt.step(g)

    first = {k: v.copy() for k, v in start.items()}
    opt1 = Adam(first, lr=0.01)
    for g in grads[:3]:
        opt1.step(g)
    saved_params = {k: v.copy() for k, v in first.items()}
    saved_state = {k: v.copy() for k, v in opt1.state_dict().items()}
    resumed = saved_params
    opt2 = Adam(resumed, lr=0.01)
    opt2.load_state_dict(saved_state)
    for g in grads[3:]:
        opt2.step(g)
    for k in start:
        np.testing.assert_array_equal(resumed[k], straight[k])
    assert sorted(saved_state) == ["m.a", "m.b", "step", "v.a", "v.b"]


def test_adam_rejects_mismatched_state_and_grads():
    opt = Adam({"a": np.zeros(2)})
    with pytest.raises(ValueError, match="does not match"):
        opt.load_state_dict({"step": np.array(1)})
    with pytest.raises(ValueError, match="one gradient per parameter"):
        opt.step({"b": np.zeros(2)})


def test_clip_grad_norm_scales_to_max_norm():
    grads = {"a": np.array([3.0], np.float32), "b": np.array([[4.0]], np.float32)}  # norm 5
    norm = clip_grad_norm(grads, 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(grads["a"], [0.6], rtol=1e-5)
    np.testing.assert_allclose(grads["b"], [[0.8]], rtol=1e-5)
    assert grads["a"].dtype == np.float32
    assert np.sqrt(grads["a"] ** 2 + grads["b"] ** 2).item() == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_leaves_small_gradients_alone():
    grads = [np.array([0.3, 0.4])]
    assert clip_grad_norm(grads, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(grads[0], [0.3, 0.4])
