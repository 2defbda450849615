"""The environments: spaces, determinism, rewards, episode ends, the batch, the ego view, the door."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from game.actions import MIRRORED, encode
from game.bots import AimBot
from game.env import (AGENTS, BOT_NAMES, BatchDuelEnv, DuelEnv, ObservationConfig, RewardConfig, Rules,
                      SingleAgentEnv, aim_error, make_bot)
from game.world import World

ROOT = Path(__file__).resolve().parents[2]

SHORT = Rules(time_limit_s=6.0)  # short matches, so tests see many of them end


def test_envs_construct_with_defaults_and_declare_their_spaces():
    env = DuelEnv()
    observations, infos = env.reset(seed=0)
    assert env.agents == list(AGENTS) == env.possible_agents
    for agent in AGENTS:
        space = env.observation_space(agent)
        assert space.shape == ObservationConfig().shape and space.dtype == np.uint8
        assert space.contains(observations[agent])
        assert env.action_space(agent).n == 18
        assert set(infos[agent]) >= {"score", "lives", "winner", "shots", "hits", "deaths"}
    single = SingleAgentEnv()
    obs, info = single.reset(seed=0)
    assert single.observation_space.contains(obs) and single.action_space.n == 18
    assert single.metadata["render_fps"] == 60 // ObservationConfig().action_repeat and "rgb_array" in single.metadata["render_modes"]
    single.close()
    single.close()  # closing twice is safe
    batch = BatchDuelEnv(3)
    obs, _ = batch.reset(seed=0)
    assert obs.shape == (3, 2, *ObservationConfig().shape) and obs.dtype == np.uint8


def play(env: DuelEnv, seed: int, steps: int) -> list:
    """Observations and rewards of ``steps`` random steps, resetting at each match end."""
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    trace = [obs["player_0"].copy(), obs["player_1"].copy()]
    for _ in range(steps):
        obs, rew, term, trunc, _ = env.step({a: int(rng.integers(18)) for a in AGENTS})
        trace += [obs["player_0"], obs["player_1"], rew["player_0"], rew["player_1"]]
        if not env.agents:
            obs, _ = env.reset()
            trace += [obs["player_0"], "reset"]
    return trace


def same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y for x, y in zip(a, b)
    )


def test_same_seed_same_actions_same_observations_and_rewards_across_resets():
    first = play(DuelEnv(rules=SHORT), 3, 300)
    assert any(isinstance(x, str) for x in first)  # the run crossed at least one automatic match end
    assert same(first, play(DuelEnv(rules=SHORT), 3, 300))
    assert not same(first, play(DuelEnv(rules=SHORT), 4, 300))


def test_batch_slot_equals_a_separate_env_across_automatic_resets():
    n, seed, steps = 3, 11, 200
    batch = BatchDuelEnv(n, rules=SHORT)
    singles = [DuelEnv(rules=SHORT) for _ in range(n)]
    obs, _ = batch.reset(seed=seed)
    for i, env in enumerate(singles):
        single_obs, _ = env.reset(seed=BatchDuelEnv.slot_seed(seed, i))
        assert np.array_equal(obs[i, 0], single_obs["player_0"])
    rng = np.random.default_rng(0)
    ends = 0
    for _ in range(steps):
        actions = rng.integers(0, 18, (n, 2))
        obs, rewards, terminated, truncated, infos = batch.step(actions)
        for i, env in enumerate(singles):
            o, r, te, tr, _ = env.step({"player_0": int(actions[i, 0]), "player_1": int(actions[i, 1])})
            assert (r["player_0"], r["player_1"]) == tuple(rewards[i])
            assert (te["player_0"], tr["player_0"]) == (terminated[i], truncated[i])
            if not env.agents:
                ends += 1
                assert np.array_equal(infos["final_observation"][i][0], o["player_0"])
                o, _ = env.reset()
            assert np.array_equal(obs[i, 0], o["player_0"]) and np.array_equal(obs[i, 1], o["player_1"])
    assert ends >= n


def test_reward_table():
    rules = Rules(asteroid_start_count=0, asteroid_spawn_per_s=0.0, lives=2)
    env = DuelEnv(rules=rules)
    env.reset(seed=0)
    world = env.world
    world.ships[1].x, world.ships[1].y = 400.0, 100.0  # right in front of player 1's gun
    fire = encode(0, 0, True)
    total = np.zeros(2)
    while total[0] == 0:
        _, rew, *_ = env.step({"player_0": fire, "player_1": 0})
        total += (rew["player_0"], rew["player_1"])
    assert tuple(total) == (1.0, -1.0)  # destroying the opponent / being destroyed
    world.asteroids.append(world._new_asteroid(200.0, world.ships[0].y, 40.0, 0.0))
    world.ships[0].heading = np.pi  # pointing left, at the asteroid
    total[:] = 0
    for _ in range(20):
        _, rew, *_ = env.step({"player_0": fire if total[0] == 0 else 0, "player_1": 0})
        total += (rew["player_0"], rew["player_1"])
    assert tuple(total) == pytest.approx((0.2, 0.0))


def test_terminated_when_out_of_lives_truncated_at_the_time_limit():
    env = DuelEnv(rules=Rules(time_limit_s=1.0, asteroid_start_count=0, asteroid_spawn_per_s=0.0))
    env.reset(seed=0)
    steps = 0
    while env.agents:
        _, _, term, trunc, info = env.step({a: 0 for a in AGENTS})
        steps += 1
    assert trunc["player_0"] and not term["player_0"] and info["player_0"]["winner"] is None
    assert steps == 60 // ObservationConfig().action_repeat  # 60 ticks, action_repeat ticks a step
    with pytest.raises(RuntimeError):
        env.step({a: 0 for a in AGENTS})

    env = DuelEnv(rules=Rules(lives=1, asteroid_start_count=0, asteroid_spawn_per_s=0.0))
    env.reset(seed=0)
    env.world.ships[1].x, env.world.ships[1].y = 400.0, 100.0
    while env.agents:
        _, rew, term, trunc, info = env.step({"player_0": encode(0, 0, True), "player_1": 0})
    assert term["player_0"] and not trunc["player_0"] and info["player_0"]["winner"] == 0


def test_player_two_actions_are_mirrored_with_its_view():
    env = DuelEnv(rules=Rules(asteroid_start_count=0, asteroid_spawn_per_s=0.0))
    env.reset(seed=0)
    left = encode(0, 1, False)
    for _ in range(5):
        env.step({"player_0": left, "player_1": left})
    h0, h1 = env.world.ships[0].heading, env.world.ships[1].heading
    # "left" in its own mirrored view turns player 2 clockwise on the real screen
    assert np.isclose((h0 + h1) % (2 * np.pi), np.pi)
    obs, *_ = env.step({"player_0": 0, "player_1": 0})
    assert np.array_equal(obs["player_0"], obs["player_1"])  # a mirror-symmetric situation
    assert MIRRORED[left] == encode(0, 2, False)


def test_single_agent_env_plays_against_a_controller_each_tick():
    env = SingleAgentEnv(opponent=AimBot(), rules=SHORT)
    obs, _ = env.reset(seed=1)
    done = False
    rewards = 0.0
    while not done:
        obs, reward, terminated, truncated, info = env.step(0)
        rewards += reward
        done = terminated or truncated
    assert info["deaths"][0] >= 1 and rewards < 0  # the aimbot shot the idle agent
    assert env.render() is None
    with pytest.raises(RuntimeError):
        env.step(0)
    with pytest.raises(ValueError):
        SingleAgentEnv(opponent="no-such-bot")


def test_rgb_array_rendering_is_the_human_view():
    env = SingleAgentEnv(opponent="idle", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (600, 1200, 3) and frame.dtype == np.uint8
    assert tuple(frame[5, 5]) == (47, 79, 79)  # the slate-gray arena
    env.close()


def test_bad_actions_are_refused_with_a_clear_error():
    env = DuelEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="integer in"):
        env.step({"player_0": 18, "player_1": 0})
    with pytest.raises(ValueError, match="missing"):
        env.step({"player_0": 1})
    batch = BatchDuelEnv(2)
    batch.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        batch.step(np.zeros((3, 2), int))


def test_player_eyes_see_what_the_env_shows():
    """A controller flying from pixels gets exactly the env's observations at its decisions."""
    from game.env import Match, PlayerEyes

    match = Match(SHORT)
    match.reset(seed=4)
    eyes = [PlayerEyes(player=0), PlayerEyes(player=1)]
    rng = np.random.default_rng(1)
    world = match.world
    decisions = 0
    for _ in range(60):
        actions = [int(a) for a in rng.integers(0, 18, 2)]
        # the eyes decide at the first tick of every repeat window, from the same frames
        for p in (0, 1):
            assert eyes[p].decide_now(world)
            assert np.array_equal(eyes[p].look(world), match.stack[p])
        decisions += 1
        start = world.tick
        match.step(*actions)
        if world.over:
            break
        repeat = ObservationConfig().action_repeat
        assert world.tick == start + repeat
        assert not eyes[0].decide_now(world) or (world.tick - start) % repeat == 0
    assert decisions > 10
    assert eyes[1].to_world_action(encode(0, 1, False)) == encode(0, 2, False)


def test_reward_weights_can_be_changed():
    from game.env import Match, RewardConfig

    rules = Rules(asteroid_start_count=0, asteroid_spawn_per_s=0.0)
    match = Match(rules, rewards=RewardConfig(kill=2.0, death=-3.0, asteroid=0.5))
    match.reset(seed=0)
    world = match.world
    world.ships[1].x, world.ships[1].y = 400.0, 100.0
    world.asteroids.append(world._new_asteroid(400.0, 45.0, 20.0, 0.0))  # right above player 2's gun
    total = np.zeros(2)
    fire = encode(0, 0, True)
    for step in range(15):
        total += match.step(fire if step == 0 else 0, fire)
    # player 1's one bullet destroyed player 2 (+2 / -3); player 2 shot the asteroid first (+0.5)
    assert tuple(total) == pytest.approx((2.0, -3.0 + 0.5))


def test_the_door_and_every_agent_module_import_without_pygame():
    """pygame blocked (None in sys.modules makes ``import pygame`` fail): the door and agent/ still import."""
    modules = ["game.env"] + sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "agent").rglob("*.py"))
    assert "agent.trainer" in modules and "agent.nn.conv" in modules
    program = "import importlib, sys\nsys.modules['pygame'] = None\n" + "".join(
        f"importlib.import_module({name!r})\n" for name in modules)
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # and the check can fail: drawing a frame needs pygame
    program = "import sys\nsys.modules['pygame'] = None\nfrom game.env import DuelEnv\nDuelEnv()\n"
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and "pygame" in result.stderr


def test_aim_error_is_the_angle_to_the_opponent():
    world = World(seed=0)
    me, foe = world.ships
    me.x, me.y, me.heading = 100.0, 100.0, 0.0
    foe.x, foe.y, foe.heading = 200.0, 200.0, 0.0
    assert aim_error(world, 0) == pytest.approx(np.pi / 4)
    assert aim_error(world, 1) == pytest.approx(3 * np.pi / 4)  # it points away, the bearing back is -135 deg
    foe.alive = False
    assert aim_error(world, 0) is None


def test_the_shaping_potential_is_the_configured_mix_of_aim_errors():
    world = World(seed=0)
    me, foe = world.ships
    me.x, me.y, me.heading = 100.0, 100.0, 0.0
    foe.x, foe.y, foe.heading = 200.0, 200.0, 0.0
    # aim errors pi/4 (own) and 3 pi/4 (the opponent's at us): (0.5 * 3/4 - 0.3 * 1/4) = 0.3
    assert RewardConfig(aim_shaping=0.3, dodge_shaping=0.5).potential(world, 0) == pytest.approx(0.3)
    assert RewardConfig(aim_shaping=0.3).potential(world, 0) == pytest.approx(-0.075)
    assert RewardConfig().potential(world, 0) == 0.0  # no shaping by default
    foe.alive = False
    assert RewardConfig(aim_shaping=0.3, dodge_shaping=0.5).potential(world, 0) == 0.0


def test_the_open_space_potential_falls_to_zero_150_px_from_every_wall():
    world = World(seed=0)
    me, foe = world.ships
    foe.x, foe.y = 600.0, 300.0
    me.heading = 0.0
    shaping = RewardConfig(open_shaping=0.4)
    # hand-worked: 30 px from the left wall -> closeness 1 - 30/150 = 0.8, potential -0.32
    for x, y, closeness in [(30.0, 300.0, 0.8), (1200.0 - 75.0, 300.0, 0.5), (600.0, 15.0, 0.9),
                            (600.0, 600.0 - 150.0, 0.0), (600.0, 300.0, 0.0), (0.0, 0.0, 1.0)]:
        me.x, me.y = x, y
        me.heading = math.atan2(foe.y - y, foe.x - x)  # aimed at the foe: no aim term
        assert shaping.potential(world, 0) == pytest.approx(-0.4 * closeness, abs=1e-9), (x, y)
    foe.alive = False
    assert shaping.potential(world, 0) == 0.0  # like the other terms: only while both fly


def test_batch_potentials_and_aim_errors_are_those_of_each_slots_world():
    batch = BatchDuelEnv(3, rules=SHORT, rewards=RewardConfig(aim_shaping=0.3, dodge_shaping=0.1))
    batch.reset(seed=2)
    batch.worlds[1].ships[0].alive = False
    slots, players = np.array([0, 0, 1, 2]), np.array([0, 1, 0, 1])
    potentials, errors = batch.potentials(slots, players), batch.aim_errors(slots, players)
    assert potentials.dtype == np.float32 and np.isnan(errors[2]) and potentials[2] == 0.0
    for k, (slot, player) in enumerate(zip(slots, players)):
        world = batch.worlds[slot]
        expected = RewardConfig(aim_shaping=0.3, dodge_shaping=0.1).potential(world, player)
        assert potentials[k] == np.float32(expected)
        if k != 2:
            assert errors[k] == aim_error(world, player)


def test_scripted_opponents_by_name():
    assert set(BOT_NAMES) >= {"idle", "random", "aimbot", "rookie"}
    assert all(make_bot(name).name == name for name in BOT_NAMES)
    with pytest.raises(ValueError, match="unknown bot"):
        make_bot("nobody")


def test_a_batch_saved_mid_match_and_restored_plays_on_identically():
    def build():
        return BatchDuelEnv(3, rules=Rules(time_limit_s=3.0))  # 90 steps a match

    rng = np.random.default_rng(5)
    actions = rng.integers(0, 18, (150, 3, 2))
    original = build()
    original.set_controller(1, 1, make_bot("random"))  # random draws: its generator must be restored too
    original.set_controller(2, 0, make_bot("aimbot"))
    original.reset(seed=7)
    for t in range(40):
        original.step(actions[t])
    original.set_controller(0, 1, make_bot("rookie"))  # pending: takes over at slot 0's next match
    saved = original.state_dict()
    restored = build()
    restored.load_state_dict(saved)
    assert saved["controllers"] == [[None, None], [None, "random"], ["aimbot", None]]
    assert saved["pending"] == [[0, 1, "rookie"]]
    ends = 0
    for t in range(40, 150):
        a, b = original.step(actions[t]), restored.step(actions[t])
        assert np.array_equal(a.observations, b.observations) and np.array_equal(a.rewards, b.rewards)
        assert a.infos["final_info"] == b.infos["final_info"]
        ends += len(a.infos["final_info"])
    assert ends >= 3
    assert [type(c) for c in restored.matches[0].controllers] == [type(None), type(make_bot("rookie"))]


def test_a_batch_refuses_to_save_a_controller_it_cannot_rebuild():
    batch = BatchDuelEnv(1, rules=SHORT)
    batch.set_controller(0, 1, lambda world, player: 0)
    with pytest.raises(ValueError, match="only scripted bots"):
        batch.state_dict()


def test_a_scripted_players_frames_are_not_drawn_and_the_agents_are_unchanged():
    """A bot reads the world, not pixels: its stack stays black, and the other player's frames
    are exactly what that player's own eyes (PlayerEyes) make of the same world."""
    from game.env import PlayerEyes

    env = BatchDuelEnv(2, copy=False)
    env.set_controller(0, 1, make_bot("aimbot"))
    env.reset(seed=3)
    eyes = PlayerEyes(ObservationConfig(), player=0)
    rng = np.random.default_rng(0)
    compared = 0
    for _ in range(120):
        world = env.matches[0].world
        assert np.array_equal(env.observations[0, 0], eyes.look(world))
        assert env.observations[0, 1].max() == 0  # the bot's frames: never drawn
        assert env.observations[1, 1].max() > 0  # no bot there: both players see
        compared += 1
        _, _, terminated, truncated, _ = env.step(rng.integers(0, 18, (2, 2)))
        if terminated[0] or truncated[0]:
            eyes.reset()
    assert compared == 120
