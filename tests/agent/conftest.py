"""Fixtures for the save and management tests: tiny agent files, and the CLI run as a user runs it."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from agent import saves
from agentfiles import tiny_metadata, tiny_params


@pytest.fixture
def make_agent(tmp_path):
    """make_agent(name, folder=tmp_path/"saves", seed=0, **metadata changes) -> path of agent.npz."""

    def make(name: str = "tiny", folder: Path | None = None, seed: int = 0, **changes) -> Path:
        path = (folder or tmp_path / "saves") / name / saves.AGENT_FILE
        saves.save_agent(path, tiny_params(seed), tiny_metadata(name, **changes))
        return path

    return make


@pytest.fixture
def cli(tmp_path):
    """cli(*args) runs ``python main.py agents *args --saves tmp_path/saves`` and returns the result."""
    import main

    runner = CliRunner()

    def run(*args: str, saves_dir: Path | None = None, input: str | None = None):
        folder = saves_dir or tmp_path / "saves"
        return runner.invoke(main.cli, ["agents", *args, "--saves", str(folder)], input=input)

    return run
