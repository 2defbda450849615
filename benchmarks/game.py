"""Headless simulation speed: ticks per second of whole matches between two controllers.

Run with ``python main.py bench game``. Times complete matches (controllers included, as in
``eval``) and reports the median over repeats, so one noisy repeat on a shared machine does not
decide the figure.
"""

from __future__ import annotations

import statistics
import time

from game.bots import BOTS
from game.match import MatchSeries
from game.world import World


def run_game_bench(p1: str = "random", p2: str = "random", seconds: float = 3.0, repeats: int = 5) -> dict:
    """Simulate matches of ``p1`` vs ``p2`` for ``seconds`` per repeat; ticks per second, median."""
    rates = []
    for repeat in range(repeats):
        c0, c1 = BOTS[p1](), BOTS[p2]()
        series = MatchSeries(repeat)
        ticks = 0
        index = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            match = series.match(index)
            world = match.new_world()
            match.reset((c0, c1))
            while not world.over:
                world.step((c0.act(world, 0), c1.act(world, 1)))
            ticks += world.tick
            index += 1
        rates.append(ticks / (time.perf_counter() - start))
    return {
        "benchmark": "game",
        "controllers": [p1, p2],
        "repeats": repeats,
        "seconds_per_repeat": seconds,
        "ticks_per_second_median": statistics.median(rates),
        "ticks_per_second_all": rates,
        "realtime_factor": statistics.median(rates) / World().rules.tick_rate,
    }


def format_game_bench(result: dict) -> str:
    p1, p2 = result["controllers"]
    return (
        f"one match, {p1} vs {p2}: {result['ticks_per_second_median']:,.0f} ticks/s median "
        f"over {result['repeats']} repeats ({result['realtime_factor']:,.0f}x real time)"
    )
