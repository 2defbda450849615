"""Training throughput and where its time goes: run with ``python main.py bench train``.

1. ``throughput``: a fresh run with the default settings (one worker process per core, see
   :mod:`agent.workers`) trains for ``seconds``; samples per second counts every learner
   decision, learning included (the first update is left out), and CPU time / wall time says
   how many cores were kept busy.
2. ``profile``: the same settings in one process, inline (BLAS on one thread), under
   :mod:`cProfile` for ``updates`` updates, so every second is attributed: drawing the
   agents' frames, simulating the worlds, the scripted bots, the network's forward pass for
   acting, and the PPO update split into forward, backward, optimizer and the rest. The shares
   describe the work (cProfile adds most to the parts made of many small Python calls); the
   wall time of the default run is lower because the workers share it out over the cores.
   Evaluations are switched off in both parts.
3. ``acting``: the acting forward pass at the trainer's batch against PyTorch's
   (:mod:`benchmarks.act`), when PyTorch is installed.

``compare_revisions`` (``bench train --compare REV``) measures the throughput of this tree and
of another git revision in turns (:mod:`benchmarks.throughput_probe` runs inside each).
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from agent.nn.blas import blas_thread_limit
from agent.trainer import TrainConfig, Trainer
from agent.workers import make_trainer
from benchmarks.act import format_act_bench, run_act_bench
from benchmarks.throughput_probe import measure
from game.env import ObservationConfig

# (label, module file suffix, function name): cumulative time of these functions
PARTS = [
    ("draw the agents' frames", "game/observation.py", "draw"),
    ("simulate the worlds", "game/world.py", "step"),
    ("scripted bots", "game/bots.py", "act"),
    ("forward pass to act", "agent/policy.py", "act"),
    ("PPO update", "agent/ppo.py", "ppo_update"),
]
# inside the PPO update: (label, module file suffix, function name), timed when called from it
UPDATE_PARTS = [
    ("  forward", "agent/policy.py", "forward"),
    ("  backward", "agent/policy.py", "backward"),
    ("  optimizer (Adam)", "agent/nn/optim.py", "step"),
    ("  gradient clipping", "agent/nn/optim.py", "clip_grad_norm"),
    ("  loss and its gradient", "agent/ppo.py", "ppo_loss"),
]


def _find(stats: dict, suffix: str, name: str) -> list:
    return [key for key in stats if key[0].replace("\\", "/").endswith(suffix) and key[2] == name]


def _cumulative(stats: dict, suffix: str, name: str) -> float:
    return sum(stats[key][3] for key in _find(stats, suffix, name))


def _cumulative_from(stats: dict, suffix: str, name: str, caller: tuple) -> float:
    """Cumulative time of ``name`` spent in calls made directly by ``caller``."""
    total = 0.0
    for key in _find(stats, suffix, name):
        callers = stats[key][4]
        if caller in callers:
            total += callers[caller][3]
    return total


def run_train_bench(seconds: float = 60.0, updates: int = 4, seed: int = 1, acting: bool = True,
                    margin: int | None = None) -> dict:
    """Measure the default training's throughput for ``seconds``, then profile ``updates`` inline
    updates (``margin``: another frame margin than the default)."""
    config = TrainConfig(seed=seed, eval_every=0)
    observation = ObservationConfig() if margin is None else ObservationConfig(margin=margin)

    trainer = make_trainer(config, observation)
    try:
        measured = measure(trainer, seconds)
    finally:
        trainer.close()

    inline = Trainer(replace(config, learner_process=False, workers=1), observation)
    profiler = cProfile.Profile()
    try:
        with blas_thread_limit(1):
            inline.train_one_update(0.0)  # warm up outside the profile
            profiler.enable()
            start = time.perf_counter()
            for _ in range(updates):
                inline.train_one_update(0.5)
            wall = time.perf_counter() - start
            profiler.disable()
        samples = updates * config.batch_size
    finally:
        inline.close()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    parts = {label: _cumulative(stats, suffix, name) for label, suffix, name in PARTS}
    update_keys = _find(stats, "agent/ppo.py", "ppo_update")
    for label, suffix, name in UPDATE_PARTS:
        parts[label] = sum(_cumulative_from(stats, suffix, name, key) for key in update_keys)
    parts["other (buffers, league, shaping, ...)"] = wall - sum(parts[label] for label, _, _ in PARTS)
    return {
        "benchmark": "train",
        "seconds": seconds,
        "frame_margin": observation.margin,
        "samples_per_s": measured["samples"] / measured["wall_s"],
        "cores_busy": measured["cpu_s"] / measured["wall_s"],
        "workers": measured["workers"],
        "updates": measured["updates"],
        "per_worker": measured["per_worker"],
        "acting": run_act_bench(repeats=9 if acting else 1, torch=acting),
        "profile": {
            "updates": updates,
            "samples": samples,
            "wall_s": wall,
            "samples_per_s_one_core_profiled": samples / wall,
            "seconds": parts,
            "share": {label: value / wall for label, value in parts.items()},
        },
    }


def format_train_bench(result: dict) -> str:
    profile = result["profile"]
    lines = [
        f"training throughput, default settings (frame margin {result['frame_margin']}, "
        f"{result['workers']} worker process(es)): "
        f"{result['samples_per_s']:,.0f} samples/s, {result['cores_busy']:.2f} cores busy (CPU time / wall time)",
        f"each worker's update (median of {result['updates']}, wall clock, no profiler):",
    ]
    for w, times in enumerate(result["per_worker"]):
        total, waited = times["rollout_s"] + times["learn_s"], times.get("wait_s", 0.0)  # one process: no wait
        lines.append(f"  worker {w}: {total:.2f} s = playing {times['rollout_s']:.2f} s (acting {times['act_s']:.2f}, "
                     f"matches {times['env_s']:.2f}) + learning {times['learn_s']:.2f} s, of which waiting for the "
                     f"others {waited:.2f} s ({100 * waited / total:.0f} %)")
    lines.append(f"profile: {profile['updates']} updates, {profile['samples']:,} samples, inline in one process "
                 f"under cProfile ({profile['samples_per_s_one_core_profiled']:,.0f} samples/s)")
    for label, seconds in profile["seconds"].items():
        lines.append(f"  {label:<40} {seconds:7.2f} s  {100 * profile['share'][label]:5.1f} %")
    lines.append(format_act_bench(result["acting"]))
    return "\n".join(lines)



# ---------------------------------------------------------------------------- two revisions side by side
PROBE = Path(__file__).with_name("throughput_probe.py")
ROOT = Path(__file__).resolve().parent.parent


class CompareError(Exception):
    """The revision to compare with cannot be checked out or measured (one sentence)."""


def _probe(tree: Path, seconds: float, workers: int, margin: int | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    extra = [] if margin is None else [str(margin)]
    done = subprocess.run([sys.executable, "-c", PROBE.read_text(), str(seconds), str(workers), *extra], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=seconds * 4 + 300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CompareError(f"the throughput probe failed in {tree} ({last})")
    result = json.loads(lines[-1])
    result["samples_per_s"] = result["samples"] / result["wall_s"]
    result["cores_busy"] = result["cpu_s"] / result["wall_s"]
    return result


def compare_revisions(revision: str, seconds: float = 30.0, rounds: int = 3, workers: int = 0,
                      margin: int | None = None) -> dict:
    """Training throughput of this tree and of git ``revision`` (checked out in a temporary
    worktree), interleaved: ``rounds`` times one run of each, ``seconds`` each, in turns, so the
    machine's load hits both alike. Medians, and the ratio of the medians. ``margin`` sets this
    tree's frame margin instead of the default's (to measure what the margin costs)."""
    with tempfile.TemporaryDirectory(prefix="bench-train-") as folder:
        tree = Path(folder) / "tree"
        added = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), revision],
                               capture_output=True, text=True)
        if added.returncode != 0:
            raise CompareError(f"cannot check out revision {revision!r} ({added.stderr.strip().splitlines()[-1]})")
        try:
            runs: dict[str, list[dict]] = {"this tree": [], revision: []}
            for _ in range(rounds):
                runs["this tree"].append(_probe(ROOT, seconds, workers, margin))
                runs[revision].append(_probe(tree, seconds, 0))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    summary = {}
    for name, results in runs.items():
        summary[name] = {
            "samples_per_s": statistics.median(r["samples_per_s"] for r in results),
            "cores_busy": statistics.median(r["cores_busy"] for r in results),
            "runs": [round(r["samples_per_s"]) for r in results],
            "workers": results[0]["workers"],
        }
    ratio = summary["this tree"]["samples_per_s"] / summary[revision]["samples_per_s"]
    return {"benchmark": "train-compare", "revision": revision, "seconds": seconds, "rounds": rounds,
            "frame_margin": ObservationConfig().margin if margin is None else margin, "results": summary, "ratio": ratio}


def format_comparison(result: dict) -> str:
    lines = [f"training throughput, default settings (this tree's frame margin {result['frame_margin']}), "
             f"{result['rounds']} interleaved runs of {result['seconds']:g} s each (medians):"]
    for name, row in result["results"].items():
        lines.append(f"  {name:<12} {row['samples_per_s']:7,.0f} samples/s   cores busy {row['cores_busy']:.2f}   "
                     f"workers {row['workers']}   runs {row['runs']}")
    lines.append(f"  ratio {result['ratio']:.2f}x")
    return "\n".join(lines)
