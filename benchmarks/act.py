"""The acting forward pass at a training worker's batch, NumPy against PyTorch (``bench train``).

While it plays, a training worker calls the network on every learning stream of its share of
the matches at once, on one core: with the default settings (32 matches, 8 of them self-play:
40 streams) and two workers, 20 observations; one process alone (``--workers 1``), 40. Both
networks are timed in turns on one thread: ours on real frames (a rollout of random play,
uint8, as the trainer feeds them; its first layer skips the blank cells), PyTorch's on its own
float input in its own process (benchmarks/torch_conv_reference.py, the same layers), which it
computes at the same speed whatever the pixels are.
"""

from __future__ import annotations

import numpy as np

from agent.nn.blas import blas_thread_limit
from agent.policy import ActorCritic
from agent.trainer import TrainConfig
from agent.workers import shard_configs, worker_count
from benchmarks.conv import DEFAULT_LAYERS, SEED_CASE, _interleaved, _median_ms, _TorchWorker
from game.env import BatchDuelEnv, ObservationConfig


def training_frames(count: int, seed: int = 1, steps: int = 60) -> np.ndarray:
    """``count`` (K, H, W) observations of random play, both players' views, after ``steps`` steps."""
    env = BatchDuelEnv(max(1, (count + 1) // 2), copy=False)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        env.step(rng.integers(0, 18, (env.num_matches, 2)))
    return np.ascontiguousarray(env.observations.reshape(-1, *env.observations.shape[2:])[:count])


def acting_batch(config: TrainConfig = TrainConfig()) -> int:
    """Observations a worker acts on at once in a run with ``config`` on this machine (the
    busiest worker's learning streams)."""
    return max(shard.num_streams for shard in shard_configs(config, worker_count(config)))


def run_act_bench(batch: int | None = None, repeats: int = 15, torch: bool = True) -> dict:
    """Median milliseconds of one acting forward pass (and of ``act``, sampling included) at
    ``batch`` observations (default: :func:`acting_batch`)."""
    batch = batch or acting_batch()
    observation = ObservationConfig()
    frames = training_frames(batch)
    policy = ActorCritic(observation.shape, threads=1)
    rng = np.random.default_rng(0)
    fns = {"numpy forward": lambda: policy.forward(frames), "numpy act": lambda: policy.act(frames, rng)}
    worker = None
    if torch:
        worker = _TorchWorker({"threads": 1, "seed": SEED_CASE, "layers": [list(s) for s in DEFAULT_LAYERS],
                               "input_shape": list(observation.shape), "batch": batch})
        if worker.ok:
            fns["torch forward"] = lambda: worker.time("net forward")
    try:
        with blas_thread_limit(1):
            times = _interleaved(fns, repeats)
    finally:
        if worker is not None:
            worker.close()
    result = {"batch": batch, "ms": {name: _median_ms(t) for name, t in times.items()}}
    if "torch forward" in result["ms"]:
        result["ratio_to_torch"] = result["ms"]["numpy forward"] / result["ms"]["torch forward"]
    else:
        result["torch"] = worker.info.get("error", "not requested") if worker is not None else "not requested"
    return result


def format_act_bench(result: dict) -> str:
    ms = result["ms"]
    line = (f"acting forward pass, batch {result['batch']}, one thread: NumPy {ms['numpy forward']:.2f} ms "
            f"(act with sampling {ms['numpy act']:.2f} ms)")
    if "ratio_to_torch" in result:
        return line + f", PyTorch {ms['torch forward']:.2f} ms: {result['ratio_to_torch']:.2f}x PyTorch's time"
    return line + f" (PyTorch: {str(result['torch'])[:80]})"
