"""What a clean failure of a command looks like, and every command to try, for the command-line tests."""

import click

from cli import cli


def every_command(group: click.Group = cli, path: tuple[str, ...] = ()):
    """(path, command) for the top group and every command and subcommand under it."""
    yield path, group
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from every_command(command, path + (name,))
        else:
            yield path + (name,), command



def assert_one_line_error(result, *fragments: str, exit_code: int | None = None) -> str:
    """A clean failure: non-zero exit, no traceback, one line of error naming ``fragments``."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # nothing escaped uncaught
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    if exit_code is not None:
        assert result.exit_code == exit_code
    return errors[0]
