"""``bench ...``: the benchmarks (their code is in benchmarks/).

Each command imports its benchmark module itself: only that command needs it, and the others'
``--help`` need not wait for it (profilers, statistics, the window).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import click

from cli.options import MAX_MATCHES, FiniteFloatRange, json_option, png_file, saves_option, seed_option
from game.bots import BOTS

BOT_CHOICE = click.Choice(sorted(BOTS))
JSON_HELP = "Print one JSON object."
# upper bounds that catch a typo (an extra zero or three) rather than limit a real measurement
MAX_SECONDS = 3600.0
MAX_REPEATS = 100
MAX_BATCH = 256  # matches at once, as many as training may play (TrainConfig.num_matches)
MAX_UPDATES = 100
MAX_WATCH_MINUTES = 60.0


def repeats_option(default: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--repeats", type=click.IntRange(1, MAX_REPEATS), default=default, show_default=True,
                        help="Repeats of the measurement (the median is reported).")


def seconds_option(default: float, help: str, low: float = 0.1) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--seconds", type=FiniteFloatRange(low, MAX_SECONDS), default=default, show_default=True,
                        help=help)


@click.group()
def bench() -> None:
    """Benchmarks (medians of repeats; the machine may be noisy, so compare ratios)."""


@bench.command(name="game", short_help="Headless simulation speed of one match: ticks per second.")
@click.option("--p1", default="random", show_default=True, type=BOT_CHOICE, help="The bot playing player 1.")
@click.option("--p2", default="random", show_default=True, type=BOT_CHOICE, help="The bot playing player 2.")
@seconds_option(3.0, "Seconds of simulation per repeat.")
@repeats_option(5)
@json_option(JSON_HELP)
def bench_game(p1: str, p2: str, seconds: float, repeats: int, as_json: bool) -> None:
    """Headless simulation speed of one match: ticks per second."""
    from benchmarks.game import format_game_bench, run_game_bench

    result = run_game_bench(p1, p2, seconds, repeats)
    click.echo(json.dumps(result) if as_json else format_game_bench(result))


@bench.command(name="conv", short_help="The seed article's convolution experiment, then the agent's layers.")
@click.option("--quick", is_flag=True, help="Fewer repeats (for a first look).")
@click.option("--no-torch", is_flag=True, help="Skip the PyTorch reference even if it is installed.")
@json_option(JSON_HELP)
def bench_conv(quick: bool, no_torch: bool, as_json: bool) -> None:
    """The seed article's convolution experiment, then the agent's own layers (PyTorch as reference if installed)."""
    from benchmarks.conv import format_table, run_conv_bench

    result = run_conv_bench(quick=quick, torch=not no_torch)
    click.echo(json.dumps(result) if as_json else format_table(result))


@bench.command(name="adapt", short_help="A saved agent against a new bot: frozen vs learning as it plays.")
@click.option("--agent", "agent_name", default="champion", show_default=True, help="The saved agent.")
@click.option("--opponent", default="sniper", show_default=True, type=BOT_CHOICE,
              help="The bot it plays (one it never trained against, by default).")
@click.option("--matches", type=click.IntRange(2, MAX_MATCHES), default=200, show_default=True,
              help="Matches of each series (frozen, then learning); their halves are compared.")
@seed_option("Seed of both series (the same matches for the frozen and the learning agent).", default=1)
@json_option(JSON_HELP)
@saves_option
def bench_adapt(agent_name: str, opponent: str, matches: int, seed: int, as_json: bool,
                saves_dir: Path | None) -> None:
    """Online learning: a saved agent against a bot it never met, frozen vs learning as it plays."""
    from benchmarks.adapt import format_adapt_bench, run_adapt_bench

    result = run_adapt_bench(agent_name, opponent, matches, seed, saves_dir)
    click.echo(json.dumps(result) if as_json else format_adapt_bench(result))


@bench.command(name="train", short_help="Training throughput, and a profile of where the time goes.")
@seconds_option(60.0, "Seconds of training with the default settings, for the throughput.", low=1.0)
@click.option("--updates", type=click.IntRange(1, MAX_UPDATES), default=4, show_default=True,
              help="Updates profiled (inline, in one process).")
@click.option("--compare", "revision", metavar="REV", default=None,
              help="Instead: this tree against git revision REV, side by side (interleaved runs of --seconds).")
@click.option("--rounds", type=click.IntRange(1, 20), default=3, show_default=True,
              help="With --compare: runs of each, in turns.")
@click.option("--workers", type=click.IntRange(0, 64), default=0, show_default=True,
              help="With --compare: this tree's worker processes (0: the default, one per core).")
@click.option("--frame-margin", "margin", type=click.IntRange(0, 16), default=None,
              help="This tree's frame margin, if not the default 4 (0: the arena only).")
@json_option(JSON_HELP)
def bench_train(seconds: float, updates: int, revision: str | None, rounds: int, workers: int,
                margin: int | None, as_json: bool) -> None:
    """Training throughput (samples per second, learning included) and a profile of where the time goes.

    With --compare REV: the throughput of this tree and of revision REV (a temporary git
    worktree), measured in turns, with the cores each kept busy.
    """
    from benchmarks.train import CompareError, compare_revisions, format_comparison, format_train_bench, run_train_bench

    if revision is not None:
        try:
            result = compare_revisions(revision, seconds, rounds, workers, margin)
        except CompareError as error:
            raise click.ClickException(str(error)) from None
        click.echo(json.dumps(result) if as_json else format_comparison(result))
        return
    result = run_train_bench(seconds, updates, margin=margin)
    click.echo(json.dumps(result) if as_json else format_train_bench(result))


@bench.command(name="env", short_help="Environment speed on one core: agent steps per second.")
@seconds_option(2.0, "Seconds of stepping per repeat.")
@repeats_option(5)
@click.option("--matches", type=click.IntRange(1, MAX_BATCH), default=16, show_default=True,
              help="Matches in the batch, stepped at once.")
@json_option(JSON_HELP)
def bench_env(seconds: float, repeats: int, matches: int, as_json: bool) -> None:
    """Environment speed on one core: agent steps per second, both observations made."""
    from benchmarks.env import format_env_bench, run_env_bench

    result = run_env_bench(seconds, repeats, matches)
    click.echo(json.dumps(result) if as_json else format_env_bench(result))


@bench.command(name="watch", short_help="Frame times of the watch window; learning speed with it vs headless.")
@click.option("--minutes", type=FiniteFloatRange(0.1, MAX_WATCH_MINUTES), default=3.0, show_default=True,
              help="Minutes of learning in each of the two runs.")
@click.option("--screenshot", type=click.Path(dir_okay=False), default=None, callback=png_file,
              help="Save a picture of the window here (a PNG).")
@json_option(JSON_HELP)
def bench_watch(minutes: float, screenshot: str | None, as_json: bool) -> None:
    """Frame times of the watch window, and learning speed with it open vs headless."""
    from benchmarks.watch import format_watch_bench, run_watch_bench

    result = run_watch_bench(minutes, screenshot=screenshot)
    click.echo(json.dumps(result) if as_json else format_watch_bench(result))


def _add_robust_commands() -> None:
    from cli.robust import bench_exploit, bench_league

    bench.add_command(bench_league)
    bench.add_command(bench_exploit)


_add_robust_commands()
