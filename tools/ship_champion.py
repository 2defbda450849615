"""Ship a trained agent as the project's new ``champion``, keeping today's under another name.

A maintainer's tool, not part of the installed game: it changes the project's own files.

    python tools/ship_champion.py /work/runs/rs/bs7 --keep-as champion-2026-12c --rename bs5=champion-2026-12c

What it does, in the project (``--project``, this checkout by default):

1. copies ``saves/champion`` (agent file and metrics) to ``saves/KEEP``, with the name inside
   its agent file changed to KEEP;
2. writes the run's agent as ``saves/champion`` (name ``champion``), its metrics beside it
   (every evaluation, the last row and every ``--metrics-every``-th update: the report file
   stays a few MB, ``agents report`` draws the same curves); the names the run knew its
   opponents and parents by become the names they ship under
   (``--rename OLD=NEW``, as often as needed: the parent, the lineage, the league table, the
   ``--league-bots`` of its config and the per-opponent keys of its metrics);
3. lists KEEP in ``saves/shipped.json`` (so it cannot be deleted or overwritten), lets git
   track its files (``saves/.gitignore``) and installs them with the game (the data files in
   ``pyproject.toml``).

What stays by hand (it prints the list): the figures that tests and the README quote about the
champion, the golden records (``python tests/golden/record.py``), the ladder
(``saves/ladder.json``) and the cross-play table.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import click

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the project's packages first
    sys.path.insert(0, str(ROOT))

from agent import saves  # noqa: E402

CHAMPION = "champion"
LEFT_BY_HAND = (
    "the golden records: python tests/golden/record.py (keep only the changes the new agent makes)",
    "the tests that quote the champion's figures or the shipped names (tests/cli/test_cli_runs.py, "
    "tests/agent/test_robustness.py)",
    "the ladder: python main.py bench league cadet pilot ace champion random rookie aimbot --ladder "
    "--matches 100 --seed 1 --json > saves/ladder.json",
    "the README's champion, ladder, cross-play and style-card tables, and docs/learning-log.md",
)


def renamed(value: Any, mapping: dict[str, str]) -> Any:
    """``value`` (a metrics row, any JSON value) with every dict key found in ``mapping`` renamed."""
    if isinstance(value, dict):
        return {mapping.get(k, k): renamed(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [renamed(v, mapping) for v in value]
    return value


def renamed_card(metadata: dict[str, Any], name: str, mapping: dict[str, str]) -> dict[str, Any]:
    """The agent card ``metadata`` named ``name``, with the names of its parents and league renamed."""
    card = json.loads(json.dumps(metadata))  # a deep copy
    card["name"] = name
    if card.get("parent") is not None:
        card["parent"] = mapping.get(card["parent"], card["parent"])
    lineage = card.get("lineage") or {}
    if isinstance(lineage.get("parents"), list):
        lineage["parents"] = [mapping.get(p, p) for p in lineage["parents"]]
    for member in card.get("league") or []:
        if isinstance(member, dict) and member.get("name") in mapping:
            member["name"] = mapping[member["name"]]
    config = (card.get("training") or {}).get("config") or {}
    if isinstance(config.get("league_bots"), str):
        config["league_bots"] = ",".join(mapping.get(b, b) for b in config["league_bots"].split(","))
    return card


def thinned(rows: list[dict[str, Any]], every: int) -> list[dict[str, Any]]:
    """The metrics ``rows`` that ship: each evaluation and final row, the last row, every ``every``-th
    update (and any row that counts no update); ``every`` 1 keeps them all."""
    return [row for i, row in enumerate(rows)
            if "eval" in row or "final" in row or i == len(rows) - 1
            or not isinstance(row.get("update"), int) or row["update"] % every == 0]


def _copy_agent(source: Path, target: Path, name: str, mapping: dict[str, str], every: int = 1) -> None:
    params, metadata = saves.load_agent(source / saves.AGENT_FILE)
    target.mkdir(parents=True, exist_ok=True)
    saves.save_agent(target / saves.AGENT_FILE, params, renamed_card(metadata, name, mapping))
    metrics = source / saves.METRICS_FILE
    if metrics.is_file():
        saves.copy_file(metrics, target / saves.METRICS_FILE)
        rows = thinned(saves.read_metrics(metrics), every)
        saves.rewrite_metrics(target / saves.METRICS_FILE, [renamed(r, mapping) for r in rows])


def _add_to_gitignore(path: Path, keep: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    wanted = [f"!/{keep}/", f"/{keep}/*", f"!/{keep}/{saves.AGENT_FILE}", f"!/{keep}/{saves.METRICS_FILE}"]
    if wanted[0] not in lines:
        path.write_text("\n".join(lines + wanted) + "\n", encoding="utf-8")


def with_data_files(text: str, keep: str) -> str:
    """``pyproject.toml``'s ``text`` with a line for KEEP after the champion's in its data files."""
    key = f'"share/asteroids-duel/saves/{CHAMPION}" = '
    if f'"share/asteroids-duel/saves/{keep}" = ' in text:
        return text
    lines = text.splitlines(keepends=True)
    at = [i for i, line in enumerate(lines) if line.startswith(key)]
    if not at:
        raise saves.SaveError(f"pyproject.toml installs no champion (no line starting {key.strip()}): "
                              "add the kept champion's line by hand")
    last = at[0]  # after the champion and the champions kept before
    while last + 1 < len(lines) and lines[last + 1].startswith(f'"share/asteroids-duel/saves/{CHAMPION}-'):
        last += 1
    lines.insert(last + 1, lines[at[0]].replace(f"saves/{CHAMPION}", f"saves/{keep}"))
    return "".join(lines)


def ship_champion(run: Path, keep: str, project: Path = ROOT, mapping: dict[str, str] | None = None,
                  metrics_every: int = 3) -> None:
    """Ship the agent in folder ``run`` as ``project``'s champion; today's champion becomes ``keep``.
    Of the run's metrics, every evaluation and every ``metrics_every``-th update ship."""
    mapping = dict(mapping or {})
    if metrics_every < 1:  # refused before anything changes
        raise ValueError(f"--metrics-every must be at least 1, not {metrics_every}")
    folder = Path(project) / "saves"
    saves.check_name(keep)
    if not (Path(run) / saves.AGENT_FILE).is_file():
        raise saves.SaveError(f"{run} holds no {saves.AGENT_FILE}: give the folder of a trained agent")
    if not (folder / CHAMPION / saves.AGENT_FILE).is_file():
        raise saves.SaveError(f"{folder / CHAMPION} holds no {saves.AGENT_FILE}: this is not the project's saves folder")
    if (folder / keep).exists():
        raise saves.SaveError(f"{folder / keep} exists already: keep today's champion under another name")
    # refuse a damaged agent or a project it cannot change before anything changes
    saves.load_agent(Path(run) / saves.AGENT_FILE)
    pyproject = Path(project) / "pyproject.toml"
    installed = with_data_files(pyproject.read_text(encoding="utf-8"), keep)
    listed = json.loads((folder / saves.SHIPPED_FILE).read_text(encoding="utf-8"))
    _copy_agent(folder / CHAMPION, folder / keep, keep, {})
    _copy_agent(Path(run), folder / CHAMPION, CHAMPION, mapping, metrics_every)
    listed["agents"] = sorted(set(listed["agents"]) | {keep})
    (folder / saves.SHIPPED_FILE).write_text(json.dumps(listed, indent=1) + "\n", encoding="utf-8")
    _add_to_gitignore(folder / ".gitignore", keep)
    pyproject.write_text(installed, encoding="utf-8")


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old or not new:
            raise click.BadParameter(f"{pair!r} is not OLD=NEW", param_hint="--rename")
        mapping[old] = saves.check_name(new)
    return mapping


@click.command()
@click.argument("run", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep-as", "keep", required=True, help="The name today's champion ships on under.")
@click.option("--rename", "renames", multiple=True, metavar="OLD=NEW",
              help="A name in the run's card (parent, league) and the name it ships under.")
@click.option("--metrics-every", type=click.IntRange(min=1), default=3, show_default=True,
              help="Of the run's metrics, ship every evaluation and every K-th update (1: all).")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=ROOT, show_default=True,
              help="The project's checkout.")
def main(run: Path, keep: str, renames: tuple[str, ...], metrics_every: int, project: Path) -> None:
    """Ship the trained agent in folder RUN as the project's champion."""
    try:
        ship_champion(run, keep, project, _mapping(renames), metrics_every)
    except (saves.SaveError, OSError, ValueError, KeyError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"shipped {run} as {CHAMPION}; the champion before it ships on as {keep}")
    click.echo("left by hand:\n" + "\n".join(f"  - {step}" for step in LEFT_BY_HAND))


if __name__ == "__main__":
    main()
