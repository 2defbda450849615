"""Saved agents in the league: past champions and exploiters as frozen opponents."""

from dataclasses import asdict

import numpy as np
import pytest

from agent import saves
from agent.controller import AgentController
from agent.other_eyes import LeagueAgent
from agent.policy import ActorCritic, NetworkConfig
from agent.session import TrainingSession
from agent.trainer import TrainConfig, Trainer
from game.env import BatchDuelEnv, ObservationConfig, derive_seed

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


OTHER_OBS = ObservationConfig(width=48, height=24, frames=1)  # other frames: another network input


def sharp(params: dict, seed: int) -> dict:
    """Random weights whose policy logits are scaled so far apart that sampling always picks
    the most likely action: a frozen agent whose every move is fixed by what it sees."""
    net = ActorCritic(OTHER_OBS.shape, TINY_NET, np.random.default_rng(seed))
    out = net.get_params()
    out["policy.weights"] = out["policy.weights"] * 1e8
    out["policy.bias"] = out["policy.bias"] * 1e8
    return out


def test_an_agent_with_other_eyes_plays_in_the_league_exactly_as_eval_plays_it():
    """A saved agent trained on other frames plays its league matches move for move as the
    game's own AgentController (eval, the window) flies it, across a match's end."""
    other = LeagueAgent(sharp({}, seed=3), OTHER_OBS, TINY_NET)
    config = TrainConfig(**{**asdict(TINY), "league_bots": "other", "self_play_matches": 0, "num_matches": 1})
    trainer = Trainer(config, TINY_OBS, TINY_NET, {"other": other})
    learner_actions, worlds = [], []
    for _ in range(3):  # 144 decisions: the 1.5 s matches (45 decisions) end and start again
        trainer.collect_rollout()
        learner_actions += trainer.buffer.actions[:, 0].tolist()
    assert trainer.matches_finished >= 2
    worlds = trainer.env.matches[0].world.state_dict()

    policy = ActorCritic(OTHER_OBS.shape, TINY_NET)
    policy.set_params(other.params)
    reference = BatchDuelEnv(1, rules=trainer.rules, observation=TINY_OBS, rewards=config.rewards)
    reference.set_controller(0, 1, AgentController(policy, OTHER_OBS, greedy=True))
    reference.reset(seed=derive_seed(config.seed, 3))
    ended = 0
    for action in learner_actions:
        _, _, terminated, truncated, _ = reference.step(np.array([[action, 0]]))
        ended += int(terminated[0] or truncated[0])
        reference.set_controller(0, 1, AgentController(policy, OTHER_OBS, greedy=True))
    assert ended == trainer.matches_finished
    assert reference.matches[0].world.state_dict() == worlds


def test_an_agent_with_other_eyes_resumes_exactly(tmp_path):
    config = TrainConfig(**{**asdict(TINY), "seed": 5})
    TrainingSession.create("other", config, OTHER_OBS, TINY_NET, saves_dir=tmp_path).run(
        steps=TINY.batch_size, handle_sigint=False)
    config = TrainConfig(**{**asdict(TINY), "league_bots": "other", "self_play_matches": 0})
    halves = TrainingSession.create("b", config, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    halves.run(steps=TINY.batch_size + 24, handle_sigint=False)  # stops mid-rollout: eyes mid-match
    assert halves.trainer.other_eyes.eyes  # a checkpoint with frames of matches in flight
    resumed = TrainingSession.resume("b", saves_dir=tmp_path)
    resumed.run(steps=2 * config.batch_size, handle_sigint=False)
    again = TrainingSession.create("c", config, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    again.run(steps=TINY.batch_size + 24, handle_sigint=False)
    again.run(steps=2 * config.batch_size, handle_sigint=False)
    for key, value in again.trainer.policy.params().items():
        assert np.array_equal(resumed.trainer.policy.params()[key], value), key
    league = {m["name"]: m for m in resumed.trainer.league.state_dict()["members"]}
    assert league["other"]["kind"] == "agent" and league["other"]["games"] > 0


def test_an_agent_deciding_at_another_rate_is_refused(tmp_path):
    saved(tmp_path, "other", seed=1)
    config = TrainConfig(**{**asdict(TINY), "league_bots": "other"})
    with pytest.raises(saves.SaveError, match="decides every 2 ticks and the agent in training every 3"):
        TrainingSession.create("x", config, ObservationConfig(width=64, height=32, frames=2, action_repeat=3),
                               TINY_NET, saves_dir=tmp_path)


def test_a_two_worker_run_saved_before_it_played_keeps_its_league_agents(tmp_path):
    """Ctrl-C before the first update saves a run whose workers have not started: on resume its
    saved agents (of both kinds) must still play, as in a run that never stopped."""
    saved(tmp_path, "oldchamp", seed=7)
    config = TrainConfig(**{**asdict(TINY), "seed": 5})
    TrainingSession.create("other", config, OTHER_OBS, TINY_NET, saves_dir=tmp_path).run(
        steps=TINY.batch_size, handle_sigint=False)
    config = TrainConfig(**{**asdict(TINY), "league_bots": "oldchamp,other", "self_play_matches": 0, "workers": 2})
    straight = TrainingSession.create("a", config, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    straight.run(steps=2 * config.batch_size, handle_sigint=False)

    stopped = TrainingSession.create("b", config, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    stopped.lock()
    stopped.save()
    stopped.unlock()
    resumed = TrainingSession.resume("b", saves_dir=tmp_path)
    resumed.run(steps=2 * config.batch_size, handle_sigint=False)
    for key, value in straight.trainer.policy.params().items():
        assert np.array_equal(resumed.trainer.policy.params()[key], value), key
