"""The game's window: the menu (``python main.py`` with no command) and ``play`` (one match directly)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from agent.manage import RESERVED_NAMES, list_summaries
from cli.controllers import ControllerFactory
from cli.options import fullscreen_option, mute_option, png_file, sample_option, saves_option, seed_option
from game.bots import BOTS, DESCRIPTIONS
from game.env import ObservationConfig


def require_display() -> None:
    """Refuse in one sentence, before anything is loaded, when there is no screen for the window
    (SDL would otherwise draw into an invisible offscreen window for ever)."""
    from game.app import DisplayError
    from game.app import require_display as check

    try:
        check()
    except DisplayError as error:
        raise click.ClickException(str(error)) from None


def run_menu(seed: int | None, fullscreen: bool, mute: bool) -> None:
    """Open the game's menu; at the end keep what agents learned in "Learn while playing"."""
    require_display()
    from game.app import run_app  # the window: only the menu and play need pygame

    factory = ControllerFactory()
    learning = ControllerFactory(learn=True)  # the menu's "Learn while playing"
    try:
        run_app(factory, menu_opponents(), seed=seed, fullscreen=fullscreen, mute=mute,
                make_learning_controller=learning)
    finally:
        learning.keep_learned()


LADDER_FILE = "ladder.json"  # in the saves folder: the shipped difficulty levels, weakest first


def ladder_levels(saves_dir: Path | None = None) -> list[dict]:
    """The difficulty levels listed in ``saves/ladder.json`` whose agents are there, weakest first:
    ``{"name", "title", "description", "elo", "vs_rookie", "vs_aimbot"}`` each."""
    from agent import saves

    folder = Path(saves_dir) if saves_dir else saves.default_saves_dir()
    try:
        levels = json.loads((folder / LADDER_FILE).read_text(encoding="utf-8"))["levels"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [level for level in levels if isinstance(level, dict) and isinstance(level.get("name"), str)
            and (folder / level["name"] / saves.AGENT_FILE).exists()]


def menu_opponents(saves_dir: str | Path | None = None) -> list:
    """The menu's choices, in groups: the difficulty levels (weakest first), the other agents that
    ship with the game (the champions before today's, by Elo), the player's agents that have been
    evaluated (by Elo), the bots (strongest first), and last the runs that never
    got an evaluation (throwaway runs)."""
    from agent import saves
    from game.app import Opponent

    folder = Path(saves_dir) if saves_dir else None
    levels = ladder_levels(folder)
    on_ladder = {level["name"] for level in levels}
    ladder = [Opponent(level["name"], level.get("title", level["name"]),
                       f"Elo {level['elo']:.0f} · {level.get('description', '')}" if "elo" in level
                       else level.get("description", ""), group="difficulty levels") for level in levels]
    summaries = [s for s in list_summaries(folder)
                 if s.name.lower() not in RESERVED_NAMES and s.name not in on_ladder]  # a bot's name: unplayable
    shipped = {s.name for s in summaries if saves.is_shipped(saves.agent_dir(s.name, folder))}
    past = [Opponent(s.name, s.name, s.detail(), group="past champions") for s in summaries if s.name in shipped]
    own = [s for s in summaries if s.name not in shipped]
    evaluated = [Opponent(s.name, s.name, s.detail(), group="your agents") for s in own
                 if s.vs_aimbot is not None or s.vs_random is not None]
    unevaluated = [Opponent(s.name, s.name, s.detail(), group="runs without an evaluation") for s in own
                   if s.vs_aimbot is None and s.vs_random is None]
    order = [b for b in DESCRIPTIONS if b in BOTS] + sorted(set(BOTS) - set(DESCRIPTIONS))
    bots = [Opponent(b, b, "scripted: " + DESCRIPTIONS.get(b, "a bot"), group="bots") for b in order]
    return ladder + past + evaluated + bots + unevaluated


MAX_FRAMES = 10_000_000  # 46 hours at 60 frames a second: a bound that catches a typo


def _folder_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("give a folder name (an empty one would fill the current folder)")
    return value


def _deprecated_frames(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    if value is not None:
        click.echo("Warning: play --frames is now --quit-after (--frames still works, for now).", err=True)
    return value


@click.command()
@click.option("--p1", default="human", show_default=True, help="Player 1 (left, W/A/S/D + Space).")
@click.option("--p2", default="aimbot", show_default=True, help="Player 2 (right, arrows + Enter).")
@seed_option("Seed of the match (same seed, same asteroids).")
@fullscreen_option
@mute_option
@click.option("--screenshot", type=click.Path(dir_okay=False), default=None, callback=png_file,
              help="Save the last frame as a PNG here.")
@click.option("--quit-after", type=click.IntRange(min=1, max=MAX_FRAMES), default=None, metavar="FRAMES",
              help="Quit by itself after this many frames (60 a second).")
@click.option("--frames", "old_quit_after", type=click.IntRange(min=1, max=MAX_FRAMES), default=None, hidden=True,
              callback=_deprecated_frames, help="The old name of --quit-after.")
@sample_option
@click.option("--learn", is_flag=True,
              help="Saved agents keep learning from the match as they play (in the background); "
                   "when you leave you are asked whether to keep what they learned as NAME-vs-you.")
@click.option("--save-observations", "observations_dir", type=click.Path(file_okay=False), default=None,
              callback=_folder_name,
              help="Save what each player's agent sees (its stacked gray frames) as PNGs in this folder.")
@click.option("--observation-every", type=click.IntRange(min=1, max=MAX_FRAMES), default=30, show_default=True,
              help="With --save-observations: save every this many ticks (60 ticks = 1 s).")
@saves_option
def play(p1: str, p2: str, seed: int | None, fullscreen: bool, mute: bool, screenshot: str | None,
         quit_after: int | None, old_quit_after: int | None, sample: bool, learn: bool,
         observations_dir: str | None, observation_every: int, saves_dir: Path | None) -> None:
    """Start a match directly, for example --p1 human --p2 aimbot --seed 7.

    A controller is 'human', a bot name, a saved agent or module:attr. Esc or P pauses, R
    restarts after the match, M mutes, F11 toggles fullscreen. With --learn a saved agent adapts
    to you as you play (e.g. --p2 champion --learn); if the window closes before you answer
    whether to keep it, what it learned is saved as a new agent and a line says so.
    """
    require_display()
    factory = ControllerFactory(saves_dir, greedy=not sample, learn=learn)
    if learn and not ("human" in (p1, p2) and (factory.is_agent(p1) or factory.is_agent(p2))):
        raise click.UsageError("--learn is for playing a saved agent yourself, e.g. --p1 human --p2 champion --learn")
    factory.check(p1, allow_human=True)
    factory.check(p2, allow_human=True)
    factory.learners = []  # the checks built controllers that will never play
    recorder = _observation_recorder(observations_dir, observation_every, factory, (p1, p2))
    from game.app import run_match  # the window

    try:
        run_match(p1, p2, factory, seed=seed, fullscreen=fullscreen, mute=mute,
                  max_frames=quit_after if quit_after is not None else old_quit_after, screenshot=screenshot,
                  observer=recorder.record if recorder is not None else None)
    finally:
        factory.keep_learned()
    if recorder is not None:
        click.echo(f"saved {len(recorder.saved)} observations in {observations_dir}")


def _observation_recorder(directory: str | None, every: int, factory: ControllerFactory, specs: tuple[str, str]):
    """The ObservationRecorder for ``play --save-observations``, or None without a directory.

    The frames are made with the observation settings of the first saved agent playing (so they
    are exactly what it sees), else with the defaults agents are trained with.
    """
    if directory is None:
        return None
    from game.recording import ObservationRecorder  # draws PNGs with pygame

    observation = ObservationConfig()
    for spec in specs:
        if factory.is_agent(spec):
            observation = factory.agent_observation(spec)
            break
    return ObservationRecorder(directory, observation, every)
