"""The command line, through click's CliRunner: results, repeatability and clear errors."""

import json

import numpy as np

import pytest
from click.testing import CliRunner

from game.match import score_margin
from main import cli


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("ASTEROIDS_DUEL_SAVES", str(tmp_path / "saves"))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_eval_json_is_repeatable_and_counts_every_match(run):
    first = run("eval", "random", "random", "--matches", "6", "--seed", "3", "--json")
    second = run("eval", "random", "random", "--matches", "6", "--seed", "3", "--json")
    assert first.exit_code == 0 and first.output == second.output
    result = json.loads(first.output)
    for contender in result["contenders"]:
        assert contender["wins"] + contender["draws"] + contender["losses"] == 6
        assert contender["by_side"]["player1"]["matches"] == 3
    a, b = result["contenders"]
    assert a["wins"] == b["losses"] and a["draws"] == b["draws"]


def test_eval_table_names_both_contenders(run):
    out = run("eval", "aimbot", "idle", "--matches", "2", "--seed", "1")
    assert out.exit_code == 0
    assert "aimbot" in out.output and "idle" in out.output and "100.0%" in out.output


def test_eval_table_gives_each_score_its_95_percent_margin(run):
    table = run("eval", "aimbot", "rookie", "--matches", "8", "--seed", "2").output
    counts = json.loads(run("eval", "aimbot", "rookie", "--matches", "8", "--seed", "2", "--json").output)
    for c in counts["contenders"]:
        row = next(line for line in table.splitlines() if line.startswith(c["name"] + " "))
        assert f"{c['score']:.3f} +-{score_margin(c['wins'], c['draws'], c['losses']):.3f}" in row


@pytest.mark.parametrize("args, fragment", [
    (("eval", "random", "nobody"), "unknown controller 'nobody'"),
    (("eval", "random", "os:nothing_here"), "has no attribute"),
    (("eval", "human", "random"), "needs the game window"),
    (("eval", "random", "random", "--matches", "0"), "--matches"),
    (("play", "--p2", "../etc"), "unknown controller"),
    (("train", "--name", "x"), "exactly one budget"),
    (("train", "--name", "aimbot", "--steps", "10"), "built-in controller"),
    (("train", "--name", "x", "--steps", "10", "--from", "nobody"), "no agent named 'nobody'"),
    (("train", "--name", "x", "--steps", "10", "--from", "a", "--frames", "3"), "--from takes"),
])
def test_user_errors_end_in_one_sentence_and_a_non_zero_exit(run, args, fragment):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code != 0
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("Error")]) == 1


def test_play_runs_headless_for_a_few_frames_and_saves_a_screenshot(run, tmp_path):
    shot = tmp_path / "shot.png"
    result = run("play", "--p1", "aimbot", "--p2", "random", "--seed", "7", "--mute", "--quit-after", "30",
                 "--screenshot", str(shot))
    assert result.exit_code == 0 and shot.stat().st_size > 0


def test_train_then_eval_the_saved_agent(run, tmp_path):
    tiny = ["--num-matches", "2", "--self-play-matches", "1", "--num-steps", "8", "--num-minibatches", "2",
            "--frame-height", "32", "--no-learner-process", "--eval-every", "0"]
    result = run("train", "--name", "tiny", "--steps", "16", *tiny)
    assert result.exit_code == 0, result.output
    assert "saved 'tiny'" in result.output
    out = run("eval", "tiny", "idle", "--matches", "2", "--seed", "1", "--json")
    assert out.exit_code == 0
    assert json.loads(out.output)["contenders"][0]["name"] == "tiny"
    again = run("train", "--name", "tiny", "--steps", "16", "--resume")
    assert again.exit_code == 0, again.output


def test_train_from_an_agent_starts_a_new_one_with_its_weights_and_leaves_it_alone(run, tmp_path):
    from agent import saves

    tiny = ["--num-matches", "2", "--self-play-matches", "1", "--num-steps", "8", "--num-minibatches", "2",
            "--no-learner-process", "--eval-every", "0"]
    assert run("train", "--name", "parent", "--steps", "16", "--frame-height", "32", *tiny).exit_code == 0
    folder = tmp_path / "saves"
    before = (folder / "parent" / saves.AGENT_FILE).read_bytes()
    parent_params, parent_meta = saves.load_agent(folder / "parent" / saves.AGENT_FILE)

    result = run("train", "--name", "child", "--steps", "16", "--learning-rate", "0", *tiny, "--from", "parent")
    assert result.exit_code == 0, result.output
    child_params, child_meta = saves.load_agent(folder / "child" / saves.AGENT_FILE)
    assert child_meta["parent"] == "parent"
    assert child_meta["observation"] == parent_meta["observation"]  # it sees as its parent does (32 high)
    assert child_meta["training"]["steps"] == parent_meta["training"]["steps"]  # its own counters, from 0
    for key, value in parent_params.items():  # learning rate 0: the weights it started from, unchanged
        assert np.array_equal(child_params[key], value)
    assert (folder / "parent" / saves.AGENT_FILE).read_bytes() == before


def test_frames_too_small_for_the_network_are_a_usage_error(run):
    result = CliRunner().invoke(cli, ["train", "--name", "small", "--steps", "8", "--frame-height", "16",
                                      "--frame-margin", "0"])
    assert result.exit_code == 2 and "Traceback" not in result.output and "Error" in result.output
