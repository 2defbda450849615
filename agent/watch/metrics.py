"""The training metrics the watch window charts, from the metrics rows the training process sends."""

from __future__ import annotations

from agent.trainer import EVAL_OPPONENTS

SERIES_KEYS = ("eval_random", "eval_aimbot", "elo", "episode_s", "entropy", "steps_per_s")
MAX_POINTS = 4000  # each series keeps at most this many points (older ones thinned out)


def chart_values(row: dict, tick_rate: float) -> dict[str, float]:
    """The values of a metrics row the charts show, by :data:`SERIES_KEYS` name (plus ``step``)."""
    out = {"step": float(row["step"])}
    for key in ("elo", "entropy", "steps_per_s"):
        if row.get(key) is not None:
            out[key] = float(row[key])
    if row.get("episode_ticks") is not None:
        out["episode_s"] = float(row["episode_ticks"]) / tick_rate
    for opponent in EVAL_OPPONENTS:
        if opponent in row.get("eval", {}):
            out[f"eval_{opponent}"] = float(row["eval"][opponent])
    return out


class MetricSeries:
    """(step, value) points of each chart, from the metrics rows received."""

    def __init__(self) -> None:
        self.points: dict[str, list[tuple[float, float]]] = {k: [] for k in SERIES_KEYS}

    def add(self, row: dict[str, float]) -> None:
        for key, points in self.points.items():
            if key in row:
                points.append((row["step"], row[key]))
                if len(points) > MAX_POINTS:
                    del points[1::2]  # thin out evenly, keeping the first and the newest points

