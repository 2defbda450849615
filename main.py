"""Asteroids Duel: the command line.

``python main.py`` opens the game's menu; the subcommands play a match directly, play headless
matches for statistics, and run benchmarks. Run ``python main.py COMMAND --help`` for each.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # before anything imports pygame

import click  # noqa: E402

from game.bots import BOTS  # noqa: E402
from game.controllers import CheckedController, Controller, ControllerError, as_controller, load_object

CONTROLLER_HELP = (
    "A controller is 'human', one of the bots ("
    + ", ".join(sorted(BOTS))
    + "), or module:attr naming a Python object with reset(seed) and act(world, player)."
)


def make_controller(spec: str) -> Controller:
    """Build the controller named by ``spec`` (not 'human', which only the window provides)."""
    if spec in BOTS:
        return BOTS[spec]()
    if ":" in spec:
        return CheckedController(as_controller(load_object(spec), spec), spec)
    raise ControllerError(f"unknown controller {spec!r}; {CONTROLLER_HELP}")


def _check_spec(spec: str, allow_human: bool) -> None:
    """Fail early, with one sentence, on a controller that cannot be built."""
    if spec == "human":
        if not allow_human:
            raise click.BadParameter("'human' needs the game window; use it with 'play'")
        return
    try:
        make_controller(spec)
    except ControllerError as error:
        raise click.BadParameter(str(error)) from None


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--seed", type=int, default=None, help="Seed for the matches started from the menu.")
@click.option("--fullscreen", is_flag=True, help="Start in fullscreen (F11 toggles).")
@click.option("--mute", is_flag=True, help="Start with sound off (M toggles).")
@click.pass_context
def cli(ctx: click.Context, seed: int | None, fullscreen: bool, mute: bool) -> None:
    """Asteroids Duel: two pentagon ships fight among asteroids.

    With no command, opens the game's menu.
    """
    if ctx.invoked_subcommand is None:
        from game.app import run_app

        _run_window(lambda: run_app(make_controller, sorted(BOTS), seed=seed, fullscreen=fullscreen, mute=mute))


def _run_window(start) -> None:
    """Run a window, turning a missing display or a failing controller into one sentence."""
    import pygame

    try:
        start()
    except pygame.error as error:
        raise click.ClickException(f"cannot open the game window ({error}); is a display available?") from None
    except ControllerError as error:
        raise click.ClickException(str(error)) from None


@cli.command()
@click.option("--p1", default="human", show_default=True, help="Player 1 (left, W/A/S/D + Space).")
@click.option("--p2", default="aimbot", show_default=True, help="Player 2 (right, arrows + Enter).")
@click.option("--seed", type=int, default=None, help="Seed of the match (same seed, same asteroids).")
@click.option("--fullscreen", is_flag=True, help="Start in fullscreen (F11 toggles).")
@click.option("--mute", is_flag=True, help="Start with sound off (M toggles).")
@click.option("--screenshot", type=click.Path(dir_okay=False), default=None, help="Save the last frame as a PNG here.")
@click.option("--frames", type=click.IntRange(min=1), default=None, help="Quit by itself after this many frames.")
def play(p1: str, p2: str, seed: int | None, fullscreen: bool, mute: bool, screenshot: str | None, frames: int | None) -> None:
    """Start a match directly, e.g. --p1 human --p2 aimbot --seed 7.

    A controller is 'human', a bot name or module:attr. Esc or P pauses, R restarts after the
    match, M mutes, F11 toggles fullscreen.
    """
    _check_spec(p1, allow_human=True)
    _check_spec(p2, allow_human=True)
    from game.app import run_match

    _run_window(
        lambda: run_match(p1, p2, make_controller, seed=seed, fullscreen=fullscreen, mute=mute,
                          max_frames=frames, screenshot=screenshot)
    )


@cli.command(name="eval")
@click.argument("a")
@click.argument("b")
@click.option("--matches", type=click.IntRange(min=1), default=100, show_default=True, help="Matches to play.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the series (same seed, same result).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def eval_(a: str, b: str, matches: int, seed: int, as_json: bool) -> None:
    """Play A against B headless, as fast as possible, and count wins, draws and losses.

    The two swap sides every match (A is player 1 in even matches). A match ends when a player
    has no lives left, or in a draw at the rules' time limit.
    """
    from game.match import evaluate

    _check_spec(a, allow_human=False)
    _check_spec(b, allow_human=False)
    try:
        result = evaluate(lambda: make_controller(a), lambda: make_controller(b), matches, seed, names=(a, b))
    except ControllerError as error:
        raise click.ClickException(str(error)) from None
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


@cli.group()
def bench() -> None:
    """Benchmarks (medians of repeats; the machine may be noisy, so compare ratios)."""


@bench.command(name="game")
@click.option("--p1", default="random", show_default=True, type=click.Choice(sorted(BOTS)))
@click.option("--p2", default="random", show_default=True, type=click.Choice(sorted(BOTS)))
@click.option("--seconds", type=click.FloatRange(min=0.1), default=3.0, show_default=True, help="Time per repeat.")
@click.option("--repeats", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_game(p1: str, p2: str, seconds: float, repeats: int, as_json: bool) -> None:
    """Headless simulation speed of one match: ticks per second."""
    from benchmarks.game import format_game_bench, run_game_bench

    result = run_game_bench(p1, p2, seconds, repeats)
    click.echo(json.dumps(result) if as_json else format_game_bench(result))


@bench.command(name="env")
@click.option("--seconds", type=click.FloatRange(min=0.1), default=2.0, show_default=True, help="Time per repeat.")
@click.option("--repeats", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--matches", type=click.IntRange(min=1), default=16, show_default=True, help="Matches in the batch.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_env(seconds: float, repeats: int, matches: int, as_json: bool) -> None:
    """Environment speed on one core: agent steps per second, both observations made."""
    from benchmarks.env import format_env_bench, run_env_bench

    result = run_env_bench(seconds, repeats, matches)
    click.echo(json.dumps(result) if as_json else format_env_bench(result))


def main() -> None:
    cli(prog_name="main.py")


if __name__ == "__main__":
    main()
