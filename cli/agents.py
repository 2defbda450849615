"""``agents ...``: the saved agents in saves/ (list, show, rename, delete, export, import, report)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from agent import manage, saves
from cli.options import json_option, png_file, saves_option


@click.group()
def agents() -> None:
    """Manage the saved agents (folders in saves/; see README "Saved agents")."""


@agents.command(name="list", short_help="List the saved agents: the champion first, then by Elo.")
@json_option("Print a JSON list instead of a table.")
@saves_option
def agents_list(as_json: bool, saves_dir: Path | None) -> None:
    """List the saved agents: the shipped champion first, then by Elo.

    'vs aimbot' is the last evaluation's score against the aimbot (wins + half the draws).
    """
    summaries = manage.list_summaries(saves_dir)
    if as_json:
        click.echo(json.dumps([manage.summary_dict(s) for s in summaries], indent=1))
    elif not summaries:
        click.echo(f"no saved agents in {saves_dir or saves.default_saves_dir()}")
    else:
        click.echo(manage.format_table(summaries))


@agents.command(name="show", short_help="Show everything about agent NAME.")
@click.argument("name")
@json_option("Print the metadata as JSON.")
@saves_option
def agents_show(name: str, as_json: bool, saves_dir: Path | None) -> None:
    """Show everything about agent NAME: network, observation, training, ratings, league, files."""
    info = manage.details(name, saves_dir)
    click.echo(json.dumps(info, indent=1, sort_keys=True) if as_json else manage.format_details(info))


@agents.command(name="rename")
@click.argument("old")
@click.argument("new")
@saves_option
def agents_rename(old: str, new: str, saves_dir: Path | None) -> None:
    """Rename agent OLD to NEW (NEW must be free and not a bot's name)."""
    folder = manage.rename_agent(old, new, saves_dir)
    click.echo(f"renamed {old!r} to {new!r} ({folder})")


@agents.command(name="delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@saves_option
def agents_delete(name: str, yes: bool, saves_dir: Path | None) -> None:
    """Delete agent NAME and all its files (asks first). The agents that ship with the game cannot be deleted."""
    folder = manage.changeable_agent(name, saves_dir, "deleted")
    if not yes:
        click.confirm(f"Delete agent {name!r} and everything in {folder}?", abort=True)
    manage.delete_agent(name, saves_dir)
    click.echo(f"deleted {name!r}")


@agents.command(name="export", short_help="Write agent NAME to FILE (one .npz, metadata inside).")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@saves_option
def agents_export(name: str, file: Path, force: bool, saves_dir: Path | None) -> None:
    """Write agent NAME to FILE: one .npz with the weights and the metadata inside."""
    target = manage.export_agent(name, file, force, saves_dir)
    click.echo(f"exported {name!r} to {target}")


@agents.command(name="import", short_help="Add the agent in FILE (from 'agents export'), checked whole.")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--name", default=None, help="Save it under this name (the name inside the file when not given).")
@saves_option
def agents_import(file: Path, name: str | None, saves_dir: Path | None) -> None:
    """Add the agent in FILE (made by 'agents export') to the saved agents, after checking it whole."""
    saved = manage.import_agent(file, name, saves_dir)
    click.echo(f"imported {file} as {saved!r}")


@agents.command(name="report", short_help="Draw agent NAME's training curves into a PNG.")
@click.argument("name")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, callback=png_file,
              help="PNG file to write (saves/NAME/report.png when not given).")
@saves_option
def agents_report(name: str, out: Path | None, saves_dir: Path | None) -> None:
    """Draw agent NAME's training curves into a PNG: scores against the bots, Elo, episode length,
    entropy, losses and speed, over minutes of training."""
    import pygame

    from game.charts import Chart, Series, draw_charts, save_png  # pictures: pygame

    title, panels = manage.training_curves(name, saves_dir)
    path = out or manage.existing_agent(name, saves_dir) / "report.png"
    charts = [Chart(p["title"], "minutes of training", p["y_label"],
                    [Series(s["label"], s["x"], s["y"]) for s in p["series"]], p["y_range"]) for p in panels]
    try:
        save_png(draw_charts(title, charts), path)
    except pygame.error as error:  # pygame's word for a file it cannot write: an OSError on that file
        raise OSError(None, str(error), str(path)) from error
    click.echo(f"wrote {path}")


def _add_style_command() -> None:
    from cli.robust import agents_style

    agents.add_command(agents_style)


_add_style_command()
