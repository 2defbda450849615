"""Trust in save files: whatever a file holds or a user types, the program answers with one sentence
and a non-zero exit, never a traceback, never runs code from a file, never writes outside saves/,
and never leaves a half-written file."""

import errno
import io
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from agent import saves
from agent.policy import NetworkConfig
from agent.loading import load_policy
from agentfiles import assert_one_sentence_error, tiny_metadata, tiny_params
from game.env import ObservationConfig


def place(tmp_path: Path, data: bytes, name: str = "bad") -> Path:
    """Put ``data`` where agent ``name``'s file goes in tmp_path/saves; returns its path."""
    path = tmp_path / "saves" / name / saves.AGENT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def npz_member(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def good_bytes(tmp_path: Path, **changes) -> bytes:
    path = tmp_path / "good.npz"
    saves.save_agent(path, tiny_params(), tiny_metadata(**changes))
    return path.read_bytes()


def assert_refused_everywhere(cli, tmp_path: Path, path: Path, *fragments: str) -> None:
    """The file at saves/bad/agent.npz is refused by show, export, import and load_policy."""
    assert_one_sentence_error(cli("show", "bad"), *fragments)
    assert_one_sentence_error(cli("export", "bad", str(tmp_path / "out.npz")), *fragments)
    assert_one_sentence_error(cli("import", str(path), "--name", "copy"), *fragments)
    with pytest.raises(saves.SaveError):
        load_policy(path)
    assert not (tmp_path / "out.npz").exists() and not (tmp_path / "saves" / "copy").exists()


# ----------------------------------------------------------------------------------------
# damaged and foreign files
def test_empty_file_is_refused(cli, tmp_path):
    path = place(tmp_path, b"")
    assert_refused_everywhere(cli, tmp_path, path, "is empty")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_truncated_file_is_refused(cli, tmp_path, keep):
    data = good_bytes(tmp_path)
    path = place(tmp_path, data[: int(len(data) * keep)])
    assert_refused_everywhere(cli, tmp_path, path, "not a readable agent file")


def test_randomly_corrupted_files_are_refused_or_load_unchanged(cli, tmp_path):
    data = good_bytes(tmp_path)
    original = tiny_params()
    rng = np.random.default_rng(7)
    refused = 0
    for trial in range(60):
        damaged = bytearray(data)
        for index in rng.choice(len(data), size=rng.integers(1, 6), replace=False):
            damaged[index] ^= int(rng.integers(1, 256))
        path = place(tmp_path, bytes(damaged))
        try:
            params, _ = saves.load_agent(path)
        except saves.SaveError:
            refused += 1
            if trial < 3:  # and the same through the command line
                assert_one_sentence_error(cli("show", "bad"), "bad")
            continue
        # a flip in a byte nobody checks (e.g. a zip timestamp) is harmless: never silently changed weights
        assert all(np.array_equal(params[k], original[k]) for k in original)
    assert refused > 40  # the CRC checks catch almost every flip


@pytest.mark.parametrize("damage", ["compression method", "zip version", "array header"])
def test_damage_that_trips_the_parsers_in_odd_ways_is_refused(cli, tmp_path, damage):
    # found by fuzzing: these raised NotImplementedError and tokenize.TokenError, not the usual ValueError
    data = bytearray(good_bytes(tmp_path))
    central = data.index(b"PK\x01\x02")  # the first entry of the zip's central directory
    if damage == "compression method":
        data[central + 10] = 99
    elif damage == "zip version":
        data[central + 6] = 81
    else:  # an array whose header dictionary is never closed, in a zip with correct checksums
        buffer = io.BytesIO()
        np.save(buffer, np.ones(3, np.float32))
        array = bytearray(buffer.getvalue())
        array[array.index(b"}")] = ord(" ")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("metadata.npy", npz_member(np.array("{}")))
            archive.writestr("param/x.npy", bytes(array))
        data = buffer.getvalue()
    path = place(tmp_path, bytes(data))
    assert_refused_everywhere(cli, tmp_path, path, "not a readable agent file")


@pytest.mark.parametrize("kind", ["png", "text", "npy", "no metadata", "metadata number", "other format",
                                  "json list", "not json"])
def test_foreign_files_are_refused(cli, tmp_path, kind):
    data = {
        "png": b"\x89PNG\r\n\x1a\n" + bytes(200),
        "text": b"hello, I am not an agent\n" * 20,
        "npy": b"",  # filled below
        "no metadata": npz_bytes(**{"param/x": np.ones(3, np.float32)}),
        "metadata number": npz_bytes(metadata=np.array(7), **{"param/x": np.ones(3, np.float32)}),
        "other format": None,
        "json list": npz_bytes(metadata=np.array("[1, 2]"), **{"param/x": np.ones(3, np.float32)}),
        "not json": npz_bytes(metadata=np.array("{cut"), **{"param/x": np.ones(3, np.float32)}),
    }[kind]
    if kind == "npy":
        buffer = io.BytesIO()
        np.save(buffer, np.ones(5))
        data = buffer.getvalue()
    if kind == "other format":  # save_agent stamps our format: write this one by hand
        saves.write_npz(tmp_path / "other.npz", {"param/x": np.ones(3, np.float32)},
                        dict(tiny_metadata(), format="someone-elses-agent", format_version=1))
        data = (tmp_path / "other.npz").read_bytes()
    path = place(tmp_path, data)
    expected = {"png": "not a readable agent file", "text": "not a readable agent file",
                "npy": "not a readable agent file", "no metadata": "has no metadata",
                "metadata number": "has no metadata",
                "other format": "is not an Asteroids Duel agent", "json list": "corrupted metadata",
                "not json": "corrupted metadata"}[kind]
    assert_refused_everywhere(cli, tmp_path, path, expected)


# ----------------------------------------------------------------------------------------
# pickles: refused, and no code runs
class Booby:
    """Unpickling this creates the marker file: proof that code from the file ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("where", ["weights", "metadata", "whole file"])
def test_pickled_objects_are_refused_and_never_run(cli, tmp_path, where):
    marker = tmp_path / "code-ran"
    evil = np.array([Booby(marker)], dtype=object)
    meta = np.array(json.dumps(tiny_metadata()))
    if where == "weights":
        data = npz_bytes(metadata=meta, **{"param/body.0.weights": evil})
    elif where == "metadata":
        data = npz_bytes(metadata=evil, **{"param/x": np.ones(3, np.float32)})
    else:
        data = pickle.dumps(Booby(marker))
    pickle.loads(pickle.dumps(Booby(tmp_path / "check")))  # the trap works when unpickled...
    assert (tmp_path / "check").exists()
    path = place(tmp_path, data)
    fragment = "pickled objects" if where != "whole file" else "not a readable agent file"
    assert_refused_everywhere(cli, tmp_path, path, fragment)
    assert cli("list").exit_code == 0
    assert not marker.exists()  # ...and nothing here ever unpickled it


# ----------------------------------------------------------------------------------------
# names
BAD_NAMES = ["../outside", "a/b", "/etc", "..", ".hidden", "a\\b", "name\n", "", "x" * 65, "spaced name"]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_names_that_could_leave_the_saves_folder_are_refused_by_every_command(cli, tmp_path, make_agent, bad):
    make_agent("ok")
    victim = make_agent("victim", folder=tmp_path)  # tmp_path/victim: outside saves/, one "../" away
    export = tmp_path / "export.npz"
    before = sorted(p for p in tmp_path.rglob("*"))
    commands = [
        ("show", bad), ("rename", bad, "new"), ("rename", "ok", bad), ("delete", bad, "--yes"),
        ("export", bad, str(export)), ("import", str(victim), "--name", bad), ("report", bad),
    ]
    for args in commands:
        assert_one_sentence_error(cli(*args), "is not a valid agent name")
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing written, moved or deleted
    assert saves.load_agent(victim)[1]["name"] == "victim"


def test_a_name_inside_an_imported_file_cannot_escape_either(cli, tmp_path, make_agent):
    source = make_agent("fine", folder=tmp_path / "elsewhere")
    saves.save_agent(source, tiny_params(), tiny_metadata(name="../../escaped"))
    assert_one_sentence_error(cli("import", str(source)), "cannot be a folder name", "--name")
    assert not list(tmp_path.rglob("escaped*"))


@pytest.mark.parametrize("args", [("show", "nobody"), ("rename", "nobody", "x"), ("delete", "nobody", "--yes"),
                                  ("export", "nobody", "out.npz"), ("report", "nobody")])
def test_a_missing_agent_is_named_in_the_error(cli, tmp_path, make_agent, args):
    make_agent("somebody")
    assert_one_sentence_error(cli(*args), "no agent named 'nobody'")


def test_importing_a_missing_file_says_so(cli, tmp_path):
    assert_one_sentence_error(cli("import", str(tmp_path / "nothing.npz")), "does not exist")


# ----------------------------------------------------------------------------------------
# a full disk
def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class FullDiskFile(io.FileIO):
    """A file on a disk that fills up after 1000 bytes."""

    def write(self, data) -> int:
        if self.tell() + len(data) > 1000:
            no_space()
        return super().write(data)


def full_disk_fdopen(fd, mode="r", *args, **kwargs):
    assert "b" in mode
    return FullDiskFile(fd, mode.replace("b", ""))


@pytest.mark.parametrize("failing", ["fsync", "write"])
def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary_file(cli, tmp_path, make_agent, monkeypatch, failing):
    agent = make_agent("keeper", seed=1)
    old_agent = agent.read_bytes()
    exported = tmp_path / "exported.npz"
    exported.write_bytes(b"the old export")
    source = make_agent("newcomer", folder=tmp_path / "elsewhere", seed=2)
    if failing == "fsync":
        monkeypatch.setattr(os, "fsync", no_space)
    else:
        monkeypatch.setattr(os, "fdopen", full_disk_fdopen)

    with pytest.raises(saves.SaveError, match="No space left on device"):
        saves.save_agent(agent, tiny_params(seed=3), tiny_metadata("keeper"))
    assert_one_sentence_error(cli("export", "keeper", str(exported), "--force"), "No space left on device")
    assert_one_sentence_error(cli("import", str(source)), "No space left on device")
    assert_one_sentence_error(cli("rename", "keeper", "renamed"), "No space left on device")

    monkeypatch.undo()
    assert agent.read_bytes() == old_agent and exported.read_bytes() == b"the old export"
    assert sorted(p.name for p in (tmp_path / "saves").iterdir()) == ["keeper"]  # no half import, no rename
    leftovers = [p for p in tmp_path.rglob("*") if p.name.startswith(".") or p.name.endswith(".tmp")]
    assert leftovers == []


# ----------------------------------------------------------------------------------------
# a writer killed mid-save
WRITER = """
import sys
import numpy as np
from pathlib import Path
from agent import saves

path, k = Path(sys.argv[1]), 0
while True:
    k += 1
    weights = np.full(1_500_000, k, np.float32)
    saves.save_agent(path, {"a": weights, "b": weights[:1000]}, {"k": k, "network": {}, "observation": {}})
    print("saved", flush=True)
"""


def test_killing_a_writer_mid_save_leaves_a_whole_file(tmp_path):
    path = tmp_path / "saves" / "victim" / saves.AGENT_FILE
    rng = np.random.default_rng(3)
    for _ in range(4):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE,
                                  cwd=Path(saves.__file__).parent.parent)
        confirmed = int(rng.integers(1, 4))
        for _ in range(confirmed):  # let it finish one to three saves, however slow
            assert writer.stdout.readline() == b"saved\n"
        time.sleep(rng.uniform(0.0, 0.05))  # then kill it somewhere in (or between) the next saves
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        params, meta = saves.load_agent(path)  # the last confirmed file or a newer one, whole
        assert np.all(params["a"] == meta["k"]) and np.all(params["b"] == meta["k"])
        assert meta["k"] >= confirmed  # a confirmed save is never lost
    assert [a["name"] for a in saves.list_agents(tmp_path / "saves")] == ["victim"]


# ----------------------------------------------------------------------------------------
# settings: other networks load as saved; unknown or missing settings are refused with the reason
def test_an_agent_with_other_settings_loads_with_them(cli, tmp_path):
    obs = ObservationConfig(width=48, height=24, frames=3, action_repeat=2, ego_view=True, sight_px=0.0, margin=0)
    net = NetworkConfig(channels=(3, 5), kernel_sizes=(5, 3), strides=(3, 1), hidden=6)
    params = tiny_params(seed=4, obs=obs, net=net)
    source = tmp_path / "odd.npz"
    saves.save_agent(source, params, tiny_metadata("odd", network=net.to_dict(), observation=asdict(obs)))

    policy, observation, _ = load_policy(source)
    assert observation == obs and policy.config == net and policy.obs_shape == (6, 24, 48)
    assert all(np.array_equal(policy.params()[k], v) for k, v in params.items())
    assert cli("import", str(source)).exit_code == 0
    shown = cli("show", "odd").output
    assert "48x24 gray, 3 frames, action repeat 2, ego view" in shown and "conv 3 of 5x5 stride 3" in shown


NET, OBS = tiny_metadata()["network"], tiny_metadata()["observation"]


@pytest.mark.parametrize("change, fragment", [
    ({"format_version": 2}, "saved in format 2 by a newer version"),
    ({"format_version": None}, "no valid format version"),
    ({"format_version": 0}, "no valid format version"),
    ({"network": None}, "missing its network settings"),
    ({"observation": "64x32"}, "missing its observation settings"),
    ({"network": dict(NET, dropout=0.5)}, "network setting this version does not know ('dropout')"),
    ({"network": dict(NET, hidden="8")}, "invalid network setting (hidden = '8')"),
    ({"observation": dict(OBS, frames=True)}, "invalid observation setting (frames = True)"),
    ({"observation": dict(OBS, width=20)}, "2:1 aspect"),
    ({"network": dict(NET, hidden=16)}, "weights but its network settings need"),
    ({"network": dict(NET, hidden=4096, channels=[4096])}, "weights but its network settings need"),
])
def test_unknown_or_missing_settings_are_refused_with_the_reason(cli, tmp_path, change, fragment):
    path = place(tmp_path, b"")
    meta = tiny_metadata()
    meta.update(change)
    if "format_version" in change:  # save_agent stamps the current version: write the file by hand
        saves.write_npz(path, {"param/" + k: v for k, v in tiny_params().items()},
                        dict(meta, format=saves.FORMAT))
    else:
        saves.save_agent(path, tiny_params(), meta)
    started = time.perf_counter()
    with pytest.raises(saves.SaveError, match="^" + re.escape(str(path))):
        load_policy(path)
    assert time.perf_counter() - started < 0.5  # refused before building anything big
    assert_one_sentence_error(cli("import", str(path), "--name", "copy"), fragment)


def test_metrics_log_with_damaged_lines_is_read_around_them(tmp_path):
    path = tmp_path / saves.METRICS_FILE
    path.write_bytes(b'{"update": 1}\n[1, 2]\n\xff\xfe garbage\n{"update": 2}\n{"update": 3, "cut')
    assert saves.read_metrics(path) == [{"update": 1}, {"update": 2}]


def test_zip_bombs_are_refused_before_unpacking(tmp_path, monkeypatch):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.npy", bytes(2_000_000))
    monkeypatch.setattr(saves, "MAX_NPZ_BYTES", 1_000_000)
    with pytest.raises(saves.SaveError, match="too large to be an agent file"):
        saves.load_agent(path)


def test_a_new_agent_folder_is_claimed_whole_or_not_at_all(tmp_path):
    folder = tmp_path / "saves" / "fresh"
    saves.create_agent(folder, tiny_params(), tiny_metadata("fresh"))
    assert saves.load_agent(folder / saves.AGENT_FILE)[1]["name"] == "fresh"
    with pytest.raises(FileExistsError):  # never written over: the caller picks another name
        saves.create_agent(folder, tiny_params(1), tiny_metadata("fresh"))
    assert np.array_equal(saves.load_agent(folder / saves.AGENT_FILE)[0]["policy.bias"], tiny_params()["policy.bias"])
    with pytest.raises(TypeError):  # metadata that cannot be written: nothing is left behind
        saves.create_agent(tmp_path / "saves" / "broken", tiny_params(), {"name": object()})
    assert not (tmp_path / "saves" / "broken").exists()


def test_rewriting_the_metrics_log_replaces_it_whole(tmp_path):
    path = tmp_path / saves.METRICS_FILE
    saves.rewrite_metrics(path, [{"update": 1}])
    assert not path.exists()  # nothing to rewrite
    for update in (1, 2, 3):
        saves.append_metrics(path, {"update": update})
    saves.rewrite_metrics(path, [{"update": 1}, {"update": 2}])
    assert saves.read_metrics(path) == [{"update": 1}, {"update": 2}]
    assert [p.name for p in tmp_path.iterdir()] == [saves.METRICS_FILE]  # no temporary file left
