"""``eval``: its progress bar on a terminal, and Ctrl-C giving the matches finished so far.

The partial result is checked against an independent run: the first k matches of a series are
the series of k matches, so an eval stopped after k matches must print exactly what
``eval --matches k`` prints (plus the marks saying it is partial).
"""

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from cli.evaluate import INTERRUPTED_EXIT
from game.bots import BOTS
from game.match import Evaluation, evaluate

ROOT = Path(__file__).resolve().parents[2]

# a user's controller that idles through its first matches and then is stopped as Ctrl-C stops a
# program: KeyboardInterrupt in the middle of a match
STOPPING_PILOT = '''
class StopsInMatch:
    matches_before_stop = {stop}

    def __init__(self):
        self.resets = 0

    def reset(self, seed=None):
        self.resets += 1

    def act(self, world, player):
        if self.resets > self.matches_before_stop and world.tick == 50:
            raise KeyboardInterrupt
        return 0
'''


@pytest.fixture
def stopping_pilot(tmp_path, monkeypatch):
    """'stopping:StopsInMatch', whose match number 4 (counting from 1) is interrupted."""
    folder = tmp_path / "user_code"
    folder.mkdir()
    (folder / "stopping.py").write_text(textwrap.dedent(STOPPING_PILOT.format(stop=3)))
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("ASTEROIDS_DUEL_SAVES", str(tmp_path / "saves"))
    return "stopping:StopsInMatch"


def test_a_series_played_one_match_at_a_time_is_evaluate():
    evaluation = Evaluation(BOTS["aimbot"](), BOTS["random"](), seed=3, names=("aimbot", "random"))
    summaries = []
    for _ in range(4):
        evaluation.play_next()
        summaries.append(evaluation.summary())
    for k in (1, 4):
        assert summaries[k - 1] == evaluate(BOTS["aimbot"], BOTS["random"], k, 3, names=("aimbot", "random"))


def test_ctrl_c_in_eval_prints_the_finished_matches_as_json_and_exits_130(stopping_pilot):
    stopped = CliRunner().invoke(cli, ["eval", stopping_pilot, "idle", "--matches", "10", "--json"])
    assert stopped.exit_code == INTERRUPTED_EXIT, stopped.output
    assert "Traceback" not in stopped.output and isinstance(stopped.exception, SystemExit)
    assert stopped.stderr.strip() == "interrupted after 3 of 10 matches: partial result"
    partial = json.loads(stopped.stdout)
    assert partial.pop("interrupted") is True and partial.pop("requested_matches") == 10
    whole = CliRunner().invoke(cli, ["eval", "idle", "idle", "--matches", "3", "--json"])
    expected = json.loads(whole.stdout)  # the pilot idles like the idle bot until it is stopped
    expected["contenders"][0]["name"] = stopping_pilot
    assert partial == expected


def test_ctrl_c_in_eval_prints_the_finished_matches_as_a_table_marked_partial(stopping_pilot):
    stopped = CliRunner().invoke(cli, ["eval", stopping_pilot, "idle", "--matches", "10"])
    assert stopped.exit_code == INTERRUPTED_EXIT and isinstance(stopped.exception, SystemExit)
    assert stopped.stderr == ""
    whole = CliRunner().invoke(cli, ["eval", "idle", "idle", "--matches", "3"]).stdout.splitlines()
    lines = stopped.stdout.splitlines()
    assert lines[0] == whole[0].replace("3 matches", "PARTIAL RESULT, interrupted after 3 of 10 matches")
    assert lines[1] == whole[1] and lines[3] == whole[3]  # the heading, and the idle bot's line
    assert lines[2].split() == [stopping_pilot, *whole[2].split()[1:]]  # the pilot's: what idle did


def test_eval_shows_nothing_extra_when_stderr_is_not_a_terminal(tmp_path):
    result = CliRunner().invoke(cli, ["eval", "random", "idle", "--matches", "2", "--saves", str(tmp_path)])
    assert result.exit_code == 0 and result.stderr == ""


def start_eval(*args: str) -> tuple[subprocess.Popen, int]:
    """``main.py eval ...`` in its own process group (as a terminal runs it), stderr on a terminal."""
    reader, writer = pty.openpty()
    process = subprocess.Popen([sys.executable, "main.py", "eval", *args], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=writer, text=True, start_new_session=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(writer)
    return process, reader


def read_until(reader: int, pattern: str | None, timeout: float = 120) -> str:
    """What the terminal showed, read until ``pattern`` appears in it (None: until it closes)."""
    shown, deadline = "", time.monotonic() + timeout
    while pattern is None or not re.search(pattern, shown):
        assert time.monotonic() < deadline, shown[-500:]
        if select.select([reader], [], [], 1)[0]:
            try:
                shown += os.read(reader, 4096).decode(errors="replace")
            except OSError:  # the process is gone
                break
    return shown


@pytest.mark.parametrize("as_json", [False, True])
def test_sigint_to_the_process_group_during_eval_gives_the_partial_result(as_json):
    process, reader = start_eval("random", "idle", "--matches", "100000", "--seed", "5",
                                 *(["--json"] if as_json else []))
    try:
        if as_json:
            time.sleep(5)  # no progress bar with --json: time to start and play a few matches
        else:
            assert "matches  [" in read_until(reader, r"matches  \[.*\s[1-9]\d*/100000")  # the bar, on the terminal
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        stdout, _ = process.communicate(timeout=60)
        shown = read_until(reader, None) if as_json else ""
    finally:
        os.close(reader)
        if process.poll() is None:
            process.kill()
    assert process.returncode == INTERRUPTED_EXIT, stdout
    assert "Traceback" not in stdout + shown
    if as_json:
        partial = json.loads(stdout)
        assert partial["interrupted"] is True and partial["requested_matches"] == 100000
        played = partial["matches"]
        assert f"interrupted after {played} of 100000 matches" in shown
        expected = evaluate(BOTS["random"], BOTS["idle"], played, 5, names=("random", "idle"))
        assert {k: v for k, v in partial.items() if k not in ("interrupted", "requested_matches")} == expected
    else:
        header = stdout.splitlines()[0]
        played = int(re.match(r"PARTIAL RESULT, interrupted after (\d+) of 100000 matches, seed 5", header).group(1))
        assert played >= 1
        wins = [int(line.split()[1]) for line in stdout.splitlines()[2:4]]
        expected = evaluate(BOTS["random"], BOTS["idle"], played, 5, names=("random", "idle"))
        assert wins == [c["wins"] for c in expected["contenders"]]
