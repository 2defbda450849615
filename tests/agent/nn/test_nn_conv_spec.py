"""Conv2D's fast methods against its specification, method="einsum".

The einsum method is itself checked against the nested loops (test_nn_conv.py), central
finite differences (test_nn_gradcheck.py) and the hand-worked examples below.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.nn import Conv2D
from agent.nn.conv.views import window_view

FAST_METHODS = ["auto", "cells", "windows"]

SHAPES = [
    # n, c, f, k, stride, padding, h, w
    (1, 3, 4, 3, 1, 0, 9, 7),      # batch 1, stride 1
    (2, 2, 5, 4, 2, 0, 11, 13),    # stride 2, odd sizes: the last row and column are unread
    (3, 3, 15, 4, 2, 0, 17, 17),   # the seed article's layer, small (auto: windows)
    (2, 2, 16, 8, 4, 0, 28, 36),   # the agent's first layer, small (auto: cells)
    (2, 16, 32, 4, 2, 0, 9, 13),   # the agent's second layer, odd sizes (auto: cells)
    (1, 4, 3, 5, 3, 1, 14, 11),    # stride 3, padding, kernel not a multiple of the stride
    (2, 3, 6, 2, 3, 0, 10, 8),     # stride 3 larger than the kernel: skipped pixels
    (1, 5, 7, 1, 1, 0, 4, 6),      # 1x1 kernel
    (2, 40, 9, 3, 1, 1, 7, 7),     # many channels, stride 1, padding (auto: cells)
]

VARIANTS = {
    # name: (dtype, options of both layers, input kind)
    "float64": (np.float64, {}, "float"),
    "float32": (np.float32, {}, "float"),
    "relu, threads, one image per chunk": (np.float64, {"activation": "relu", "threads": 2}, "chunked"),
    "channels-last input, no input grad": (np.float64, {"needs_input_grad": False}, "nhwc"),
    "uint8 frames, input_scale": (np.float32, {"input_scale": 1 / 255}, "uint8"),
}


def layer_pair(method, case, dtype, seed, **options):
    """(spec, fast): the same weights and bias, computed by einsum and by `method`."""
    n, c, f, k, stride, padding, h, w = case
    spec, fast = (Conv2D(c, f, k, stride, padding, rng=np.random.default_rng(seed), dtype=dtype,
                         method=m, **options) for m in ("einsum", method))
    bias = np.random.default_rng(seed + 1).standard_normal(f)
    spec.bias[...] = fast.bias[...] = bias
    return spec, fast


def make_input(case, kind, dtype, rng):
    n, c, _, _, _, _, h, w = case
    if kind == "uint8":
        return rng.integers(0, 256, (n, c, h, w), dtype=np.uint8)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    if kind == "nhwc":  # same values, channels-last memory (what a previous Conv2D returns)
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return x


def assert_same_as_spec(spec, fast, x, rng, tolerance):
    """Forward, weight, bias and input gradients of `fast` equal the specification's."""
    y_spec, y_fast = spec.forward(x), fast.forward(x)
    np.testing.assert_allclose(y_fast, y_spec, **tolerance, err_msg="forward")
    np.testing.assert_allclose(fast.forward(x, train=False), y_spec, **tolerance, err_msg="acting forward")
    grad_out = rng.standard_normal(y_spec.shape).astype(spec.dtype)
    gx_spec, gx_fast = spec.backward(grad_out), fast.backward(grad_out)
    np.testing.assert_allclose(fast.grad_weights, spec.grad_weights, **tolerance, err_msg="weights")
    np.testing.assert_allclose(fast.grad_bias, spec.grad_bias, **tolerance, err_msg="bias")
    if spec.needs_input_grad:
        assert gx_fast.shape == x.shape
        np.testing.assert_allclose(gx_fast, gx_spec, **tolerance, err_msg="input")
    else:
        assert gx_spec is None and gx_fast is None


def tolerance_for(dtype):
    return {"rtol": 1e-10, "atol": 1e-11} if dtype == np.float64 else {"rtol": 2e-4, "atol": 2e-4}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("method", FAST_METHODS)
@pytest.mark.parametrize("case", SHAPES)
def test_fast_methods_match_the_einsum_specification(case, method, variant):
    dtype, options, kind = VARIANTS[variant]
    seed = sum(case)
    spec, fast = layer_pair(method, case, dtype, seed, **options)
    if kind == "chunked":
        fast.chunk_bytes = 1  # one image per chunk, handed to two worker threads
    rng = np.random.default_rng(seed)
    x = make_input(case, kind, dtype, rng)
    assert_same_as_spec(spec, fast, x, rng, tolerance_for(dtype))


def test_the_shapes_exercise_both_methods_auto_can_pick():
    picks = {layer_pair("auto", case, np.float32, 0)[1].chosen_method() for case in SHAPES}
    assert picks == {"cells", "windows"}


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_fast_methods_match_the_specification_on_random_shapes(data):
    k = data.draw(st.integers(1, 5), label="kernel")
    stride = data.draw(st.integers(1, 4), label="stride")
    padding = data.draw(st.integers(0, 2), label="padding")
    h = data.draw(st.integers(max(1, k - 2 * padding), 13), label="h")
    w = data.draw(st.integers(max(1, k - 2 * padding), 13), label="w")
    n, c, f = (data.draw(st.integers(1, 4), label=name) for name in "ncf")
    method = data.draw(st.sampled_from(FAST_METHODS), label="method")
    seed = data.draw(st.integers(0, 2**31), label="seed")
    case = (n, c, f, k, stride, padding, h, w)
    spec, fast = layer_pair(method, case, np.float64, seed, activation=data.draw(
        st.sampled_from([None, "relu"]), label="activation"))
    rng = np.random.default_rng(seed)
    assert_same_as_spec(spec, fast, make_input(case, "float", np.float64, rng), rng,
                        tolerance_for(np.float64))


# ---------------------------------------------------------------------------- the specification by hand

def ones_kernel_layer(k, stride, padding=0):
    layer = Conv2D(1, 1, k, stride, padding, rng=np.random.default_rng(0), dtype=np.float64, method="einsum")
    layer.weights[...] = 1.0
    return layer


def test_window_view_shows_each_window_without_a_copy():
    x = np.arange(2 * 3 * 5 * 6.0).reshape(2, 3, 5, 6)
    windows = window_view(x, 2, 2)
    assert windows.shape == (2, 3, 2, 3, 2, 2)
    assert np.shares_memory(windows, x) and not windows.flags.writeable
    np.testing.assert_array_equal(windows[1, 2, 1, 2], x[1, 2, 2:4, 4:6])


def test_einsum_forward_by_hand():
    # A 2x2 kernel of ones at stride 1 sums each 2x2 block of 0..8.
    layer = ones_kernel_layer(2, 1)
    layer.bias[...] = 0.5
    out = layer.forward(np.arange(9.0).reshape(1, 1, 3, 3))
    assert out[0, 0].tolist() == [[8.5, 12.5], [20.5, 24.5]]


def test_einsum_input_gradient_counts_the_windows_over_each_pixel():
    # With a kernel of ones and dL/dout = 1, dL/dx is how many windows cover each pixel.
    layer = ones_kernel_layer(2, 1)
    y = layer.forward(np.zeros((1, 1, 3, 3)))
    gx = layer.backward(np.ones_like(y))
    assert gx[0, 0].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    # Stride 2 over 5x5: the windows tile the top-left 4x4; the last row and column are unread.
    layer = ones_kernel_layer(2, 2)
    y = layer.forward(np.zeros((1, 1, 5, 5)))
    gx = layer.backward(np.ones_like(y))
    expected = np.zeros((5, 5))
    expected[:4, :4] = 1
    np.testing.assert_array_equal(gx[0, 0], expected)
    # Padding 1, 3x3 kernel, 2x2 image: all four windows cover all four pixels.
    layer = ones_kernel_layer(3, 1, padding=1)
    y = layer.forward(np.zeros((1, 1, 2, 2)))
    gx = layer.backward(np.ones_like(y))
    assert gx[0, 0].tolist() == [[4, 4], [4, 4]]


def test_einsum_weight_gradient_by_hand():
    # dL/dw[i, j] with dL/dout = 1 is the sum of the pixels the kernel cell (i, j) ever reads.
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    layer = ones_kernel_layer(2, 2)
    layer.backward(np.ones_like(layer.forward(x)))
    assert layer.grad_weights[0, 0].tolist() == [[0 + 2 + 8 + 10, 1 + 3 + 9 + 11],
                                                 [4 + 6 + 12 + 14, 5 + 7 + 13 + 15]]
    assert layer.grad_bias.tolist() == [4.0]


# ---------------------------------------------------------------------------- the blank method

def sparse_input(case, dtype, rng, density):
    """Mostly zero input, as the agent's frames are: each pixel non-zero with ``density``."""
    n, c, _, _, _, _, h, w = case
    values = rng.integers(1, 256, (n, c, h, w))
    x = np.where(rng.random((n, c, h, w)) < density, values, 0)
    return x.astype(np.uint8) if dtype == np.uint8 else (x / 255).astype(dtype)


def tiles_into_cells(case):
    """Whether the input holds the whole cell grid the blank method works on (no padding)."""
    _, _, _, k, s, p, h, w = case
    cells = -(-k // s)
    return p == 0 and all(((size - k) // s + cells) * s <= size for size in (h, w))


BLANK_SHAPES = [case for case in SHAPES if case[4] > 1 and tiles_into_cells(case)]


@pytest.mark.parametrize("density", [0.0, 0.02, 0.3, 1.0])
@pytest.mark.parametrize("variant", ["float64", "uint8 frames", "relu, threads, one image per chunk"])
@pytest.mark.parametrize("case", BLANK_SHAPES)
def test_the_blank_method_matches_the_specification(case, variant, density):
    """Blank cells skipped, whatever share of the input is blank (none, most, all)."""
    dtype = np.float32 if variant == "uint8 frames" else np.float64
    options = {"needs_input_grad": False}
    if variant == "uint8 frames":
        options["input_scale"] = 1 / 255
    if variant.startswith("relu"):
        options.update(activation="relu", threads=2)
    seed = sum(case)
    spec, fast = layer_pair("blank", case, dtype, seed, **options)
    if variant.startswith("relu"):
        fast.chunk_bytes = 1
    rng = np.random.default_rng(seed)
    x = sparse_input(case, np.uint8 if variant == "uint8 frames" else dtype, rng, density)
    assert_same_as_spec(spec, fast, x, rng, tolerance_for(dtype))


def test_auto_takes_the_blank_method_for_a_first_layer_reading_frames():
    layer = Conv2D(4, 16, 8, 4, rng=np.random.default_rng(0), needs_input_grad=False, input_scale=1 / 255)
    frames = np.zeros((2, 4, 48, 96), np.uint8)
    assert layer.chosen_method(frames) == "blank"
    assert layer.chosen_method(frames.astype(np.float32)) == "cells"  # floats: not frames
    with_grad = Conv2D(4, 16, 8, 4, rng=np.random.default_rng(0), input_scale=1 / 255)
    assert with_grad.chosen_method(frames) == "cells"  # the blank method has no input gradient
    with pytest.raises(ValueError, match="no input gradient"):
        Conv2D(4, 16, 8, 4, rng=np.random.default_rng(0), method="blank")


def test_an_input_that_does_not_tile_into_cells_is_refused_by_blank_and_computed_by_auto():
    # 8x8 stride 3 on 20 x 20: the cell grid (3 x 3 kernel cells) needs 21 rows
    case = (1, 2, 3, 8, 3, 0, 20, 20)
    assert not tiles_into_cells(case)
    x = sparse_input(case, np.uint8, np.random.default_rng(0), 0.1)
    blank = Conv2D(2, 3, 8, 3, rng=np.random.default_rng(0), needs_input_grad=False, method="blank")
    with pytest.raises(ValueError, match="whole 3 x 3 cells"):
        blank.forward(x)
    spec, auto = layer_pair("auto", case, np.float32, 0, needs_input_grad=False)
    assert_same_as_spec(spec, auto, x, np.random.default_rng(1), tolerance_for(np.float32))
