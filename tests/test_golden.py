"""Behaviour kept across refactorings: results recorded by ``tests/golden/record.py`` must not move.

The eval JSONs must be byte-identical; the weights after two seeded training updates must hash
the same; a saved agent must hold the same arrays and (at least) the same metadata, apart from
times of day and durations.

Re-recorded once, on purpose: the weights' hash after the first layer's weight gradient began
to sum over the non-blank cells only (``Conv2D`` method "blank", issue 14), which changes the
order of float additions and nothing else; with that method switched off the recorded hash was
reproduced, and the eval JSONs (greedy play through the same network) did not change at all.
"""

import json
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN))
import record  # noqa: E402


@pytest.mark.parametrize("name", sorted(record.EVALS))
def test_eval_json_is_unchanged(name):
    assert record.run_cli(record.EVALS[name]) == (GOLDEN / name).read_text()


def contains(expected, actual, where="metadata"):
    """Every key and value of ``expected`` is in ``actual`` (new keys are allowed)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} is missing"
            contains(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (e, a) in enumerate(zip(expected, actual)):
            contains(e, a, f"{where}[{i}]")
    else:
        assert expected == actual, f"{where}: {actual!r} != {expected!r}"


def test_two_training_updates_and_the_saved_agent_are_unchanged(tmp_path):
    golden = json.loads((GOLDEN / "training.json").read_text())
    now = json.loads(json.dumps(record.train_and_save(tmp_path)))
    assert now["weights_sha256"] == golden["weights_sha256"]
    assert now["saved_weights_sha256"] == golden["weights_sha256"]
    assert now["agent_file_members"] == golden["agent_file_members"]
    contains(golden["agent_metadata"], now["agent_metadata"])
