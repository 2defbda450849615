"""Managing the saved agents in ``saves/``: list, show, rename, delete, export, import, report data.

Used by ``python main.py agents ...`` and by the menu's list of opponents. Every function that
takes a name checks it first (:func:`agent.saves.check_name`), so no name can reach outside the
saves folder; every failure a user can cause is a :class:`~agent.saves.SaveError` whose message
is one sentence. Nothing here draws: the report's curves are returned as plain data for
``game.charts``.

Metadata read from a file is never trusted to have the right types: summaries take numbers
only where numbers are, and show a dash otherwise.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agent import saves
from agent.loading import RESERVED_NAMES  # noqa: F401 (the command line reads it from here)
from agent.loading import check_reserved, load_policy
from agent.policy import count_weights

SHIPPED = "champion"  # the agent that ships with the game: listed first everywhere
EVAL_NOTE = "score = wins + half the draws, over the last evaluation's matches"


# ----------------------------------------------------------------------------------------
# listing
@dataclass(frozen=True)
class AgentSummary:
    """One saved agent in a line: what ``agents list`` and the menu show."""

    name: str
    elo: float | None
    steps: int | None
    seconds: float | None  # training time
    created: str  # YYYY-MM-DD, or "" when unknown
    parent: str | None
    vs_random: float | None  # evaluation score, 0..1 (wins + draws / 2)
    vs_aimbot: float | None
    earlier_steps: int | None = None  # the training of its parents (its lineage), None without one
    earlier_seconds: float | None = None

    @property
    def total_steps(self) -> int | None:
        """Samples of this run and of every parent it started from."""
        return None if self.steps is None else self.steps + (self.earlier_steps or 0)

    @property
    def total_seconds(self) -> float | None:
        return None if self.seconds is None else self.seconds + (self.earlier_seconds or 0.0)

    @property
    def has_lineage(self) -> bool:
        return bool(self.earlier_steps or self.earlier_seconds)

    def detail(self) -> str:
        """A short description, e.g. 'Elo 1174 · 0.3 h · 412k samples · 2026-11-26 · 15% vs aimbot'.

        Training counts the whole lineage ('2.00 h · 9.1M samples in all' for an agent trained
        on from a parent)."""
        parts = []
        if self.elo is not None:
            parts.append(f"Elo {self.elo:.0f}")
        if self.total_seconds is not None:
            parts.append(f"{hours_text(self.total_seconds)} h")
        if self.total_steps is not None:
            parts.append(f"{count_text(self.total_steps)} samples" + (" in all" if self.has_lineage else ""))
        if self.created:
            parts.append(self.created)
        if self.vs_aimbot is not None:
            parts.append(f"{100 * self.vs_aimbot:.0f}% vs aimbot")
        return " · ".join(parts) or "no details saved"


def summarize(name: str, metadata: dict[str, Any]) -> AgentSummary:
    """The summary of one agent from its metadata (wrong or missing values become None)."""
    training = _dict(metadata.get("training"))
    evaluation = _dict(metadata.get("evaluation"))
    lineage = _dict(metadata.get("lineage"))
    steps = _number(training.get("steps"))
    earlier_steps = _count(lineage.get("steps"))
    parent = metadata.get("parent")
    return AgentSummary(
        name=name,
        elo=_number(metadata.get("elo")),
        steps=int(steps) if steps is not None else None,
        seconds=_number(training.get("seconds")),
        created=_date(metadata.get("created")),
        parent=parent if isinstance(parent, str) else None,
        vs_random=_score(evaluation.get("random")),
        vs_aimbot=_score(evaluation.get("aimbot")),
        earlier_steps=int(earlier_steps) if earlier_steps is not None else None,
        earlier_seconds=_count(lineage.get("seconds")),
    )


def list_summaries(saves_dir: Path | None = None) -> list[AgentSummary]:
    """Every readable agent: the shipped champion first, then by Elo (highest first), then by name."""
    found = [summarize(meta["name"], meta) for meta in saves.list_agents(saves_dir)]
    return sorted(found, key=lambda s: (s.name != SHIPPED, -(s.elo if s.elo is not None else -math.inf), s.name))


LINEAGE_NOTE = "samples and hours count the training of the parents too ('agents show NAME' tells this run's own)"


def format_table(summaries: list[AgentSummary]) -> str:
    """The table printed by ``agents list`` (training counts the whole lineage; a note says so)."""
    header = f"{'name':<24}{'Elo':>6}{'samples':>13}{'hours':>7}  {'created':<11}{'parent':<18}{'vs aimbot':>9}"
    lines = [header]
    for s in summaries:
        lines.append(
            f"{s.name:<24}{_or_dash(s.elo, '{:.0f}'):>6}{_or_dash(s.total_steps, '{:,}'):>13}"
            f"{_or_dash(s.total_seconds, hours_text):>7}  {s.created or '-':<11}{s.parent or '-':<18}"
            f"{_or_dash(s.vs_aimbot, lambda v: f'{100 * v:.0f}%'):>9}"
        )
    if any(s.has_lineage for s in summaries):
        lines.append(LINEAGE_NOTE)
    return "\n".join(lines)


def training_totals_text(s: AgentSummary) -> str:
    """'9,088,000 samples in 2.00 hours in all (4,538,880 in 1.00 h in this run)', or this run's
    alone for an agent without parents: '4,538,880 samples in 1.00 hours'."""
    text = f"{_or_dash(s.total_steps, '{:,}')} samples in {_or_dash(s.total_seconds, hours_text)} hours"
    if not s.has_lineage:
        return text
    return f"{text} in all ({_or_dash(s.steps, '{:,}')} in {_or_dash(s.seconds, hours_text)} h in this run)"


# ----------------------------------------------------------------------------------------
# one agent in detail
def existing_agent(name: str, saves_dir: Path | None = None) -> Path:
    """The folder of agent ``name``; SaveError if the name is not plain or there is no such agent."""
    folder = saves.agent_dir(name, saves_dir)
    if not ((folder / saves.AGENT_FILE).is_file() or (folder / saves.TRAINING_FILE).is_file()):
        raise saves.SaveError(f"there is no agent named {name!r} in {folder.parent}")
    return folder


def details(name: str, saves_dir: Path | None = None) -> dict[str, Any]:
    """Everything ``agents show`` prints: the agent file checked whole, its metadata and its files."""
    folder = existing_agent(name, saves_dir)
    path = folder / saves.AGENT_FILE
    if not path.is_file():
        raise saves.SaveError(f"agent {name!r} has training state but no agent file yet")
    params, metadata = saves.load_agent(path)
    info = {k: v for k, v in metadata.items() if k != "history"}
    info["name"] = name
    info["folder"] = str(folder)
    info["parameters"] = count_weights(params)
    info["files"] = {entry.name: entry.stat().st_size for entry in sorted(folder.iterdir())
                     if entry.is_file() and not entry.name.startswith(".")}
    history = metadata.get("history")
    info["evaluations"] = len(history) if isinstance(history, list) else 0
    return info


def format_details(info: dict[str, Any]) -> str:
    """The text printed by ``agents show``."""
    s = summarize(info["name"], info)
    training = _dict(info.get("training"))
    lines = [f"{info['name']}  ({info['folder']})"]
    add = lines.append
    add(f"  created      {_time_text(info.get('created'))}, saved {_time_text(info.get('saved'))}")
    add(f"  parent       {s.parent or '-'}")
    if isinstance(info.get("imported_from"), dict):
        source = info["imported_from"]
        add(f"  imported     from {source.get('file', '?')} on {_time_text(source.get('date'))}")
    add(f"  network      {_network_text(_dict(info.get('network')))}; {info['parameters']:,} weights")
    add(f"  observation  {_observation_text(_dict(info.get('observation')))}")
    add(f"  training     {_training_text(s, training)}")
    if s.has_lineage:
        parents = [p for p in _dict(info.get("lineage")).get("parents", []) if isinstance(p, str)] if isinstance(
            _dict(info.get("lineage")).get("parents"), list) else []
        whose = (parents[0] if len(parents) == 1 else
                 f"its parents ({', '.join(parents)}, nearest first)" if parents else "its parents")
        add(f"  in all       {_or_dash(s.total_steps, '{:,}')} samples, {_or_dash(s.total_seconds, hours_text)} hours, "
            f"counting the training of {whose}")
    add(f"  rating       Elo {_or_dash(s.elo, '{:.1f}')}")
    add(f"  evaluation   vs random {_or_dash(s.vs_random, '{:.2f}')}, vs aimbot {_or_dash(s.vs_aimbot, '{:.2f}')}"
        f"  ({EVAL_NOTE}; {info['evaluations']} evaluations in the history)")
    add(f"  format       {info.get('format')} version {info.get('format_version')}")
    add("  files        " + ", ".join(f"{n} {size_text(b)}" for n, b in info["files"].items()))
    league = [row for row in info.get("league", []) if isinstance(row, dict)] if isinstance(
        info.get("league"), list) else []
    if league:
        width = max(16, *(len(str(row.get("name", "?"))) + 2 for row in league))  # saved agents' long names
        add("  league       " + f"{'member':<{width}}{'kind':<10}{'Elo':>7}{'games':>7}{'learner score':>15}")
        for row in league:
            add("               " + f"{str(row.get('name', '?')):<{width}}{str(row.get('kind', '?')):<10}"
                f"{_or_dash(_number(row.get('rating')), '{:.0f}'):>7}{_or_dash(_number(row.get('games')), '{:.0f}'):>7}"
                f"{_or_dash(_number(row.get('learner_score')), '{:.2f}'):>15}")
    config = _dict(training.get("config"))
    if config:
        add("  config       " + ", ".join(f"{k}={v}" for k, v in sorted(config.items())))
    return "\n".join(lines)


def _network_text(network: dict) -> str:
    convs = zip(*(network.get(k, []) for k in ("channels", "kernel_sizes", "strides")))
    layers = ", ".join(f"{c} of {k}x{k} stride {s}" for c, k, s in convs)
    return f"conv {layers or '?'} -> dense {network.get('hidden', '?')} -> 18 action logits + value"


def _observation_text(obs: dict) -> str:
    size = f"{obs.get('width', '?')}x{obs.get('height', '?')} gray"
    if obs.get("margin"):  # black pixels below and right, so the network reads the whole arena
        size += f" + a margin of {obs['margin']}"
    parts = [size, f"{obs.get('frames', '?')} frames", f"action repeat {obs.get('action_repeat', '?')}"]
    if obs.get("ego_view"):
        parts.append(f"ego view {obs.get('ego_span_px', '?')} px across")
    parts.append(f"ship scale {obs.get('ship_scale', '?')}, sight line {obs.get('sight_px', '?')} px")
    if obs.get("mirror_player2"):
        parts.append("player 2 mirrored")
    return ", ".join(parts)


def _training_text(s: AgentSummary, training: dict) -> str:
    updates, matches = _number(training.get("updates")), _number(training.get("matches"))
    rate = f" ({s.steps / s.seconds:,.0f} samples/s)" if s.steps and s.seconds else ""
    return (f"{_or_dash(s.steps, '{:,}')} samples, {_or_dash(updates, '{:,.0f}')} updates, "
            f"{_or_dash(matches, '{:,.0f}')} matches, {_or_dash(s.seconds, hours_text)} hours{rate}"
            + (" in this run" if s.has_lineage else ""))


# ----------------------------------------------------------------------------------------
# changing the saves folder
def shipped_refusal(name: str, what: str) -> saves.SaveError:
    """The sentence that refuses to change a shipped agent: ``what`` it cannot be, and how to copy it."""
    return saves.SaveError(f"{name!r} ships with the game, so it cannot be {what}; to have a copy of your own, "
                           f"'agents export {name} FILE' then 'agents import FILE --name NEW'")


def check_new_name(name: str, saves_dir: Path | None = None) -> Path:
    """The folder for a new agent ``name``; SaveError if the name is not plain, reserved or taken."""
    folder = saves.agent_dir(name, saves_dir)
    check_reserved(name)
    if os.path.lexists(folder):
        if saves.is_shipped(folder):
            raise shipped_refusal(name, "replaced")
        raise saves.SaveError(f"an agent named {name!r} already exists in {folder.parent}")
    return folder


def changeable_agent(name: str, saves_dir: Path | None = None, what: str = "deleted") -> Path:
    """The folder of agent ``name`` if it may be ``what`` (deleted, renamed); SaveError if there is no
    such agent, it ships with the game, or a run is training it."""
    folder = existing_agent(name, saves_dir)
    if saves.is_shipped(folder):
        raise shipped_refusal(name, what)
    saves.RunLock.check_free(folder)
    return folder


def rename_agent(old: str, new: str, saves_dir: Path | None = None) -> Path:
    """Rename agent ``old`` to ``new`` (its folder, and the name inside its agent file); the new folder.

    Not a shipped agent, nor one that a run is training."""
    source = changeable_agent(old, saves_dir, "renamed")
    target = check_new_name(new, saves_dir)
    agent_file = source / saves.AGENT_FILE
    if agent_file.is_file():
        try:
            arrays, metadata = saves.read_npz(agent_file)
        except saves.SaveError:
            pass  # a damaged agent can still be renamed; its file stays as it is
        else:
            saves.write_npz(agent_file, arrays, dict(metadata, name=new))
    try:
        os.rename(source, target)
    except OSError as error:
        raise saves.SaveError(f"cannot rename {source} to {target} ({error.strerror or error})") from None
    return target


def delete_agent(name: str, saves_dir: Path | None = None) -> Path:
    """Delete agent ``name``'s folder and everything in it; the folder that was removed.

    Not a shipped agent, nor one that a run is training."""
    folder = changeable_agent(name, saves_dir, "deleted")
    try:
        if folder.is_symlink():
            folder.unlink()  # only the link: whatever it points to is not ours to delete
        else:
            shutil.rmtree(folder)
    except OSError as error:
        raise saves.SaveError(f"cannot delete {folder} ({error.strerror or error})") from None
    return folder


def export_agent(name: str, target: Path, force: bool = False, saves_dir: Path | None = None) -> Path:
    """Copy agent ``name``'s agent file (weights and metadata) to ``target``, atomically."""
    source = existing_agent(name, saves_dir) / saves.AGENT_FILE
    if not source.is_file():
        raise saves.SaveError(f"agent {name!r} has no agent file to export yet")
    saves.load_agent(source)  # never hand on a damaged file
    target = Path(target)
    if target.is_dir():
        raise saves.SaveError(f"{target} is a folder; give the name of the file to write")
    if target.exists() and not force:
        raise saves.SaveError(f"{target} already exists; use --force to overwrite it")
    if not target.parent.is_dir():
        raise saves.SaveError(f"the folder {target.parent} does not exist")
    saves.copy_file(source, target)
    return target


def import_agent(source: Path, name: str | None = None, saves_dir: Path | None = None) -> str:
    """Check ``source`` whole (it must load and its network build), then add it as agent ``name``.

    ``name`` defaults to the name in the file's metadata. The copy is written from the checked
    weights (nothing else in the file is kept) with ``imported_from`` added to its metadata.
    Returns the name it was saved under.
    """
    source = Path(source)
    policy, _, metadata = load_policy(source)  # builds the network: the last word on "usable"
    if name is None:
        name = metadata.get("name")
        if not isinstance(name, str):
            raise saves.SaveError(f"{source} does not say the agent's name; give one with --name")
        try:
            saves.check_name(name)
        except saves.SaveError:
            raise saves.SaveError(
                f"the agent's own name {name!r} cannot be a folder name; give another with --name") from None
    folder = check_new_name(name, saves_dir)
    origin = {"file": str(source.resolve()), "name": metadata.get("name"), "date": saves.now()}
    try:
        saves.create_agent(folder, policy.params(), dict(metadata, name=name, imported_from=origin))
    except FileExistsError as error:  # taken since it was checked
        raise saves.SaveError(f"cannot create {folder} ({error.strerror or error})") from None
    return name


# ----------------------------------------------------------------------------------------
# the report's data
def training_curves(name: str, saves_dir: Path | None = None) -> tuple[str, list[dict[str, Any]]]:
    """(title, panels) of agent ``name``'s training, for ``game.charts``.

    Each panel is ``{"title", "y_label", "y_range" (or None), "series": [{"label", "x", "y"}]}``
    with x in minutes of training and None in y where a value is missing. Read from
    ``metrics.jsonl`` (one row per update) and, for evaluations, the metadata history when the
    log has none (an imported agent).
    """
    folder = existing_agent(name, saves_dir)
    rows = saves.read_metrics(folder / saves.METRICS_FILE)
    metadata: dict[str, Any] = {}
    if (folder / saves.AGENT_FILE).is_file():
        metadata = saves.read_metadata(folder / saves.AGENT_FILE)
    evals = [dict(_dict(r.get("eval")), elapsed_s=r.get("elapsed_s")) for r in rows if isinstance(r.get("eval"), dict)]
    if not evals and isinstance(metadata.get("history"), list):
        evals = [h for h in metadata["history"] if isinstance(h, dict)]
    if not rows and not evals:
        raise saves.SaveError(f"agent {name!r} has no training log to draw ({saves.METRICS_FILE} is missing or empty)")
    panels = [
        _panel("Score against the bots (wins + draws/2)", "score", (0.0, 1.0), evals,
               [("vs random", "random"), ("vs aimbot", "aimbot"),
                ("kill share vs random", "random_kill_share"), ("kill share vs aimbot", "aimbot_kill_share")]),
        _panel("Elo rating in the league", "Elo", None, rows, [("learner", "elo")]),
        _panel("Episode length", "ticks (60 per s)", None, rows, [("mean episode", "episode_ticks")]),
        _panel("Policy entropy", "nats", None, rows, [("entropy", "entropy")]),
        _panel("Losses", "loss", None, rows, [("policy loss", "policy_loss"), ("value loss", "value_loss")]),
        _panel("Training speed", "samples per second", None, rows, [("samples/s", "steps_per_s")]),
    ]
    s = summarize(name, metadata)
    title = (f"{name}: {training_totals_text(s)}, "
             f"Elo {_or_dash(s.elo, '{:.0f}')}, vs aimbot {_or_dash(s.vs_aimbot, '{:.2f}')}")
    return title, panels


def _panel(title: str, y_label: str, y_range, rows: list[dict], series: list[tuple[str, str]]) -> dict[str, Any]:
    points = [r for r in rows if _number(r.get("elapsed_s")) is not None]
    x = [r["elapsed_s"] / 60 for r in points]
    return {
        "title": title, "y_label": y_label, "y_range": y_range,
        "series": [{"label": label, "x": x, "y": [_number(r.get(key)) for r in points]} for label, key in series],
    }


# ----------------------------------------------------------------------------------------
# small helpers
def hours_text(seconds: float) -> str:
    """Hours with two decimals below 10 hours, one above: '0.33', '12.5'."""
    hours = seconds / 3600
    return f"{hours:.2f}" if hours < 10 else f"{hours:.1f}"


def count_text(n: int) -> str:
    """A count in a few characters: 950, 41k, 2.3M."""
    if n >= 1_000_000:
        return f"{n / 1e6:.1f}M"
    if n >= 1_000:
        return f"{n / 1e3:.0f}k"
    return str(n)


def size_text(n: int) -> str:
    """A file size: '812 B', '124 KB', '2.8 MB'."""
    if n >= 1_000_000:
        return f"{n / 1e6:.1f} MB"
    if n >= 1_000:
        return f"{n / 1e3:.0f} KB"
    return f"{n} B"


def summary_dict(summary: AgentSummary) -> dict[str, Any]:
    """A summary as JSON-ready data (``agents list --json``): ``steps`` and ``seconds`` of its own
    run, ``earlier_*`` of its parents, ``total_*`` of both."""
    return dict(asdict(summary), total_steps=summary.total_steps, total_seconds=summary.total_seconds)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def _count(value: Any) -> float | None:
    number = _number(value)
    return number if number is not None and number >= 0 else None


def _score(value: Any) -> float | None:
    number = _number(value)
    return number if number is not None and 0 <= number <= 1 else None


def _date(value: Any) -> str:
    try:
        return dt.datetime.fromisoformat(value).date().isoformat()
    except (TypeError, ValueError):
        return ""


def _time_text(value: Any) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return "-"
    return moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if moment.utcoffset() == dt.timedelta(0) else "")


def _or_dash(value: Any, form) -> str:
    if value is None:
        return "-"
    return form(value) if callable(form) else form.format(value)
