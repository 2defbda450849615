"""`bench train`'s profile attributes the time it measured, once and in the right places."""

from dataclasses import replace

import pytest

from benchmarks.act import acting_batch
from benchmarks.train import PARTS, UPDATE_PARTS, run_train_bench


@pytest.fixture(scope="module")
def result():
    return run_train_bench(seconds=1.0, updates=1)


def test_the_profile_accounts_for_the_wall_time_without_counting_twice(result):
    profile = result["profile"]
    seconds = profile["seconds"]
    top = [label for label, _, _ in PARTS]
    assert all(seconds[label] > 0 for label in top)  # every part of the loop was found and timed
    assert sum(seconds[label] for label in top) <= profile["wall_s"] * 1.001
    assert sum(profile["share"][label] for label in top) + profile["share"]["other (buffers, league, shaping, ...)"] \
        == pytest.approx(1.0)


def test_the_update_is_split_into_its_own_parts(result):
    seconds = result["profile"]["seconds"]
    inside = [seconds[label] for label, _, _ in UPDATE_PARTS]
    assert seconds["  forward"] > 0 and seconds["  backward"] > 0 and seconds["  optimizer (Adam)"] > 0
    assert sum(inside) <= seconds["PPO update"] * 1.001  # forward to act is not counted in the update
    assert result["samples_per_s"] > 0 and result["profile"]["samples"] == 2560


def test_the_run_reports_how_many_cores_it_kept_busy(result):
    import os

    assert result["workers"] >= 1
    assert 0 < result["cores_busy"] <= (os.cpu_count() or 1) + 0.5  # CPU time over wall time
    assert result["acting"]["batch"] == acting_batch() and result["acting"]["ms"]["numpy forward"] > 0


def test_the_acting_batch_is_a_workers_share_of_the_streams():
    from agent.trainer import TrainConfig

    config = TrainConfig(num_matches=16, self_play_matches=4)  # 8 + 12 = 20 streams
    assert acting_batch(replace(config, workers=1)) == 20
    assert acting_batch(replace(config, workers=2)) == 10
    assert acting_batch(replace(config, workers=3)) == 7  # 7 + 7 + 6


def test_the_probe_measures_a_revision_and_a_bad_revision_is_one_sentence(tmp_path):
    from pathlib import Path

    from benchmarks.train import ROOT, CompareError, _probe, compare_revisions

    measured = _probe(Path(ROOT), seconds=1.0, workers=1)
    assert measured["samples"] > 0 and measured["workers"] == 1 and measured["shape"] == [4, 48, 92]
    assert _probe(Path(ROOT), seconds=1.0, workers=1, margin=0)["shape"] == [4, 44, 88]
    assert measured["cpu_s"] > 0 and measured["samples_per_s"] == measured["samples"] / measured["wall_s"]
    with pytest.raises(CompareError, match=r"^cannot check out revision 'no-such-revision' \(.+\)$"):
        compare_revisions("no-such-revision", seconds=1.0, rounds=1)


def test_each_worker_says_where_its_update_went(result):
    per_worker = result["per_worker"]
    assert len(per_worker) == result["workers"] and result["updates"] >= 1
    for times in per_worker:
        assert times["act_s"] + times["env_s"] <= times["rollout_s"]  # playing = acting + matches + bookkeeping
        if result["workers"] > 1:
            assert 0 <= times["wait_s"] <= times["learn_s"]  # the barrier wait is part of the learning
