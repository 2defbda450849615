"""bench league, bench exploit and agents style, run as a user runs them."""

import json
from dataclasses import asdict

from click.testing import CliRunner

import main
from agent.policy import NetworkConfig
from agent.session import TrainingSession
from agent.trainer import TrainConfig
from benchmarks import exploit
from game.env import ObservationConfig


def run(*args):
    return CliRunner().invoke(main.cli, list(args))


def test_bench_league_table_and_json(tmp_path):
    result = run("bench", "league", "random", "aimbot", "idle", "--matches", "4", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    assert data["names"] == ["random", "aimbot", "idle"] and data["matches"] == 4
    assert data["elo"]["random"] == 1000.0 and data["elo"]["aimbot"] > 1000.0
    assert data["score"][1][0] + data["score"][0][1] == 1.0 and data["score"][0][0] is None
    out = tmp_path / "table.png"
    text = run("bench", "league", "random", "aimbot", "--matches", "2", "--out", str(out))
    assert text.exit_code == 0 and "Elo" in text.output and out.stat().st_size > 1000


def test_bench_league_refuses_an_unknown_contender_in_one_sentence():
    result = run("bench", "league", "random", "nobody-at-all", "--matches", "2")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "nobody-at-all" in result.output


def test_agents_style_of_a_still_bot(tmp_path):
    out = tmp_path / "heat.png"
    result = run("agents", "style", "idle", "--against", "idle", "--matches", "2", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    card = json.loads(result.output)
    assert card["near_wall"] == 0.0 and card["shots_per_minute"] == 0.0
    assert card["mean_distance"] == 400.0 and out.stat().st_size > 1000


def test_an_exploiter_trains_against_the_frozen_agent_and_reports_a_curve(tmp_path):
    obs = ObservationConfig(width=64, height=32, frames=2)
    net = NetworkConfig(channels=(4, 8), kernel_sizes=(4, 3), strides=(2, 2), hidden=16)
    tiny = TrainConfig(num_matches=4, self_play_matches=1, num_steps=16, num_minibatches=2, update_epochs=1,
                       eval_every=0, match_time_limit_s=2.0, learner_process=False)
    TrainingSession.create("target", tiny, obs, net, saves_dir=tmp_path).run(steps=tiny.batch_size,
                                                                            handle_sigint=False)
    result = exploit.run("target", minutes=0.05, points=2, matches=4, saves_dir=tmp_path, config=tiny,
                         match_time_limit_s=2.0)
    assert result["exploiter"] == "exploit-target" and (tmp_path / "exploit-target" / "agent.npz").exists()
    curve = result["curve"]
    assert curve[0]["samples"] == 0 and curve[-1]["samples"] > 0
    assert all(p["wins"] + p["draws"] + p["losses"] == 4 for p in curve)
    assert [p["samples"] for p in curve] == sorted(p["samples"] for p in curve)
    meta = json.loads(json.dumps(asdict(tiny)))
    assert meta["league_bots"] != "target"  # the caller's config is left as it was


def test_the_window_commands_refuse_in_one_sentence_without_a_display(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    env["XDG_RUNTIME_DIR"] = str(tmp_path)
    root = Path(main.__file__).parent
    for args in ([], ["play", "--p2", "champion"]):
        done = subprocess.run([sys.executable, str(root / "main.py"), *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert done.stderr.strip().splitlines()[-1].startswith("Error: no display found")
