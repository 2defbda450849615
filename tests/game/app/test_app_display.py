"""No screen, no window: the game says so in one sentence instead of waiting on an invisible one."""

import os
import subprocess
import sys
from pathlib import Path

import pygame
import pytest

from game.app import DisplayError, require_display
from game.app.app import headless_requested

ROOT = Path(__file__).resolve().parents[3]
SENTENCE = "no display found: the game needs a screen (set DISPLAY, or SDL_VIDEODRIVER=dummy for a headless run)"

# Each window the app can open, tried in turn on a machine without a screen: the menu, a direct
# match (which would otherwise build its controllers first) and the watch window. Each must raise
# DisplayError at once; the script prints the messages and exits 1 as the command line does.
SCRIPT = """
import sys
from game.app import DisplayError, Opponent, run_app, run_match
from game.app.watch import WatchApp
from game.bots import BOTS

def make(spec):
    return BOTS[spec]()

messages = []
for start in (lambda: run_app(make, [Opponent("aimbot", "aimbot")], seed=1, mute=True),
              lambda: run_match("human", "aimbot", make, seed=1, mute=True),
              lambda: WatchApp(None)):
    try:
        start()
    except DisplayError as error:
        messages.append(str(error))
print("\\n".join(messages), file=sys.stderr)
sys.exit(1 if len(messages) == 3 else 2)
"""


def without_display(runtime_dir: Path, **extra: str) -> dict[str, str]:
    """This environment without any screen. ``runtime_dir`` is the session's XDG_RUNTIME_DIR, as a
    login gives one (without it the Wayland library adds a complaint of its own on stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    runtime_dir.chmod(0o700)
    env.update(SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1", XDG_RUNTIME_DIR=str(runtime_dir), **extra)
    return env


def run_script(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)  # a hang (the old behaviour) fails here instead of blocking the suite


def test_every_window_refuses_to_open_without_a_display(tmp_path):
    result = run_script(without_display(tmp_path))
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [SENTENCE] * 3
    assert "Traceback" not in result.stderr


def test_a_driver_that_cannot_start_is_a_missing_display_too(tmp_path):
    result = run_script(without_display(tmp_path, SDL_VIDEODRIVER="x11"))  # asked for, but there is no X server
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("no display found (") for line in lines), lines
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("asked, headless", [("dummy", True), ("offscreen", True), ("Dummy", True),
                                             ("x11,offscreen", True), ("x11", False), ("", False)])
def test_headless_is_requested_only_by_naming_a_headless_driver(monkeypatch, asked, headless):
    monkeypatch.setenv("SDL_VIDEODRIVER", asked)
    assert headless_requested() is headless


def test_the_deliberate_headless_mode_opens_the_window(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    require_display()  # the tests' own mode: no error
    assert issubclass(DisplayError, Exception) and not issubclass(DisplayError, pygame.error)
