"""The help texts, and the two ways in: ``python main.py`` and the console script ``asteroids-duel``."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from cliresults import every_command

import main
from cli import COMMANDS, cli, program_name
from game.bots import BOTS, DESCRIPTIONS

ROOT = Path(__file__).resolve().parents[2]
# what pip writes as the console script (pip._internal.operations.install: the script template)
CONSOLE_SCRIPT = """import re
import sys
from {module} import {attr}
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit({attr}())
"""


def command(name: str) -> click.Command:
    return cli.get_command(click.Context(cli), name)


def test_main_py_is_the_package_s_command_line():
    assert main.cli is cli


@pytest.mark.parametrize("args", [[], ["play"], ["train"], ["bench", "adapt"], ["agents", "report"]])
def test_main_py_and_the_console_script_give_the_same_help(args, tmp_path):
    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["asteroids-duel"]
    module, attr = target.split(":")
    script = tmp_path / "asteroids-duel"
    script.write_text(CONSOLE_SCRIPT.format(module=module, attr=attr))
    env = {**os.environ, "COLUMNS": "80", "PYTHONPATH": str(ROOT)}  # this checkout, not an installed copy

    def help_of(*command: str) -> str:
        done = subprocess.run([*command, *args, "--help"], capture_output=True, text=True, env=env, cwd=ROOT,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    by_main = help_of(sys.executable, "main.py")
    by_script = help_of(sys.executable, str(script))
    assert by_main.startswith("Usage: python main.py") and by_script.startswith("Usage: asteroids-duel")
    assert by_script == by_main.replace("python main.py", "asteroids-duel")


def test_usage_lines_name_the_program_that_was_run():
    assert program_name("main.py") == "python main.py"
    assert program_name("/home/me/asteroids/main.py") == "python main.py"
    assert program_name("/home/me/.venv/bin/asteroids-duel") == "asteroids-duel"


def test_every_option_has_a_help_sentence():
    for path, command in every_command():
        for param in command.params:
            if isinstance(param, click.Option):
                text = param.help or ""
                where = f"{' '.join(path) or 'the top group'} {param.opts[0]}"
                assert text[:1].isupper() and text.endswith("."), f"{where}: {text!r}"


def test_the_command_lists_are_not_cut_off():
    for path, command in every_command():
        if isinstance(command, click.Group):
            result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=80)
            listed = result.output.split("Commands:")[1].splitlines()
            assert listed and not any(line.endswith("...") for line in listed), result.output


def test_every_command_explains_itself_with_its_program_name():
    for path, command in every_command():
        result = CliRunner().invoke(cli, [*path, "--help"], prog_name="python main.py")
        assert result.exit_code == 0 and result.output.startswith(f"Usage: python main.py {' '.join(path)}".rstrip())


def test_watch_takes_exactly_the_options_of_train_and_a_fullscreen_flag():
    train, watch = command("train"), command("watch")
    train_options = [p.opts for p in train.params]
    watch_options = [p.opts for p in watch.params]
    assert watch_options == train_options + [["--fullscreen"]]
    assert [p.help for p in watch.params if p.opts != ["--fullscreen"]] == [p.help for p in train.params]


def test_play_quit_after_and_train_frames_are_different_options():
    play = {o for p in command("play").params if not p.hidden for o in p.opts}
    train = {o for p in command("train").params for o in p.opts}
    assert "--quit-after" in play and "--frames" not in play and "--frames" in train


def test_the_list_of_commands_names_each_command_of_the_command_line():
    for name in COMMANDS:
        assert command(name).name == name  # the table points at the command it lists
    assert command("nothing") is None


def test_the_top_help_does_not_load_the_commands():
    code = ("import sys; sys.argv = ['main.py', '--help']; import main\n"
            "try:\n    main.main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('cli.', 'pygame', 'agent.trainer'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip().splitlines()[-1] == "['cli.errors', 'cli.options']"


def test_every_bot_has_a_description():
    assert set(DESCRIPTIONS) == set(BOTS)
