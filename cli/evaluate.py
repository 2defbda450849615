"""``eval``: headless matches of two controllers, counted."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.controllers import ControllerFactory
from cli.options import json_option, sample_option, saves_option, seed_option
from game.match import evaluate

MAX_MATCHES = 100_000  # hours of matches already; a bound that catches a typo (an extra zero or three)


@click.command(name="eval")
@click.argument("a")
@click.argument("b")
@click.option("--matches", type=click.IntRange(min=1, max=MAX_MATCHES), default=100, show_default=True,
              help=f"Matches to play (at most {MAX_MATCHES:,}).")
@seed_option("Seed of the series (same seed, same result).", default=0)
@json_option()
@sample_option
@saves_option
def eval_(a: str, b: str, matches: int, seed: int, as_json: bool, sample: bool, saves_dir: Path | None) -> None:
    """Play A against B headless, as fast as possible, and count wins, draws and losses.

    The two swap sides every match (A is player 1 in even matches). A match ends when a player
    has no lives left, or in a draw at the rules' time limit.
    """
    factory = ControllerFactory(saves_dir, greedy=not sample)
    factory.check(a, allow_human=False)
    factory.check(b, allow_human=False)
    result = evaluate(lambda: factory(a), lambda: factory(b), matches, seed, names=(a, b))
    if as_json:
        click.echo(json.dumps(result, sort_keys=True))
        return
    click.echo(f"{matches} matches, seed {seed}, sides swapped every match; "
               f"mean match {result['mean_match_seconds']:.1f} s, {result['timeouts']} reached the time limit")
    click.echo(f"{'contender':<24}{'wins':>6}{'draws':>7}{'losses':>8}{'win %':>8}{'score':>7}"
               f"{'  as P1 W/D/L':>15}{'  as P2 W/D/L':>15}")
    for c in result["contenders"]:
        sides = ["{wins}/{draws}/{losses}".format(**c["by_side"][s]) for s in ("player1", "player2")]
        click.echo(f"{c['name']:<24}{c['wins']:>6}{c['draws']:>7}{c['losses']:>8}"
                   f"{100 * c['win_rate']:>7.1f}%{c['score']:>7.3f}{sides[0]:>15}{sides[1]:>15}")
