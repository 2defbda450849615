"""Bad values refused before anything runs: seeds, match counts, picture names, users' controllers."""

import textwrap

import click
import pytest
from click.testing import CliRunner

from cli import cli
from cli.evaluate import MAX_MATCHES
from cliresults import assert_one_line_error


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("ASTEROIDS_DUEL_SAVES", str(tmp_path / "saves"))
    return lambda *args: CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("args", [
    ("--seed", "-1"),  # the menu
    ("play", "--p1", "random", "--p2", "idle", "--quit-after", "2", "--seed", "-1"),
    ("eval", "random", "idle", "--matches", "1", "--seed", "-1"),
    ("train", "--name", "x", "--steps", "8", "--seed", "-1"),
    ("watch", "--name", "x", "--steps", "8", "--seed", "-1"),
    ("bench", "adapt", "--seed", "-1"),
])
def test_negative_seeds_are_refused_as_a_bad_option(run, args, tmp_path):
    result = run(*args)
    assert_one_line_error(result, "'--seed'", "-1 is not in the range x>=0", exit_code=2)
    assert not (tmp_path / "saves").exists()


def test_seed_zero_is_a_seed(run):
    assert run("eval", "random", "idle", "--matches", "1", "--seed", "0").exit_code == 0


def test_eval_matches_have_an_upper_bound_stated_in_the_help(run):
    assert_one_line_error(run("eval", "random", "idle", "--matches", str(MAX_MATCHES + 1)), "'--matches'",
                          exit_code=2)
    help_text = " ".join(run("eval", "--help").output.split())
    assert f"at most {MAX_MATCHES:,}" in help_text and f"1<=x<={MAX_MATCHES}" in help_text


def numbers_of(*path: str):
    command = cli
    for name in path:
        command = command.get_command(click.Context(command), name)
    return [p for p in command.params if isinstance(p.type, (click.IntRange, click.FloatRange))]


@pytest.mark.parametrize("path", [("eval",), ("bench", "game"), ("bench", "env"), ("bench", "adapt"),
                                  ("bench", "train"), ("bench", "watch")])
def test_every_count_of_eval_and_bench_has_an_upper_bound_stated_in_the_help(run, path):
    help_text = " ".join(run(*path, "--help").output.split())
    for param in numbers_of(*path):
        if param.name == "seed":
            continue  # any seed from 0 up is a seed
        assert param.type.max is not None, param.name
        assert f"<={param.type.max}]" in help_text or f"<={param.type.max};" in help_text, param.name
        over = param.type.max + 1 if isinstance(param.type, click.IntRange) else param.type.max * 2
        assert_one_line_error(run(*path, param.opts[0], str(over)), f"'{param.opts[0]}'", exit_code=2)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("path, option", [(("bench", "game"), "--seconds"), (("bench", "env"), "--seconds"),
                                          (("bench", "train"), "--seconds"), (("bench", "watch"), "--minutes")])
def test_times_that_are_not_finite_numbers_are_refused(run, path, option, value):
    assert_one_line_error(run(*path, option, value), f"'{option}'", exit_code=2)


@pytest.mark.parametrize("args", [
    ("play", "--p1", "random", "--p2", "idle", "--quit-after", "2", "--screenshot", "{dir}/shot.txt"),
    ("play", "--p1", "random", "--p2", "idle", "--quit-after", "2", "--screenshot", "{dir}/shot"),
    ("bench", "watch", "--screenshot", "{dir}/window.tga"),
    ("agents", "report", "champion", "--out", "{dir}/report.jpg"),
])
def test_pictures_must_be_named_png(run, args, tmp_path):
    result = run(*(a.format(dir=tmp_path) for a in args))
    assert_one_line_error(result, "must end in .png")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # refused before anything was written


@pytest.mark.parametrize("args", [
    ("play", "--p1", "random", "--p2", "idle", "--quit-after", "2", "--screenshot", "{dir}/missing/shot.png"),
    ("play", "--p1", "random", "--p2", "idle", "--quit-after", "2", "--screenshot", "{dir}/file/shot.png"),
    ("bench", "watch", "--screenshot", "{dir}/missing/window.png"),
    ("agents", "report", "champion", "--out", "{dir}/file/report.png"),
])
def test_pictures_are_refused_before_anything_runs_when_their_folder_cannot_take_them(run, args, tmp_path):
    (tmp_path / "file").write_text("a regular file, not a folder")
    result = run(*(a.format(dir=tmp_path) for a in args))
    assert_one_line_error(result, "is not a folder that can be written to", exit_code=1)
    assert len(result.output.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_png_screenshot_in_capitals_is_written(run, tmp_path):
    shot = tmp_path / "SHOT.PNG"
    result = run("play", "--p1", "aimbot", "--p2", "random", "--seed", "7", "--mute", "--quit-after", "20",
                 "--screenshot", str(shot))
    assert result.exit_code == 0, result.output
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_play_frames_still_quits_after_n_frames_and_says_its_new_name(run, tmp_path):
    result = run("play", "--p1", "random", "--p2", "idle", "--frames", "5", "--screenshot", str(tmp_path / "a.png"))
    assert result.exit_code == 0, result.output
    assert "--quit-after" in result.output and (tmp_path / "a.png").exists()
    assert "--frames" not in run("play", "--help").output  # hidden: only --quit-after is offered


def test_a_resumed_run_refuses_a_setting_even_when_it_equals_the_default(run):
    # --seed 1 is TrainConfig's default: still given, so still refused (given options, not changed values)
    result = run("train", "--name", "x", "--steps", "8", "--resume", "--seed", "1")
    assert_one_line_error(result, "leave out --seed", exit_code=2)


USER_MODULE = '''
class BadInit:
    def __init__(self):
        raise RuntimeError("no fuel")

    def reset(self, seed=None):
        pass

    def act(self, world, player):
        return 0


class BadReset(BadInit):
    def __init__(self):
        pass

    def reset(self, seed=None):
        raise KeyError("seed")


class BadAct(BadInit):
    def __init__(self):
        pass

    def act(self, world, player):
        return 1 // 0


def bad_function(world, player):
    return world.nothing_here
'''


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    folder = tmp_path / "user_code"
    folder.mkdir()
    (folder / "pilots.py").write_text(textwrap.dedent(USER_MODULE))
    (folder / "broken_pilots.py").write_text("speed = 1 / 0  # the module's own code fails as it is imported\n")
    monkeypatch.syspath_prepend(str(folder))
    return "pilots"


@pytest.mark.parametrize("spec, fragments", [
    ("pilots:BadInit", ("controller 'pilots:BadInit' could not be built", "RuntimeError: no fuel")),
    ("pilots:BadReset", ("controller 'pilots:BadReset' failed in reset(seed)", "KeyError: 'seed'")),
    ("pilots:BadAct", ("controller 'pilots:BadAct' failed in act(world, player)", "ZeroDivisionError")),
    ("pilots:bad_function", ("controller 'pilots:bad_function' failed in act(world, player)", "AttributeError")),
    ("broken_pilots:Pilot", ("cannot import module 'broken_pilots'", "ZeroDivisionError: division by zero")),
    ("os:system", ("controller 'os:system' failed in act(world, player)", "TypeError")),
])
@pytest.mark.parametrize("command", ["eval", "play"])
def test_a_users_controller_that_raises_is_named_in_one_line(run, user_module, spec, fragments, command):
    if command == "eval":
        result = run("eval", spec, "idle", "--matches", "1")
    else:
        result = run("play", "--p1", spec, "--p2", "idle", "--quit-after", "200")  # past the countdown
    assert_one_line_error(result, *fragments, exit_code=1)
