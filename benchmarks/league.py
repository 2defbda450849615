"""``python main.py bench league A B C ...``: every contender against every other, and their Elo.

This is how a champion is chosen: head to head and against the field, not against one bot.
Each pair plays ``matches`` seeded matches (sides swapped every match, as ``eval`` does); the
table holds each row contender's score against each column contender (wins + draws / 2).

Elo from a whole table: the ratings ``R`` that make the observed scores most likely under
``P(i beats j) = 1 / (1 + 10 ** ((R_j - R_i) / 400))`` (Bradley-Terry, fitted by Newton's
method), with one virtual draw added to every pair so that a 100 % score stays finite (the
prior bayeselo uses). ``random`` is pinned at 1000 when it plays, otherwise the mean is 1000.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from game.controllers import Controller
from game.match import evaluate

ANCHOR, ANCHOR_RATING = "random", 1000.0
PRIOR_DRAWS = 1.0


@dataclass
class CrossPlay:
    """Scores of a round robin: ``score[i, j]`` is i's score against j over ``games[i, j]`` matches."""

    names: list[str]
    score: np.ndarray
    games: np.ndarray

    def ratings(self) -> dict[str, float]:
        return dict(zip(self.names, fit_elo(self.score, self.games, self.names)))

    def field_score(self) -> dict[str, float]:
        """Each contender's mean score against all the others it played."""
        n = len(self.names)
        return {name: float(np.mean([self.score[i, j] for j in range(n) if j != i and self.games[i, j] > 0] or [0.5]))
                for i, name in enumerate(self.names)}

    def as_dict(self) -> dict:
        ratings = self.ratings()
        return {
            "names": self.names,
            "score": [[None if self.games[i, j] == 0 else round(float(self.score[i, j]), 4)
                       for j in range(len(self.names))]
                      for i in range(len(self.names))],
            "games": self.games.astype(int).tolist(),
            "elo": {k: round(v, 1) for k, v in ratings.items()},
            "field_score": {k: round(v, 4) for k, v in self.field_score().items()},
        }


def fit_elo(score: np.ndarray, games: np.ndarray, names: Sequence[str], iterations: int = 100) -> np.ndarray:
    """Maximum-likelihood Elo ratings of a table of scores (see the module docstring)."""
    n = len(names)
    played = games > 0  # a pair that did not play adds nothing (not even the virtual draw)
    wins = np.where(played, score * games + PRIOR_DRAWS / 2, 0.0)  # points scored, with the virtual draw
    total = np.where(played, games + PRIOR_DRAWS, 0.0)
    np.fill_diagonal(wins, 0.0)
    np.fill_diagonal(total, 0.0)
    k = math.log(10) / 400.0
    r = np.zeros(n)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-k * (r[:, None] - r[None, :])))
        grad = k * (wins - total * p).sum(axis=1)
        hess = -(k**2) * total * p * (1 - p)
        h = hess.copy()
        np.fill_diagonal(h, 0.0)
        h[np.diag_indices(n)] = -h.sum(axis=1)  # d2/dr_i2 = -sum_j ..., d2/dr_i dr_j = +...
        h = -h  # the Hessian of the log-likelihood
        # ratings are defined up to a shift: fix it with a row for sum(r) = 0
        a = np.vstack([h, np.ones(n)])
        step, *_ = np.linalg.lstsq(a, np.append(-grad, 0.0), rcond=None)
        r += step
        if np.max(np.abs(step)) < 1e-9:
            break
    if ANCHOR in names:
        r += ANCHOR_RATING - r[list(names).index(ANCHOR)]
    else:
        r += ANCHOR_RATING - r.mean()
    return r


def cross_play(
    names: Sequence[str],
    make: Callable[[str], Controller],
    matches: int,
    seed: int,
    progress: Callable[[str, str], None] | None = None,
    plays: Callable[[str, str], bool] | None = None,
) -> CrossPlay:
    """Play the round robin of ``names`` (``make(name)`` builds a fresh controller); with
    ``plays``, only the pairs it accepts (the others stay unplayed: no score, no Elo evidence)."""
    names = list(names)
    n = len(names)
    score, games = np.full((n, n), np.nan), np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            if plays is not None and not plays(names[i], names[j]):
                continue
            if progress is not None:
                progress(names[i], names[j])
            result = evaluate(lambda: make(names[i]), lambda: make(names[j]), matches, seed, (names[i], names[j]))
            s = result["contenders"][0]["score"]
            score[i, j], score[j, i] = s, 1.0 - s
            games[i, j] = games[j, i] = matches
    return CrossPlay(names, score, games)


def format_table(table: CrossPlay) -> str:
    """The table as text: rows sorted by Elo, each row's score against each column."""
    ratings = table.ratings()
    order = sorted(range(len(table.names)), key=lambda i: -ratings[table.names[i]])
    labels = row_labels(table.names, order)
    width = max(8, *(len(label) for label in labels)) + 1
    lines = [f"{'':{width}}" + "".join(f"{k:>7}" for k in range(1, len(order) + 1)) + f"{'field':>8}{'Elo':>8}"]
    field = table.field_score()
    for label, i in zip(labels, order):
        cells = "".join(f"{'-':>7}" if table.games[i, j] == 0 else f"{table.score[i, j]:>7.2f}" for j in order)
        lines.append(f"{label:{width}}{cells}{field[table.names[i]]:>8.2f}{ratings[table.names[i]]:>8.0f}")
    return "\n".join(lines)


def row_labels(names: list[str], order: list[int]) -> list[str]:
    """"1 name", "2 name", ... in ``order``: the columns are headed by these numbers (as in a chess
    cross-table), so that long names that start alike stay told apart."""
    return [f"{k} {names[i]}" for k, i in enumerate(order, start=1)]


def table_png(table: CrossPlay, path: Path, title: str = "Cross-play: row's score against column") -> None:
    """The table as a PNG: a grid coloured from red (0) through grey (0.5) to green (1)."""
    import pygame

    pygame.font.init()
    ratings = table.ratings()
    order = sorted(range(len(table.names)), key=lambda i: -ratings[table.names[i]])
    font, small = pygame.font.Font(None, 26), pygame.font.Font(None, 20)
    labels = [small.render(label, True, (210, 210, 220)) for label in row_labels(table.names, order)]
    n, cell, top = len(order), 64, 90
    left = max(170, 24 + max(label.get_width() for label in labels))
    out = pygame.Surface((left + cell * n + 90, top + cell * n + 20))
    out.fill((18, 18, 28))
    out.blit(font.render(title, True, (235, 235, 245)), (12, 10))
    for col in range(n):
        number = small.render(str(col + 1), True, (210, 210, 220))
        out.blit(number, (left + col * cell + (cell - number.get_width()) // 2, top - 24))
    out.blit(small.render("Elo", True, (210, 210, 220)), (left + cell * n + 24, top - 24))
    for row, i in enumerate(order):
        y = top + row * cell
        out.blit(labels[row], (12, y + cell // 2 - 7))
        for col, j in enumerate(order):
            x = left + col * cell
            if table.games[i, j] == 0:  # itself, or a pair that did not play
                pygame.draw.rect(out, (40, 40, 52), (x, y, cell - 2, cell - 2))
                continue
            s = float(table.score[i, j])
            bad, mid, good = np.array((190, 60, 60)), np.array((90, 90, 100)), np.array((60, 170, 80))
            rgb = mid + (good - mid) * (2 * s - 1) if s >= 0.5 else mid + (bad - mid) * (1 - 2 * s)
            pygame.draw.rect(out, tuple(int(c) for c in rgb), (x, y, cell - 2, cell - 2))
            text = small.render(f"{s:.2f}", True, (250, 250, 250))
            out.blit(text, (x + (cell - text.get_width()) // 2, y + cell // 2 - 7))
        elo = small.render(f"{ratings[table.names[i]]:.0f}", True, (235, 235, 245))
        out.blit(elo, (left + cell * n + 20, y + cell // 2 - 7))
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(out, str(path))
