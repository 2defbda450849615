"""Every command and subcommand, fed bad values for every option and argument.

The commands are found by walking the click tree, so a new command or option is covered as soon
as it exists. Each parameter gets the values a user gets wrong (negative, zero, huge, wrong type,
empty, nan, paths that cannot be read or written, names of agents that do not exist, a flag given
a value, an option with its value missing), and for each case:

- whether the value is valid is derived from the parameter itself, independently of the command's
  code: the bounds of its click range, the range in the metadata of the settings field an option
  is made from (``TrainConfig``), whole or finite numbers, the choices of a choice, and for names
  and paths the role the parameter plays (an existing agent, a new name, a controller, a file to
  read, a file or folder to write);
- a refused value ends in a non-zero exit, exactly one line of error (the last line; click's usage
  lines before it are fine), no traceback and no exception escaping;
- a valid value runs to exit 0 where the command is cheap to run (eval of one match, play of two
  frames in the dummy window, agents list/show/export/report), and is only parsed where running
  would train, benchmark or open the menu;
- nothing in the saves folder changes: every command reads a temporary copy of saves/ (through
  ASTEROIDS_DUEL_SAVES), fingerprinted before and after each case; the project's saves/ is hashed
  before and after the whole module.

Training commands run with a budget of one sample of a tiny configuration, and only with values
that must be refused before training starts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from agent.saves import SAVES_ENV
from agent.trainer import TrainConfig
from cli import cli
from cliresults import every_command

ROOT = Path(__file__).resolve().parents[2]
PROJECT_SAVES = ROOT / "saves"

# a training run that is over after one sample: one match against the idle bot, no evaluation
TINY_TRAINING = {"steps": "1", "num_matches": "1", "self_play_matches": "0", "num_steps": "1",
                 "num_minibatches": "1", "learner_process": False, "eval_every": "0", "eval_matches": "1",
                 "league_bots": "idle"}


@dataclass(frozen=True)
class Recipe:
    """How a command is run in these cases: its good values (``{tmp}`` is the module's folder),
    whether a valid value may run it (``cheap``: fast and leaves saves/ as it is), the
    parameters that are its budget (a valid huge one would run for hours), whether a value
    refused only by the command itself (not by parsing) may be run to see it refused, and how
    many of each role's bad names to try."""

    good: dict = field(default_factory=dict)
    cheap: bool = False
    budget: tuple[str, ...] = ()
    run_refused: bool = True
    names_tried: int | None = None  # of each role's bad names, how many (None: all)


RECIPES = {
    (): Recipe(run_refused=False),  # the menu: a window that waits for a player
    ("eval",): Recipe({"a": "random", "b": "idle", "matches": "1"}, cheap=True, budget=("matches",)),
    ("play",): Recipe({"p1": "random", "p2": "idle", "quit_after": "2", "mute": True}, cheap=True,
                      budget=("quit_after", "old_quit_after")),
    ("train",): Recipe({"name": "bad-input-run", **TINY_TRAINING}, budget=("minutes", "steps")),
    # watch checks names in its training process, after its window opened (most of a second a
    # case): the first two of each role here, all of them with train (the same session code)
    ("watch",): Recipe({"name": "bad-input-run", **TINY_TRAINING}, budget=("minutes", "steps"), names_tried=2),
    ("agents", "list"): Recipe(cheap=True),
    ("agents", "show"): Recipe({"name": "champion"}, cheap=True),
    ("agents", "report"): Recipe({"name": "champion", "out": "{tmp}/report.png"}, cheap=True),
    ("agents", "export"): Recipe({"name": "champion", "file": "{tmp}/exported.npz", "force": True}, cheap=True),
    ("agents", "import"): Recipe({"file": "{tmp}/champion.npz", "name": "imported"}),
    ("agents", "rename"): Recipe({"old": "spare", "new": "renamed"}),
    ("agents", "delete"): Recipe({"name": "spare", "yes": True}),
    ("agents", "style"): Recipe({"name": "idle", "against": "idle", "matches": "1", "out": "{tmp}/style.png"},
                                cheap=True, budget=("matches",)),
    ("bench", "adapt"): Recipe({"matches": "2"}, run_refused=True),
    ("bench", "league"): Recipe({"contenders": "idle", "matches": "2"}, run_refused=True, budget=("matches",)),
    ("bench", "exploit"): Recipe({"name": "champion", "minutes": "0.1"}, run_refused=False),
    ("bench", "conv"): Recipe(run_refused=False),
    ("bench", "env"): Recipe(run_refused=False),
    ("bench", "game"): Recipe(run_refused=False),
    ("bench", "train"): Recipe(run_refused=False),
    ("bench", "watch"): Recipe(run_refused=False),
}
UNKNOWN_COMMAND = Recipe(run_refused=False)  # a new command: parsed only, until it has a recipe

# what the names and paths are for: (command path, parameter name) -> role
ROLES = {
    ("eval", "a"): "controller", ("eval", "b"): "controller",
    ("play", "p1"): "player", ("play", "p2"): "player",
    ("train", "name"): "new agent", ("watch", "name"): "new agent",
    ("train", "parent"): "agent", ("watch", "parent"): "agent",
    ("train", "league_bots"): "league", ("watch", "league_bots"): "league",
    ("agents", "show", "name"): "agent", ("agents", "report", "name"): "agent",
    ("agents", "export", "name"): "agent", ("agents", "delete", "name"): "agent",
    ("agents", "rename", "old"): "agent", ("agents", "rename", "new"): "new agent",
    ("agents", "import", "name"): "new agent", ("bench", "adapt", "agent_name"): "agent",
    ("agents", "import", "file"): "file to read", ("agents", "export", "file"): "file to write",
    ("agents", "report", "out"): "picture", ("play", "screenshot"): "picture", ("bench", "watch", "screenshot"): "picture",
    ("play", "observations_dir"): "folder to write",
}
# values that are wrong for every parameter of a role
BAD_NAMES = {
    "agent": ["nobody", "", "../champion", "a/b", "random", "human"],
    "new agent": ["", "../escaped", "a/b", ".", "random", "human", "champion"],
    "controller": ["nobody", "", "human", "no_such_module:Pilot", "os:no_such_attribute", "../champion"],
    "player": ["nobody", "", "no_such_module:Pilot", "os:no_such_attribute", "../champion"],  # human: the window's
    "league": ["nobody", "idle,nobody", "../champion"],
    "file to read": ["", "{tmp}/file.txt/sub", "{tmp}/missing.npz", "{tmp}/folder", "{tmp}/garbage.npz"],
    "file to write": ["", "{tmp}/file.txt/sub.npz", "{tmp}/folder"],
    "picture": ["", "{tmp}/file.txt/sub.png", "{tmp}/missing/shot.png", "{tmp}/shot.txt", "{tmp}/folder"],
    "folder to write": ["", "{tmp}/file.txt/sub", "{tmp}/file.txt"],
}
# values for which the role does not know (a folder of saved agents that is a file may just be empty)
ODD_PATHS = ["", "{tmp}/file.txt/sub", "{tmp}/file.txt", "{tmp}/missing"]
ODD_TEXTS = ["", "abc", "-1", "0", "1e12"]
INT_VALUES = ["-1", "0", "1000000000000", "1e12", "abc", "1.5", ""]
FLOAT_VALUES = ["-1", "0", "1e12", "abc", "nan", "inf", "-inf", ""]

SETTINGS = {f.name: f for f in dataclasses.fields(TrainConfig)}  # the options config_options makes

# (command, parameter, value) cases a known bug still lets through, marked strict xfail until fixed (none now)
KNOWN_ELSEWHERE: set[tuple[str, str, str]] = set()


def is_flag(param: click.Parameter) -> bool:
    return isinstance(param, click.Option) and (param.is_flag or param.count)


def number_param(command: click.Command, name: str) -> bool:
    kinds = (click.types.IntParamType, click.types.FloatParamType)
    return any(p.name == name and isinstance(p.type, kinds) and not is_flag(p) for p in command.params)


def number_valid(text: str, kind: str, param: click.Parameter) -> bool:
    """Whether ``text`` is a valid value of a number parameter: a whole number for an int, a finite
    one for a float, inside the click range's bounds or else the settings field's range."""
    try:
        value = int(text) if kind == "int" else float(text)
    except ValueError:
        return False
    if kind == "float" and not math.isfinite(value):
        return False
    low = high = None
    low_open = high_open = False
    if isinstance(param.type, (click.IntRange, click.FloatRange)):
        low, high = param.type.min, param.type.max
        low_open, high_open = param.type.min_open, param.type.max_open
    elif param.name in SETTINGS:
        low, high = SETTINGS[param.name].metadata.get("range", (None, None))
    if low is not None and (value < low or (low_open and value == low)):
        return False
    if high is not None and (value > high or (high_open and value == high)):
        return False
    return True


def bad_values(path: tuple[str, ...], param: click.Parameter) -> list[tuple[str | None, bool | None]]:
    """(value, valid) to try for ``param``: valid True or False when it can be derived, None when
    only the file system or the saved agents decide. A None value: the option given no value."""
    if is_flag(param):
        return [("abc", False), ("1", False)]  # given as --flag=VALUE: a flag takes none
    missing = [(None, False)] if isinstance(param, click.Option) else []
    role = ROLES.get((*path, param.name))
    if role is not None:
        names = BAD_NAMES[role][:RECIPES.get(path, UNKNOWN_COMMAND).names_tried]
        return missing + [(value, False) for value in names]
    kind = param.type
    if isinstance(kind, click.Choice):
        return missing + [(v, v in kind.choices) for v in ("abc", "", "-1", str(kind.choices[0]).upper())]
    if isinstance(kind, click.types.IntParamType):
        return missing + [(v, number_valid(v, "int", param)) for v in INT_VALUES]
    if isinstance(kind, click.types.FloatParamType):
        return missing + [(v, number_valid(v, "float", param)) for v in FLOAT_VALUES]
    if isinstance(kind, click.Path):
        return missing + [(v, None) for v in ODD_PATHS]
    return missing + [(v, None) for v in ODD_TEXTS]


@dataclass(frozen=True)
class Case:
    path: tuple[str, ...]
    param: str
    value: str | None
    valid: bool | None

    def __str__(self) -> str:
        return f"{' '.join(self.path) or 'menu'} {self.param}={self.value!r}"


def all_cases() -> list:
    cases = []
    for path, command in every_command():
        for param in command.params:
            if param.hidden if isinstance(param, click.Option) else False:
                continue
            for value, valid in bad_values(path, param):
                case = Case(path, param.name, value, valid)
                marks = []
                if (*path, param.name, value) in KNOWN_ELSEWHERE:
                    marks = [pytest.mark.xfail(strict=True, reason="accepted by a command another change owns (see KNOWN_ELSEWHERE)")]
                cases.append(pytest.param(case, id=str(case), marks=marks))
        if any(p.required for p in command.params):
            cases.append(pytest.param(Case(path, "", None, False), id=f"{' '.join(path)} missing required"))
    return cases


def command_at(path: tuple[str, ...]) -> click.Command:
    command = cli
    for name in path:
        command = command.get_command(click.Context(command), name)
    return command


def arguments(case: Case, tmp: Path) -> list[str]:
    """The command line of ``case``: the recipe's good values, ``case.param`` given ``case.value``
    (an option without its value goes last, so that nothing after it is taken as its value)."""
    recipe = RECIPES.get(case.path, UNKNOWN_COMMAND)
    options, positional, last = [], [], []
    for param in command_at(case.path).params:
        if param.name == case.param:
            value, is_argument = case.value, isinstance(param, click.Argument)
        elif not case.param and param.required:
            continue  # the case of the missing required parameter
        else:
            value, is_argument = recipe.good.get(param.name, "placeholder" if param.required else None), False
            is_argument = isinstance(param, click.Argument)
            if value is None:
                continue
            if isinstance(value, bool):
                options += [param.opts[0]] if value else param.secondary_opts[:1]
                continue
        value = None if value is None else value.format(tmp=tmp)
        if is_argument:
            positional.append(value)
        elif param.name == case.param and is_flag(param):
            options.append(f"{param.opts[0]}={value}")
        elif value is None:
            last.append(param.opts[0])
        else:
            options += [param.opts[0], value]
    return [*case.path, *options, *positional, *last]


def parses(path: tuple[str, ...], line: list[str]) -> bool:
    """Whether click accepts the command line ``line`` of the command at ``path`` (parsing and
    converting every value, the options' callbacks included), without running the command."""
    try:
        ctx = cli.make_context("asteroids-duel", [] if path else list(line))
        command = cli
        for name in path[:-1]:  # the groups on the way (they take no options of their own)
            command = command.get_command(ctx, name)
            ctx = click.Context(command, info_name=name, parent=ctx)
        if path:
            command.get_command(ctx, path[-1]).make_context(path[-1], list(line[len(path):]), parent=ctx)
    except click.ClickException:
        return False
    return True


def fingerprint(folder: Path, full: bool = False) -> dict:
    """Every file under ``folder``: its size and modification time, or its hash when ``full``."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if full:
        return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in files}


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """A folder with a copy of saves/ (plus a spare agent and an exported one) and files to point at."""
    tmp = tmp_path_factory.mktemp("bad-input")
    saves = tmp / "saves"
    shutil.copytree(PROJECT_SAVES, saves, ignore=shutil.ignore_patterns("training.npz"))
    shutil.copytree(saves / "champion", saves / "spare")
    (tmp / "file.txt").write_text("a regular file\n")
    (tmp / "folder").mkdir()
    (tmp / "garbage.npz").write_bytes(b"not an agent at all")
    runner = CliRunner(env={SAVES_ENV: str(saves)})
    exported = runner.invoke(cli, ["agents", "export", "champion", str(tmp / "champion.npz")])
    assert exported.exit_code == 0, exported.output
    shutil.copytree(saves, tmp / "pristine")
    project_before = fingerprint(PROJECT_SAVES, full=True)
    copy_before = fingerprint(saves, full=True)
    (tmp / "cwd").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp / "cwd")  # relative paths land here (and a command must not write here)
        yield tmp, saves, runner
    assert fingerprint(saves, full=True) == copy_before
    assert fingerprint(PROJECT_SAVES, full=True) == project_before  # the project's saves/ never touched


CASES = all_cases()


@pytest.mark.parametrize("case", CASES)
def test_a_bad_value_is_refused_in_one_line_and_a_valid_one_runs(case: Case, place):
    tmp, saves, runner = place
    line = arguments(case, tmp)
    recipe = RECIPES.get(case.path, UNKNOWN_COMMAND)
    parsed = parses(case.path, line)
    if parsed:
        if case.valid is False and number_param(command_at(case.path), case.param) and case.param not in SETTINGS:
            pytest.fail(f"{line} was accepted when parsed (its type is the only check of a number)")
        if case.valid is False and (not recipe.run_refused or case.param in recipe.budget):
            pytest.fail(f"{line} was accepted when parsed, and running it would not end soon")
        valid_run = case.valid is not False and recipe.cheap and case.param not in recipe.budget
        if case.valid is not False and not valid_run:
            return  # valid as far as parsing can tell; running it would train, benchmark or change saves/
    else:
        assert case.valid is not True, f"{line}: a valid value refused"
    before = fingerprint(saves)
    result = runner.invoke(cli, line)
    if fingerprint(saves) != before:
        shutil.rmtree(saves)
        shutil.copytree(tmp / "pristine", saves)  # so that the cases after this one start from the same saves
        pytest.fail(f"{line} changed the saves folder: {result.output}")
    written = sorted(p.name for p in Path.cwd().iterdir())
    if written:
        for p in Path.cwd().iterdir():
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        pytest.fail(f"{line} wrote {written} into the working folder: {result.output}")
    assert "Traceback" not in result.output, result.output
    assert isinstance(result.exception, (SystemExit, type(None))), f"{line}: {result.exception!r}"
    if case.valid is True:
        assert result.exit_code == 0, f"{line}: {result.output}"
        return
    if case.valid is None and result.exit_code == 0:
        return  # e.g. eval of two bots with --saves pointing at a file: no saved agent was needed
    assert result.exit_code != 0, f"{line} was accepted: {result.output}"
    lines = [text for text in result.output.splitlines() if text.strip()]
    errors = [text for text in lines if text.startswith("Error")]
    assert len(errors) == 1 and lines[-1] == errors[0], f"{line}: {result.output}"
    number_setting = case.param in SETTINGS and number_param(command_at(case.path), case.param)
    if parsed and number_setting and case.value is not None:
        # a number out of its setting's range, refused when the settings were built: named by its option
        option = next(p.opts[0] for p in command_at(case.path).params if p.name == case.param)
        assert result.exit_code == 2 and errors[0].startswith(f"Error: {option} must be"), errors[0]


def test_the_cases_cover_every_command_and_every_parameter():
    covered = {(c.values[0].path, c.values[0].param) for c in CASES}
    for path, command in every_command():
        for param in command.params:
            if not (isinstance(param, click.Option) and param.hidden):
                assert (path, param.name) in covered, (path, param.name)
    assert len(CASES) >= 500


def test_every_command_with_a_required_parameter_has_a_recipe():
    # a new command is parsed with placeholders until it gets a recipe (good values, how to run it)
    for path, command in every_command():
        if any(p.required for p in command.params):
            assert path in RECIPES, f"add a Recipe for {' '.join(path)}"

