"""Saved agents in ``saves/``: safe writes, careful reads, listing.

Layout: one folder per agent, ``saves/NAME/``:

- ``agent.npz``: what plays. The network's weights as float32 arrays named ``param/<layer>``,
  plus ``metadata``: a JSON text (format version, architecture, observation settings, training
  totals, ratings, evaluation, parent). This one file is also the export format.
- ``training.npz``: what resumes training: weights, optimizer moments, league snapshots,
  counters, random-generator states and the matches in flight.
- ``metrics.jsonl``: one JSON object per update, appended as training goes.
- ``.lock``: held by the training run that uses the folder now (see :class:`RunLock`).

A saves folder may hold ``shipped.json``, the names of the agents that ship with the game
(``{"agents": ["champion"]}``); those cannot be deleted, renamed or written over
(:func:`shipped_names`). The program finds the shipped agents beside its code, in the project's
``saves/``; a plain (not editable) install has no such folder, so there they come from the copy
the install put in ``PREFIX/share/asteroids-duel/saves`` (see :func:`default_saves_dir`).

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
import site
import socket
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

try:
    import fcntl
except ImportError:  # Windows: training runs are not locked there
    fcntl = None

FORMAT = "asteroids-duel-agent"
FORMAT_VERSION = 1
SAVES_ENV = "ASTEROIDS_DUEL_SAVES"
AGENT_FILE = "agent.npz"
TRAINING_FILE = "training.npz"
METRICS_FILE = "metrics.jsonl"
LOCK_FILE = ".lock"
SHIPPED_FILE = "shipped.json"
APP_FOLDER = "asteroids-duel"  # the program's folder under share/ (installed copy) and the user's data folder
MAX_NPZ_BYTES = 2**31  # refuse archives that unpack to more than 2 GiB (a "zip bomb" would fill memory)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class SaveError(Exception):
    """A saved agent cannot be read, written or found; the message is one sentence for the user."""


def now() -> str:
    """The time now as the metadata records it: UTC, ISO 8601, to the second."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def project_saves_dir() -> Path:
    """The project's ``saves/`` folder, beside the code (there when the program runs from the project)."""
    return Path(__file__).resolve().parent.parent / "saves"


def default_saves_dir() -> Path:
    """Where agents are saved when no folder is given.

    ``$ASTEROIDS_DUEL_SAVES`` if set; else the project's ``saves/`` when the program runs from the
    project (a clone, or an editable install); else, for a plain install, the user's data folder
    ``$XDG_DATA_HOME/asteroids-duel/saves`` (``~/.local/share/asteroids-duel/saves``).
    """
    env = os.environ.get(SAVES_ENV)
    if env:
        return Path(env)
    project = project_saves_dir()
    if project.is_dir():
        return project
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / APP_FOLDER / "saves"


def installed_shipped_dir() -> Path | None:
    """The shipped agents a plain install put under ``PREFIX/share/asteroids-duel/saves``.

    None when the program runs from the project (its own ``saves/`` holds them) or the copy is
    not there. PREFIX is the environment's (``sys.prefix``) or the user's (``pip install --user``).
    """
    if project_saves_dir().is_dir():
        return None
    for base in (sys.prefix, site.getuserbase()):
        folder = Path(base) / "share" / APP_FOLDER / "saves"
        if (folder / SHIPPED_FILE).is_file():
            return folder
    return None


def shipped_names(saves: Path) -> frozenset[str]:
    """The names that ``saves/shipped.json`` lists: the agents shipped in that folder."""
    try:
        listed = json.loads((Path(saves) / SHIPPED_FILE).read_text(encoding="utf-8")).get("agents", [])
    except (OSError, ValueError, AttributeError):
        return frozenset()
    return frozenset(name for name in listed if isinstance(name, str)) if isinstance(listed, list) else frozenset()


def is_shipped(folder: Path) -> bool:
    """Whether the agent folder ``folder`` holds an agent shipped with the game (see :func:`shipped_names`)."""
    folder = Path(folder)
    return folder.name in shipped_names(folder.parent)


def check_name(name: str) -> str:
    """``name`` if it is a plain agent name, else a SaveError saying why."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise SaveError(
            f"{name!r} is not a valid agent name: use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def agent_dir(name: str, saves: Path | None = None) -> Path:
    """The folder of agent ``name`` (checked to be a plain name) in ``saves``.

    With no folder given (``saves`` None), a shipped agent that the default folder does not hold
    is the installed copy's (a plain install: see :func:`installed_shipped_dir`).
    """
    folder = (saves or default_saves_dir()) / check_name(name)
    if saves is None and not os.path.lexists(folder):
        shipped = installed_shipped_dir()
        if shipped is not None and name in shipped_names(shipped):
            return shipped / name
    return folder


# ----------------------------------------------------------------------------------------
def write_npz(path: Path, arrays: dict[str, np.ndarray], metadata: dict[str, Any], compress: bool = False) -> None:
    """Write arrays plus a JSON ``metadata`` text to ``path`` atomically (``compress``: deflated).

    Compression is for the training state, whose bulk is the rollout in flight: uint8 frames,
    mostly dark background, which deflate about 20-fold (52 MB to 2.3 MB at the default
    settings, for under a second more per save; see the README). Weights do not compress, so agent files are stored.
    """
    payload = dict(arrays)
    payload["metadata"] = np.array(json.dumps(metadata, sort_keys=True))
    with _AtomicFile(path) as f:
        (np.savez_compressed if compress else np.savez)(f, **payload)


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
    """Metadata of every readable agent in the saves folder (unreadable ones are skipped).

    With no folder given, the installed shipped agents that the default folder does not hold are
    listed too (see :func:`agent_dir`).
    """
    found = _agents_in(saves or default_saves_dir())
    shipped = installed_shipped_dir() if saves is None else None
    if shipped is not None:
        names = {meta["name"] for meta in found}
        found += [meta for meta in _agents_in(shipped)
                  if meta["name"] in shipped_names(shipped) and meta["name"] not in names]
    return sorted(found, key=lambda meta: meta["name"])


def _agents_in(folder: Path) -> list[dict[str, Any]]:
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


# ----------------------------------------------------------------------------------------
class RunLock:
    """The lock a training run holds on its agent folder, so a second run of it is refused.

    ``NAME/.lock`` is locked with the system's advisory file lock (``flock``) and holds the pid and
    host of the run that holds it, for the refusal's sentence. The system lets go of the lock when
    that process ends in any way, killed or crashed included, so a lock file whose run is no
    longer running is stale and the next run takes it over. The file stays (empty once let go).
    Taking the lock is also the first write in the folder: a folder that cannot be written is
    found out here, before any training, and nothing is left behind. Without ``fcntl`` (Windows)
    runs are not locked.
    """

    def __init__(self, folder: Path, fd: int | None) -> None:
        self.folder, self._fd = folder, fd

    @classmethod
    def acquire(cls, folder: Path) -> RunLock:
        """Lock ``folder`` (made if missing) for this process; SaveError if another run holds it
        or the folder cannot be written."""
        folder = Path(folder)
        made = not os.path.lexists(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            if made:
                _remove_folder_quietly(folder)
            raise SaveError(f"cannot use {folder} ({error.strerror or error})") from None
        if fcntl is None:
            return cls(folder, fd)
        try:
            _lock_or_refuse(fd, folder)
        except SaveError:
            os.close(fd)
            raise
        try:
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": now()}).encode())
        except OSError as error:
            os.close(fd)
            raise SaveError(f"cannot use {folder} ({error.strerror or error})") from None
        return cls(folder, fd)

    @staticmethod
    def check_free(folder: Path) -> None:
        """SaveError if a run holds ``folder``'s lock now (nothing is created: for a rename or a delete)."""
        try:
            fd = os.open(Path(folder) / LOCK_FILE, os.O_RDWR)
        except OSError:
            return  # no lock file: no run has trained here, or it cannot be opened (then not locked either)
        try:
            if fcntl is not None:
                _lock_or_refuse(fd, Path(folder))
        finally:
            os.close(fd)  # closing lets go of the lock

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Let go (the file stays, emptied); nothing happens if it is not held."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None


def _lock_or_refuse(fd: int, folder: Path) -> None:
    """Lock ``fd`` for this process, or raise the SaveError naming the run that holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = _lock_holder(fd)
        raise SaveError(f"agent {folder.name!r} is being trained by another run right now{holder}; "
                        "wait for it to end or stop it first (Ctrl-C there saves)") from None


def _lock_holder(fd: int) -> str:
    """' (process PID on HOST)' from a lock file's content, or '' when it cannot be read."""
    try:
        holder = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return f" (process {int(holder['pid'])} on {str(holder['host'])[:64]})"
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return ""


def _remove_folder_quietly(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
