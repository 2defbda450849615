"""Training on several cores: the gradient average, the deal of matches, a pool's exact resume."""

import threading
from dataclasses import replace

import numpy as np
import pytest

from agent.session import TrainingSession
from agent.trainer import Trainer, TrainConfig
from agent.workers import STAT_SLOTS, GradientAverager, WorkerPool, make_trainer, shard_configs, worker_count
from tests.agent.test_trainer import TINY, TINY_NET, TINY_OBS


def test_the_average_of_the_workers_gradients_is_their_sample_weighted_mean():
    """Three workers (threads here) with minibatches of 5, 3 and 2 samples: every one ends with
    the gradient of the union of the minibatches, bit for bit the same, and the mean statistics."""
    rng = np.random.default_rng(0)
    sizes = [5, 3, 2]
    shapes = {"w": (4, 3), "b": (3,)}
    grads = [{k: rng.normal(size=s).astype(np.float32) for k, s in shapes.items()} for _ in sizes]
    stats = [{"approx_kl": float(i + 1), "loss": 10.0 * i} for i in range(len(sizes))]
    expected = {k: sum(n * g[k] for n, g in zip(sizes, grads)) / sum(sizes) for k in shapes}
    expected_kl = sum(n * s["approx_kl"] for n, s in zip(sizes, stats)) / sum(sizes)
    parameters = sum(int(np.prod(s)) for s in shapes.values())
    shared = bytearray(4 * 2 * len(sizes) * (parameters + STAT_SLOTS))
    barrier = threading.Barrier(len(sizes))
    averagers = [GradientAverager(shared, w, len(sizes), n / sum(sizes), barrier) for w, n in enumerate(sizes)]

    def work(w: int) -> None:
        for _ in range(3):  # the same step thrice: both halves of the shared array, and back
            own = {k: v.copy() for k, v in grads[w].items()}
            own_stats = dict(stats[w])
            averagers[w](own, own_stats)
            results[w].append((own, own_stats))

    results: list[list] = [[] for _ in sizes]
    threads = [threading.Thread(target=work, args=(w,)) for w in range(len(sizes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for w in range(len(sizes)):
        for own, own_stats in results[w]:
            for k in shapes:
                np.testing.assert_allclose(own[k], expected[k], rtol=1e-5, atol=1e-6)
                assert np.array_equal(own[k], results[0][0][0][k])  # the same bits everywhere
            assert own_stats["approx_kl"] == pytest.approx(expected_kl, rel=1e-6)


@pytest.mark.parametrize("matches, self_play, count", [(16, 4, 2), (16, 4, 3), (16, 4, 8), (5, 5, 2), (7, 0, 7)])
def test_matches_are_dealt_whole_with_even_streams(matches, self_play, count):
    config = replace(TrainConfig(), num_matches=matches, self_play_matches=self_play)
    shards = shard_configs(config, count)
    assert sum(s.num_matches for s in shards) == matches
    assert sum(s.self_play_matches for s in shards) == self_play
    assert all(s.num_matches >= 1 and s.workers == 1 and not s.learner_process for s in shards)
    streams = [s.num_streams for s in shards]
    assert sum(streams) == config.num_streams
    assert max(streams) - min(streams) <= 2  # a self-play match is two streams, dealt whole
    assert len({s.seed for s in shards}) == count  # each worker draws its own random numbers


def test_the_default_is_one_worker_per_core_within_limits():
    config = TrainConfig()
    assert worker_count(config, cores=2) == 2
    assert worker_count(config, cores=1) == 1
    assert worker_count(config, cores=64) == 8
    assert worker_count(replace(config, workers=3), cores=1) == 3
    assert worker_count(replace(config, num_matches=2, self_play_matches=0, workers=5)) == 2
    # a worker's rollout must hold a sample per minibatch: 8 matches x 2 steps, 8 minibatches
    small = replace(config, num_matches=8, self_play_matches=0, num_steps=2, num_minibatches=8, workers=8)
    assert worker_count(small) == 2 and all(s.batch_size >= 8 for s in shard_configs(small, 2))
    assert isinstance(make_trainer(replace(TINY, workers=1), TINY_OBS, TINY_NET), Trainer)


POOL = replace(TINY, workers=2)


def weights(run) -> dict:
    return {k: v.copy() for k, v in run.policy.params().items()}


def test_a_pool_learns_and_resumes_exactly(tmp_path):
    """Two workers: a run stopped after two updates and resumed from its checkpoint ends with the
    same weights and league as one that never stopped; learning changed the weights."""
    straight = TrainingSession.create("straight", POOL, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    assert isinstance(straight.trainer, WorkerPool)
    first = weights(straight.trainer)
    straight.run(steps=2 * POOL.batch_size, handle_sigint=False)
    straight.run(steps=2 * POOL.batch_size, handle_sigint=False)

    halves = TrainingSession.create("halves", POOL, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    halves.run(steps=2 * POOL.batch_size, handle_sigint=False)
    del halves
    resumed = TrainingSession.resume("halves", saves_dir=tmp_path)
    assert isinstance(resumed.trainer, WorkerPool) and resumed.trainer.count == 2
    resumed.run(steps=2 * POOL.batch_size, handle_sigint=False)

    a, b = weights(straight.trainer), weights(resumed.trainer)
    assert straight.trainer.update == resumed.trainer.update >= 2
    assert straight.trainer.global_step == resumed.trainer.global_step >= 4 * POOL.batch_size
    for key in a:
        assert np.array_equal(a[key], b[key]), key
        assert not np.array_equal(a[key], first[key]), key
    assert straight.trainer.league.state_dict() == resumed.trainer.league.state_dict()


def test_the_workers_keep_the_same_weights():
    """After updates, every worker's network is the one the pool holds (to the bit)."""
    pool = WorkerPool(POOL, TINY_OBS, TINY_NET)
    try:
        pool.train_one_update(0.0)
        pool.train_one_update(0.5)
        states = pool._worker_states()
    finally:
        pool.close(abandon=True)
    for _, arrays in states:
        for key, value in pool.policy.params().items():
            assert np.array_equal(arrays[f"param/{key}"], value), key


def test_an_evaluation_shared_by_the_workers_counts_what_one_process_would():
    """Each worker plays the matches numbered its index modulo the workers, with their own seeds
    and sides; the parts add up to the whole series played in one process."""
    from agent.trainer import evaluate_policy, evaluation, summarize_evaluation, evaluation_part

    pool = WorkerPool(POOL, TINY_OBS, TINY_NET)
    try:
        pool.train_one_update(0.0)
        shared = pool.evaluate(matches=5)
    finally:
        pool.close(abandon=True)
    alone = evaluation(pool.policy, TINY_OBS, 5, rules=pool.rules)
    assert shared == pytest.approx(alone)
    assert pool.history[-1]["step"] == pool.global_step
    # the parts of one series, by hand: three parts of seven matches, one of them holding none
    whole = evaluate_policy(pool.policy, TINY_OBS, "random", 7, 11, rules=pool.rules)
    parts = [evaluate_policy(pool.policy, TINY_OBS, "random", 7, 11, rules=pool.rules, part=(i, 3)) for i in range(3)]
    for key in ("wins", "draws", "losses", "kills", "deaths", "shots"):
        assert sum(p[key] for p in parts) == whole[key], key
    empty = evaluate_policy(pool.policy, TINY_OBS, "random", 2, 11, part=(2, 3))
    assert empty["wins"] + empty["draws"] + empty["losses"] == 0
    assert summarize_evaluation([evaluation_part(pool.policy, TINY_OBS, 4, part=(w, 2), rules=pool.rules)
                                 for w in range(2)]) == pytest.approx(evaluation(pool.policy, TINY_OBS, 4,
                                                                                 rules=pool.rules))
