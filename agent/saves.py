"""Saved agents in ``saves/``: safe writes, careful reads, listing.

Layout: one folder per agent, ``saves/NAME/``:

- ``agent.npz``: what plays. The network's weights as float32 arrays named ``param/<layer>``,
  plus ``metadata``: a JSON text (format version, architecture, observation settings, training
  totals, ratings, evaluation, parent). This one file is also the export format.
- ``training.npz``: what resumes training: weights, optimizer moments, league snapshots,
  counters, random-generator states and the matches in flight.
- ``metrics.jsonl``: one JSON object per update, appended as training goes.

Every file is written beside its final name and then renamed over it (``os.replace``), so a
crash leaves the old or the new file, never half of one. Every read uses
``numpy.load(allow_pickle=False)``: a file cannot run code. Names are plain (letters, digits,
``_ . -``), so nothing is ever written outside the saves folder.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "asteroids-duel-agent"
FORMAT_VERSION = 1
SAVES_ENV = "ASTEROIDS_DUEL_SAVES"
AGENT_FILE = "agent.npz"
TRAINING_FILE = "training.npz"
METRICS_FILE = "metrics.jsonl"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class SaveError(Exception):
    """A saved agent cannot be read, written or found; the message is one sentence for the user."""


def default_saves_dir() -> Path:
    """``$ASTEROIDS_DUEL_SAVES`` if set, else the project's ``saves/`` folder."""
    env = os.environ.get(SAVES_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "saves"


def check_name(name: str) -> str:
    """``name`` if it is a plain agent name, else a SaveError saying why."""
    if not _NAME.match(name) or ".." in name:
        raise SaveError(
            f"{name!r} is not a valid agent name: use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def agent_dir(name: str, saves: Path | None = None) -> Path:
    return (saves or default_saves_dir()) / check_name(name)


# ----------------------------------------------------------------------------------------
def write_npz(path: Path, arrays: dict[str, np.ndarray], metadata: dict[str, Any]) -> None:
    """Write arrays plus a JSON ``metadata`` text to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = dict(arrays)
    payload["metadata"] = np.array(json.dumps(metadata, sort_keys=True))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as error:
        _remove_quietly(tmp)
        raise SaveError(f"cannot write {path} ({error.strerror or error})") from None
    except BaseException:
        _remove_quietly(tmp)
        raise


def read_npz(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and metadata of a file written by :func:`write_npz`; SaveError if it is not one."""
    if not path.is_file():
        raise SaveError(f"{path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as error:
        raise SaveError(f"{path} is not a readable agent file ({_reason(error)})") from None
    text = arrays.pop("metadata", None)
    if text is None or text.dtype.kind != "U" or text.shape != ():
        raise SaveError(f"{path} is not an agent file (it has no metadata)")
    try:
        metadata = json.loads(str(text))
    except json.JSONDecodeError:
        raise SaveError(f"{path} has corrupted metadata") from None
    if not isinstance(metadata, dict):
        raise SaveError(f"{path} has corrupted metadata")
    return arrays, metadata


def _reason(error: BaseException) -> str:
    text = str(error).split("\n")[0]
    if "pickle" in text.lower():
        return "it holds pickled objects, which are refused because they could run code"
    return text or type(error).__name__


def _remove_quietly(path: str | Path) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


# ----------------------------------------------------------------------------------------
def save_agent(path: Path, params: dict[str, np.ndarray], metadata: dict[str, Any]) -> None:
    """Write a playable agent file (weights + metadata)."""
    meta = dict(metadata, format=FORMAT, format_version=FORMAT_VERSION)
    write_npz(path, {"param/" + k: np.asarray(v, np.float32) for k, v in params.items()}, meta)


def load_agent(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Weights and metadata of an agent file; SaveError (one sentence) if it is not a usable one."""
    arrays, metadata = read_npz(path)
    if metadata.get("format") != FORMAT:
        raise SaveError(f"{path} is not an Asteroids Duel agent")
    version = metadata.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise SaveError(
            f"{path} was saved by a newer version of the program (format {version}); please update"
        )
    params = {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")}
    if not params:
        raise SaveError(f"{path} holds no network weights")
    for key, value in params.items():
        if value.dtype != np.float32 or not np.all(np.isfinite(value)):
            raise SaveError(f"{path} has damaged weights ({key})")
    return params, metadata


def list_agents(saves: Path | None = None) -> list[dict[str, Any]]:
    """Metadata of every readable agent in the saves folder (unreadable ones are skipped)."""
    folder = saves or default_saves_dir()
    found = []
    if not folder.is_dir():
        return found
    for entry in sorted(folder.iterdir()):
        path = entry / AGENT_FILE
        if not (_NAME.match(entry.name) and path.is_file()):
            continue
        try:
            _, metadata = read_npz(path)
        except SaveError:
            continue
        if metadata.get("format") == FORMAT:
            found.append(dict(metadata, name=entry.name))
    return found


def append_metrics(path: Path, row: dict[str, Any]) -> None:
    """Append one JSON line (the file is a log: a torn last line is skipped when read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, sort_keys=True) + "\n")


def read_metrics(path: Path) -> list[dict[str, Any]]:
    rows = []
    if not path.is_file():
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by a crash
    return rows
