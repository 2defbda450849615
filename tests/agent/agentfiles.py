"""Small agent files for the save and management tests, and what a clean CLI failure looks like."""

from dataclasses import asdict

import numpy as np

from agent.policy import ActorCritic, NetworkConfig
from game.env import ObservationConfig

TINY_OBS = ObservationConfig(width=32, height=16, frames=2, ego_view=False, margin=0)
TINY_NET = NetworkConfig(channels=(4,), kernel_sizes=(4,), strides=(2,), hidden=8)


def tiny_metadata(name: str = "tiny", **changes) -> dict:
    """The metadata a training session writes, for a tiny network, with ``changes`` applied."""
    meta = {
        "name": name, "created": "2026-11-20T08:00:00+00:00", "saved": "2026-11-20T09:00:00+00:00",
        "parent": None, "network": TINY_NET.to_dict(), "observation": asdict(TINY_OBS),
        "training": {"steps": 1000, "updates": 2, "seconds": 90.0, "matches": 3, "config": {"seed": 1}},
        "elo": 1000.0, "league": [], "evaluation": {"random": 0.5, "aimbot": 0.0}, "history": [],
    }
    meta.update(changes)
    return meta


def tiny_params(seed: int = 0, obs: ObservationConfig = TINY_OBS, net: NetworkConfig = TINY_NET) -> dict:
    return ActorCritic(obs.shape, net, rng=np.random.default_rng(seed)).get_params()


def assert_one_sentence_error(result, *fragments: str) -> None:
    """A clean failure: non-zero exit, 'Error: <one line>', no traceback, mentioning ``fragments``."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not an uncaught exception
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
