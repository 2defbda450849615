"""`watch`: the window over a learning agent, driven headless with a real training process.

A tiny network learns on tiny matches in a spawned child process while the screen runs frames;
the tests look at what was drawn, press the keys, close the window and resume the run.
"""

import time

import numpy as np
import pygame
import pytest
from click.testing import CliRunner
from numpy.lib.stride_tricks import sliding_window_view

import main
from agent import saves
from agent.policy import NetworkConfig
from agent.session import TrainingSession, load_policy
from agent.trainer import TrainConfig
from agent.watch import MATCHES, WatchBackend, WatchRun
from game.actions import NAMES
from game.app.layout import PANEL_BG
from game.app.layout import HUD_RECT
from game.app.watch import HELP_RECT, PANEL_RECT, SPEEDS, WATCH_SIZE, WatchApp
from game.app.layout import Fonts
from game.app.watch_panel import BAR_COLOR, CHOSEN_COLOR, draw_probabilities
from game.env import ObservationConfig
from game.render import BACKGROUND, PLAYER_COLORS
from keys import press

# learning in the trainer's process here (the command test below uses two worker processes)
TINY_CONFIG = TrainConfig(num_matches=2, self_play_matches=1, num_steps=8, num_minibatches=2, update_epochs=1,
                          eval_every=0, learner_process=False, workers=1)
TINY_OBS = ObservationConfig(width=64, height=32)
TINY_NET = NetworkConfig(channels=(4, 8), kernel_sizes=(4, 3), strides=(2, 2), hidden=16)
TINY_OPTIONS = ["--num-matches", "2", "--self-play-matches", "1", "--num-steps", "8", "--num-minibatches", "2",
                "--update-epochs", "1", "--eval-every", "0"]
TIMEOUT_S = 25.0


@pytest.fixture
def watching(tmp_path):
    """A started backend (training without end) and its window; both closed after the test."""
    made = []

    def build(name: str = "tiny") -> tuple[WatchBackend, WatchApp]:
        backend = WatchBackend(WatchRun(name, str(tmp_path), False, TINY_CONFIG, TINY_OBS, TINY_NET, steps=10**9))
        made.append(backend)
        backend.start()
        app = WatchApp(backend)
        made.append(app)
        return backend, app

    yield build
    for thing in reversed(made):
        thing.close()


def run_until(app: WatchApp, condition, timeout_s: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the watch screen did not get there in time"
        app.run(max_frames=5)


def conv_relu(x: np.ndarray, weights: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """An independent reference: the plain definition of a convolution, then ReLU."""
    k = weights.shape[-1]
    windows = sliding_window_view(x, (k, k), axis=(1, 2))[:, ::stride, ::stride]  # (C, oh, ow, k, k)
    out = np.einsum("chwij,fcij->fhw", windows.astype(np.float64), weights.astype(np.float64))
    return np.maximum(out + bias[:, None, None], 0.0)


def test_the_panel_shows_the_agents_own_frames_activations_and_probabilities(watching):
    backend, app = watching()
    run_until(app, lambda: backend.updates_received >= 2)
    press(pygame.K_l)  # hold the weights still, so the checks below see the ones the agent decided with
    run_until(app, lambda: backend.note == "learning paused")
    decisions = backend.decisions
    run_until(app, lambda: backend.decisions >= decisions + 2)
    shot = app.screen.copy()

    # the panel is drawn: plenty of pixels that are not its background
    panel = pygame.surfarray.array3d(shot.subsurface(PANEL_RECT))
    assert (np.abs(panel.astype(int) - PANEL_BG).sum(axis=2) > 30).mean() > 0.05

    # 18 probability bars, sized by the probabilities, the chosen one highlighted
    probs = backend.probabilities
    bars = app.watch.bar_rects
    assert len(bars) == len(NAMES) == len(probs)
    widths = np.array([r.width for r in bars], float)
    # proportional to the probabilities, to the pixel (each bar is rounded, and at least 1 px):
    # the widest bar gives pixels per unit of probability
    px_per_prob = widths.max() / probs.max()
    assert widths.max() >= 20
    assert np.all(np.abs(widths - np.maximum(1.0, probs * px_per_prob)) <= 1.0 + 1e-9), (widths, probs)
    for action, rect in enumerate(bars):
        color = tuple(shot.get_at((rect.x, rect.centery)))[:3]
        assert color == (CHOSEN_COLOR if action == backend.action else BAR_COLOR)

    # what is shown is what the network computes on what the agent saw
    stack = backend.observation_stack
    assert stack.shape == TINY_OBS.shape and stack.dtype == np.uint8 and stack.any()
    params = backend.learner.params()
    expected = conv_relu(stack / 255.0, params["body.0.weights"], params["body.0.bias"], TINY_NET.strides[0])
    assert np.allclose(backend.feature_maps, expected, atol=1e-4)
    logits, value = backend.learner.forward(stack[None])
    softmax = np.exp(logits[0] - logits[0].max())
    assert np.allclose(probs, softmax / softmax.sum(), atol=1e-6)
    assert backend.value == pytest.approx(float(value[0]), abs=1e-5)


def test_probability_bars_are_as_long_as_their_probabilities():
    probs = np.full(len(NAMES), 0.05 / (len(NAMES) - 4))
    probs[[3, 7, 11, 16]] = (0.5, 0.3, 0.1, 0.05)  # the largest is 0.5: a full bar stands for 50 %
    pygame.font.init()
    surface = pygame.Surface((330, 420))
    bars = draw_probabilities(surface, surface.get_rect(), Fonts(), probs, chosen=7, value=0.25)
    widths = np.array([r.width for r in bars], float)
    full = widths[3]
    assert full > 100
    assert np.all(np.abs(widths - np.maximum(1.0, np.round(probs / 0.5 * full))) <= 1.0), widths
    assert tuple(surface.get_at((bars[7].x, bars[7].centery)))[:3] == CHOSEN_COLOR
    assert tuple(surface.get_at((bars[3].x, bars[3].centery)))[:3] == BAR_COLOR


def test_closing_the_window_saves_and_the_run_resumes(watching, tmp_path):
    backend, app = watching("closed")
    run_until(app, lambda: backend.updates_received >= 1)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    run_until(app, lambda: backend.finished)
    assert backend.error is None

    arrays, meta = saves.read_npz(tmp_path / "closed" / saves.TRAINING_FILE)
    saved_update = meta["trainer"]["update"]
    assert saved_update >= 1 and saved_update == backend.summary["update"]
    # the display played with the weights that were saved: the latest ones
    policy, _, agent_meta = load_policy(tmp_path / "closed" / saves.AGENT_FILE)
    for key, value in policy.params().items():
        assert np.array_equal(backend.learner.params()[key], value), key

    # the charts are the metrics the training wrote, row for row
    rows = saves.read_metrics(tmp_path / "closed" / saves.METRICS_FILE)
    assert backend.series.points["entropy"] == [(r["step"], r["entropy"]) for r in rows]
    assert backend.series.points["steps_per_s"] == [(r["step"], r["steps_per_s"]) for r in rows]
    assert backend.league == agent_meta["league"]  # and the league table is the one saved

    session = TrainingSession.resume("closed", tmp_path)
    session.run(steps=TINY_CONFIG.batch_size, handle_sigint=False)
    assert session.trainer.update == saved_update + 1


def test_keys_pause_speed_switch_hide_save_and_pause_learning(watching, tmp_path):
    backend, app = watching("keys")
    run_until(app, lambda: backend.updates_received >= 1)

    press(pygame.K_SPACE)  # pause the shown match
    app.run(max_frames=1)
    tick = backend.world.tick
    app.run(max_frames=10)
    assert backend.world.tick == tick
    press(pygame.K_SPACE, pygame.K_EQUALS)  # resume, twice as fast
    app.run(max_frames=1)
    assert SPEEDS[app.watch.speed] == 2.0
    tick = backend.world.tick
    app.run(max_frames=10)
    assert backend.world.tick - tick > 10 or backend.world.over  # 20 unless the machine is very busy

    press(pygame.K_TAB)
    app.run(max_frames=1)
    assert MATCHES[backend.shown] == "vs aimbot" and backend.players == ("learner", "aimbot")

    press(pygame.K_h)  # the panel gives way to a bigger arena
    app.run(max_frames=1)
    hidden = pygame.surfarray.array3d(app.screen.subsurface(PANEL_RECT.inflate(-40, -200)))
    assert (np.abs(hidden.astype(int) - BACKGROUND).sum(axis=2) < 10).mean() > 0.8
    # the bar spans the whole width (player 2's block at the right edge), the arena reaches the help line
    screen = pygame.surfarray.array3d(app.screen)
    assert (screen[WATCH_SIZE[0] - 300:, :HUD_RECT.height] == PLAYER_COLORS[1]).all(axis=2).sum() > 50
    assert (screen[:, HELP_RECT.top - 2] == BACKGROUND).all(axis=1).mean() > 0.8
    assert "H show panel" in app.watch.help_text
    press(pygame.K_h)
    app.run(max_frames=1)
    assert "H hide panel" in app.watch.help_text
    press(pygame.K_h)
    app.run(max_frames=1)

    press(pygame.K_s)  # a checkpoint now, while training goes on
    run_until(app, lambda: backend.note.startswith("checkpoint saved"))
    assert (tmp_path / "keys" / saves.TRAINING_FILE).exists()

    press(pygame.K_l)  # learning pauses after the update in progress ...
    run_until(app, lambda: backend.note == "learning paused")
    app.run(max_frames=2)
    received = backend.updates_received
    app.run(max_frames=30)
    assert backend.updates_received == received and not backend.learning
    press(pygame.K_l)  # ... and resumes
    run_until(app, lambda: backend.updates_received > received)


def test_watch_command_spends_its_budget_saves_and_train_resumes(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main.cli, ["watch", "--name", "cli", "--steps", "48", "--saves", str(tmp_path),
                                      "--workers", "2", *TINY_OPTIONS])
    assert result.exit_code == 0, result.output
    assert "saved 'cli': 48 samples" in result.output
    saved_update = saves.read_npz(tmp_path / "cli" / saves.TRAINING_FILE)[1]["trainer"]["update"]
    assert saved_update >= 1 and f"{saved_update} updates" in result.output
    again = runner.invoke(main.cli, ["watch", "--name", "cli", "--steps", "24", "--saves", str(tmp_path)])
    assert again.exit_code != 0 and "already exists" in again.output
    resumed = runner.invoke(main.cli, ["train", "--name", "cli", "--resume", "--steps", "24", "--saves", str(tmp_path)])
    assert resumed.exit_code == 0, resumed.output
    assert saves.read_npz(tmp_path / "cli" / saves.TRAINING_FILE)[1]["trainer"]["update"] > saved_update
