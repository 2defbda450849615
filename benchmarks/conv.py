"""Convolution benchmark: the seed article's experiment, then the agent's own network.

`run_conv_bench(quick)` returns a JSON-ready dict and `format_table(result)` renders it.
Timings are medians of runs interleaved round-robin, so a noisy neighbour hurts every variant
alike. PyTorch, when installed, is a reference, not a dependency: it runs in a separate
process (the two thread pools never compete) with as many threads as NumPy's BLAS, and
times one job per request, so its runs alternate with the matching NumPy runs.

1. Seed case: 64 images 3 x 50 x 50, 15 kernels 4 x 4, stride 2 (the article measured 1.23 s
   for its loops). Rows: correct nested loops; the article's einsum as written
   (optimize=False); the same einsum with optimize=True; Conv2D forward and forward+backward;
   Conv2D method=einsum (the specification the fast methods are tested against: the
   article's einsum in the layer); the cells method on the same layer.
2. Agent network at its training batch: each layer, then the whole net forward (acting path)
   and forward+backward (one PPO minibatch step without the optimizer).

Each timed turn of a variant is a block of back-to-back calls lasting about 50 ms (one call
for the slow ones), the way the article's %timeit measured; the median over turns is reported.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from agent.nn import Conv2D, Dense, Flatten, ReLU, Sequential
from agent.nn.blas import blas_thread_limit, blas_threads
from agent.nn.conv.views import window_view
from agent.policy import NetworkConfig
from game.observation import ObservationConfig



def _policy_layers() -> tuple[tuple, ...]:
    """The agent's own policy network (agent.policy defaults) as (kind, *args) specs."""
    net = NetworkConfig()
    layers: list[tuple] = []
    for out, kernel, stride in zip(net.channels, net.kernel_sizes, net.strides):
        layers += [("conv", out, kernel, stride), ("relu",)]
    return (*layers, ("flatten",), ("dense", net.hidden), ("relu",), ("dense", 19))


#: The policy network: (kind, *args). conv: (out_channels, kernel, stride[, padding]).
DEFAULT_LAYERS: tuple[tuple, ...] = _policy_layers()
#: The agent's observation: (frames x views, height, width).
DEFAULT_INPUT: tuple[int, int, int] = ObservationConfig().shape
DEFAULT_BATCH = 512
BLOCK_S = 0.05  # seconds of back-to-back calls per timed turn (see _interleaved)
# After a multi-threaded call, OpenBLAS's idle threads spin for 2**28 TSC cycles (117 ms at
# 2.3 GHz; OPENBLAS_THREAD_TIMEOUT) before they sleep, and whatever runs next shares the
# cores with them: Conv2D's own worker threads measured 1.5x slower right after a threaded
# einsum. So such variants are followed by a pause (in the seed case, and then by the
# single-threaded article einsum).
BLAS_IDLE_S = 0.15

SEED_CASE = {"batch": 64, "channels": 3, "size": 50, "kernels": 15, "kernel": 4, "stride": 2}
SPEC_ROW = "Conv2D method=einsum (the specification)"


# ---------------------------------------------------------------------------- timing

def _interleaved(fns: dict[str, Callable[[], Any]], repeats: dict[str, int] | int,
                 warmup: int = 1, budget_s: float = 3.0, block_s: float = BLOCK_S,
                 idle_after: frozenset[str] = frozenset()) -> dict[str, list[float]]:
    """Seconds per call of each fn, measured round-robin (so drifting load hits all alike).

    Each turn of a fn is a block of back-to-back calls lasting about block_s (one call when
    a call takes longer) and yields the block's mean, as timeit and PyTorch's
    blocked_autorange measure: a millisecond kernel timed once after the other variants ran
    mostly measures cold caches and cores waking up (a 2 ms Conv2D measured 1.5x slower
    right after a pause), where a network calling its layers over and over runs warm.
    After a turn of a fn named in idle_after (one using multi-threaded BLAS), the run pauses
    BLAS_IDLE_S so that its BLAS threads have stopped spinning before the next fn runs.
    A fn that returns a float reports its own time in seconds (PyTorch jobs timed in their
    process). Each fn stops early once its warm-up and measured runs add up to budget_s (it
    is always measured once), which bounds the time a slow variant takes on a busy machine.
    """
    reps = repeats if isinstance(repeats, dict) else {k: repeats for k in fns}
    spent = {k: 0.0 for k in fns}
    fastest = {k: float("inf") for k in fns}
    for name, fn in fns.items():
        for _ in range(min(warmup, reps[name])):
            t = _timed(fn)
            spent[name] += t
            fastest[name] = min(fastest[name], t)
    times: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(max(reps.values())):
        for name, fn in fns.items():
            if r < reps[name] and (r == 0 or spent[name] < budget_s):
                calls = max(1, int(block_s / fastest[name]))  # 1 while unknown (inf) or slow
                block = [_timed(fn) for _ in range(calls)]
                times[name].append(sum(block) / calls)
                spent[name] += sum(block)
                fastest[name] = min(fastest[name], *block)
                if name in idle_after:
                    time.sleep(BLAS_IDLE_S)
    return times


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    reported = fn()
    elapsed = time.perf_counter() - t0
    return reported if isinstance(reported, float) else elapsed


def _median_ms(samples: list[float]) -> float:
    return float(np.median(samples)) * 1e3


# ---------------------------------------------------------------------------- seed case

def loop_conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int) -> np.ndarray:
    """The article's nested loops, corrected: output (i, j) reads the window at (i*s, j*s)."""
    n, _, h, wd = x.shape
    f, _, k, _ = w.shape
    oh, ow = (h - k) // stride + 1, (wd - k) // stride + 1
    out = np.zeros((n, f, oh, ow), np.float32)
    for bi in range(n):
        for fi in range(f):
            for i in range(oh):
                for j in range(ow):
                    window = x[bi, :, i * stride:i * stride + k, j * stride:j * stride + k]
                    out[bi, fi, i, j] = np.sum(window * w[fi]) + b[fi]
    return out


def _seed_case(quick: bool, threads: int | None, worker: _TorchWorker | None) -> dict:
    sc = SEED_CASE
    rng = np.random.default_rng(0)
    x = rng.random((sc["batch"], sc["channels"], sc["size"], sc["size"]), dtype=np.float32)
    layer = Conv2D(sc["channels"], sc["kernels"], sc["kernel"], stride=sc["stride"], rng=rng,
                   needs_input_grad=False, threads=threads)
    layer.bias[...] = rng.standard_normal(sc["kernels"]).astype(np.float32)
    w, b = layer.weights, layer.bias
    # The same layer computed the other way (auto picks "windows" here: 12 channels per cell).
    cells_layer = Conv2D(sc["channels"], sc["kernels"], sc["kernel"], stride=sc["stride"], rng=rng,
                         needs_input_grad=False, threads=threads, method="cells")
    cells_layer.weights[...], cells_layer.bias[...] = w, b
    spec_layer = Conv2D(sc["channels"], sc["kernels"], sc["kernel"], stride=sc["stride"], rng=rng,
                        needs_input_grad=False, method="einsum")
    spec_layer.weights[...], spec_layer.bias[...] = w, b
    bias4 = b[None, :, None, None]

    def einsum_as_written() -> np.ndarray:
        return np.einsum("bchwkt,fckt->bfhw", window_view(x, sc["kernel"], sc["stride"]), w,
                         optimize=False) + bias4

    def einsum_optimized() -> np.ndarray:
        return np.einsum("bchwkt,fckt->bfhw", window_view(x, sc["kernel"], sc["stride"]), w,
                         optimize=True) + bias4

    grad = np.ones(layer.forward(x, train=False).shape, np.float32)

    def conv_fwd_bwd() -> None:
        layer.forward(x)
        layer.backward(grad)

    # Correctness first: every variant must agree with the loops.
    t0 = time.perf_counter()
    reference = loop_conv_forward(x, w, b, sc["stride"])
    first_loop_s = time.perf_counter() - t0
    errors = {name: float(np.max(np.abs(fn() - reference))) for name, fn in
              (("einsum as written", einsum_as_written), ("einsum optimize=True", einsum_optimized),
               ("Conv2D", lambda: layer.forward(x, train=False)),
               ("Conv2D cells method", lambda: cells_layer.forward(x, train=False)),
               ("Conv2D method=einsum", lambda: spec_layer.forward(x, train=False)))}

    # Plus the correctness run above; a second run only when the machine is not crawling.
    loop_reps = 0 if quick or first_loop_s > 2.5 else 1
    fast = 9 if quick else 21
    fns: dict[str, Callable[[], Any]] = {
        "nested loops": lambda: loop_conv_forward(x, w, b, sc["stride"]),
        "einsum optimize=True": einsum_optimized, "einsum as written": einsum_as_written,
        "Conv2D forward": lambda: layer.forward(x, train=False),
        "Conv2D forward+backward": conv_fwd_bwd,
        "Conv2D forward, cells method": lambda: cells_layer.forward(x, train=False),
        SPEC_ROW: lambda: spec_layer.forward(x, train=False)}
    slow = 5 if quick else 11
    reps = {"nested loops": loop_reps, "einsum as written": slow,
            "einsum optimize=True": fast, "Conv2D forward": fast, "Conv2D forward+backward": fast,
            "Conv2D forward, cells method": fast, SPEC_ROW: slow}
    if worker is not None:
        for op in ("forward", "forward+backward"):
            fns[f"torch {op}"] = lambda op=op: worker.time(f"seed {op}")
            reps[f"torch {op}"] = fast
    times = _interleaved(fns, reps, warmup=0, idle_after=frozenset({"einsum optimize=True"}))
    times["nested loops"].append(first_loop_s)  # the correctness run counts too
    torch_ms = {f"seed {op}": _median_ms(times.pop(f"torch {op}")) for op in ("forward", "forward+backward")
                if f"torch {op}" in times}
    order = ["nested loops", "einsum as written", "einsum optimize=True"]  # the article's order
    rows = [{"name": name, "op": "forward+backward" if "backward" in name else "forward",
             "median_ms": _median_ms(times[name]), "runs": len(times[name])}
            for name in order + [n for n in times if n not in order]]
    return {"config": dict(sc), "rows": rows, "max_abs_error_vs_loops": errors, "torch_ms": torch_ms}


# ---------------------------------------------------------------------------- agent network

def build_net(layers: Sequence[tuple], input_shape: tuple[int, int, int], rng: np.random.Generator,
              fuse_relu: bool = True, threads: int | None = None) -> Sequential:
    """A Sequential from (kind, *args) specs; with fuse_relu a ReLU joins the layer before it."""
    return _build(layers, input_shape, rng, fuse_relu, threads)[0]


def _build(layers: Sequence[tuple], input_shape: tuple[int, int, int], rng: np.random.Generator,
           fuse_relu: bool, threads: int | None) -> tuple[Sequential, list[int]]:
    """build_net, plus the index in `layers` of each built layer."""
    c, h, w = input_shape
    features = None
    built: list = []
    origin: list[int] = []
    specs = list(layers)
    for index, spec in enumerate(specs):
        kind, args = spec[0], spec[1:]
        if kind == "relu":
            prev = built[-1] if built else None
            if fuse_relu and isinstance(prev, (Conv2D, Dense)) and prev.activation is None:
                prev.activation = "relu"
            else:
                built.append(ReLU())
                origin.append(index)
        elif kind == "conv":
            out, k, s = args[:3]
            p = args[3] if len(args) > 3 else 0
            layer = Conv2D(c, out, k, s, p, rng=rng, threads=threads, needs_input_grad=index > 0)
            c, h, w = layer.output_shape((c, h, w))
            built.append(layer)
            origin.append(index)
        elif kind == "flatten":
            features = c * h * w
            built.append(Flatten())
            origin.append(index)
        elif kind == "dense":
            if features is None:
                raise ValueError("A dense layer needs a flatten layer before it.")
            built.append(Dense(features, args[0], rng=rng, threads=threads, needs_input_grad=index > 0))
            origin.append(index)
            features = args[0]
        else:
            raise ValueError(f"Unknown layer kind {kind!r}; use conv, relu, flatten or dense.")
    return Sequential(*built), origin


def _agent_net(layers: Sequence[tuple], input_shape: tuple[int, int, int], batch: int,
               quick: bool, threads: int | None, worker: _TorchWorker | None) -> dict:
    rng = np.random.default_rng(0)
    x = rng.random((batch, *input_shape), dtype=np.float32)
    net, origin = _build(layers, input_shape, rng, True, threads)
    serial = build_net(layers, input_shape, np.random.default_rng(0), fuse_relu=True, threads=1)
    unfused = build_net(layers, input_shape, np.random.default_rng(0), fuse_relu=False, threads=threads)
    frames = (x * 255).astype(np.uint8)
    from_frames = build_net(layers, input_shape, np.random.default_rng(0), fuse_relu=True, threads=threads)
    if isinstance(from_frames.layers[0], Conv2D):
        from_frames.layers[0].input_scale = 1 / 255

    def fwd_bwd(model: Sequential, inputs: np.ndarray = x) -> Callable[[], None]:
        def run() -> None:
            y = model.forward(inputs)
            model.backward(np.ones_like(y))
        return run

    fns: dict[str, Callable[[], Any]] = {}
    h = x
    for i, layer in enumerate(net.layers):
        inp = h
        h = layer.forward(inp, train=False)
        if isinstance(layer, (Conv2D, Dense)):
            g = np.ones_like(h)
            fns[f"{origin[i]} {layer!r} forward"] = lambda layer=layer, inp=inp: layer.forward(inp, train=False)

            def layer_fb(layer=layer, inp=inp, g=g) -> None:
                layer.forward(inp)
                layer.backward(g)
            fns[f"{origin[i]} {layer!r} forward+backward"] = layer_fb
    fns["net forward (acting, train=False)"] = lambda: net.forward(x, train=False)
    fns["net forward+backward"] = fwd_bwd(net)
    serial_fb = fwd_bwd(serial)

    def one_thread() -> None:
        with blas_thread_limit(1):
            serial_fb()
    fns["net forward+backward, 1 thread"] = one_thread
    fns["net forward+backward, separate ReLU layers"] = fwd_bwd(unfused)
    fns["net forward+backward, uint8 frames in (input_scale)"] = fwd_bwd(from_frames, frames)
    blas_threaded = "net forward+backward, threads=1 + 2 BLAS threads"
    fns[blas_threaded] = serial_fb
    if worker is not None:  # each PyTorch job right after its NumPy counterpart
        paired: dict[str, Callable[[], Any]] = {}
        for name, fn in fns.items():
            paired[name] = fn
            job = _torch_match(name)
            if job and f"torch {job}" not in paired:
                paired[f"torch {job}"] = lambda job=job: worker.time(job)
        fns = paired
    times = _interleaved(fns, 3 if quick else 7, warmup=1, idle_after=frozenset({blas_threaded}))
    torch_ms = {name[6:]: _median_ms(times.pop(name)) for name in list(times) if name.startswith("torch ")}
    rows = [{"name": name, "median_ms": _median_ms(t), "runs": len(t)} for name, t in times.items()]
    return {"batch": batch, "input_shape": list(input_shape), "layers": [list(s) for s in layers],
            "net": repr(net), "threads": net.layers[0].threads, "rows": rows, "torch_ms": torch_ms}


# ---------------------------------------------------------------------------- torch reference

#: The PyTorch reference program, run by path in a process of its own.
TORCH_REFERENCE = Path(__file__).with_name("torch_conv_reference.py")


class _TorchWorker:
    """PyTorch in its own process (benchmarks/torch_conv_reference.py), timing one named job
    per request.

    A separate process keeps the two thread pools apart; answering one job at a time lets
    NumPy and PyTorch runs alternate, so both see the same background load.
    """

    def __init__(self, cfg: dict) -> None:
        self.info: dict = {}
        self._proc = subprocess.Popen([sys.executable, str(TORCH_REFERENCE)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self._proc.stdin.write(json.dumps(cfg) + "\n")
            self._proc.stdin.flush()
        except OSError:
            pass  # the worker exited already (no torch); its first line says why
        line = self._proc.stdout.readline()
        try:
            self.info = json.loads(line) if line else {"error": self._proc.stderr.read().strip()[-300:]}
        except json.JSONDecodeError:
            self.info = {"error": line.strip()[-300:]}
        if "error" in self.info:
            self.close()

    @property
    def ok(self) -> bool:
        return "error" not in self.info

    def time(self, job: str) -> float:
        """Seconds one run of `job` took inside the worker."""
        self._proc.stdin.write(json.dumps(job) + "\n")
        self._proc.stdin.flush()
        return float(json.loads(self._proc.stdout.readline()))

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


# ---------------------------------------------------------------------------- entry points

def run_conv_bench(quick: bool = False, layers: Sequence[tuple] = DEFAULT_LAYERS,
                   input_shape: tuple[int, int, int] = DEFAULT_INPUT, batch: int = DEFAULT_BATCH,
                   threads: int | None = None, torch: bool = True) -> dict:
    """Run the benchmark; returns a JSON-ready dict (see module docstring).

    About 15 s quick and 30 s full on a quiet 2-core machine. layers: the network as
    (kind, *args) specs (see DEFAULT_LAYERS); threads: Conv2D/Dense worker threads (None =
    default); torch=False skips the PyTorch reference.
    """
    started = time.perf_counter()
    nthreads = blas_threads()
    worker = None
    torch_info: dict[str, Any] = {"skipped": "not requested"}
    if torch:
        worker = _TorchWorker({"threads": nthreads or os.cpu_count() or 1, "seed": SEED_CASE,
                               "layers": [list(s) for s in layers], "input_shape": list(input_shape),
                               "batch": batch})
        torch_info = dict(worker.info) if worker.ok else {"skipped": worker.info["error"]}
        worker = worker if worker.ok else None
    try:
        seed = _seed_case(quick, threads, worker)
        agent = _agent_net(layers, input_shape, batch, quick, threads, worker)
    finally:
        if worker is not None:
            worker.close()
    torch_rows = {**seed.pop("torch_ms"), **agent.pop("torch_ms")}
    if worker is not None:
        torch_info["rows"] = torch_rows
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "blas_threads": nthreads, "numpy": np.__version__,
                    "python": platform.python_version(), "processor": platform.processor()},
        "quick": quick, "seed_case": seed, "agent_net": agent, "torch": torch_info,
    }
    result["summary"] = _summary(result)
    result["seconds"] = time.perf_counter() - started
    return result


def _summary(result: dict) -> dict:
    seed = {r["name"]: r["median_ms"] for r in result["seed_case"]["rows"]}
    net = {r["name"]: r["median_ms"] for r in result["agent_net"]["rows"]}
    summary = {
        "seed_forward_speedup_vs_loops": seed["nested loops"] / seed["Conv2D forward"],
        "seed_forward_speedup_vs_article_einsum": seed["einsum as written"] / seed["Conv2D forward"],
        "net_forward_backward_ms": net["net forward+backward"],
    }
    torch_rows = result.get("torch", {}).get("rows")
    if torch_rows:
        summary["seed_forward_ratio_to_torch"] = seed["Conv2D forward"] / torch_rows["seed forward"]
        summary["net_forward_ratio_to_torch"] = net["net forward (acting, train=False)"] / torch_rows["net forward"]
        summary["net_forward_backward_ratio_to_torch"] = net["net forward+backward"] / torch_rows["net forward+backward"]
        summary["net_forward_backward_1_thread_ratio_to_torch"] = (
            net["net forward+backward, 1 thread"] / torch_rows["net forward+backward, 1 thread"])
    return summary


def _torch_match(name: str) -> str | None:
    """The PyTorch job comparable to a NumPy agent-net row, if there is one."""
    if name == "net forward+backward, 1 thread":
        return name
    if name.startswith("net forward+backward"):
        return "net forward+backward"
    if name.startswith("net forward"):
        return "net forward"
    if name[0].isdigit():
        index, _, rest = name.partition(" ")
        return f"layer {index} {'forward+backward' if rest.endswith('forward+backward') else 'forward'}"
    return None


def format_table(result: dict) -> str:
    """Plain-text tables of a `run_conv_bench` result: medians in ms and ratios."""
    torch_rows = result.get("torch", {}).get("rows") or {}
    m = result["machine"]
    lines = [f"NumPy {m['numpy']}, BLAS threads {m['blas_threads']}, {m['cpus']} CPUs; medians of "
             f"interleaved runs{' (quick)' if result.get('quick') else ''}."]
    sc = result["seed_case"]
    cfg = sc["config"]
    seed = {r["name"]: r for r in sc["rows"]}
    loops, einsum = seed["nested loops"]["median_ms"], seed["einsum as written"]["median_ms"]
    lines += ["", f"Seed case: {cfg['batch']} x {cfg['channels']} x {cfg['size']} x {cfg['size']}, "
              f"{cfg['kernels']} kernels {cfg['kernel']}x{cfg['kernel']}, stride {cfg['stride']}",
              f"{'implementation':<42}{'op':<18}{'median ms':>11}{'runs':>6}{'vs loops':>10}"
              f"{'vs einsum':>11}{'/ torch':>9}"]
    for r in sc["rows"]:
        t = torch_rows.get(f"seed {r['op']}") if r["name"].startswith("Conv2D") else None
        lines.append(f"{r['name']:<42}{r['op']:<18}{r['median_ms']:>11.3f}{r['runs']:>6}"
                     f"{loops / r['median_ms']:>9.0f}x{einsum / r['median_ms']:>10.1f}x"
                     + (f"{r['median_ms'] / t:>8.2f}x" if t else f"{'':>9}"))
    if torch_rows:
        for op in ("forward", "forward+backward"):
            t = torch_rows[f"seed {op}"]
            lines.append(f"{'torch conv2d':<42}{op:<18}{t:>11.3f}{'':>6}{loops / t:>9.0f}x"
                         f"{einsum / t:>10.1f}x{1:>8.2f}x")
    errs = ", ".join(f"{k} {v:.1e}" for k, v in sc["max_abs_error_vs_loops"].items())
    lines.append(f"max |difference| from loops: {errs}")
    an = result["agent_net"]
    lines += ["", f"Agent network, batch {an['batch']} x {tuple(an['input_shape'])}, "
              f"{an['threads']} worker threads: {an['net']}",
              f"{'what':<56}{'median ms':>11}{'torch ms':>10}{'/ torch':>9}"]
    for r in an["rows"]:
        job = _torch_match(r["name"])
        t = torch_rows.get(job) if job else None
        lines.append(f"{r['name']:<56}{r['median_ms']:>11.2f}"
                     + (f"{t:>10.2f}{r['median_ms'] / t:>8.2f}x" if t else ""))
    tr = result.get("torch", {})
    lines.append("")
    lines.append(f"PyTorch {tr['torch']} reference, {tr['threads']} threads, separate process, runs "
                 "alternating with NumPy's."
                 if torch_rows else f"PyTorch reference skipped: {tr.get('skipped', 'unknown')}.")
    s = result["summary"]
    lines.append(f"Seed case forward: {s['seed_forward_speedup_vs_loops']:.0f}x faster than loops, "
                 f"{s['seed_forward_speedup_vs_article_einsum']:.1f}x faster than the article's einsum.")
    if "net_forward_backward_ratio_to_torch" in s:
        lines.append(f"Agent net forward+backward: {s['net_forward_backward_ms']:.1f} ms = "
                     f"{s['net_forward_backward_ratio_to_torch']:.2f}x PyTorch's time "
                     f"({s['net_forward_backward_1_thread_ratio_to_torch']:.2f}x with one thread each).")
    return "\n".join(lines)


if __name__ == "__main__":
    res = run_conv_bench(quick="--quick" in sys.argv)
    print(json.dumps(res, indent=1) if "--json" in sys.argv else format_table(res))
