"""Saving observations as PNGs: the pictures hold exactly the stacks an agent decides from."""

import numpy as np
import pygame
from click.testing import CliRunner

from game.app.play import COUNTDOWN_S

from game.observation import ObservationConfig, ObservationRenderer
from game.recording import ObservationRecorder
from game.rules import DEFAULT_RULES
from game.world import World
from main import cli

ZOOM, GAP = 4, 2  # save_observation's defaults


def read_stack(path, config: ObservationConfig) -> np.ndarray:
    """Undo observation_image: the K frames side by side, enlarged ZOOM times, GAP apart."""
    canvas = pygame.surfarray.array3d(pygame.image.load(str(path)))[:, :, 0].T
    width = config.shape[2]  # of a frame: the arena's drawing and the margin
    step = width * ZOOM + GAP
    return np.stack([canvas[::ZOOM, k * step : k * step + width * ZOOM : ZOOM]
                     for k in range(config.shape[0])])


def test_saved_pictures_are_the_stacks_of_an_agents_decision_ticks(tmp_path):
    config = ObservationConfig(width=64, height=32, frames=3, action_repeat=2)
    recorder = ObservationRecorder(tmp_path, config, every_ticks=10)
    renderer = ObservationRenderer(config)
    world, rng = World(seed=4), np.random.default_rng(4)
    history: dict[int, list[np.ndarray]] = {0: [], 1: []}  # frames drawn on decision ticks, by hand
    expected = {}
    world.step((0, 0))  # the match's first tick: its first decision
    for _ in range(60):
        if (world.tick - 1) % config.action_repeat == 0:
            for player in (0, 1):
                frames = history[player]
                frames.append(renderer.draw(world, player).copy())
                stacked = ([frames[0]] * config.frames + frames)[-config.frames:]  # first frame fills the stack
                expected[(world.tick, player)] = np.concatenate(stacked)
        recorder.record(world, 0)
        world.step(tuple(int(a) for a in rng.integers(0, 18, 2)))

    names = sorted(p.name for p in tmp_path.iterdir())
    ticks = sorted({int(n.split("_tick")[1][:6]) for n in names})
    assert ticks == [1, 11, 21, 31, 41, 51]  # every 10 ticks, on decision ticks
    assert len(names) == 2 * len(ticks)
    for tick in ticks:
        for player in (0, 1):
            saved = read_stack(tmp_path / f"match001_tick{tick:06d}_player{player + 1}.png", config)
            assert np.array_equal(saved, expected[(tick, player)])


def test_play_saves_observations_and_says_where(tmp_path):
    frames = DEFAULT_RULES.ticks(COUNTDOWN_S) + 90  # the window's countdown, then 90 ticks of play
    result = CliRunner().invoke(cli, ["play", "--p1", "random", "--p2", "aimbot", "--seed", "2", "--frames", str(frames),
                                      "--save-observations", str(tmp_path / "eyes"), "--observation-every", "30"])
    assert result.exit_code == 0, result.output
    saved = sorted(p.name for p in (tmp_path / "eyes").iterdir())
    assert saved[:2] == ["match001_tick000001_player1.png", "match001_tick000001_player2.png"]
    assert f"saved {len(saved)} observations" in result.output
    stack = read_stack(tmp_path / "eyes" / saved[0], ObservationConfig())
    assert stack.shape == ObservationConfig().shape and stack.max() == 255  # the own ship is drawn
