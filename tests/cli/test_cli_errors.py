"""cli/errors.py: every kind of error a user can cause ends in one line and a non-zero exit.

First on a throwaway group built with the same class as the real one (each kind raised as it is),
then on the real commands, provoking each kind the way a user would.
"""

import click
import pygame
import pytest
from click.testing import CliRunner

from agent.saves import SaveError
from cli import cli
from cli.errors import TranslatingGroup, option_names
from cliresults import assert_one_line_error
from game.controllers import ControllerError


def group_raising(error: BaseException) -> click.Group:
    @click.group(cls=TranslatingGroup)
    def top() -> None:
        pass

    @top.command()
    def go() -> None:
        raise error

    return top


@pytest.mark.parametrize("error, expected, exit_code", [
    (SaveError("no agent named 'x' in saves"), "Error: no agent named 'x' in saves", 1),
    (ControllerError("controller 'm:f' failed in act(world, player): KeyError: 3"),
     "Error: controller 'm:f' failed in act(world, player): KeyError: 3", 1),
    (PermissionError(13, "Permission denied", "/locked/agent.npz"), "Error: cannot use /locked/agent.npz (Permission denied)", 1),
    (FileNotFoundError(2, "No such file or directory", "/gone"), "Error: cannot use /gone (No such file or directory)", 1),
    (OSError(28, "No space left on device"), "Error: No space left on device", 1),
    (ValueError("self_play_matches must be between 0 and num_matches"),
     "Error: self_play_matches must be between 0 and num_matches", 2),
    (pygame.error("No available video device"),
     "Error: cannot open the game window (No available video device); is a display available?", 1),
    (pygame.error("Couldn't open shot.png"), "Error: pygame failed: Couldn't open shot.png", 1),
])
def test_each_kind_of_error_becomes_exactly_one_line(error, expected, exit_code):
    result = CliRunner().invoke(group_raising(error), ["go"])
    assert result.exit_code == exit_code
    assert isinstance(result.exception, SystemExit)
    assert result.output.splitlines() == [expected]


def test_a_bug_keeps_its_traceback():
    result = CliRunner().invoke(group_raising(RuntimeError("a bug")), ["go"])
    assert isinstance(result.exception, RuntimeError)  # not turned into a sentence that hides it


def test_click_s_own_exits_pass_through():
    assert CliRunner().invoke(group_raising(click.exceptions.Exit(3)), ["go"]).exit_code == 3
    aborted = CliRunner().invoke(group_raising(click.Abort()), ["go"])
    assert aborted.exit_code == 1 and "Aborted!" in aborted.output


@pytest.fixture
def blocked(tmp_path):
    """A path whose parent is a file: nothing can be created under it (even by root)."""
    file = tmp_path / "a-file"
    file.write_text("not a folder")
    return file / "below"


@pytest.mark.parametrize("args, fragments, exit_code", [
    (("agents", "show", "nobody"), ("no agent named 'nobody'",), 1),  # SaveError
    (("train", "--name", "x", "--steps", "8", "--from", "nobody"), ("no agent named 'nobody'",), 1),  # SaveError
    (("eval", "nobody", "random"), ("unknown controller 'nobody'",), 1),  # ControllerError
    (("eval", "os:system", "aimbot", "--matches", "1"),  # ControllerError raised while it plays
     ("controller 'os:system' failed in act(world, player): TypeError",), 1),
    (("train", "--name", "x", "--steps", "8", "--num-matches", "2", "--self-play-matches", "3"),
     ("--self-play-matches must be between 0 and --num-matches, 2 (got 3)",), 2),  # ValueError from TrainConfig
    (("train", "--name", "small", "--steps", "8", "--frame-height", "16", "--frame-margin", "0"), (), 2),  # ValueError: frames too small
])
def test_real_commands_turn_each_kind_into_one_line(args, fragments, exit_code, tmp_path):
    result = CliRunner().invoke(cli, [*args, "--saves", str(tmp_path / "saves")])
    assert_one_line_error(result, *fragments, exit_code=exit_code)


@pytest.mark.parametrize("command", ["train", "watch"])
@pytest.mark.parametrize("option, value, expected", [
    ("--num-minibatches", "0", "Error: --num-minibatches must be between 1 and 4096 (got 0)"),
    ("--gamma", "5", "Error: --gamma must be between 0 and 1 (got 5.0)"),
    ("--match-time-limit-s", "0.5", "Error: --match-time-limit-s must be between 1 and 3600 (got 0.5)"),
    ("--league-bots", "", "Error: --league-bots must name at least one opponent while some matches are against "
                          "the league (--self-play-matches < --num-matches)"),
])
def test_a_setting_out_of_its_range_is_named_by_its_option(command, option, value, expected, tmp_path):
    result = CliRunner().invoke(cli, [command, "--name", "x", "--steps", "8", option, value,
                                      "--saves", str(tmp_path / "saves")])
    assert_one_line_error(result, exit_code=2)
    assert result.output.splitlines()[-1] == expected
    assert not (tmp_path / "saves").exists()


def test_option_names_replace_only_the_command_s_own_parameter_names():
    @click.command()
    @click.option("--num-matches", type=int)
    @click.option("--seed", type=int)
    @click.option("--saves", "saves_dir")
    def command(**options) -> None:
        pass

    assert option_names("num_matches must be at least 1 (got 0)", command) == "--num-matches must be at least 1 (got 0)"
    assert option_names("seed must be at least 0", command) == "--seed must be at least 0"
    # later in the sentence only snake_case names: a plain word there is English
    assert option_names("x needs a seed below num_matches", command) == "x needs a seed below --num-matches"
    assert option_names("saves_dir is gone", command) == "--saves is gone"
    assert option_names("gamma must be between 0 and 1", command) == "gamma must be between 0 and 1"
    assert option_names("num_matches_total is 3", command) == "num_matches_total is 3"  # whole names only


def test_files_that_cannot_be_written_are_one_line(blocked, tmp_path):
    # OSError (NotADirectoryError) from the saves folder, from the observations folder, from a report
    result = CliRunner().invoke(cli, ["train", "--name", "t", "--steps", "8", "--saves", str(blocked)])
    assert_one_line_error(result, f"cannot use {blocked}", "Not a directory", exit_code=1)
    result = CliRunner().invoke(cli, ["play", "--p1", "random", "--p2", "idle", "--quit-after", "2",
                                      "--save-observations", str(blocked), "--saves", str(tmp_path)])
    assert_one_line_error(result, f"cannot use {blocked}", exit_code=1)
    assert not blocked.parent.is_dir()
