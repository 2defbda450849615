"""Conv2D against a plain loop reference: forward, input, weight and bias gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.nn import Conv2D, conv_output_size


def loop_conv(x, w, b, stride, padding):
    """Reference convolution: one output position at a time, window at (oh*stride, ow*stride)."""
    n, c, h, wd = x.shape
    f, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh = (h + 2 * padding - k) // stride + 1
    ow = (wd + 2 * padding - k) // stride + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            out[:, :, i, j] = np.einsum("nckl,fckl->nf", patch, w) + b
    return out


def loop_conv_backward(x, w, grad_out, stride, padding):
    """Reference gradients (grad_x, grad_w, grad_b): each window scatters back where it read."""
    n, c, h, wd = x.shape
    f, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    gxp = np.zeros_like(xp, dtype=np.float64)
    gw = np.zeros(w.shape)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            g = grad_out[:, :, i, j]
            rows, cols = slice(i * stride, i * stride + k), slice(j * stride, j * stride + k)
            gxp[:, :, rows, cols] += np.einsum("nf,fckl->nckl", g, w)
            gw += np.einsum("nf,nckl->fckl", g, xp[:, :, rows, cols])
    gx = gxp[:, :, padding:padding + h, padding:padding + wd]
    return gx, gw, grad_out.sum(axis=(0, 2, 3))


def test_loop_reference_is_right_on_a_hand_example():
    # 1 channel 4x4 input, 2x2 kernel of ones, stride 2: sums of the four 2x2 blocks.
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    out = loop_conv(x, np.ones((1, 1, 2, 2)), np.zeros(1), stride=2, padding=0)
    assert out[0, 0].tolist() == [[0 + 1 + 4 + 5, 2 + 3 + 6 + 7], [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]]


METHODS = ["cells", "windows", "einsum"]  # every way Conv2D computes ("auto" picks cells or windows)


def check_against_loops(rng, n, c, f, k, stride, padding, h, w, layout="nchw", chunk_bytes=None,
                        needs_input_grad=True, relu=False, method="auto"):
    layer = Conv2D(c, f, k, stride, padding, rng=rng, dtype=np.float64, method=method,
                   needs_input_grad=needs_input_grad, activation="relu" if relu else None)
    layer.bias[...] = rng.standard_normal(f)
    if chunk_bytes is not None:
        layer.chunk_bytes = chunk_bytes
    x = rng.standard_normal((n, c, h, w))
    if layout == "nhwc":  # same values, channels-last memory (what a previous Conv2D returns)
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    ref = loop_conv(x, layer.weights, layer.bias, stride, padding)
    out = layer.forward(x)
    expected = np.maximum(ref, 0) if relu else ref
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    grad_out = rng.standard_normal(out.shape)
    g_eff = grad_out * (ref > 0) if relu else grad_out
    gx_ref, gw_ref, gb_ref = loop_conv_backward(x, layer.weights, g_eff, stride, padding)
    gx = layer.backward(grad_out)
    np.testing.assert_allclose(layer.grad_weights, gw_ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.grad_bias, gb_ref, rtol=1e-10, atol=1e-10)
    if needs_input_grad:
        np.testing.assert_allclose(gx, gx_ref, rtol=1e-10, atol=1e-10)
    else:
        assert gx is None


CASES = [
    # n, c, f, k, stride, padding, h, w
    (2, 3, 4, 3, 1, 0, 7, 8),
    (2, 3, 4, 3, 1, 1, 5, 6),
    (3, 2, 5, 4, 2, 0, 10, 9),     # stride 2, even kernel
    (2, 2, 3, 8, 4, 0, 20, 24),    # the agent's first layer, small
    (2, 4, 3, 4, 2, 0, 9, 13),     # the agent's second layer, odd sizes (edge rows/cols unused)
    (2, 3, 2, 3, 2, 1, 9, 11),     # kernel not a multiple of stride, padding
    (2, 2, 3, 5, 3, 2, 11, 10),
    (1, 1, 1, 1, 1, 0, 3, 4),      # 1x1 kernel
    (2, 2, 3, 2, 3, 0, 8, 7),      # stride larger than kernel: skipped pixels get zero gradient
    (2, 3, 2, 4, 4, 0, 4, 4),      # one output pixel
    (2, 1, 2, 3, 1, 3, 2, 2),      # padding larger than the image
    (2, 3, 7, 3, 2, 1, 9, 10),     # 7 kernels: computed as 8 (whole float64 vectors)
    (2, 3, 15, 4, 2, 0, 12, 12),   # the seed article's layer, small
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
@pytest.mark.parametrize("case", CASES)
def test_conv_matches_loops(case, layout, method):
    rng = np.random.default_rng(sum(case))
    check_against_loops(rng, *case, layout=layout, method=method)


@pytest.mark.parametrize("method", METHODS)
def test_conv_chunks_and_fused_relu_and_no_input_grad(method):
    rng = np.random.default_rng(7)
    # chunk_bytes=1 forces one image per chunk; 5 images exercise a ragged batch too.
    check_against_loops(rng, 5, 2, 3, 4, 2, 0, 10, 12, chunk_bytes=1, method=method)
    check_against_loops(rng, 5, 2, 3, 4, 2, 1, 10, 12, chunk_bytes=20000, relu=True, method=method)
    check_against_loops(rng, 3, 2, 3, 8, 4, 0, 16, 16, needs_input_grad=False, relu=True, method=method)


def test_auto_method_takes_windows_only_for_thin_cells():
    rng = np.random.default_rng(0)
    seed_layer = Conv2D(3, 15, 4, 2, rng=rng)      # 3 channels x 2 x 2 = 12 per cell: thin
    agent_layer = Conv2D(16, 32, 4, 2, rng=rng)    # 64 per cell
    assert seed_layer.chosen_method() == "windows"
    assert agent_layer.chosen_method() == "cells"
    assert Conv2D(3, 15, 4, 2, rng=rng, method="einsum").chosen_method() == "einsum"
    with pytest.raises(ValueError, match="method"):
        Conv2D(3, 4, 3, rng=rng, method="fft")


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_conv_matches_loops_on_random_shapes(data):
    k = data.draw(st.integers(1, 5), label="kernel")
    stride = data.draw(st.integers(1, 4), label="stride")
    padding = data.draw(st.integers(0, 2), label="padding")
    h = data.draw(st.integers(max(1, k - 2 * padding), 12), label="h")
    w = data.draw(st.integers(max(1, k - 2 * padding), 12), label="w")
    n, c, f = (data.draw(st.integers(1, 3), label=name) for name in "ncf")
    layout = data.draw(st.sampled_from(["nchw", "nhwc"]), label="layout")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    check_against_loops(np.random.default_rng(seed), n, c, f, k, stride, padding, h, w, layout=layout,
                        chunk_bytes=data.draw(st.sampled_from([1, 1 << 20]), label="chunk_bytes"),
                        method=data.draw(st.sampled_from(METHODS), label="method"))


@pytest.mark.parametrize("method", METHODS)
def test_uint8_input_equals_float_input(method):
    rng = np.random.default_rng(3)
    layer = Conv2D(2, 4, 8, 4, rng=rng, method=method)
    frames = rng.integers(0, 256, size=(3, 2, 24, 32), dtype=np.uint8)
    a = layer.forward(frames)
    b = layer.forward(frames.astype(np.float32))
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", METHODS)
def test_input_scale_folds_into_the_weights(method):
    rng = np.random.default_rng(4)
    frames = rng.integers(0, 256, size=(3, 2, 24, 32), dtype=np.uint8)
    scaled = Conv2D(2, 4, 4, 2, rng=np.random.default_rng(0), input_scale=1 / 255, dtype=np.float64,
                    method=method)
    plain = Conv2D(2, 4, 4, 2, rng=np.random.default_rng(0), dtype=np.float64, method=method)
    y = scaled.forward(frames)
    np.testing.assert_allclose(y, plain.forward(frames / 255.0), rtol=1e-12)
    g = rng.standard_normal(y.shape)
    gx = scaled.backward(g)
    gx_plain = plain.backward(g)
    np.testing.assert_allclose(scaled.grad_weights, plain.grad_weights, rtol=1e-10)
    np.testing.assert_allclose(scaled.grad_bias, plain.grad_bias, rtol=1e-12)
    np.testing.assert_allclose(gx, gx_plain / 255.0, rtol=1e-12)  # d/d(raw frames)


def test_output_shape_and_errors():
    layer = Conv2D(2, 16, 8, 4, rng=np.random.default_rng(0))
    assert layer.output_shape((2, 64, 128)) == (16, 15, 31)
    assert conv_output_size(15, 4, 2) == 6
    assert layer.forward(np.zeros((1, 2, 64, 128), np.float32)).shape == (1, 16, 15, 31)
    with pytest.raises(ValueError, match="expects input of shape"):
        layer.forward(np.zeros((1, 3, 64, 128), np.float32))
    with pytest.raises(ValueError, match="at least 8 x 8"):
        layer.forward(np.zeros((1, 2, 4, 4), np.float32))
    with pytest.raises(ValueError, match="stride"):
        Conv2D(2, 16, 8, 0, rng=np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="forward"):
        Conv2D(2, 3, 3, rng=np.random.default_rng(0)).backward(np.zeros((1, 3, 1, 1), np.float32))


@pytest.mark.parametrize("method", METHODS)
def test_results_do_not_depend_on_threads_or_chunking(method):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((9, 3, 21, 19)).astype(np.float32)
    results = []
    for threads, chunk_bytes in ((1, 1 << 30), (1, 1), (2, 1), (3, 1)):
        layer = Conv2D(3, 4, 4, 2, 1, rng=np.random.default_rng(0), activation="relu", threads=threads,
                       method=method)
        layer.chunk_bytes = chunk_bytes
        y = layer.forward(x)
        gx = layer.backward(np.ones_like(y))
        results.append((y, gx, layer.grad_weights.copy(), layer.grad_bias.copy()))
    for other in results[2:]:  # threads only change who computes a chunk, not the arithmetic
        for a, b in zip(results[1], other):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(results[0], results[1]):  # one chunk vs many: same up to float32 rounding
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
