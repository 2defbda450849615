"""The robust-opponent tools: ``bench league``, ``bench exploit`` and ``agents style``.

- ``bench league A B C ...``: every contender against every other (bots, saved agents,
  ``module:attr``), seeded, sides swapped; scores and fitted Elo as a table and a PNG. With
  ``--heldout`` the held-out styles of ``benchmarks/heldout.py`` join the table.
- ``bench exploit NAME --minutes M``: a fresh agent trains against the frozen NAME only; its score
  against NAME over time says how exploitable NAME is.
- ``agents style NAME``: where the agent flies, how it shoots and how it dies (a style card and a
  heat map PNG).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.controllers import ControllerFactory
from cli.options import FiniteFloatRange, json_option, png_file, sample_option, saves_option, seed_option

MAX_MATCHES = 10_000


@click.command(name="league", short_help="Cross-play table of agents and bots, with Elo.")
@click.argument("contenders", nargs=-1, required=True)
@click.option("--matches", type=click.IntRange(min=2, max=MAX_MATCHES), default=100, show_default=True,
              help="Matches each pair plays (sides swapped every match).")
@click.option("--heldout", is_flag=True, help="Add the held-out styles of benchmarks/heldout.py to the table.")
@click.option("--ladder", is_flag=True,
              help="Rate agents by the bots only: each agent plays every bot, agents do not meet (quick).")
@click.option("--out", type=click.Path(dir_okay=False), default=None, callback=png_file,
              help="Also draw the table as a PNG here.")
@seed_option("Seed of every pair's series.", default=1)
@json_option()
@sample_option
@saves_option
def bench_league(contenders: tuple[str, ...], matches: int, heldout: bool, ladder: bool, out: str | None,
                 seed: int, as_json: bool, sample: bool, saves_dir: Path | None) -> None:
    """Every contender against every other, MATCHES seeded matches a pair: the scores, each one's
    mean score against the field, and Elo ratings fitted to the whole table (random = 1000).

    This is how a champion is chosen: head to head and against the field, not against one bot.
    """
    from benchmarks.heldout import HELDOUT
    from benchmarks.league import cross_play, format_table, table_png

    factory = ControllerFactory(saves_dir, greedy=not sample)
    names = list(dict.fromkeys(contenders))
    for name in names:
        factory.check(name, allow_human=False)
    if heldout:
        names += [n for n in HELDOUT if n not in names]

    def make(name: str):
        return HELDOUT[name]() if name in HELDOUT else factory(name)

    def progress(a: str, b: str) -> None:
        if not as_json:
            click.echo(f"  {a} vs {b} ...", err=True)

    plays = None
    if ladder:  # matches between two agents often run to the time limit: rate every agent by the same bots
        def plays(a: str, b: str) -> bool:
            return not (factory.is_agent(a) and factory.is_agent(b))

    table = cross_play(names, make, matches, seed, progress, plays)
    if out:
        table_png(table, Path(out))
    if as_json:
        click.echo(json.dumps({**table.as_dict(), "matches": matches, "seed": seed}, sort_keys=True))
        return
    click.echo(f"Cross-play, {matches} matches a pair, seed {seed}: the row's score against the column")
    click.echo(format_table(table))
    if out:
        click.echo(f"drew {out}")


@click.command(name="exploit", short_help="How exploitable is an agent: a fresh agent trained against it.")
@click.argument("name")
@click.option("--minutes", type=FiniteFloatRange(min=0.1, max=24 * 60), default=20.0, show_default=True,
              help="Training time of the exploiter.")
@click.option("--exploiter", default=None, help="Name of the exploiter agent [default: exploit-NAME].")
@click.option("--points", type=click.IntRange(min=1, max=100), default=5, show_default=True,
              help="Evaluations along the way (plus one before training).")
@click.option("--matches", type=click.IntRange(min=2, max=1000), default=40, show_default=True,
              help="Greedy matches against NAME at each evaluation.")
@seed_option("Seed of the exploiter's training.", default=1)
@json_option()
@saves_option
def bench_exploit(name: str, minutes: float, exploiter: str | None, points: int, matches: int, seed: int,
                  as_json: bool, saves_dir: Path | None) -> None:
    """Train a fresh agent for MINUTES against the frozen NAME only (no self-play, no bots) and
    report its score against NAME over time. The exploiter is saved (exploit-NAME by default) and
    can join a league: train --league-bots ...,exploit-NAME."""
    from benchmarks.exploit import format_curve, run

    def report(point: dict) -> None:
        if not as_json:
            click.echo(f"  after {point['minutes']:.1f} min, {point['samples']:,} samples: "
                       f"{point['score']:.3f} against {name}", err=True)

    result = run(name, minutes, exploiter, seed, points, matches, saves_dir, report=report)
    click.echo(json.dumps(result, sort_keys=True) if as_json else format_curve(result))


@click.command(name="style", short_help="An agent's style card: where it flies, how it shoots.")
@click.argument("name")
@click.option("--against", default="aimbot", show_default=True, help="The opponent (a bot, an agent, module:attr).")
@click.option("--matches", type=click.IntRange(min=1, max=1000), default=10, show_default=True,
              help="Matches to measure (sides swapped every match).")
@click.option("--out", type=click.Path(dir_okay=False), default=None, callback=png_file,
              help="Where to draw the heat map [default: saves/NAME/style-AGAINST.png].")
@seed_option("Seed of the matches.", default=1)
@json_option()
@saves_option
def agents_style(name: str, against: str, matches: int, out: str | None, seed: int, as_json: bool,
                 saves_dir: Path | None) -> None:
    """The style card of NAME against AGAINST: share of its living time near walls and corners,
    shots per minute, accuracy, mean distance to the opponent, how often it dies to asteroids,
    and a heat map (PNG) of where it flies. NAME may also be a bot."""
    from benchmarks.heldout import HELDOUT
    from game.style import heat_map_png, random_placement_shares, style_card

    factory = ControllerFactory(saves_dir)
    factory.check(name, allow_human=False)
    if against not in HELDOUT:
        factory.check(against, allow_human=False)
    opponent = (lambda: HELDOUT[against]()) if against in HELDOUT else (lambda: factory(against))
    card = style_card(lambda: factory(name), opponent, matches, seed)
    if out is None:
        from agent import saves

        folder = saves.agent_dir(name, saves_dir) if factory.is_agent(name) else Path(".")
        out = str(folder / f"style-{against.replace(':', '-')}.png")
    heat_map_png(card, Path(out), f"{name} vs {against}")
    wall, corner = random_placement_shares()
    data = {**card.as_dict(), "name": name, "against": against, "seed": seed, "heat_map": out}
    if as_json:
        click.echo(json.dumps(data, sort_keys=True))
        return
    click.echo(f"Style of {name} against {against} ({matches} matches, seed {seed}; score {card.score:.2f})")
    click.echo(f"  near a wall (60 px)     {card.near_wall:6.1%}   (a ship placed at random: {wall:.0%})")
    click.echo(f"  near a corner (100 px)  {card.near_corner:6.1%}   (at random: {corner:.1%})")
    click.echo(f"  shots per minute        {card.shots_per_minute:6.0f}")
    click.echo(f"  accuracy                {card.accuracy:6.1%}   (enemy ships hit per shot; with asteroids "
               f"{card.hit_rate:.1%})")
    click.echo(f"  mean distance           {card.mean_distance:6.0f} px")
    click.echo(f"  deaths to asteroids     {card.asteroid_deaths} of {card.deaths}")
    click.echo(f"  heat map                {out}")
