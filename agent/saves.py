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

import datetime as dt
import json
import os
import re
import secrets
import shutil
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
MAX_NPZ_BYTES = 2**31  # refuse archives that unpack to more than 2 GiB (a "zip bomb" would fill memory)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class SaveError(Exception):
    """A saved agent cannot be read, written or found; the message is one sentence for the user."""


def now() -> str:
    """The time now as the metadata records it: UTC, ISO 8601, to the second."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def default_saves_dir() -> Path:
    """``$ASTEROIDS_DUEL_SAVES`` if set, else the project's ``saves/`` folder."""
    env = os.environ.get(SAVES_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "saves"


def check_name(name: str) -> str:
    """``name`` if it is a plain agent name, else a SaveError saying why."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise SaveError(
            f"{name!r} is not a valid agent name: use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def agent_dir(name: str, saves: Path | None = None) -> Path:
    """The folder of agent ``name`` (checked to be a plain name) in ``saves``."""
    return (saves or default_saves_dir()) / check_name(name)


# ----------------------------------------------------------------------------------------
def write_npz(path: Path, arrays: dict[str, np.ndarray], metadata: dict[str, Any]) -> None:
    """Write arrays plus a JSON ``metadata`` text to ``path`` atomically."""
    payload = dict(arrays)
    payload["metadata"] = np.array(json.dumps(metadata, sort_keys=True))
    with _AtomicFile(path) as f:
        np.savez(f, **payload)


def copy_file(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` atomically (``target`` is the old file or the new, never half)."""
    try:
        with open(source, "rb") as src, _AtomicFile(target) as dst:
            shutil.copyfileobj(src, dst)
    except SaveError:
        raise
    except OSError as error:
        raise SaveError(f"cannot read {source} ({error.strerror or error})") from None


class _AtomicFile:
    """A binary file written beside ``path`` and renamed over it when the ``with`` block succeeds.

    The data is flushed to disk (fsync) before the rename, so after a crash or power loss the
    name holds the old content or the new, whole. On any failure the temporary file is removed
    and an OSError becomes a SaveError. New files get the usual permissions (0666 minus umask).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.tmp = self.path.parent / f".{self.path.name}.{secrets.token_hex(6)}.tmp"
        self.file = None

    def __enter__(self):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as error:
            raise self._error(error) from None
        self.file = os.fdopen(fd, "wb")
        return self.file

    def __exit__(self, kind, value, traceback) -> bool:
        try:
            if kind is None:
                self.file.flush()
                os.fsync(self.file.fileno())
            self.file.close()
            if kind is None:
                os.replace(self.tmp, self.path)
                _sync_folder(self.path.parent)
                return False
        except OSError as error:
            _close_quietly(self.file)
            _remove_quietly(self.tmp)
            raise self._error(error) from None
        _remove_quietly(self.tmp)
        if isinstance(value, OSError):
            raise self._error(value) from None
        return False  # any other exception goes on as it was

    def _error(self, error: OSError) -> SaveError:
        return SaveError(f"cannot write {self.path} ({error.strerror or error})")


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable; best effort (some systems cannot open folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_npz(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and metadata of a file written by :func:`write_npz`; SaveError if it is not one."""
    with _open_npz(path) as data:
        arrays = {key: _member(path, data, key) for key in data.files}
    return arrays, _metadata(path, arrays.pop("metadata", None))


def read_metadata(path: Path) -> dict[str, Any]:
    """Only the metadata of a file written by :func:`write_npz` (the arrays are not read)."""
    with _open_npz(path) as data:
        text = _member(path, data, "metadata") if "metadata" in data.files else None
    return _metadata(path, text)


def _open_npz(path: Path):
    """``numpy.load(path, allow_pickle=False)`` of an .npz archive, or a SaveError saying why not."""
    path = Path(path)
    if not path.is_file():
        raise SaveError(f"{path} does not exist" if not path.exists() else f"{path} is not a file")
    try:
        if path.stat().st_size == 0:
            raise SaveError(f"{path} is empty")
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_NPZ_BYTES:
            raise SaveError(f"{path} is too large to be an agent file ({unpacked / 2**30:.1f} GiB unpacked)")
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it is not an .npz archive")
        return data
    except SaveError:
        raise
    except Exception as error:  # a damaged or foreign file can make the parsers fail in many ways
        raise SaveError(f"{path} is not a readable agent file ({_reason(error)})") from None


def _member(path: Path, data, key: str) -> np.ndarray:
    try:
        return data[key]
    except Exception as error:  # see _open_npz
        raise SaveError(f"{path} is not a readable agent file ({_reason(error)})") from None


def _metadata(path: Path, text: np.ndarray | None) -> dict[str, Any]:
    if text is None or text.dtype.kind != "U" or text.shape != ():
        raise SaveError(f"{path} is not an agent file (it has no metadata)")
    try:
        metadata = json.loads(str(text))
    except (ValueError, RecursionError):
        raise SaveError(f"{path} has corrupted metadata") from None
    if not isinstance(metadata, dict):
        raise SaveError(f"{path} has corrupted metadata")
    return metadata


def _reason(error: BaseException) -> str:
    text = str(error).split("\n")[0]
    if "pickle" in text.lower():
        return "it holds pickled objects, which are refused because they could run code"
    if isinstance(error, zipfile.BadZipFile) and "not a zip file" in text:
        return "it is not an .npz archive, or it is cut short"
    if isinstance(error, MemoryError):
        return "it declares arrays too large for memory"
    return text or type(error).__name__


def _remove_quietly(path: str | Path) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _close_quietly(file) -> None:
    try:
        file.close()
    except OSError:
        pass


# ----------------------------------------------------------------------------------------
def save_agent(path: Path, params: dict[str, np.ndarray], metadata: dict[str, Any]) -> None:
    """Write a playable agent file (weights + metadata)."""
    meta = dict(metadata, format=FORMAT, format_version=FORMAT_VERSION)
    write_npz(path, {"param/" + k: np.asarray(v, np.float32) for k, v in params.items()}, meta)


def create_agent(folder: Path, params: dict[str, np.ndarray], metadata: dict[str, Any]) -> None:
    """Claim the new folder ``folder`` and write an agent file in it; nothing is left on failure.

    FileExistsError if ``folder`` exists already (nothing is ever written over it, so a caller
    can try another name); any other failure is a SaveError.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        raise
    except OSError as error:
        raise SaveError(f"cannot create {folder} ({error.strerror or error})") from None
    try:
        save_agent(folder / AGENT_FILE, params, metadata)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no half-saved agent is left behind
        raise


def load_agent(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Weights and metadata of an agent file; SaveError (one sentence) if it is not a usable one."""
    arrays, metadata = read_npz(path)
    check_agent_metadata(path, metadata)
    params = {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")}
    if not params:
        raise SaveError(f"{path} holds no network weights")
    for key, value in params.items():
        if value.dtype != np.float32 or not np.all(np.isfinite(value)):
            raise SaveError(f"{path} has damaged weights ({key})")
    return params, metadata


def check_agent_metadata(path: Path, metadata: dict[str, Any]) -> None:
    """SaveError unless ``metadata`` is that of an agent this version can read."""
    if metadata.get("format") != FORMAT:
        raise SaveError(f"{path} is not an Asteroids Duel agent (its format is {metadata.get('format')!r})")
    version = metadata.get("format_version")
    if type(version) is not int or version < 1:
        raise SaveError(f"{path} has no valid format version ({version!r})")
    if version > FORMAT_VERSION:
        raise SaveError(
            f"{path} was saved in format {version} by a newer version of the program, which reads "
            f"format {FORMAT_VERSION} at most; please update"
        )
    for key in ("network", "observation"):
        if not isinstance(metadata.get(key), dict):
            raise SaveError(f"{path} is missing its {key} settings, so its network cannot be built")


def list_agents(saves: Path | None = None) -> list[dict[str, Any]]:
    """Metadata of every readable agent in the saves folder (unreadable ones are skipped)."""
    folder = saves or default_saves_dir()
    found = []
    if not folder.is_dir():
        return found
    for entry in sorted(folder.iterdir()):
        path = entry / AGENT_FILE
        if not (_NAME.fullmatch(entry.name) and path.is_file()):
            continue
        try:
            metadata = read_metadata(path)
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


def rewrite_metrics(path: Path, rows: list[dict[str, Any]]) -> None:
    """Replace the rows of an existing metrics log, atomically (nothing happens if there is none)."""
    if not path.exists():
        return
    with _AtomicFile(path) as f:
        f.write("".join(json.dumps(row, sort_keys=True) + "\n" for row in rows).encode("utf-8"))


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The rows of a metrics log; lines that are not JSON objects (cut short, damaged) are skipped."""
    rows = []
    if not path.is_file():
        return rows
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                row = json.loads(line)
            except (ValueError, RecursionError):
                continue  # a line cut short by a crash
            if isinstance(row, dict):
                rows.append(row)
    return rows
