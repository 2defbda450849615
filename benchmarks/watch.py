"""The watch window's smoothness, and how much learning it leaves: run with ``python main.py bench watch``.

1. ``watch``: a fresh run with the default settings learns for ``minutes`` in the training
   process while the window draws at 60 frames per second (the dummy video driver works; then
   the display flip is a software copy, not a GPU upload). Every frame is timed: the interval
   from one flip to the next (what a viewer sees; the target is a 99th percentile under 33 ms)
   and the work inside a frame (events, update, draw, flip).
2. ``train``: the same settings, headless, for the same minutes, right after.

The learning budgets are equal, so the ratio of samples learned is the throughput the window
leaves to learning. Both runs are written to a temporary folder (or ``saves_dir``) and deleted.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from agent.session import TrainingSession
from agent.trainer import TrainConfig
from agent.watch import WatchBackend, WatchRun
from game.env import ObservationConfig

SCREENSHOT_AT = 0.9  # share of the budget after which the screenshot is taken


def _percentiles(values: list[float]) -> dict[str, float]:
    array = np.asarray(values, float)
    return {"median": float(np.median(array)), "p99": float(np.percentile(array, 99)), "max": float(array.max()),
            "frames": int(len(array))}


def run_watch_bench(minutes: float, saves_dir: str | None = None, screenshot: str | None = None) -> dict:
    """Time the watch window over ``minutes`` of learning, then headless learning for as long."""
    from game.app.watch import WatchApp

    folder = Path(saves_dir or tempfile.mkdtemp(prefix="watch-bench-"))
    try:
        backend = WatchBackend(WatchRun("bench-watch", str(folder), config=TrainConfig(),
                                        observation=ObservationConfig(), minutes=minutes))
        backend.start()
        app = WatchApp(backend)
        try:
            if screenshot:
                while not app.run(max_frames=30) and backend.progress < SCREENSHOT_AT:
                    pass
                app.save_screenshot(screenshot)
            app.run()
        finally:
            app.close()
            backend.close()
        watched = backend.summary or {}
        headless = TrainingSession.create("bench-train", TrainConfig(), ObservationConfig(), saves_dir=folder)
        headless.run(minutes=minutes, handle_sigint=False)
        trained = headless.trainer.global_step
    finally:
        if saves_dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    return {
        "minutes": minutes,
        "frame_interval_ms": _percentiles(app.frame_intervals_ms),
        "frame_work_ms": _percentiles(app.frame_work_ms),
        "watch_samples": watched.get("step", 0),
        "train_samples": trained,
        "watch_samples_per_s": watched.get("step", 0) / (60 * minutes),
        "train_samples_per_s": trained / (60 * minutes),
        "throughput_ratio": watched.get("step", 0) / max(trained, 1),
    }


def format_watch_bench(result: dict) -> str:
    i, w = result["frame_interval_ms"], result["frame_work_ms"]
    return "\n".join([
        f"watch window over {result['minutes']:g} min of learning (default settings), {i['frames']:,} frames:",
        f"  frame interval  median {i['median']:.1f} ms   99th percentile {i['p99']:.1f} ms   max {i['max']:.1f} ms",
        f"  work per frame  median {w['median']:.1f} ms   99th percentile {w['p99']:.1f} ms   max {w['max']:.1f} ms",
        f"learning: {result['watch_samples_per_s']:.0f} samples/s with the window, "
        f"{result['train_samples_per_s']:.0f} headless: {100 * result['throughput_ratio']:.0f} %",
    ])
