"""Training runs as a terminal runs them: real processes, Ctrl-C to the whole process group.

A terminal sends Ctrl-C's SIGINT to every process of the foreground group: the command and the
processes it started. Each run here is started in a new session (its own process group) and
signalled with ``os.killpg``, as a terminal would.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent import saves
from cli import cli

ROOT = Path(__file__).resolve().parents[2]
# small and quick: two matches, few steps, small frames; the learner runs in its second process
TINY = ["--num-matches", "2", "--self-play-matches", "1", "--num-steps", "16", "--num-minibatches", "2",
        "--frame-height", "32", "--eval-every", "0"]
WAIT_S = 60.0  # the longest a run may take to reach a point the test waits for (a loaded machine)


def start(*args: str) -> subprocess.Popen:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "main.py", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        raise AssertionError(f"the run did not end: {out[-2000:]} {err[-2000:]}") from None
    return process.returncode, out, err


def wait_for(condition, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the run ended early: {process.communicate()}")
        assert time.monotonic() < deadline, "the run did not get there in time"
        time.sleep(0.05)


def updates_logged(folder: Path) -> int:
    return len(saves.read_metrics(folder / saves.METRICS_FILE))


def saved_update(folder: Path) -> int:
    _, meta = saves.read_npz(folder / saves.TRAINING_FILE)
    return meta["trainer"]["update"]


def test_ctrl_c_in_a_terminal_saves_the_run_and_it_resumes(tmp_path):
    folder = tmp_path / "t"
    run = start("train", "--name", "t", "--minutes", "5", "--saves", str(tmp_path), *TINY)
    wait_for(lambda: updates_logged(folder) >= 1, run)
    os.killpg(run.pid, signal.SIGINT)  # the learner process gets it too
    code, out, err = finish(run)
    assert code == 0, err
    assert "Traceback" not in err + out and err == ""
    assert out.strip().splitlines()[-1].startswith("saved 't': ")
    params, meta = saves.load_agent(folder / saves.AGENT_FILE)
    assert meta["training"]["updates"] == saved_update(folder) >= 1
    assert meta["training"]["updates"] == len(saves.read_metrics(folder / saves.METRICS_FILE))

    again = CliRunner().invoke(cli, ["train", "--name", "t", "--steps", "40", "--resume", "--saves", str(tmp_path)])
    assert again.exit_code == 0, again.output
    assert saved_update(folder) > meta["training"]["updates"]


def test_a_second_ctrl_c_gives_up_the_update_in_progress_and_keeps_the_checkpoint(tmp_path):
    folder = tmp_path / "t"
    # updates of seconds even on a quiet machine (the two Ctrl-C's 0.2 s apart land in one), a checkpoint
    # after each one
    steps = 3000
    run = start("train", "--name", "t", "--minutes", "5", "--saves", str(tmp_path), "--checkpoint-minutes", "0",
                *TINY, "--num-steps", str(steps))
    wait_for(lambda: (folder / saves.TRAINING_FILE).exists(), run)
    # not while a checkpoint is being written (a checkpoint is never cut short): just after one
    wait_for(lambda: time.time() - (folder / saves.TRAINING_FILE).stat().st_mtime > 0.3, run)
    checkpoint = (folder / saves.TRAINING_FILE).read_bytes(), (folder / saves.AGENT_FILE).read_bytes()
    kept = saved_update(folder)
    os.killpg(run.pid, signal.SIGINT)
    time.sleep(0.2)
    os.killpg(run.pid, signal.SIGINT)
    code, out, err = finish(run)
    assert code == 130, (out, err)
    assert "Traceback" not in err + out
    assert err.strip().splitlines() == [f"stopped at once by a second Ctrl-C: the update in progress is not saved; "
                                        f"the last checkpoint (update {kept}, {(kept + 1) * steps * 3:,} samples) "
                                        "is kept"]
    assert ((folder / saves.TRAINING_FILE).read_bytes(), (folder / saves.AGENT_FILE).read_bytes()) == checkpoint


def test_a_second_run_of_the_same_agent_is_refused_while_the_first_trains(tmp_path):
    folder = tmp_path / "same"
    first = start("train", "--name", "same", "--minutes", "5", "--saves", str(tmp_path), *TINY)
    wait_for(lambda: updates_logged(folder) >= 1, first)
    second = CliRunner().invoke(cli, ["train", "--name", "same", "--steps", "40", "--saves", str(tmp_path), *TINY])
    assert second.exit_code == 1
    assert second.output.strip().splitlines() == [
        f"Error: agent 'same' is being trained by another run right now (process {first.pid} on {os.uname().nodename}); "
        "wait for it to end or stop it first (Ctrl-C there saves)"]
    os.killpg(first.pid, signal.SIGINT)
    code, _, err = finish(first)
    assert code == 0, err
    rows = saves.read_metrics(folder / saves.METRICS_FILE)
    assert [r["update"] for r in rows] == list(range(1, len(rows) + 1))  # one run's lines only


def test_a_lock_left_by_a_run_that_died_is_taken_over(tmp_path):
    folder = tmp_path / "crashed"
    first = start("train", "--name", "crashed", "--minutes", "5", "--saves", str(tmp_path), *TINY)
    wait_for(lambda: updates_logged(folder) >= 1, first)
    with pytest.raises(saves.SaveError, match="being trained by another run"):
        saves.RunLock.acquire(folder)
    os.killpg(first.pid, signal.SIGKILL)  # a crash: nothing cleans up
    first.communicate()
    assert json.loads((folder / saves.LOCK_FILE).read_text())["pid"] == first.pid  # the file is still there
    lock = saves.RunLock.acquire(folder)  # and stale: taken over
    assert json.loads((folder / saves.LOCK_FILE).read_text())["pid"] == os.getpid()
    lock.release()
    assert (folder / saves.LOCK_FILE).read_text() == ""


def test_ctrl_c_in_a_terminal_during_watch_saves_the_run(tmp_path):
    folder = tmp_path / "w"
    run = start("watch", "--name", "w", "--minutes", "5", "--saves", str(tmp_path), *TINY)
    # as soon as the training process has opened the run, while the window may still be opening
    wait_for(lambda: (folder / saves.LOCK_FILE).exists() and (folder / saves.LOCK_FILE).read_text(), run)
    os.killpg(run.pid, signal.SIGINT)  # the window's process, its training process and that one's learner
    code, out, err = finish(run)
    assert code == 0, err
    assert "Traceback" not in err + out
    assert out.strip().splitlines()[-1].startswith("saved 'w': ")
    _, meta = saves.load_agent(folder / saves.AGENT_FILE)
    assert meta["training"]["updates"] == saved_update(folder) >= 1


def test_a_saves_folder_that_cannot_be_written_is_refused_before_training(tmp_path):
    # a folder below a regular file cannot be made, even by root (whom permissions do not stop)
    (tmp_path / "file.txt").write_text("not a folder")
    blocked = tmp_path / "file.txt" / "sub"
    for command in ("train", "watch"):
        result = CliRunner().invoke(cli, [command, "--name", "t", "--steps", "40", "--saves", str(blocked), *TINY])
        assert result.exit_code == 1 and "Traceback" not in result.output
        errors = [line for line in result.output.splitlines() if line.startswith("Error")]
        assert errors == [f"Error: cannot use {blocked / 't'} (Not a directory)"], result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


@pytest.mark.slow
def test_a_plain_install_finds_the_shipped_agents(tmp_path):
    """``pip install .`` (not editable) into a fresh environment, run from elsewhere (about 20 s;
    pip needs its index for the build tools and the dependencies)."""
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the project
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(source)], check=True, cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k != saves.SAVES_ENV}
    env.update(HOME=str(tmp_path / "home"), SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    env.pop("XDG_DATA_HOME", None)

    def program(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(venv / "bin" / "asteroids-duel"), *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True)

    listed = program("agents", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1].split()[:4] == ["champion", "1085", "35,614,720", "3.10"]
    played = program("eval", "champion", "idle", "--matches", "1", "--seed", "1", "--json")
    assert played.returncode == 0 and json.loads(played.stdout)["contenders"][0]["name"] == "champion"
    refused = program("agents", "delete", "champion", "--yes")
    assert refused.returncode == 1 and "ships with the game" in refused.stderr
    trained = program("train", "--name", "mine", "--steps", "8", *TINY)
    assert trained.returncode == 0, trained.stderr
    assert (tmp_path / "home" / ".local" / "share" / "asteroids-duel" / "saves" / "mine" / saves.AGENT_FILE).is_file()
    table = program("agents", "list").stdout.splitlines()
    names = [line.split()[0] for line in table[1:-1]]  # the last line is the note
    assert names[0] == "champion" and sorted(names) == ["ace", "cadet", "champion", "champion-2026-11", "champion-2026-12", "champion-2026-12b", "champion-2026-12c", "champion-2026-12d", "mine", "pilot"]
