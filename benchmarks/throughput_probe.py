"""One training throughput measurement, run by ``bench train --compare`` inside any revision.

Run as ``python -c "$(cat throughput_probe.py)" SECONDS WORKERS [MARGIN]`` with that revision's tree
first on ``PYTHONPATH`` (``-c``, so this folder's modules never shadow the revision's packages).
It uses only what every revision since the two-process trainer has (``TrainConfig``,
``Trainer`` or ``agent.workers.make_trainer``, ``train_one_update``), trains with the default
settings (evaluations off; MARGIN, when given, sets the frame margin, which revisions before
2026-12-01 do not have) for SECONDS after a first update, and prints one JSON line: samples,
wall seconds, and CPU seconds of the process and its children (read from /proc), so
CPU / wall says how many cores were busy, and the shape of the observations.
"""

import json
import multiprocessing
import os
import statistics
import sys
import time


def cpu_seconds() -> float:
    """User + system CPU time of this process and its live children, in seconds."""
    own = os.times()
    total = own.user + own.system
    ticks = os.sysconf("SC_CLK_TCK")
    for child in multiprocessing.active_children():
        try:
            with open(f"/proc/{child.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total


# agent.workers.WORKER_TIMES, written out: the probe also runs in revisions from before it
TIMES = ("rollout_s", "act_s", "env_s", "learn_s", "wait_s")


def measure(trainer, seconds: float) -> dict:
    """Train for ``seconds`` after a first update (start-up, nothing to overlap: left out):
    samples, wall seconds, CPU seconds, the number of worker processes, and where each worker's
    time went: the median over the updates of its seconds playing (acting, matches), learning
    and, of the learning, waiting for the other workers (what its metrics rows say; a revision
    without workers reports one process, and what it does not time is left out)."""
    trainer.train_one_update(0.0)
    cpu, step, start = cpu_seconds(), trainer.global_step, time.perf_counter()
    rows = []
    while time.perf_counter() - start < seconds:
        rows.append(trainer.train_one_update(0.5))
    wall = time.perf_counter() - start
    per_update = [row.get("per_worker", [row]) for row in rows]
    per_worker = [{key: statistics.median(update[w][key] for update in per_update)
                   for key in TIMES if key in per_update[0][w]} for w in range(len(per_update[0]))]
    return {"samples": trainer.global_step - step, "wall_s": wall, "cpu_s": cpu_seconds() - cpu,
            "workers": getattr(trainer, "count", 1), "updates": len(rows), "per_worker": per_worker}


if __name__ == "__main__":
    seconds, workers = float(sys.argv[1]), int(sys.argv[2])
    from agent.trainer import TrainConfig
    from game.observation import ObservationConfig

    settings = {"seed": 1, "eval_every": 0}
    if workers and "workers" in TrainConfig.__dataclass_fields__:
        settings["workers"] = workers
    config = TrainConfig(**settings)
    try:
        from agent.workers import make_trainer
    except ImportError:  # a revision from before the workers
        from agent.trainer import Trainer as make_trainer
    observation = ObservationConfig(margin=int(sys.argv[3])) if len(sys.argv) > 3 else ObservationConfig()
    trainer = make_trainer(config, observation)
    try:
        print(json.dumps({**measure(trainer, seconds), "shape": list(observation.shape)}))
    finally:
        trainer.close()
