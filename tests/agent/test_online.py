"""Learning while playing: rewards are counted right, updates happen, the game never waits."""

import numpy as np

from agent.online import LearningController, OnlineConfig
from agent.policy import ActorCritic, NetworkConfig
from game.bots import AimBot, IdleBot
from game.env import ObservationConfig
from game.match import play_match
from game.rules import Rules

OBS = ObservationConfig(width=32, height=16)
NET = NetworkConfig(channels=(4, 8), kernel_sizes=(4, 3), strides=(2, 2), hidden=16)


def test_rewards_recorded_add_up_to_the_matchs_kills_deaths_and_asteroids():
    policy = ActorCritic(OBS.shape, NET)
    config = OnlineConfig(rollout_steps=100_000, aim_shaping=0.0)  # no update, no shaping: plain rewards
    learner = LearningController(policy, OBS, config, background=False)
    result = play_match((learner, AimBot()), seed=3, rules=Rules(time_limit_s=40.0))
    learner.reset(None)  # the next match starts: the last one's final events are booked
    me, foe = learner._world.ships
    expected = foe.deaths - me.deaths + 0.2 * me.asteroids_shot
    recorded = learner.buffer.rewards[: learner._count, 0].sum()
    assert me.deaths + foe.deaths > 0  # something happened
    assert np.isclose(recorded, expected), (recorded, expected)
    assert learner.buffer.dones[0, 0] and not learner.buffer.dones[1:learner._count, 0].any()
    assert result.ticks > 0


def test_it_updates_its_weights_every_rollout_and_keeps_playing():
    policy = ActorCritic(OBS.shape, NET)
    before = policy.get_params()
    learner = LearningController(policy, OBS, OnlineConfig(rollout_steps=64), background=False)
    for index in range(3):
        play_match((learner, IdleBot()), seed=5, index=index, rules=Rules(time_limit_s=5.0))
    decisions = learner.agent.decisions
    assert learner.updates == decisions // 64 >= 2
    assert any(not np.array_equal(before[k], v) for k, v in policy.params().items())


def test_background_learning_hands_back_weights_without_blocking():
    policy = ActorCritic(OBS.shape, NET)
    before = policy.get_params()
    learner = LearningController(policy, OBS, OnlineConfig(rollout_steps=32), background=True)
    try:
        play_match((learner, IdleBot()), seed=6, rules=Rules(time_limit_s=4.0))
    finally:
        learner.close()  # waits for the update in flight and takes its weights
    assert learner.updates >= 1
    assert any(not np.array_equal(before[k], v) for k, v in policy.params().items())
