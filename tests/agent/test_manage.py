"""``python main.py agents ...``: list, show, rename, delete, export, import, report; and the menu's list."""

import json
from dataclasses import asdict

import numpy as np
import pygame
from click.testing import CliRunner

import main
from agent import saves
from agentfiles import assert_one_sentence_error, tiny_params
from cli.controllers import ControllerFactory
from cli.play import menu_opponents
from game.charts import PALETTE


def names_in_table(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines()[1:]]


def test_list_puts_the_champion_first_then_sorts_by_elo(cli, make_agent, tmp_path):
    make_agent("low", elo=900.0)
    make_agent("champion", elo=800.0)
    make_agent("high", elo=1300.0, evaluation={"random": 1.0, "aimbot": 0.25}, parent="low")
    make_agent("odd", elo="very high", training=["not", "a", "dict"], created=12)  # types a file may get wrong
    (tmp_path / "saves" / "broken").mkdir()
    (tmp_path / "saves" / "broken" / saves.AGENT_FILE).write_bytes(b"junk")

    result = cli("list")
    assert result.exit_code == 0, result.output
    assert names_in_table(result.output) == ["champion", "high", "low", "odd"]
    high = result.output.splitlines()[2].split()
    assert high == ["high", "1300", "1,000", "0.03", "2026-11-20", "low", "25%"]
    assert result.output.splitlines()[4].split() == ["odd", "-", "-", "-", "-", "-", "0%"]

    listed = json.loads(cli("list", "--json").output)
    assert [a["name"] for a in listed] == ["champion", "high", "low", "odd"]
    assert listed[1]["vs_aimbot"] == 0.25 and listed[3]["elo"] is None


def test_the_saves_folder_can_come_from_the_environment(tmp_path, make_agent):
    make_agent("envy", folder=tmp_path / "elsewhere")
    result = CliRunner().invoke(main.cli, ["agents", "list"], env={saves.SAVES_ENV: str(tmp_path / "elsewhere")})
    assert names_in_table(result.output) == ["envy"]
    empty = CliRunner().invoke(main.cli, ["agents", "list"], env={saves.SAVES_ENV: str(tmp_path / "none")})
    assert empty.output.startswith("no saved agents in")


def test_show_tells_the_architecture_training_ratings_league_and_files(cli, make_agent):
    league = [{"name": "aimbot", "kind": "bot", "rating": 1350.0, "games": 10, "learner_score": 0.2}]
    make_agent("shown", league=league, elo=1111.0)
    output = cli("show", "shown").output
    for expected in ("conv 4 of 4x4 stride 2 -> dense 8", "3,671 weights", "32x16 gray, 2 frames",
                     "1,000 samples, 2 updates, 3 matches", "Elo 1111.0", "vs aimbot 0.00",
                     "aimbot          bot          1350", "agent.npz 20 KB", "seed=1"):
        assert expected in output, expected
    info = json.loads(cli("show", "shown", "--json").output)
    assert info["parameters"] == 3671 and info["files"] == {"agent.npz": info["files"]["agent.npz"]}


def test_show_tells_the_frame_margin_of_an_agent_that_has_one():
    from agent.manage import _observation_text
    from game.env import ObservationConfig

    assert _observation_text(asdict(ObservationConfig())).startswith("88x44 gray + a margin of 4, 2 frames")
    assert _observation_text(asdict(ObservationConfig(width=96, height=48, margin=0))).startswith("96x48 gray, 2 frames")


def test_show_keeps_the_league_columns_apart_for_long_names(cli, make_agent):
    league = [{"name": "exploit-champion-2026-11", "kind": "agent", "rating": 964.0, "games": 105, "learner_score": 0.79},
              {"name": "aimbot", "kind": "bot", "rating": 939.0, "games": 143, "learner_score": 0.82}]
    make_agent("shown", league=league)
    rows = [line.split() for line in cli("show", "shown").output.splitlines() if "agent " in line or " bot " in line]
    assert ["exploit-champion-2026-11", "agent", "964", "105", "0.79"] in rows
    assert ["aimbot", "bot", "939", "143", "0.82"] in rows


def test_rename_moves_the_agent_and_refuses_taken_or_reserved_names(cli, make_agent, tmp_path):
    make_agent("old", seed=3)
    make_agent("other")
    assert_one_sentence_error(cli("rename", "old", "other"), "already exists")
    for reserved in ("aimbot", "Human", "random", "rookie"):
        assert_one_sentence_error(cli("rename", "old", reserved), "built-in controller")
    assert cli("rename", "old", "new").exit_code == 0
    assert not (tmp_path / "saves" / "old").exists()
    params, meta = saves.load_agent(tmp_path / "saves" / "new" / saves.AGENT_FILE)
    assert meta["name"] == "new" and np.array_equal(params["value.weights"], tiny_params(3)["value.weights"])
    controller = ControllerFactory(str(tmp_path / "saves"))("new")  # and it plays under its new name
    assert controller is not None


def test_delete_asks_first_unless_told_yes(cli, make_agent, tmp_path):
    make_agent("doomed")
    no = cli("delete", "doomed", input="n\n")
    assert no.exit_code != 0 and (tmp_path / "saves" / "doomed").exists()
    yes = cli("delete", "doomed", input="y\n")
    assert yes.exit_code == 0 and not (tmp_path / "saves" / "doomed").exists()
    make_agent("quick")
    assert cli("delete", "quick", "--yes").exit_code == 0
    assert list((tmp_path / "saves").iterdir()) == []


def test_export_and_import_round_trip(cli, make_agent, tmp_path):
    agent = make_agent("traveller", seed=5)
    out = tmp_path / "traveller.npz"
    assert cli("export", "traveller", str(out)).exit_code == 0
    assert out.read_bytes() == agent.read_bytes()
    assert_one_sentence_error(cli("export", "traveller", str(out)), "already exists; use --force")
    assert_one_sentence_error(cli("export", "traveller", str(tmp_path)), "is a folder")
    assert cli("export", "traveller", str(out), "--force").exit_code == 0

    assert_one_sentence_error(cli("import", str(out)), "an agent named 'traveller' already exists")
    assert_one_sentence_error(cli("import", str(out), "--name", "aimbot"), "built-in controller")
    result = cli("import", str(out), "--name", "twin")
    assert result.exit_code == 0 and "as 'twin'" in result.output
    params, meta = saves.load_agent(tmp_path / "saves" / "twin" / saves.AGENT_FILE)
    assert meta["name"] == "twin" and meta["imported_from"]["file"] == str(out.resolve())
    assert meta["imported_from"]["name"] == "traveller" and meta["training"]["steps"] == 1000
    assert all(np.array_equal(params[k], v) for k, v in tiny_params(5).items())


def write_log(folder, updates: int = 30) -> None:
    for update in range(1, updates + 1):
        row = {"update": update, "elapsed_s": 20.0 * update, "elo": 1000 + 5 * update, "entropy": 2.9 - 0.01 * update,
               "policy_loss": -0.01, "value_loss": 0.03, "steps_per_s": 400.0,
               "episode_ticks": None if update < 3 else 900.0 + update}
        if update % 10 == 0:
            row["eval"] = {"random": 0.5 + update / 100, "aimbot": update / 100,
                           "random_kill_share": 0.5, "aimbot_kill_share": 0.2}
        saves.append_metrics(folder / saves.METRICS_FILE, row)


def test_report_draws_the_training_curves_into_a_png(cli, make_agent, tmp_path):
    folder = make_agent("curvy").parent
    write_log(folder)
    result = cli("report", "curvy")
    assert result.exit_code == 0, result.output
    image = pygame.image.load(str(folder / "report.png"))
    assert image.get_size() == (1200, 944)
    pixels = pygame.surfarray.array3d(image).reshape(-1, 3)
    for color in PALETTE[:4]:  # each of the score chart's four lines is drawn
        assert (pixels == color).all(axis=1).sum() > 20, color
    out = tmp_path / "elsewhere.png"
    assert cli("report", "curvy", "--out", str(out)).exit_code == 0 and out.stat().st_size > 10_000
    assert_one_sentence_error(cli("report", "curvy", "--out", str(tmp_path / "report.jpg")), "must end in .png")
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_report_of_an_imported_agent_uses_its_evaluation_history(cli, make_agent):
    history = [{"step": 1000 * k, "elapsed_s": 60.0 * k, "random": 0.9, "aimbot": 0.1 * k} for k in range(1, 4)]
    make_agent("imported", history=history)
    assert cli("report", "imported").exit_code == 0
    make_agent("blank")
    assert_one_sentence_error(cli("report", "blank"), "has no training log to draw")


def test_menu_lists_the_levels_then_past_champions_then_agents_by_elo_then_the_bots_then_unevaluated_runs(make_agent, tmp_path):
    import json

    make_agent("rival", elo=1300.0, evaluation={"aimbot": 0.6})
    make_agent("champion", elo=1200.0)
    make_agent("cadet", elo=900.0)
    make_agent("scratch", elo=1000.0, evaluation={})  # a throwaway run: never evaluated
    make_agent("aimbot", elo=2000.0)  # an agent named like a bot could never be chosen: left out
    make_agent("champion-1999", elo=1250.0, evaluation={"aimbot": 0.5})  # shipped, not a level
    (tmp_path / "saves" / "shipped.json").write_text(json.dumps({"agents": ["cadet", "champion", "champion-1999"]}))
    ladder = {"levels": [{"name": "cadet", "title": "Cadet", "description": "learning to aim", "elo": 1100},
                         {"name": "champion", "title": "Champion", "description": "the best", "elo": 1700},
                         {"name": "missing", "title": "Gone", "elo": 1}]}  # no such agent: not listed
    (tmp_path / "saves" / "ladder.json").write_text(json.dumps(ladder))
    opponents = menu_opponents(str(tmp_path / "saves"))
    specs = [o.spec for o in opponents]
    assert specs == ["cadet", "champion", "champion-1999", "rival", "rusher", "aimbot", "sniper", "rookie", "dodger", "sprayer", "camper",
                     "random", "circler", "spinner", "idle", "scratch"]
    assert [o.group for o in opponents[:4]] == ["difficulty levels", "difficulty levels", "past champions",
                                                "your agents"]
    assert opponents[0].title == "Cadet" and opponents[0].detail == "Elo 1100 · learning to aim"
    assert opponents[3].detail == "Elo 1300 · 0.03 h · 1k samples · 2026-11-20 · 60% vs aimbot"
    assert opponents[4].detail.startswith("scripted") and opponents[4].group == "bots"
    assert opponents[-1].group == "runs without an evaluation"
