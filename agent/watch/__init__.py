"""The backend of ``python main.py watch``: learning in a second process, display matches in this one.

- :mod:`agent.watch.protocol`: the training process and the messages and commands between it
  and the window's process (:class:`WatchRun`, :func:`training_process`, :class:`TrainingProcess`);
- :mod:`agent.watch.display`: the display matches the window shows (:class:`DisplayMatch`);
- :mod:`agent.watch.metrics`: the metric series of the charts (:class:`MetricSeries`);
- :mod:`agent.watch.backend`: :class:`WatchBackend`, which puts them together for the screen
  (:mod:`game.app.watch`).

Nothing here imports pygame: the screen draws.
"""

from agent.watch.backend import WatchBackend
from agent.watch.display import END_PAUSE_TICKS, MATCHES, DisplayMatch
from agent.watch.metrics import SERIES_KEYS, MetricSeries, chart_values
from agent.watch.protocol import TrainingProcess, WatchRun, open_session, training_process

__all__ = [
    "END_PAUSE_TICKS", "MATCHES", "SERIES_KEYS", "DisplayMatch", "MetricSeries", "TrainingProcess", "WatchBackend",
    "WatchRun", "chart_values", "open_session", "training_process",
]
