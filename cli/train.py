"""``train`` (headless) and ``watch`` (in a window): the same run options, from one decorator."""

from __future__ import annotations

import dataclasses
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import click

from agent.session import TrainingSession, seconds_to_text
from agent.trainer import EVAL_OPPONENTS, TrainConfig
from cli.options import SEED, FiniteFloatRange, config_options, given_options, saves_option
from game.env import ObservationConfig

TRAIN_CONFIG_FIELDS = [f.name for f in dataclasses.fields(TrainConfig)]
MAX_MINUTES = 7 * 24 * 60.0  # a week: a bound that catches a typo
MAX_STEPS = 10**10
INTERRUPTED = 130  # the exit status of a run stopped at once by Ctrl-C (128 + SIGINT, as shells report it)

_RUN_OPTIONS = [
    click.option("--name", required=True, help="Name of the agent (its folder in saves/)."),
    click.option("--minutes", type=FiniteFloatRange(min=0, min_open=True, max=MAX_MINUTES), default=None,
                 help="Train for this many minutes."),
    click.option("--steps", type=click.IntRange(min=1, max=MAX_STEPS), default=None,
                 help="Or: train on this many more samples."),
    click.option("--envs", type=click.IntRange(min=1, max=256), default=None,
                 help="Matches played at once (= --num-matches)."),
    click.option("--resume", is_flag=True, help="Continue the agent NAME exactly where it stopped."),
    click.option("--from", "parent", default=None, metavar="AGENT",
                 help="Start NAME from the weights of the saved agent AGENT (which is left as it is)."),
    click.option("--ego-view/--no-ego-view", default=None, help="Also show the agent a view turned with its ship."),
    click.option("--frames", type=click.IntRange(min=1, max=8), default=None, help="Frames stacked per observation."),
    click.option("--action-repeat", type=click.IntRange(min=1, max=8), default=None,
                 help="Ticks each decision is held."),
    click.option("--frame-height", type=click.IntRange(min=16, max=300), default=None,
                 help="Height of the arena in the agent's frames, in pixels (the width is twice that; "
                      "the frame margin comes on top) [default: 44]."),
    click.option("--frame-margin", type=click.IntRange(min=0, max=16), default=None,
                 help="Black pixels added below and right of the agent's frames, so that its network "
                      "sees the arena's last rows and columns [default: 4; with --from: the parent's, and a "
                      "larger one widens the parent's network]."),
    click.option("--checkpoint-minutes", type=FiniteFloatRange(min=0, max=MAX_MINUTES), default=5.0, show_default=True,
                 help="Save a checkpoint this often (minutes)."),
    saves_option,
    config_options(TrainConfig, types={"seed": SEED}),
]


def run_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options of a training run, shared by ``train`` and ``watch``; read them with :func:`run_request`."""
    for option in reversed(_RUN_OPTIONS):
        function = option(function)
    return function


@dataclass(frozen=True)
class RunRequest:
    """What a ``train`` or ``watch`` command asks for. ``config`` and ``observation`` are None
    for a resumed run (it keeps its saved settings) and for ``--from`` (``observation``: the parent's)."""

    name: str
    minutes: float | None
    steps: int | None
    resume: bool
    parent: str | None
    checkpoint_minutes: float
    saves_dir: Path | None
    config: TrainConfig | None
    observation: ObservationConfig | None
    margin: int | None = None  # --frame-margin, also for --from


def run_request(ctx: click.Context) -> RunRequest:
    """The run that the options of ``ctx`` (a command decorated with :func:`run_options`) ask for.

    Exactly one budget must be given; a resumed run keeps its saved settings (giving any is a
    usage error), so does ``--from`` for the settings of what the agent sees. Settings that do not
    fit together raise ValueError (a usage error, see cli.errors).
    """
    p = ctx.params
    if (p["minutes"] is None) == (p["steps"] is None):
        raise click.UsageError("give exactly one budget: --minutes M or --steps S")
    overrides = given_options(ctx, TRAIN_CONFIG_FIELDS)
    if p["envs"] is not None:
        overrides["num_matches"] = p["envs"]
    seeing = {k: v for k, v in (("ego_view", p["ego_view"]), ("frames", p["frames"]),
                                ("action_repeat", p["action_repeat"]), ("height", p["frame_height"]),
                                ("width", p["frame_height"] and 2 * p["frame_height"]),
                                ("margin", p["frame_margin"]))
              if v is not None}
    seeing_given = [k for k in ("ego_view", "frames", "action_repeat", "frame_height", "frame_margin")
                    if p[k] is not None]  # the options' own names, for the messages
    config = observation = None
    if p["resume"]:
        if overrides or seeing:
            raise click.UsageError("a resumed run keeps its settings; leave out "
                                   + ", ".join("--" + k.replace("_", "-") for k in [*overrides, *seeing_given]))
    else:
        config, observation = TrainConfig(**overrides), ObservationConfig(**seeing)
    if p["parent"] is not None and (p["resume"] or set(seeing_given) - {"frame_margin"}):
        raise click.UsageError("--from takes the observation settings of AGENT and starts a new run; "
                               "leave out --resume, --ego-view, --frames, --action-repeat and --frame-height")
    return RunRequest(p["name"], p["minutes"], p["steps"], p["resume"], p["parent"], p["checkpoint_minutes"],
                      p["saves_dir"], config, observation, p["frame_margin"])


@click.command()
@run_options
@click.pass_context
def train(ctx: click.Context, **options: Any) -> None:
    """Train an agent headless by self-play and against a league of opponents.

    Progress (samples, samples per second, win rates against the bots, Elo, time left) is shown
    as it goes; metrics are written to saves/NAME/metrics.jsonl; checkpoints every few minutes
    and on Ctrl-C. Continue later with --resume.
    """
    run = run_request(ctx)
    if run.resume:
        session = TrainingSession.resume(run.name, run.saves_dir)
    elif run.parent is not None:
        session = TrainingSession.from_agent(run.name, run.parent, run.config, run.saves_dir, run.margin)
    else:
        session = TrainingSession.create(run.name, run.config, run.observation, saves_dir=run.saves_dir)
    progress = _Progress(session, run.minutes, run.steps)
    try:
        session.run(steps=run.steps, minutes=run.minutes, checkpoint_minutes=run.checkpoint_minutes,
                    on_update=progress.show, on_final_evaluation=progress.evaluating)
    except KeyboardInterrupt:  # a second Ctrl-C: the update in progress is given up
        if progress.mid_line:
            click.echo()
        click.echo(f"stopped at once by a second Ctrl-C: the update in progress is not saved; "
                   f"{session.checkpoint_text()}", err=True)
        ctx.exit(INTERRUPTED)
    progress.finish()


def score_text(evaluation: dict, skipped: bool = False) -> str:
    """', vs random 0.95, vs aimbot 0.40' from an evaluation ('' when there is none)."""
    if skipped:
        return ", final evaluation skipped"
    scores = [f"vs {k} {evaluation[k]:.2f}" for k in EVAL_OPPONENTS if isinstance(evaluation.get(k), (int, float))]
    return "".join(", " + score for score in scores)


class _Progress:
    """A one-line progress display, refreshed after every update; evaluations get their own line."""

    def __init__(self, session: TrainingSession, minutes: float | None, steps: int | None) -> None:
        self.session = session
        self.minutes, self.steps = minutes, steps
        self.start_step = session.trainer.global_step
        self.start = time.monotonic()
        self.last_eval: dict = {}
        self.mid_line = False  # the progress line is showing (the next line starts with a new line)

    def evaluating(self) -> None:
        self._clear_line()
        click.echo("saved; a last evaluation against random and aimbot (Ctrl-C skips it)...")

    def _clear_line(self) -> None:
        if self.mid_line:
            click.echo("\r" + " " * 100 + "\r", nl=False)
            self.mid_line = False

    def show(self, row: dict) -> None:
        if row.get("final"):  # the evaluation that ends the run: its line only
            self._eval_line(row)
            return
        spent = time.monotonic() - self.start
        done = row["step"] - self.start_step
        if self.steps:
            left = spent / max(done, 1) * (self.steps - done)
        else:
            left = self.minutes * 60 - spent
        if "eval" in row:
            self._eval_line(row)
        wins = "  ".join(f"vs {k} {v:.2f}" for k, v in self.last_eval.items()) or "first evaluation pending"
        line = (f"\r{row['step']:>10,} samples  {row['steps_per_s']:>5.0f}/s  {wins}  Elo {row['elo']:.0f}  "
                f"{seconds_to_text(left)} left ")
        click.echo(line, nl=False)
        self.mid_line = True

    def _eval_line(self, row: dict) -> None:
        self.last_eval = {k: row["eval"][k] for k in EVAL_OPPONENTS}
        self._clear_line()
        click.echo(f"[{seconds_to_text(row['elapsed_s'])}] eval after {row['step']:,} samples: "
                   + ", ".join(f"vs {k} {row['eval'][k]:.2f} (kill share {row['eval'][k + '_kill_share']:.2f})"
                               for k in EVAL_OPPONENTS)
                   + f"  Elo {row['elo']:.0f}")

    def finish(self) -> None:
        s, t = self.session, self.session.trainer
        evaluation = t.history[-1] if t.history else {}
        if self.mid_line:
            click.echo()
        click.echo(f"saved {s.name!r}: {t.global_step:,} samples, {t.update} updates, "
                   f"Elo {t.league.learner_rating:.0f}{score_text(evaluation, s.evaluation_skipped)}, in {s.folder}")


@click.command()
@run_options
@click.option("--fullscreen", is_flag=True, help="Start in fullscreen.")
@click.pass_context
def watch(ctx: click.Context, fullscreen: bool, **options: Any) -> None:
    """Train an agent as `train` does, in a window that shows it learning.

    The window shows a live match of the agent (self-play, against the bots or a league
    snapshot), the frames it sees, its first layer's feature maps, its action probabilities,
    charts of the training and the league. Learning runs in a second process, so the window
    stays smooth. Space pauses the match, +/- speed, Tab next match, S saves, L pauses learning,
    H hides the panel, Esc (or closing the window, or Ctrl-C) saves and quits. When the budget
    is spent it saves and closes by itself; continue with `train --resume` or `watch --resume`.
    Takes the same options as `train`.
    """
    from agent.watch import WatchBackend, WatchRun  # only watch runs training in a second process

    run = run_request(ctx)
    backend = WatchBackend(WatchRun(run.name, str(run.saves_dir) if run.saves_dir else None, run.resume,
                                    run.config, run.observation, steps=run.steps, minutes=run.minutes,
                                    parent=run.parent, checkpoint_minutes=run.checkpoint_minutes,
                                    margin=run.margin))
    from game.app.watch import run_watch  # the window

    def on_sigint(signum, frame) -> None:
        """Ctrl-C while the window opens (it answers Ctrl-C itself once it shows training)."""
        if backend.stop_asked:
            raise KeyboardInterrupt
        backend.ask_stop()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        # the window opens first (no display: nothing starts), then the training process opens
        # the session (or refuses, in one sentence) while the window says "starting"
        run_watch(backend, fullscreen, prepare=backend.start)
    except KeyboardInterrupt:  # a second Ctrl-C: the training process is ended at once
        lost = ("the final evaluation is skipped; the run was saved before it" if backend.evaluating
                else "the update in progress is not saved; the last checkpoint is kept")
        click.echo(f"stopped at once by a second Ctrl-C: {lost}", err=True)
        ctx.exit(INTERRUPTED)
    finally:
        signal.signal(signal.SIGINT, previous)
        backend.close()
    if backend.error:
        raise click.ClickException(backend.error)
    done = backend.summary or {}
    score = score_text(done.get("evaluation", {}), done.get("evaluation_skipped", False))
    click.echo(f"saved {run.name!r}: {done.get('step', 0):,} samples, {done.get('update', 0)} updates, "
               f"Elo {done.get('elo', 0.0):.0f}{score}, in {done.get('folder', '')}")
