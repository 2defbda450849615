"""Gymnasium's and PettingZoo's own checkers on the adapters (the "rl" extra, which CI installs)."""

import warnings

import gymnasium
import numpy as np

from game.rules import Rules

SHORT = Rules(time_limit_s=8.0)


def test_gymnasium_env_checker_passes():
    from gymnasium.utils.env_checker import check_env

    from game.adapters import register_gymnasium

    env_id = register_gymnasium()
    env = gymnasium.make(env_id, opponent="random", rules=SHORT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any complaint of the checker fails the test
        check_env(env.unwrapped, skip_render_check=False)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    env.close()


def test_gymnasium_rollout_with_seed_is_reproducible():
    from game.adapters import register_gymnasium

    def rollout():
        env = gymnasium.make(register_gymnasium(), opponent="aimbot", rules=SHORT)
        obs, _ = env.reset(seed=9)
        out = [obs]
        for t in range(40):
            obs, r, term, trunc, _ = env.step(t % 18)
            out += [obs, r]
            if term or trunc:
                obs, _ = env.reset()
        return out

    a, b = rollout(), rollout()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_pettingzoo_parallel_api_and_seed_tests_pass():
    from pettingzoo.test import parallel_api_test, parallel_seed_test

    from game.adapters import parallel_env

    parallel_api_test(parallel_env(rules=SHORT), num_cycles=300)
    parallel_seed_test(lambda: parallel_env(rules=SHORT), num_cycles=200)
