"""The convolution benchmark's building blocks (the benchmark itself is too slow for tests)."""

import numpy as np

from agent.nn import Conv2D, Dense
from benchmarks.conv import DEFAULT_LAYERS, article_windows, build_net, loop_conv_forward


def test_benchmark_loops_and_article_einsum_agree_with_conv2d():
    rng = np.random.default_rng(0)
    x = rng.random((2, 3, 10, 10), dtype=np.float32)
    layer = Conv2D(3, 5, 4, stride=2, rng=rng)
    layer.bias[...] = 0.5
    expected = layer.forward(x)
    np.testing.assert_allclose(loop_conv_forward(x, layer.weights, layer.bias, 2), expected, atol=1e-5)
    einsum = np.einsum("bchwkt,fckt->bfhw", article_windows(x, 4, 2), layer.weights) + 0.5
    np.testing.assert_allclose(einsum, expected, atol=1e-5)


def test_default_benchmark_network_is_the_policy_shape():
    from agent.policy import ActorCritic

    from benchmarks.conv import DEFAULT_INPUT

    net = build_net(DEFAULT_LAYERS, DEFAULT_INPUT, np.random.default_rng(0))
    policy = ActorCritic(DEFAULT_INPUT)
    assert [type(layer).__name__ for layer in net] == ["Conv2D", "Conv2D", "Flatten", "Dense", "Dense"]
    assert net[0].activation == "relu" and not net[0].needs_input_grad
    assert net[3].in_features == policy.body[3].in_features
    assert sum(p.size for p in net.params().values()) == sum(p.size for p in policy.params().values())
    y = net.forward(np.zeros((2, *DEFAULT_INPUT), np.float32), train=False)
    assert y.shape == (2, 19)
    unfused = build_net(DEFAULT_LAYERS, DEFAULT_INPUT, np.random.default_rng(0), fuse_relu=False)
    assert len(unfused) == 8
