"""The commands of `cli.LAZY_COMMANDS` are imported only when used, and still all there."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from cli import LAZY_COMMANDS, main


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_every_lazy_command_is_the_click_command_of_its_name(name: str) -> None:
    command = main.get_command(click.Context(main), name)
    assert isinstance(command, click.Command)
    assert command.name == name


def test_the_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line}
    assert set(LAZY_COMMANDS) <= listed
    assert {"validate", "check", "export", "template"} <= listed


def test_importing_the_cli_does_not_import_the_commands() -> None:
    code = "import sys, cli; print(sorted(m for m in sys.modules if m.startswith('commands.')))"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "['commands.common']"
