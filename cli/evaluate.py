"""``eval``: headless matches of two controllers, counted.

On a terminal a progress bar runs on stderr (not with --json, not when stderr is a file or a pipe).
Ctrl-C stops the series: the matches finished so far are printed, marked as a partial result,
and the exit status is 130 (the shell's for SIGINT).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cli.controllers import ControllerFactory
from cli.options import MAX_MATCHES, json_option, sample_option, saves_option, seed_option
from game.match import Evaluation, score_margin
INTERRUPTED_EXIT = 130  # 128 + SIGINT, as a shell reports a program stopped by Ctrl-C


@click.command(name="eval")
@click.argument("a")
@click.argument("b")
@click.option("--matches", type=click.IntRange(min=1, max=MAX_MATCHES), default=100, show_default=True,
              help=f"Matches to play (at most {MAX_MATCHES:,}).")
@seed_option("Seed of the series (same seed, same result).", default=0)
@json_option()
@sample_option
@saves_option
@click.pass_context
def eval_(ctx: click.Context, a: str, b: str, matches: int, seed: int, as_json: bool, sample: bool,
          saves_dir: Path | None) -> None:
    """Play A against B headless, as fast as possible, and count wins, draws and losses.

    The two swap sides every match (A is player 1 in even matches). A match ends when a player
    has no lives left, or in a draw at the rules' time limit. Ctrl-C prints the matches finished
    so far (marked as partial) and exits with status 130.
    """
    try:
        factory = ControllerFactory(saves_dir, greedy=not sample)
        factory.check(a, allow_human=False)
        factory.check(b, allow_human=False)
        evaluation = Evaluation(factory(a), factory(b), seed, names=(a, b))
    except KeyboardInterrupt:
        click.echo("interrupted before the first match", err=True)
        ctx.exit(INTERRUPTED_EXIT)
    stderr = sys.stderr
    try:
        with click.progressbar(length=matches, label="matches", file=stderr, show_pos=True,
                               hidden=as_json or not stderr.isatty()) as bar:
            for _ in range(matches):
                evaluation.play_next()
                bar.update(1)
    except KeyboardInterrupt:
        show(evaluation.summary(), as_json, requested=matches)
        ctx.exit(INTERRUPTED_EXIT)
    show(evaluation.summary(), as_json)


def show(result: dict, as_json: bool, requested: int | None = None) -> None:
    """Print ``result`` (of :meth:`Evaluation.summary`) as a table or JSON; ``requested``, the
    matches asked for, when the series was interrupted before them all."""
    partial = requested is not None
    if as_json:
        if partial:
            click.echo(f"interrupted after {result['matches']} of {requested} matches: partial result", err=True)
            result = {**result, "interrupted": True, "requested_matches": requested}
        click.echo(json.dumps(result, sort_keys=True))
        return
    played = f"PARTIAL RESULT, interrupted after {result['matches']} of {requested} matches" if partial \
        else f"{result['matches']} matches"
    if result["matches"] == 0:
        click.echo(f"{played}: no match finished")
        return
    click.echo(f"{played}, seed {result['seed']}, sides swapped every match; "
               f"mean match {result['mean_match_seconds']:.1f} s, {result['timeouts']} reached the time limit")
    click.echo(f"{'contender':<24}{'wins':>6}{'draws':>7}{'losses':>8}{'win %':>8}{'score':>7}{'95 %':>8}"
               f"{'  as P1 W/D/L':>15}{'  as P2 W/D/L':>15}")
    for c in result["contenders"]:
        sides = ["{wins}/{draws}/{losses}".format(**c["by_side"][s]) for s in ("player1", "player2")]
        margin = score_margin(c["wins"], c["draws"], c["losses"])
        click.echo(f"{c['name']:<24}{c['wins']:>6}{c['draws']:>7}{c['losses']:>8}"
                   f"{100 * c['win_rate']:>7.1f}%{c['score']:>7.3f}{'+-' + format(margin, '.3f'):>8}"
                   f"{sides[0]:>15}{sides[1]:>15}")
    click.echo("(95 %: the score +- 1.96 standard errors; another seed's series of as many matches "
               "may well land anywhere in it)")
