"""Saved agents in the league: past champions and exploiters as frozen opponents."""

from dataclasses import asdict

import numpy as np
import pytest

from agent import saves
from agent.policy import NetworkConfig
from agent.session import TrainingSession
from agent.trainer import TrainConfig
from game.env import ObservationConfig

TINY_OBS = ObservationConfig(width=64, height=32, frames=2)
TINY_NET = NetworkConfig(channels=(4, 8), kernel_sizes=(4, 3), strides=(2, 2), hidden=16)
TINY = TrainConfig(num_matches=4, self_play_matches=1, num_steps=48, num_minibatches=2, update_epochs=1,
                   snapshot_every=0, eval_every=0, match_time_limit_s=1.5, learner_process=False, workers=1)


def saved(tmp_path, name: str, seed: int) -> None:
    config = TrainConfig(**{**asdict(TINY), "seed": seed})
    TrainingSession.create(name, config, TINY_OBS, TINY_NET, saves_dir=tmp_path).run(
        steps=TINY.batch_size, handle_sigint=False)


def test_a_saved_agent_plays_in_the_league_and_resume_stays_exact(tmp_path):
    saved(tmp_path, "oldchamp", seed=7)
    config = TrainConfig(**{**asdict(TINY), "league_bots": "random,oldchamp", "self_play_matches": 0})
    straight = TrainingSession.create("a", config, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    straight.run(steps=4 * config.batch_size, handle_sigint=False)
    league = {m["name"]: m for m in straight.trainer.league.state_dict()["members"]}
    assert league["oldchamp"]["kind"] == "agent" and league["oldchamp"]["games"] > 0
    assert "oldchamp" in straight.trainer._recent_results  # reported by name, not as a snapshot

    halves = TrainingSession.create("b", config, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    halves.run(steps=2 * config.batch_size, handle_sigint=False)
    resumed = TrainingSession.resume("b", saves_dir=tmp_path)
    resumed.run(steps=2 * config.batch_size, handle_sigint=False)
    # the same calls as one straight run of 4 batches would not anneal alike, so compare to a
    # second run made of the same two calls
    again = TrainingSession.create("c", config, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    again.run(steps=2 * config.batch_size, handle_sigint=False)
    again.run(steps=2 * config.batch_size, handle_sigint=False)
    for key, value in again.trainer.policy.params().items():
        assert np.array_equal(resumed.trainer.policy.params()[key], value), key
    # the frozen agent's weights are exactly the saved ones, and were never trained
    frozen = resumed.trainer.snapshots["oldchamp"].params()
    stored, _ = saves.load_agent(tmp_path / "oldchamp" / saves.AGENT_FILE)
    for key, value in stored.items():
        assert np.array_equal(frozen[key[len("param/"):]] if key.startswith("param/") else frozen[key], value)


def test_names_that_are_neither_bots_nor_saved_agents_are_refused(tmp_path):
    config = TrainConfig(**{**asdict(TINY), "league_bots": "random,heldout-hunter"})
    with pytest.raises(saves.SaveError, match="neither a bot .* nor a saved agent"):
        TrainingSession.create("x", config, TINY_OBS, TINY_NET, saves_dir=tmp_path)


def test_an_agent_with_other_eyes_is_refused(tmp_path):
    saved(tmp_path, "other", seed=1)
    config = TrainConfig(**{**asdict(TINY), "league_bots": "other"})
    with pytest.raises(saves.SaveError, match="sees or thinks differently"):
        TrainingSession.create("x", config, ObservationConfig(width=64, height=32, frames=1), TINY_NET,
                               saves_dir=tmp_path)
