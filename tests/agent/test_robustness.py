"""What keeps a training run and the saved agents safe: divergence, the final evaluation, the
lineage's totals, the run's lock, shipped agents, the compressed training state."""

import json
import re
import shutil
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import main
from agent import manage, saves
from agent.policy import NetworkConfig
from agent.session import TrainingSession
from agent.trainer import FIRST_EVALUATION, TrainConfig, TrainingDiverged
from agentfiles import assert_one_sentence_error
from game.env import ObservationConfig

ROOT = Path(__file__).resolve().parents[2]
TINY_OBS = ObservationConfig(width=64, height=32, frames=2)
TINY_NET = NetworkConfig(channels=(4, 8), kernel_sizes=(4, 3), strides=(2, 2), hidden=16)
TINY = TrainConfig(num_matches=2, self_play_matches=1, num_steps=8, num_minibatches=2, update_epochs=1,
                   snapshot_every=0, eval_every=0, match_time_limit_s=1.0, eval_matches=1, learner_process=False,
                   workers=1)


def session(tmp_path, name="run", **changes) -> TrainingSession:
    return TrainingSession.create(name, TrainConfig(**{**asdict(TINY), **changes}), TINY_OBS, TINY_NET,
                                  saves_dir=tmp_path)


# ----------------------------------------------------------------------------------------
# divergence
@pytest.mark.parametrize("learner_process", [False, True])
def test_weights_that_are_no_longer_finite_stop_the_run_and_are_never_saved(tmp_path, learner_process):
    run = session(tmp_path, learner_process=learner_process)
    run.run(steps=1, handle_sigint=False)  # one update, saved
    folder = tmp_path / "run"
    before = {name: (folder / name).read_bytes() for name in (saves.AGENT_FILE, saves.TRAINING_FILE)}
    run.trainer.policy.params()["value.weights"][0, 0] = np.nan  # the learning blew up
    with pytest.raises(TrainingDiverged) as error:
        run.run(steps=1, handle_sigint=False)
    assert re.fullmatch(r"training diverged at update 2: the weights are no longer finite \([a-z0-9.]+\); "
                        rf"the last good checkpoint \(update 1, {run.checkpoint[1]:,} samples\) is kept", str(error.value))
    assert isinstance(error.value, saves.SaveError)  # one sentence on the command line
    assert {name: (folder / name).read_bytes() for name in before} == before
    assert [r["update"] for r in saves.read_metrics(folder / saves.METRICS_FILE)] == [1]
    with pytest.raises(TrainingDiverged):
        run.save()  # nor by asking


# ----------------------------------------------------------------------------------------
# evaluations
def test_a_run_ends_with_an_evaluation_and_a_long_one_evaluates_early(tmp_path):
    # the first update plays two rollouts, each later one one more: 6 updates for 7 batches
    run = session(tmp_path, eval_every=40)
    row = run.run(steps=(FIRST_EVALUATION + 2) * TINY.batch_size, handle_sigint=False)
    t = run.trainer
    assert t.update == FIRST_EVALUATION + 1
    assert [h["step"] for h in t.history] == [(FIRST_EVALUATION + 1) * TINY.batch_size, t.global_step]
    assert row["final"] and row["eval"]["aimbot"] == t.history[-1]["aimbot"]
    rows = saves.read_metrics(tmp_path / "run" / saves.METRICS_FILE)
    assert [r["update"] for r in rows if "eval" in r] == [FIRST_EVALUATION, t.update]
    _, meta = saves.load_agent(tmp_path / "run" / saves.AGENT_FILE)
    assert meta["evaluation"] == {k: t.history[-1][k] for k in ("random", "aimbot")}
    _, training = saves.read_npz(tmp_path / "run" / saves.TRAINING_FILE)
    assert training["trainer"]["history"] == t.history  # saved after the final evaluation

    # a run whose last update has just evaluated does not evaluate again; one that never evaluates, never
    exact = session(tmp_path, "exact", eval_every=40)
    exact.run(steps=(FIRST_EVALUATION + 1) * TINY.batch_size, handle_sigint=False)
    assert [h["step"] for h in exact.trainer.history] == [exact.trainer.global_step]
    quiet = session(tmp_path, "quiet")
    quiet.run(steps=1, handle_sigint=False)
    assert quiet.trainer.history == []


def test_the_command_line_prints_the_final_score_last(tmp_path):
    result = CliRunner().invoke(main.cli, ["train", "--name", "short", "--steps", "8", "--saves", str(tmp_path),
                                           "--num-matches", "2", "--self-play-matches", "1", "--num-steps", "8",
                                           "--num-minibatches", "2", "--frame-height", "32", "--eval-matches", "1",
                                           "--match-time-limit-s", "1", "--no-learner-process"])
    assert result.exit_code == 0, result.output
    _, meta = saves.load_agent(tmp_path / "short" / saves.AGENT_FILE)
    last = result.output.strip().splitlines()[-1]
    assert last == (f"saved 'short': {meta['training']['steps']:,} samples, 1 updates, Elo {meta['elo']:.0f}, "
                    f"vs random {meta['evaluation']['random']:.2f}, vs aimbot {meta['evaluation']['aimbot']:.2f}, "
                    f"in {tmp_path / 'short'}")


# ----------------------------------------------------------------------------------------
# lineage
def test_a_run_from_a_parent_counts_the_whole_lineage(tmp_path, make_agent):
    grand = {"seconds": 3600.0, "steps": 4_000_000, "parents": ["first"]}
    make_agent("parent", folder=tmp_path, lineage=grand,
               training={"steps": 500_000, "updates": 9, "seconds": 1800.0, "matches": 3, "config": {}})
    child = TrainingSession.from_agent("child", "parent", TINY, saves_dir=tmp_path)
    child.run(steps=1, handle_sigint=False)
    _, meta = saves.load_agent(tmp_path / "child" / saves.AGENT_FILE)
    assert meta["lineage"] == {"seconds": 5400.0, "steps": 4_500_000, "parents": ["parent", "first"]}
    resumed = TrainingSession.resume("child", saves_dir=tmp_path)
    resumed.run(steps=1, handle_sigint=False)
    _, meta = saves.load_agent(tmp_path / "child" / saves.AGENT_FILE)
    assert meta["lineage"]["steps"] == 4_500_000  # kept across a resume
    own = meta["training"]
    summary = manage.summarize("child", meta)
    assert summary.total_steps == 4_500_000 + own["steps"] and summary.total_seconds == 5400.0 + own["seconds"]


def test_a_champions_card_counts_its_parents_training_everywhere(tmp_path):
    # the champion of 2026-12-01, shipped on as champion-2026-12. Its own run: 4,951,040 samples
    # in 3,872.8 s; its parents' (robust3, robust2, robust, champion-2026-11, bench60):
    # 18,255,360 samples in 14,487.3 s
    folder = tmp_path / "saves"
    shutil.copytree(ROOT / "saves" / "champion-2026-12", folder / "champion-2026-12")
    runner = CliRunner()
    table = runner.invoke(main.cli, ["agents", "list", "--saves", str(folder)]).output
    assert table.splitlines()[1].split()[:4] == ["champion-2026-12", "1181", "23,206,400", "5.10"]
    assert manage.LINEAGE_NOTE in table
    shown = runner.invoke(main.cli, ["agents", "show", "champion-2026-12", "--saves", str(folder)]).output
    assert "1.08 hours (1,278 samples/s) in this run" in shown
    assert ("in all       23,206,400 samples, 5.10 hours, counting the training of its parents (robust3, robust2, "
            "robust, champion-2026-11, bench60, nearest first)") in shown
    title, _ = manage.training_curves("champion-2026-12", folder)
    assert title.startswith("champion-2026-12: 23,206,400 samples in 5.10 hours in all (4,951,040 in 1.08 h in this run)")
    (menu,) = [s.detail() for s in manage.list_summaries(folder)]  # what the menu shows
    assert menu == "Elo 1181 · 5.10 h · 23.2M samples in all · 2026-12-01 · 80% vs aimbot"
    listed = json.loads(runner.invoke(main.cli, ["agents", "list", "--json", "--saves", str(folder)]).output)
    assert (listed[0]["steps"], listed[0]["total_steps"]) == (4_951_040, 23_206_400)


# ----------------------------------------------------------------------------------------
# the run's lock
def test_a_session_takes_the_lock_and_a_second_session_of_the_agent_is_refused(tmp_path):
    first = session(tmp_path, "busy")
    first.lock()
    with pytest.raises(saves.SaveError, match="'busy' is being trained by another run right now"):
        session(tmp_path, "busy").run(steps=1, handle_sigint=False)
    with pytest.raises(saves.SaveError, match="being trained"):
        saves.RunLock.check_free(tmp_path / "busy")  # what delete and rename ask first
    first.run(steps=1, handle_sigint=False)  # runs with the lock it holds, and lets go at the end
    assert manage.delete_agent("busy", tmp_path) == tmp_path / "busy"


def test_a_run_that_another_run_saved_meanwhile_is_refused(tmp_path):
    late = session(tmp_path, "twice")
    session(tmp_path, "twice").run(steps=1, handle_sigint=False)  # finished between opening and starting
    with pytest.raises(saves.SaveError, match="another run saved agent 'twice' while this one was starting"):
        late.run(steps=1, handle_sigint=False)


# ----------------------------------------------------------------------------------------
# shipped agents
@pytest.fixture
def shipped(tmp_path, make_agent):
    folder = tmp_path / "saves"
    make_agent("star", folder=folder)
    make_agent("own", folder=folder)
    (folder / saves.SHIPPED_FILE).write_text(json.dumps({"agents": ["star"]}))
    return folder


def test_shipped_agents_cannot_be_deleted_renamed_replaced_or_trained_over(cli, shipped, tmp_path):
    before = (shipped / "star" / saves.AGENT_FILE).read_bytes()
    copy = "'agents export star FILE' then 'agents import FILE --name NEW'"
    assert_one_sentence_error(cli("delete", "star", "--yes"), "'star' ships with the game, so it cannot be deleted", copy)
    assert_one_sentence_error(cli("delete", "star", input="y\n"), "cannot be deleted")  # refused before asking
    assert_one_sentence_error(cli("rename", "star", "mine"), "cannot be renamed", copy)
    assert_one_sentence_error(cli("rename", "own", "star"), "cannot be replaced", copy)
    exported = tmp_path / "star.npz"
    assert cli("export", "star", str(exported)).exit_code == 0
    assert_one_sentence_error(cli("import", str(exported)), "cannot be replaced")
    for args in (["--steps", "8"], ["--steps", "8", "--resume"]):
        result = CliRunner().invoke(main.cli, ["train", "--name", "star", *args, "--saves", str(shipped)])
        assert_one_sentence_error(result, "'star' ships with the game", "--name NEW --from star")
    assert (shipped / "star" / saves.AGENT_FILE).read_bytes() == before
    # the copy is the user's own
    assert cli("import", str(exported), "--name", "mystar").exit_code == 0
    assert cli("delete", "mystar", "--yes").exit_code == 0 and cli("delete", "own", "--yes").exit_code == 0
    assert sorted(p.name for p in shipped.iterdir()) == [saves.SHIPPED_FILE, "star"]


def test_the_project_ships_the_champion_and_the_ladder():
    import json

    ladder = {level["name"] for level in json.loads((ROOT / "saves" / "ladder.json").read_text())["levels"]}
    assert "champion" in ladder and len(ladder) >= 4
    shipped = saves.shipped_names(ROOT / "saves")
    assert shipped == ladder | {"champion-2026-11", "champion-2026-12", "champion-2026-12b", "champion-2026-12c", "champion-2026-12d"}  # every level ships, and so do the champions it replaced
    for name in shipped:
        assert (ROOT / "saves" / name / saves.AGENT_FILE).exists()
    assert saves.is_shipped(ROOT / "saves" / "champion") and not saves.is_shipped(ROOT / "saves" / "other")


# ----------------------------------------------------------------------------------------
# the training state on disk
def test_the_training_state_is_compressed_and_gives_its_frames_back_exactly(tmp_path):
    run = session(tmp_path)
    run.run(steps=1, handle_sigint=False)
    path = tmp_path / "run" / saves.TRAINING_FILE
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in infos)
    assert path.stat().st_size < sum(info.file_size for info in infos) / 2
    arrays, _ = saves.read_npz(path)
    assert np.array_equal(arrays["pending/obs"], run.trainer.pending.obs) and arrays["pending/obs"].any()
    with zipfile.ZipFile(tmp_path / "run" / saves.AGENT_FILE) as archive:  # weights do not compress: stored
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
