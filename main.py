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
    + "), the name of a saved agent, or module:attr naming a Python object with reset(seed) and act(world, player)."
)


class ControllerFactory:
    """Builds controllers from specs: bot names, saved agents (loaded once) and module:attr.

    With ``learn`` a saved agent becomes a :class:`agent.online.LearningController` (sampling,
    learning in a background process, on its own copy of the weights) that offers to keep what it
    learned as a new agent when the session ends; bots and module:attr are built as usual.
    ``online`` sets its learning (default: :class:`agent.online.OnlineConfig`).
    """

    def __init__(self, saves_dir: str | None = None, greedy: bool = True, learn: bool = False,
                 online=None) -> None:
        from pathlib import Path

        self.saves_dir = Path(saves_dir) if saves_dir else None
        self.greedy = greedy
        self.learn = learn
        self.online = online
        self._agents: dict = {}
        self.learners: list = []  # the learning controllers built whose adaptation may still be unsaved

    def __call__(self, spec: str) -> Controller:
        """The controller named by ``spec`` (not 'human', which only the window provides)."""
        if spec in BOTS:
            return BOTS[spec]()
        if ":" in spec:
            return CheckedController(as_controller(load_object(spec), spec), spec)
        return self._agent(spec)

    def is_agent(self, spec: str) -> bool:
        """True when ``spec`` names a saved agent (not human, a bot or module:attr)."""
        return spec != "human" and spec not in BOTS and ":" not in spec

    def agent_observation(self, name: str):
        """How the saved agent ``name`` sees (its ObservationConfig)."""
        return self._load(name)[1]

    def _agent(self, name: str) -> Controller:
        from agent.controller import AgentController

        policy, observation, metadata = self._load(name)
        if self.learn:
            return self._learner(name, policy, observation, metadata)
        return AgentController(policy, observation, greedy=self.greedy, name=name)

    def _load(self, name: str) -> tuple:
        """The saved agent ``name`` as (policy, observation, metadata), loaded once."""
        from agent import saves
        from agent.session import load_policy

        if name not in self._agents:
            try:
                path = saves.agent_dir(name, self.saves_dir) / saves.AGENT_FILE
            except saves.SaveError:
                raise ControllerError(f"unknown controller {name!r}; {CONTROLLER_HELP}") from None
            if not path.exists():
                raise ControllerError(f"unknown controller {name!r}; {CONTROLLER_HELP}")
            try:
                self._agents[name] = load_policy(path)
            except saves.SaveError as error:
                raise ControllerError(str(error)) from None
        return self._agents[name]

    def _learner(self, name: str, policy, observation, metadata: dict) -> Controller:
        """A learning controller on a copy of ``policy`` (the loaded original stays as saved)."""
        from agent.online import AdaptedAgentSaver, LearningController, OnlineConfig
        from agent.policy import ActorCritic

        weights = ActorCritic(policy.obs_shape, policy.config)
        weights.set_params(policy.get_params())
        saver = AdaptedAgentSaver(name, metadata, self.saves_dir)
        controller = LearningController(weights, observation, self.online or OnlineConfig(), greedy=False,
                                        background=True, name=name, saver=saver)
        self.learners = [c for c in self.learners if not c.closed or c.unsaved] + [controller]
        return controller

    def keep_learned(self) -> None:
        """At the end of the program: stop every learner, and save (printing one line each) what
        was learned but neither kept nor discarded, e.g. because the window closed first."""
        from agent.saves import SaveError

        failures = []
        for controller in self.learners:
            controller.close()
            if not controller.unsaved:
                continue
            try:
                saved = controller.save_adapted()
            except SaveError as error:
                failures.append(f"could not keep what {controller.name!r} learned: {error}")
                continue
            click.echo(f"saved what {controller.name!r} learned ({controller.updates} updates against you) "
                       f"as {saved!r}, since the window closed before you chose")
        self.learners = []
        if failures:
            raise click.ClickException("; ".join(failures))


def _check_spec(spec: str, factory: ControllerFactory, allow_human: bool) -> None:
    """Fail early, with one sentence, on a controller that cannot be built."""
    if spec == "human":
        if not allow_human:
            raise click.BadParameter("'human' needs the game window; use it with 'play'")
        return
    try:
        factory(spec)
    except ControllerError as error:
        raise click.BadParameter(str(error)) from None


def _saves_option(function):
    return click.option(
        "--saves", "saves_dir", type=click.Path(file_okay=False), default=None, envvar="ASTEROIDS_DUEL_SAVES",
        help="Folder of saved agents [default: the project's saves/; env ASTEROIDS_DUEL_SAVES].",
    )(function)


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

        factory = ControllerFactory()
        learning = ControllerFactory(learn=True)  # the menu's "Learn while playing"
        try:
            _run_window(lambda: run_app(factory, _menu_opponents(), seed=seed, fullscreen=fullscreen, mute=mute,
                                        make_learning_controller=learning))
        finally:
            learning.keep_learned()


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
@click.option("--sample", is_flag=True, help="Saved agents sample their actions instead of taking the most likely.")
@click.option("--learn", is_flag=True,
              help="Saved agents keep learning from the match as they play (in the background); "
                   "when you leave you are asked whether to keep what they learned as NAME-vs-you.")
@click.option("--save-observations", "observations_dir", type=click.Path(file_okay=False), default=None,
              help="Save what each player's agent sees (its stacked gray frames) as PNGs in this folder.")
@click.option("--observation-every", type=click.IntRange(min=1), default=30, show_default=True,
              help="With --save-observations: save every this many ticks (60 ticks = 1 s).")
@_saves_option
def play(p1: str, p2: str, seed: int | None, fullscreen: bool, mute: bool, screenshot: str | None,
         frames: int | None, sample: bool, learn: bool, observations_dir: str | None, observation_every: int,
         saves_dir: str | None) -> None:
    """Start a match directly, for example --p1 human --p2 aimbot --seed 7.

    A controller is 'human', a bot name, a saved agent or module:attr. Esc or P pauses, R
    restarts after the match, M mutes, F11 toggles fullscreen. With --learn a saved agent adapts
    to you as you play (e.g. --p2 champion --learn); if the window closes before you answer
    whether to keep it, what it learned is saved as a new agent and a line says so.
    """
    factory = ControllerFactory(saves_dir, greedy=not sample, learn=learn)
    if learn and not ("human" in (p1, p2) and (factory.is_agent(p1) or factory.is_agent(p2))):
        raise click.UsageError("--learn is for playing a saved agent yourself, e.g. --p1 human --p2 champion --learn")
    _check_spec(p1, factory, allow_human=True)
    _check_spec(p2, factory, allow_human=True)
    factory.learners = []  # the checks built controllers that will never play
    recorder = _observation_recorder(observations_dir, observation_every, factory, (p1, p2))
    observer = recorder.record if recorder is not None else None
    from game.app import run_match

    try:
        _run_window(
            lambda: run_match(p1, p2, factory, seed=seed, fullscreen=fullscreen, mute=mute,
                              max_frames=frames, screenshot=screenshot, observer=observer)
        )
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
    from game.observation import ObservationConfig
    from game.recording import ObservationRecorder

    observation = ObservationConfig()
    for spec in specs:
        if factory.is_agent(spec):
            observation = factory.agent_observation(spec)
            break
    try:
        return ObservationRecorder(directory, observation, every)
    except OSError as error:
        raise click.ClickException(f"cannot write observations to {directory}: {error.strerror}") from None


@cli.command(name="eval")
@click.argument("a")
@click.argument("b")
@click.option("--matches", type=click.IntRange(min=1), default=100, show_default=True, help="Matches to play.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the series (same seed, same result).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--sample", is_flag=True, help="Saved agents sample their actions instead of taking the most likely.")
@_saves_option
def eval_(a: str, b: str, matches: int, seed: int, as_json: bool, sample: bool, saves_dir: str | None) -> None:
    """Play A against B headless, as fast as possible, and count wins, draws and losses.

    The two swap sides every match (A is player 1 in even matches). A match ends when a player
    has no lives left, or in a draw at the rules' time limit.
    """
    from game.match import evaluate

    factory = ControllerFactory(saves_dir, greedy=not sample)
    _check_spec(a, factory, allow_human=False)
    _check_spec(b, factory, allow_human=False)
    try:
        result = evaluate(lambda: factory(a), lambda: factory(b), matches, seed, names=(a, b))
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


@bench.command(name="conv")
@click.option("--quick", is_flag=True, help="Fewer repeats (for a first look).")
@click.option("--no-torch", is_flag=True, help="Skip the PyTorch reference even if it is installed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_conv(quick: bool, no_torch: bool, as_json: bool) -> None:
    """The seed article's convolution experiment, then the agent's own layers (PyTorch as reference if installed)."""
    from benchmarks.conv import format_table, run_conv_bench

    result = run_conv_bench(quick=quick, torch=not no_torch)
    click.echo(json.dumps(result) if as_json else format_table(result))


@bench.command(name="adapt")
@click.option("--agent", "agent_name", default="champion", show_default=True, help="The saved agent.")
@click.option("--opponent", default="sniper", show_default=True, type=click.Choice(sorted(BOTS)))
@click.option("--matches", type=click.IntRange(min=2), default=200, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_saves_option
def bench_adapt(agent_name: str, opponent: str, matches: int, seed: int, as_json: bool, saves_dir: str | None) -> None:
    """Online learning: a saved agent against a bot it never met, frozen vs learning as it plays."""
    from pathlib import Path

    from agent.saves import SaveError
    from benchmarks.adapt import format_adapt_bench, run_adapt_bench

    try:
        result = run_adapt_bench(agent_name, opponent, matches, seed, Path(saves_dir) if saves_dir else None)
    except SaveError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(result) if as_json else format_adapt_bench(result))


@bench.command(name="train")
@click.option("--seconds", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="How long the default training runs for the throughput.")
@click.option("--updates", type=click.IntRange(min=1), default=4, show_default=True,
              help="Updates profiled (inline, one process).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_train(seconds: float, updates: int, as_json: bool) -> None:
    """Training throughput (samples per second, learning included) and a profile of where the time goes."""
    from benchmarks.train import format_train_bench, run_train_bench

    result = run_train_bench(seconds, updates)
    click.echo(json.dumps(result) if as_json else format_train_bench(result))


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


def _train_options(function):
    """One option per TrainConfig field (cleanrl style: the dataclass is the single source)."""
    from dataclasses import MISSING, fields

    from agent.trainer import TrainConfig

    for f in reversed(fields(TrainConfig)):
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "")
        if f.type in ("bool", bool):
            option = click.option(f"{flag}/--no-{f.name.replace('_', '-')}", f.name, default=None,
                                  help=f"{help_text} [default: {f.default}]")
        else:
            kind = {"int": int, "float": float, "str": str}.get(str(f.type), str)
            option = click.option(flag, f.name, type=kind, default=None,
                                  help=f"{help_text} [default: {f.default if f.default is not MISSING else ''}]")
        function = option(function)
    return function


@cli.command()
@click.option("--name", required=True, help="Name of the agent (its folder in saves/).")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=None, help="Train for this long.")
@click.option("--steps", type=click.IntRange(min=1), default=None, help="Or: train on this many more samples.")
@click.option("--envs", type=click.IntRange(min=1), default=None, help="Matches played at once (= --num-matches).")
@click.option("--resume", is_flag=True, help="Continue the agent NAME exactly where it stopped.")
@click.option("--from", "parent", default=None, metavar="AGENT",
              help="Start NAME from the weights of the saved agent AGENT (which is left as it is).")
@click.option("--ego-view/--no-ego-view", default=None, help="Also show the agent a view turned with its ship.")
@click.option("--frames", type=click.IntRange(min=1, max=8), default=None, help="Frames stacked per observation.")
@click.option("--action-repeat", type=click.IntRange(min=1, max=8), default=None, help="Ticks each decision is held.")
@click.option("--frame-height", type=click.IntRange(min=16, max=300), default=None,
              help="Height of the agent's frames in pixels (the width is twice that).")
@click.option("--checkpoint-minutes", type=click.FloatRange(min=0), default=5.0, show_default=True,
              help="Save a checkpoint this often.")
@_saves_option
@_train_options
def train(name: str, minutes: float | None, steps: int | None, envs: int | None, resume: bool, parent: str | None,
          ego_view: bool | None, frames: int | None, action_repeat: int | None, frame_height: int | None,
          checkpoint_minutes: float, saves_dir: str | None,
          **overrides) -> None:
    """Train an agent headless by self-play and against a league of opponents.

    Progress (samples, samples per second, win rates against the bots, Elo, time left) is shown
    as it goes; metrics are written to saves/NAME/metrics.jsonl; checkpoints every few minutes
    and on Ctrl-C. Continue later with --resume.
    """
    from pathlib import Path

    from agent.saves import SaveError
    from agent.session import TrainingSession

    config, observation = _run_settings(minutes, steps, envs, resume, ego_view, frames, action_repeat,
                                        frame_height, overrides)
    _check_parent(parent, resume, ego_view, frames, action_repeat, frame_height)
    folder = Path(saves_dir) if saves_dir else None
    try:
        if resume:
            session = TrainingSession.resume(name, folder)
        elif parent is not None:
            session = TrainingSession.from_agent(name, parent, config, folder)
        else:
            try:
                session = TrainingSession.create(name, config, observation, saves_dir=folder)
            except ValueError as error:  # settings that do not fit together (e.g. frames too small)
                raise click.UsageError(str(error)) from None
        progress = _Progress(session, minutes, steps)
        session.run(steps=steps, minutes=minutes, checkpoint_minutes=checkpoint_minutes, on_update=progress.show)
    except SaveError as error:
        raise click.ClickException(str(error)) from None
    progress.finish()


def _check_parent(parent: str | None, resume: bool, *seeing) -> None:
    """``--from AGENT`` starts a new run that sees as AGENT does: no --resume, no seeing options."""
    if parent is not None and (resume or any(v is not None for v in seeing)):
        raise click.UsageError("--from takes the observation settings of AGENT and starts a new run; "
                               "leave out --resume, --ego-view, --frames, --action-repeat and --frame-height")


def _run_settings(minutes: float | None, steps: int | None, envs: int | None, resume: bool,
                  ego_view: bool | None, frames: int | None, action_repeat: int | None, frame_height: int | None,
                  overrides: dict) -> tuple:
    """The (TrainConfig, ObservationConfig) a `train` or `watch` command asks for, from its options.

    Exactly one budget must be given; a resumed run keeps its saved settings (then both are None,
    and giving any setting is a usage error); settings that do not fit together are one too.
    """
    from agent.trainer import TrainConfig
    from game.env import ObservationConfig

    if (minutes is None) == (steps is None):
        raise click.UsageError("give exactly one budget: --minutes M or --steps S")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if envs is not None:
        overrides["num_matches"] = envs
    seeing = {k: v for k, v in (("ego_view", ego_view), ("frames", frames), ("action_repeat", action_repeat),
                                ("height", frame_height), ("width", frame_height and 2 * frame_height))
              if v is not None}
    if resume:
        if overrides or seeing:
            raise click.UsageError("a resumed run keeps its settings; leave out "
                                   + ", ".join("--" + k.replace("_", "-") for k in {**overrides, **seeing}))
        return None, None
    try:
        return TrainConfig(**overrides), ObservationConfig(**seeing)
    except ValueError as error:  # settings that do not fit together (e.g. frames too small)
        raise click.UsageError(str(error)) from None


class _Progress:
    """A one-line progress display, refreshed after every update; evaluations get their own line."""

    def __init__(self, session, minutes: float | None, steps: int | None) -> None:
        import time

        self.session = session
        self.minutes, self.steps = minutes, steps
        self.start_step = session.trainer.global_step
        self.start = time.monotonic()
        self.last_eval: dict = {}

    def show(self, row: dict) -> None:
        import time

        from agent.session import seconds_to_text
        from agent.trainer import EVAL_OPPONENTS

        spent = time.monotonic() - self.start
        done = row["step"] - self.start_step
        if self.steps:
            left = spent / max(done, 1) * (self.steps - done)
        else:
            left = self.minutes * 60 - spent
        if "eval" in row:
            self.last_eval = {k: row["eval"][k] for k in EVAL_OPPONENTS}
            click.echo("\r" + " " * 100 + "\r", nl=False)
            click.echo(f"[{seconds_to_text(row['elapsed_s'])}] eval after {row['step']:,} samples: "
                       + ", ".join(f"vs {k} {row['eval'][k]:.2f} (kill share {row['eval'][k + '_kill_share']:.2f})"
                                   for k in EVAL_OPPONENTS)
                       + f"  Elo {row['elo']:.0f}")
        wins = "  ".join(f"vs {k} {v:.2f}" for k, v in self.last_eval.items()) or "first evaluation pending"
        line = (f"\r{row['step']:>10,} samples  {row['steps_per_s']:>5.0f}/s  {wins}  Elo {row['elo']:.0f}  "
                f"{seconds_to_text(left)} left ")
        click.echo(line, nl=False)

    def finish(self) -> None:
        t = self.session.trainer
        click.echo(f"\nsaved {self.session.name!r}: {t.global_step:,} samples, {t.update} updates, "
                   f"Elo {t.league.learner_rating:.0f}, in {self.session.folder}")


# ------------------------------------------------------------------------------------------
# watch: train with a window on the learning agent
@cli.command()
@click.option("--fullscreen", is_flag=True, help="Start in fullscreen.")
def watch(fullscreen: bool, name: str, minutes: float | None, steps: int | None, envs: int | None, resume: bool,
          parent: str | None, ego_view: bool | None, frames: int | None, action_repeat: int | None, frame_height: int | None,
          checkpoint_minutes: float, saves_dir: str | None, **overrides) -> None:
    """Train an agent as `train` does, in a window that shows it learning.

    The window shows a live match of the agent (self-play, against the bots or a league
    snapshot), the frames it sees, its first layer's feature maps, its action probabilities,
    charts of the training and the league. Learning runs in a second process, so the window
    stays smooth. Space pauses the match, +/- speed, Tab next match, S saves, L pauses learning,
    H hides the panel, Esc (or closing the window, or Ctrl-C) saves and quits. When the budget
    is spent it saves and closes by itself; continue with `train --resume` or `watch --resume`.
    Takes the same options as `train`.
    """
    from agent.saves import SaveError
    from agent.watch import WatchBackend, WatchRun

    config, observation = _run_settings(minutes, steps, envs, resume, ego_view, frames, action_repeat,
                                        frame_height, overrides)
    _check_parent(parent, resume, ego_view, frames, action_repeat, frame_height)
    backend = WatchBackend(WatchRun(name, saves_dir, resume, config, observation, steps=steps, minutes=minutes,
                                    parent=parent,
                                    checkpoint_minutes=checkpoint_minutes))
    from game.app.watch import run_watch

    try:
        # the window opens first (no display: nothing starts), then the training process opens
        # the session (or refuses, in one sentence) while the window says "starting"
        _run_window(lambda: run_watch(backend, fullscreen, prepare=backend.start))
    except SaveError as error:
        raise click.ClickException(str(error)) from None
    finally:
        backend.close()
    if backend.error:
        raise click.ClickException(backend.error)
    done = backend.summary or {}
    click.echo(f"saved {name!r}: {done.get('step', 0):,} samples, {done.get('update', 0)} updates, "
               f"Elo {done.get('elo', 0.0):.0f}, in {done.get('folder', '')}")


watch.params[:0] = list(train.params)  # exactly the options of `train` (budget, settings, TrainConfig, --saves)


@bench.command(name="watch")
@click.option("--minutes", type=click.FloatRange(min=0.1), default=3.0, show_default=True,
              help="Learning time of each of the two runs.")
@click.option("--screenshot", type=click.Path(dir_okay=False), default=None, help="Save a picture of the window here.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_watch(minutes: float, screenshot: str | None, as_json: bool) -> None:
    """Frame times of the watch window, and learning speed with it open vs headless."""
    from benchmarks.watch import format_watch_bench, run_watch_bench

    result = run_watch_bench(minutes, screenshot=screenshot)
    click.echo(json.dumps(result) if as_json else format_watch_bench(result))


# ----------------------------------------------------------------------------------------
# agents: the saved agents in saves/ (list, show, rename, delete, export, import, report)
BOT_DETAILS = {  # the menu's line about each scripted bot, strongest first
    "rusher": "scripted: the aimbot at point-blank range (60-160 px)",
    "aimbot": "scripted: leads its shots, 0.2 s reaction, avoids asteroids",
    "sniper": "scripted: the aimbot keeping far away (500-700 px)",
    "rookie": "scripted: a slower, shakier aimbot (0.35 s reaction)",
    "dodger": "scripted: the aimbot, flying across your line of fire",
    "sprayer": "scripted: the aimbot sweeping its aim and firing all the time",
    "random": "scripted: holds a random action for 1.5 s",
    "circler": "scripted: flies in circles, firing all the time",
    "spinner": "scripted: turns on the spot and fires",
    "idle": "scripted: a still target",
}


def _menu_opponents(saves_dir: str | None = None) -> list:
    """The menu's choices: saved agents (the shipped champion first, then by Elo), then the bots."""
    from agent.manage import RESERVED_NAMES, list_summaries
    from game.app import Opponent

    agents_found = [Opponent(s.name, s.name, s.detail()) for s in list_summaries(_saves_path(saves_dir))
                    if s.name.lower() not in RESERVED_NAMES]  # such an agent could not be chosen by name
    order = [b for b in BOT_DETAILS if b in BOTS] + sorted(set(BOTS) - set(BOT_DETAILS))
    return agents_found + [Opponent(b, b, BOT_DETAILS.get(b, "scripted bot")) for b in order]


def _saves_path(saves_dir: str | None):
    from pathlib import Path

    return Path(saves_dir) if saves_dir else None


def _agent_command(function):
    """Run an ``agents`` command, turning a SaveError into its one sentence and exit status 1."""
    import functools

    @functools.wraps(function)
    def run(*args, **kwargs):
        from agent.saves import SaveError

        try:
            return function(*args, **kwargs)
        except SaveError as error:
            raise click.ClickException(str(error)) from None

    return run


@cli.group()
def agents() -> None:
    """Manage the saved agents (folders in saves/; see README "Saved agents")."""


@agents.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@_saves_option
@_agent_command
def agents_list(as_json: bool, saves_dir: str | None) -> None:
    """List the saved agents: the shipped champion first, then by Elo.

    'vs aimbot' is the last evaluation's score against the aimbot (wins + half the draws).
    """
    from agent import manage, saves

    summaries = manage.list_summaries(_saves_path(saves_dir))
    if as_json:
        click.echo(json.dumps([manage.summary_dict(s) for s in summaries], indent=1))
    elif not summaries:
        click.echo(f"no saved agents in {_saves_path(saves_dir) or saves.default_saves_dir()}")
    else:
        click.echo(manage.format_table(summaries))


@agents.command(name="show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the metadata as JSON.")
@_saves_option
@_agent_command
def agents_show(name: str, as_json: bool, saves_dir: str | None) -> None:
    """Show everything about agent NAME: network, observation, training, ratings, league, files."""
    from agent import manage

    info = manage.details(name, _saves_path(saves_dir))
    click.echo(json.dumps(info, indent=1, sort_keys=True) if as_json else manage.format_details(info))


@agents.command(name="rename")
@click.argument("old")
@click.argument("new")
@_saves_option
@_agent_command
def agents_rename(old: str, new: str, saves_dir: str | None) -> None:
    """Rename agent OLD to NEW (NEW must be free and not a bot's name)."""
    from agent import manage

    folder = manage.rename_agent(old, new, _saves_path(saves_dir))
    click.echo(f"renamed {old!r} to {new!r} ({folder})")


@agents.command(name="delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_saves_option
@_agent_command
def agents_delete(name: str, yes: bool, saves_dir: str | None) -> None:
    """Delete agent NAME and all its files (asks first)."""
    from agent import manage

    folder = manage.existing_agent(name, _saves_path(saves_dir))
    if not yes:
        click.confirm(f"Delete agent {name!r} and everything in {folder}?", abort=True)
    manage.delete_agent(name, _saves_path(saves_dir))
    click.echo(f"deleted {name!r}")


@agents.command(name="export")
@click.argument("name")
@click.argument("file")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@_saves_option
@_agent_command
def agents_export(name: str, file: str, force: bool, saves_dir: str | None) -> None:
    """Write agent NAME to FILE: one .npz with the weights and the metadata inside."""
    from pathlib import Path

    from agent import manage

    target = manage.export_agent(name, Path(file), force, _saves_path(saves_dir))
    click.echo(f"exported {name!r} to {target}")


@agents.command(name="import")
@click.argument("file")
@click.option("--name", default=None, help="Save it under this name [default: the name inside the file].")
@_saves_option
@_agent_command
def agents_import(file: str, name: str | None, saves_dir: str | None) -> None:
    """Add the agent in FILE (made by 'agents export') to the saved agents, after checking it whole."""
    from pathlib import Path

    from agent import manage

    saved = manage.import_agent(Path(file), name, _saves_path(saves_dir))
    click.echo(f"imported {file} as {saved!r}")


@agents.command(name="report")
@click.argument("name")
@click.option("--out", default=None,
              help="PNG file to write [default: saves/NAME/report.png].")
@_saves_option
@_agent_command
def agents_report(name: str, out: str | None, saves_dir: str | None) -> None:
    """Draw agent NAME's training curves into a PNG: scores against the bots, Elo, episode length,
    entropy, losses and speed, over minutes of training."""
    from pathlib import Path

    import pygame

    from agent import manage
    from game.charts import Chart, Series, draw_charts, save_png

    title, panels = manage.training_curves(name, _saves_path(saves_dir))
    path = Path(out) if out else manage.existing_agent(name, _saves_path(saves_dir)) / "report.png"
    if path.suffix.lower() != ".png":
        raise click.ClickException(f"the report is a PNG image, so its file name must end in .png (got {path})")
    charts = [Chart(p["title"], "minutes of training", p["y_label"],
                    [Series(s["label"], s["x"], s["y"]) for s in p["series"]], p["y_range"]) for p in panels]
    try:
        save_png(draw_charts(title, charts), path)
    except (OSError, pygame.error) as error:
        raise click.ClickException(f"cannot write {path} ({getattr(error, 'strerror', None) or error})") from None
    click.echo(f"wrote {path}")


def main() -> None:
    cli(prog_name="main.py")


if __name__ == "__main__":
    main()
