"""The convolution benchmark's building blocks (the benchmark itself is too slow for tests)."""

import json
import subprocess
import sys

import numpy as np

from agent.nn import Conv2D
from agent.nn.conv.views import window_view
from benchmarks.conv import DEFAULT_LAYERS, TORCH_REFERENCE, build_net, loop_conv_forward


def test_benchmark_loops_and_article_einsum_agree_with_conv2d():
    rng = np.random.default_rng(0)
    x = rng.random((2, 3, 10, 10), dtype=np.float32)
    layer = Conv2D(3, 5, 4, stride=2, rng=rng)
    layer.bias[...] = 0.5
    expected = layer.forward(x)
    np.testing.assert_allclose(loop_conv_forward(x, layer.weights, layer.bias, 2), expected, atol=1e-5)
    einsum = np.einsum("bchwkt,fckt->bfhw", window_view(x, 4, 2), layer.weights) + 0.5
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


def test_interleaved_timing_runs_blocks_of_calls_and_reports_their_mean():
    from benchmarks.conv import _interleaved

    calls = {"fast": 0, "slow": 0}

    def job(name: str, seconds: float):
        def run() -> float:  # reports its own time, as the PyTorch worker's jobs do
            calls[name] += 1
            return seconds
        return run

    times = _interleaved({"fast": job("fast", 0.01), "slow": job("slow", 0.2)}, repeats=4,
                         warmup=0, budget_s=100.0, block_s=0.05)
    # First turn: one call (nothing known yet); then blocks of 0.05 / 0.01 = 5 calls.
    assert calls == {"fast": 1 + 3 * 5, "slow": 4}
    assert times == {"fast": [0.01] * 4, "slow": [0.2] * 4}
    # A variant stops once its calls add up to the budget (after at least one turn).
    calls.update(fast=0, slow=0)
    times = _interleaved({"fast": job("fast", 0.01), "slow": job("slow", 0.2)}, repeats=4,
                         warmup=1, budget_s=0.3, block_s=0.05)
    assert len(times["slow"]) == 1 and calls["slow"] == 2
    assert len(times["fast"]) == 4


def test_torch_reference_says_why_when_torch_cannot_be_imported():
    # Run the reference program by path, as the benchmark does, with torch blocked.
    block_torch = "import runpy, sys; sys.modules['torch'] = None; runpy.run_path(sys.argv[1], run_name='__main__')"
    result = subprocess.run([sys.executable, "-c", block_torch, str(TORCH_REFERENCE)], input="{}\n",
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    first_line = json.loads(result.stdout.splitlines()[0])
    assert first_line["error"].startswith("PyTorch not available (")
    assert "torch" in first_line["error"]
