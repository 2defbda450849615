"""Series of matches and their seeds; headless matches between controllers and their tallies.

:class:`MatchSeries` is the one way every loop that plays match after match (``eval``, the play
screen, the menu's demo, the watch window's display matches, benchmarks) numbers its matches,
seeds them and decides who plays which side: match ``i`` of a series seeded with ``seed`` gets its
world seed and both controllers' seeds from :func:`game.seeding.match_seeds` ``(seed, i)``, and
in a series that swaps sides the first contender is player 1 in even matches, player 2 in odd ones.

``evaluate(a, b, matches, seed)`` is what ``python main.py eval`` runs: a series that swaps sides,
because a win rate from one side only is not a win rate. The same arguments give the same result
every time. :class:`Evaluation` is that series one match at a time, for a caller that shows
progress or may stop early.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Callable, TypeVar

from game.controllers import Controller
from game.rules import DEFAULT_RULES, Rules
from game.seeding import match_seeds
from game.world import World

T = TypeVar("T")


@dataclass(frozen=True)
class SeriesMatch:
    """Match ``index`` of a series: its seeds, and the side (0 or 1) the first contender plays."""

    index: int
    world_seed: int
    controller_seeds: tuple[int, int]  # of player 1 and player 2
    first_side: int = 0

    def sides(self, first: T, second: T) -> tuple[T, T]:
        """The two contenders as (player 1, player 2) of this match."""
        return (first, second) if self.first_side == 0 else (second, first)

    def new_world(self, rules: Rules = DEFAULT_RULES) -> World:
        return World(rules, seed=self.world_seed)

    def reset(self, controllers: tuple[Controller, Controller]) -> None:
        """Reset player 1's and player 2's controllers with their seeds for this match."""
        for controller, seed in zip(controllers, self.controller_seeds):
            controller.reset(seed)


@dataclass(frozen=True)
class MatchSeries:
    """Numbered matches from one seed; ``swap_sides``: the contenders change sides every match."""

    seed: int
    swap_sides: bool = False

    def match(self, index: int) -> SeriesMatch:
        world_seed, seed0, seed1 = match_seeds(self.seed, index)
        first_side = index % 2 if self.swap_sides else 0
        return SeriesMatch(index, world_seed, (seed0, seed1), first_side)


@dataclass
class MatchResult:
    """How one match ended: ``winner`` is 0, 1 or None for a draw."""

    winner: int | None
    ticks: int
    timed_out: bool
    scores: tuple[int, int]
    lives: tuple[int, int]


def play_match(
    controllers: tuple[Controller, Controller],
    seed: int,
    index: int = 0,
    rules: Rules = DEFAULT_RULES,
) -> MatchResult:
    """Play match ``index`` of the series ``seed`` whole, headless; ``controllers[p]`` flies player ``p``."""
    return run_match(controllers, MatchSeries(seed).match(index), rules)


def run_match(
    controllers: tuple[Controller, Controller], match: SeriesMatch, rules: Rules = DEFAULT_RULES
) -> MatchResult:
    """Play ``match`` whole, headless, as fast as it goes; ``controllers[p]`` flies player ``p``."""
    world = match.new_world(rules)
    match.reset(controllers)
    act0, act1 = controllers[0].act, controllers[1].act
    step = world.step
    while not world.over:
        step((act0(world, 0), act1(world, 1)))
    return MatchResult(
        winner=world.winner,
        ticks=world.tick,
        timed_out=world.timed_out,
        scores=(world.ships[0].score, world.ships[1].score),
        lives=(world.ships[0].lives, world.ships[1].lives),
    )


def score_margin(wins: int, draws: int, losses: int) -> float:
    """Half-width of the 95 % confidence interval of a score (wins + draws / 2) / matches.

    The normal approximation: 1.96 standard errors of the mean of the per-match scores (1, 1/2 or
    0), with the sample variance. It says how far a series of as many matches with another seed
    may well land: 0.605 over 200 matches is 0.605 +- 0.068. 0.0 for fewer than two matches.
    """
    n = wins + draws + losses
    if n < 2:
        return 0.0
    mean = (wins + 0.5 * draws) / n
    squares = (wins + 0.25 * draws) / n
    variance = max(squares - mean * mean, 0.0) * n / (n - 1)
    return 1.96 * math.sqrt(variance / n)


@dataclass
class Tally:
    """Wins, draws and losses of one contender, overall and by the side it played."""

    name: str
    wins: int = 0
    draws: int = 0
    losses: int = 0
    by_side: dict[str, dict[str, int]] = field(
        default_factory=lambda: {s: {"wins": 0, "draws": 0, "losses": 0} for s in ("player1", "player2")}
    )

    @property
    def matches(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def score(self) -> float:
        """Win rate with draws counted half."""
        return (self.wins + 0.5 * self.draws) / self.matches if self.matches else 0.0

    def add(self, side: int, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.by_side[f"player{side + 1}"][outcome] += 1

    def as_dict(self) -> dict:
        n = max(self.matches, 1)
        out = asdict(self)
        out.update(
            matches=self.matches,
            win_rate=self.wins / n,
            draw_rate=self.draws / n,
            loss_rate=self.losses / n,
            score=self.score,
        )
        for side in out["by_side"].values():
            m = sum(side.values())
            side["matches"] = m
            side["win_rate"] = side["wins"] / m if m else 0.0
        return out


class Evaluation:
    """A series of a against b that swaps sides every match, tallied as it goes.

    :meth:`play_next` plays the next match; :meth:`summary` is the result of the matches played
    so far, so a series stopped early (Ctrl-C) can still say how it stood.
    """

    def __init__(self, a: Controller, b: Controller, seed: int, names: tuple[str, str] = ("a", "b"),
                 rules: Rules = DEFAULT_RULES) -> None:
        self.contenders = (a, b)
        self.seed = seed
        self.rules = rules
        self.tallies = (Tally(names[0]), Tally(names[1]))
        self.series = MatchSeries(seed, swap_sides=True)
        self.played = 0
        self.total_ticks = 0
        self.timeouts = 0

    def play_next(self) -> MatchResult:
        """Play match number ``played`` of the series and count it."""
        match = self.series.match(self.played)
        a_side = match.first_side
        result = run_match(match.sides(*self.contenders), match, self.rules)
        self.total_ticks += result.ticks
        self.timeouts += result.timed_out
        for who, side in ((0, a_side), (1, 1 - a_side)):
            if result.winner is None:
                outcome = "draws"
            else:
                outcome = "wins" if result.winner == side else "losses"
            self.tallies[who].add(side, outcome)
        self.played += 1
        return result

    def summary(self) -> dict:
        """The result of the matches played so far (what ``eval --json`` prints)."""
        return {
            "matches": self.played,
            "seed": self.seed,
            "mean_match_seconds": self.total_ticks / max(self.played, 1) / self.rules.tick_rate,
            "timeouts": self.timeouts,
            "contenders": [t.as_dict() for t in self.tallies],
        }


def evaluate(
    make_a: Callable[[], Controller],
    make_b: Callable[[], Controller],
    matches: int,
    seed: int,
    names: tuple[str, str] = ("a", "b"),
    rules: Rules = DEFAULT_RULES,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Play ``matches`` matches of a against b, swapping sides every match; returns a summary dict."""
    evaluation = Evaluation(make_a(), make_b(), seed, names, rules)
    for i in range(matches):
        evaluation.play_next()
        if progress is not None:
            progress(i + 1)
    return evaluation.summary()
