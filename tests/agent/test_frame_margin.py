"""The frame margin: without it the default network never sees the arena's last rows and columns;
with it, it does, and an agent started from one without (or meeting one in its league) plays as
that agent did."""

from dataclasses import asdict, replace

import numpy as np
import pytest

from agent import saves
from agent.loading import load_policy
from agent.policy import ActorCritic, NetworkConfig, parameter_count, widen_params
from agent.session import TrainingSession
from agent.trainer import TrainConfig
from game.env import BatchDuelEnv, ObservationConfig

NO_MARGIN = ObservationConfig(width=96, height=48, margin=0)  # the default before 2026-12-01's
WITH_MARGIN = replace(NO_MARGIN, margin=4)  # the margin these frames need
DEFAULT = ObservationConfig()  # the arena drawn 88 x 44 into frames of 92 x 48


def frames(observation: ObservationConfig, count: int = 3, steps: int = 30) -> np.ndarray:
    env = BatchDuelEnv(count, observation=observation)
    env.reset(seed=5)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        env.step(rng.integers(0, 18, (count, 2)))
    return env.observations.reshape(-1, *observation.shape)


def outputs_change(policy: ActorCritic, x: np.ndarray, rows: slice, cols: slice) -> float:
    """How much the outputs move when the pixels [rows, cols] of the arena turn white."""
    lit = x.copy()
    lit[:, :, rows, cols] = 255
    return max(float(np.abs(a - b).max()) for a, b in zip(policy.forward(x), policy.forward(lit)))


def test_without_a_margin_the_network_is_blind_to_the_last_four_rows_and_columns():
    x = frames(NO_MARGIN)
    blind = ActorCritic(NO_MARGIN.shape, rng=np.random.default_rng(1), threads=1)
    assert outputs_change(blind, x, slice(44, 48), slice(0, 96)) < 1e-5  # the bottom 50 arena px
    assert outputs_change(blind, x, slice(0, 48), slice(92, 96)) < 1e-5  # the far side's 50 px
    assert outputs_change(blind, x, slice(40, 44), slice(0, 96)) > 1e-3  # the rows above are seen
    seeing = ActorCritic(WITH_MARGIN.shape, rng=np.random.default_rng(1), threads=1)
    x4 = frames(WITH_MARGIN)
    assert outputs_change(seeing, x4, slice(44, 48), slice(0, 96)) > 1e-3
    assert outputs_change(seeing, x4, slice(0, 48), slice(92, 96)) > 1e-3


def test_the_default_network_sees_every_pixel_of_the_default_frames_arena_with_the_old_weights_count():
    assert DEFAULT.shape == (4, 48, 92)
    assert parameter_count(DEFAULT.shape, NetworkConfig()) == parameter_count(NO_MARGIN.shape, NetworkConfig())
    policy = ActorCritic(DEFAULT.shape, rng=np.random.default_rng(1), threads=1)
    x = frames(DEFAULT)
    assert outputs_change(policy, x, slice(40, 44), slice(0, 88)) > 1e-3  # the bottom 55 arena px
    assert outputs_change(policy, x, slice(0, 44), slice(84, 88)) > 1e-3  # the far side's 55 px
    assert outputs_change(policy, x, slice(44, 48), slice(0, 92)) < 1e-5  # the margin is only black


def test_the_margin_adds_black_pixels_and_leaves_the_arena_as_drawn():
    plain, padded = frames(NO_MARGIN), frames(WITH_MARGIN)
    assert padded.shape[1:] == (4, 52, 100) and padded.dtype == np.uint8
    assert np.array_equal(padded[:, :, :48, :96], plain)
    assert not padded[:, :, 48:].any() and not padded[:, :, :, 96:].any()
    assert plain.any()  # ships and sight lines were drawn
    with pytest.raises(ValueError, match="margin"):
        ObservationConfig(margin=-1)


def test_a_widened_network_on_frames_with_the_margin_computes_what_it_did_without():
    old = ActorCritic(NO_MARGIN.shape, rng=np.random.default_rng(3), threads=1)
    new = ActorCritic(WITH_MARGIN.shape, threads=1)
    new.set_params(widen_params(old.get_params(), old.config, NO_MARGIN.shape, WITH_MARGIN.shape))
    for a, b in zip(old.forward(frames(NO_MARGIN)), new.forward(frames(WITH_MARGIN))):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="widened only to larger frames"):
        widen_params(old.get_params(), old.config, NO_MARGIN.shape, (2, 52, 100))


TINY_OBS = ObservationConfig(width=64, height=32, frames=2, margin=0)
TINY_NET = NetworkConfig(channels=(4, 8), kernel_sizes=(4, 3), strides=(2, 2), hidden=16)
TINY = TrainConfig(num_matches=4, self_play_matches=1, num_steps=48, num_minibatches=2, update_epochs=1,
                   snapshot_every=0, eval_every=0, match_time_limit_s=1.5, learner_process=False, workers=1)


def test_an_agent_started_with_a_margin_and_a_league_agent_without_one_play_as_their_parent(tmp_path):
    TrainingSession.create("old", TINY, TINY_OBS, TINY_NET, saves_dir=tmp_path).run(
        steps=TINY.batch_size, handle_sigint=False)
    parent, _, _ = load_policy(tmp_path / "old" / saves.AGENT_FILE)
    x = frames(TINY_OBS, count=2)
    x4 = np.zeros((len(x), 4, 36, 68), np.uint8)
    x4[:, :, :32, :64] = x
    expected = parent.forward(x)

    config = TrainConfig(**{**asdict(TINY), "league_bots": "random,old"})
    child = TrainingSession.from_agent("child", "old", config, tmp_path, margin=4)
    assert child.trainer.observation.margin == 4 and child.trainer.policy.obs_shape == (4, 36, 68)
    for session_policy in (child.trainer.policy, child.trainer.snapshots["old"]):
        for a, b in zip(expected, session_policy.forward(x4)):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    child.run(steps=TINY.batch_size, handle_sigint=False)  # it trains, the frozen one among its opponents
    with pytest.raises(saves.SaveError, match="larger margin"):
        TrainingSession.from_agent("grandchild", "child", TINY, tmp_path, margin=0)


def without_margin_keys(value):
    """``value`` as a file written before the margin existed holds it: no "margin" at any depth."""
    if isinstance(value, dict):
        return {k: without_margin_keys(v) for k, v in value.items() if k != "margin"}
    if isinstance(value, list):
        return [without_margin_keys(v) for v in value]
    return value


def test_agents_and_checkpoints_saved_before_the_margin_existed_keep_their_frames(tmp_path):
    shipped, seen, meta = load_policy(saves.project_saves_dir() / "champion-2026-11" / saves.AGENT_FILE)
    assert "margin" not in meta["observation"]  # saved in 2026-11, before the margin
    assert seen.margin == 0 and shipped.obs_shape == (4, 48, 96)

    session = TrainingSession.create("old", TINY, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    session.run(steps=TINY.batch_size, handle_sigint=False)
    for file in (saves.AGENT_FILE, saves.TRAINING_FILE):  # as an older version wrote them
        arrays, meta = saves.read_npz(tmp_path / "old" / file)
        saves.write_npz(tmp_path / "old" / file, arrays, without_margin_keys(meta))
    policy, seen, _ = load_policy(tmp_path / "old" / saves.AGENT_FILE)
    assert seen == TINY_OBS and policy.obs_shape == (4, 32, 64)
    resumed = TrainingSession.resume("old", tmp_path)
    assert resumed.trainer.observation == TINY_OBS
    resumed.run(steps=TINY.batch_size, handle_sigint=False)  # and it trains on
