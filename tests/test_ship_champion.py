"""tools/ship_champion.py: a trained agent becomes the champion, today's ships on under a new name."""

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from agent import saves
from tools.ship_champion import main as ship

ROOT = Path(__file__).resolve().parent.parent


def _project(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the project's shipping files, with pilot as its champion, and a run folder holding ace
    as a run of 'bs5' would have left it (its parent 'bs3', 'bs3' in its league and metrics)."""
    project = tmp_path / "project"
    (project / "saves").mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    for name in (saves.SHIPPED_FILE, ".gitignore"):
        shutil.copy(ROOT / "saves" / name, project / "saves" / name)
    shutil.copytree(ROOT / "saves" / "pilot", project / "saves" / "champion")
    saves.append_metrics(project / "saves" / "champion" / saves.METRICS_FILE, {"step": 1, "train_vs": {"bs3": 0.1}})
    run = tmp_path / "runs" / "bs5"
    run.mkdir(parents=True)
    params, meta = saves.load_agent(ROOT / "saves" / "ace" / saves.AGENT_FILE)
    meta.update(name="bs5", parent="bs3", lineage={"parents": ["bs3", "first"], "steps": 10, "seconds": 1.0},
                league=[{"name": "bs3", "kind": "agent", "rating": 1100.0, "games": 9, "learner_score": 0.6},
                        {"name": "aimbot", "kind": "bot", "rating": 900.0, "games": 9, "learner_score": 0.8}])
    meta["training"] = dict(meta.get("training") or {}, config={"league_bots": "aimbot,bs3,x20-bs3"})
    saves.save_agent(run / saves.AGENT_FILE, params, meta)
    saves.append_metrics(run / saves.METRICS_FILE, {"step": 1, "train_vs": {"bs3": 0.5, "aimbot": 0.75}})
    (run / saves.TRAINING_FILE).write_bytes(b"a checkpoint that must not ship")
    return project, run


def test_shipping_makes_the_run_the_champion_and_keeps_the_old_one_shipped(tmp_path):
    project, run = _project(tmp_path)
    old_params, _ = saves.load_agent(project / "saves" / "champion" / saves.AGENT_FILE)
    new_params, _ = saves.load_agent(run / saves.AGENT_FILE)
    result = CliRunner().invoke(ship, [str(run), "--keep-as", "champion-old", "--rename", "bs3=champion-old",
                                       "--project", str(project)])
    assert result.exit_code == 0, result.output
    folder = project / "saves"

    kept, kept_meta = saves.load_agent(folder / "champion-old" / saves.AGENT_FILE)
    champion, meta = saves.load_agent(folder / "champion" / saves.AGENT_FILE)
    assert kept_meta["name"] == "champion-old" and meta["name"] == "champion"
    assert all(np.array_equal(kept[k], old_params[k]) for k in old_params)
    assert all(np.array_equal(champion[k], new_params[k]) for k in new_params)
    # the run's names for its parent and opponents become the names they ship under
    assert meta["parent"] == "champion-old" and meta["lineage"]["parents"] == ["champion-old", "first"]
    assert [m["name"] for m in meta["league"]] == ["champion-old", "aimbot"]
    assert meta["training"]["config"]["league_bots"] == "aimbot,champion-old,x20-bs3"
    assert saves.read_metrics(folder / "champion" / saves.METRICS_FILE) == [
        {"step": 1, "train_vs": {"champion-old": 0.5, "aimbot": 0.75}}]
    assert not (folder / "champion" / saves.TRAINING_FILE).exists()

    # shipped: listed, so it cannot be deleted; installed with the game; tracked by git
    assert {"champion", "champion-old"} <= saves.shipped_names(folder)
    refused = CliRunner().invoke(__import__("main").cli, ["agents", "delete", "champion-old", "--yes",
                                                          "--saves", str(folder)])
    assert refused.exit_code == 1 and "ships with the game" in refused.output
    data_files = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    assert data_files["share/asteroids-duel/saves/champion-old"] == [
        "saves/champion-old/agent.npz", "saves/champion-old/metrics.jsonl"]
    (folder / "champion-old" / saves.TRAINING_FILE).write_bytes(b"stays out of git")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    subprocess.run(["git", "-C", str(project), "add", "saves"], check=True)
    tracked = subprocess.run(["git", "-C", str(project), "ls-files", "saves/champion-old"], check=True,
                             capture_output=True, text=True).stdout.split()
    assert tracked == ["saves/champion-old/agent.npz", "saves/champion-old/metrics.jsonl"]
    # the kept champion's own records are as they were: its rename applies to the new one only
    assert saves.read_metrics(folder / "champion-old" / saves.METRICS_FILE) == [{"step": 1, "train_vs": {"bs3": 0.1}}]


def test_shipping_refuses_a_name_in_use_and_changes_nothing(tmp_path):
    project, run = _project(tmp_path)
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = CliRunner().invoke(ship, [str(run), "--keep-as", "pilot-x", "--project", str(project)])
    assert result.exit_code == 0
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    again = CliRunner().invoke(ship, [str(run), "--keep-as", "pilot-x", "--project", str(project)])
    assert again.exit_code == 1 and "exists already" in again.output and "Traceback" not in again.output
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == after != before
    toml = project / "pyproject.toml"
    toml.write_text(toml.read_text().replace('"share/asteroids-duel/saves/champion" = ', '"elsewhere" = '))
    unchanged = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    unknown = CliRunner().invoke(ship, [str(run), "--keep-as", "pilot-y", "--project", str(project)])
    assert unknown.exit_code == 1 and "installs no champion" in unknown.output
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == unchanged
    missing = CliRunner().invoke(ship, [str(tmp_path / "nothing"), "--keep-as", "x", "--project", str(project)])
    assert missing.exit_code == 1 and "holds no agent.npz" in missing.output


def test_the_shipped_report_keeps_every_evaluation_and_every_kth_update(tmp_path):
    project, run = _project(tmp_path)
    rows = [{"update": u, "step": 100 * u, "train_vs": {"bs3": u / 10}} for u in range(1, 11)]
    rows[3]["eval"] = {"aimbot": 0.5}  # update 4: an evaluation, not a multiple of 3
    rows.append({"final": True, "step": 1000})
    saves.rewrite_metrics(run / saves.METRICS_FILE, rows)
    result = CliRunner().invoke(ship, [str(run), "--keep-as", "champion-old", "--rename", "bs3=new-name",
                                       "--metrics-every", "3", "--project", str(project)])
    assert result.exit_code == 0, result.output
    shipped = saves.read_metrics(project / "saves" / "champion" / saves.METRICS_FILE)
    assert [r.get("update") for r in shipped] == [3, 4, 6, 9, None]
    assert shipped[1]["eval"] == {"aimbot": 0.5} and shipped[-1] == {"final": True, "step": 1000}
    assert all("new-name" in r["train_vs"] for r in shipped[:-1])
    # the champion kept under a new name keeps its report as it was
    assert saves.read_metrics(project / "saves" / "champion-old" / saves.METRICS_FILE) == [
        {"step": 1, "train_vs": {"bs3": 0.1}}]
    refused = CliRunner().invoke(ship, [str(run), "--keep-as", "x", "--metrics-every", "0", "--project", str(project)])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
