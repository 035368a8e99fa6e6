"""The command line on bad input: exit code 2 and a message, never a traceback; and the commands
that write instances (template, convert) produce files that load back into the same region."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from instance_factory import (
    ADJACENCY,
    MUNICIPALITIES,
    REGION,
    read_table,
    small_region,
    toml_line,
    write_instance,
    write_table,
)

from cli import main
from models.loader import load_instance
from models.workbook import write_workbook

PROJECT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m cli ARGS`` from the project directory, as a user would run it."""
    env = {k: v for k, v in os.environ.items() if k != "FAIRSHARE_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


# --- bad inputs -------------------------------------------------------------------------------


def broken_csv(tmp_path: Path) -> tuple[Path, str]:
    """An unquoted comma in a name: row 2 has one cell more than the header."""
    directory = write_instance(tmp_path / "inst")
    lines = (directory / MUNICIPALITIES).read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("GM0518,'s-Gravenhage,")
    lines[1] = lines[1].replace("'s-Gravenhage", "'s-Gravenhage, Den Haag")
    (directory / MUNICIPALITIES).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory, "municipalities.csv, row 2: the row has 21 cells but the header has 20"


def bad_toml(tmp_path: Path) -> tuple[Path, str]:
    directory = write_instance(tmp_path / "inst")
    line = toml_line(directory, r"new_homes = ")
    text = (directory / REGION).read_text(encoding="utf-8")
    (directory / REGION).write_text(text.replace("new_homes = 10000", "new_homes = 10.000 homes"))
    return directory, f"region.toml, line {line}: not valid TOML"


def toml_not_utf8(tmp_path: Path) -> tuple[Path, str]:
    directory = write_instance(tmp_path / "inst")
    text = (directory / REGION).read_text(encoding="utf-8").replace("Example", "Súdwest")
    (directory / REGION).write_bytes(text.encode("cp1252"))
    return directory, "region.toml: not UTF-8 text"


def nonexistent(tmp_path: Path) -> tuple[Path, str]:
    return tmp_path / "no-such-instance", "no such instance"


def xlsx_missing_sheet(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "inst.xlsx"
    write_workbook(small_region(), path)
    workbook = openpyxl.load_workbook(path)
    del workbook["settings"]
    workbook.save(path)
    return path, "inst.xlsx [sheet settings]: the sheet 'settings' is missing"


def xlsx_not_a_workbook(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "inst.xlsx"
    path.write_text("code,name\nGM0518,'s-Gravenhage\n", encoding="utf-8")
    return path, "inst.xlsx: not a readable Excel workbook"


def no_region_toml(tmp_path: Path) -> tuple[Path, str]:
    directory = write_instance(tmp_path / "inst")
    (directory / REGION).unlink()
    return directory, "the instance has no settings file"


def garbage_municipalities(tmp_path: Path) -> tuple[Path, str]:
    directory = write_instance(tmp_path / "inst")
    # Not UTF-8, not cp1252 (0x81 and 0x8d are undefined there) and with NUL bytes.
    data = random.Random(7).randbytes(4000) + b"\x81\x8d\x00"
    (directory / MUNICIPALITIES).write_bytes(data)
    return directory, "municipalities.csv: the file is not a text (CSV) file"


def zip_as_municipalities(tmp_path: Path) -> tuple[Path, str]:
    directory = write_instance(tmp_path / "inst")
    write_workbook(small_region(), directory / MUNICIPALITIES)  # an .xlsx saved under .csv
    return directory, "municipalities.csv: the file is not a text (CSV) file"


BAD_INPUTS: list[Callable[[Path], tuple[Path, str]]] = [
    broken_csv,
    bad_toml,
    toml_not_utf8,
    nonexistent,
    xlsx_missing_sheet,
    xlsx_not_a_workbook,
    no_region_toml,
    garbage_municipalities,
    zip_as_municipalities,
]


@pytest.mark.parametrize("make", BAD_INPUTS, ids=[f.__name__ for f in BAD_INPUTS])
def test_bad_input_exits_2_without_traceback(
    tmp_path: Path, make: Callable[[Path], tuple[Path, str]]
) -> None:
    path, expected = make(tmp_path)
    result = run_cli("validate", str(path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert "problem(s) in the input" in result.stderr
    assert expected in result.stderr
    assert "Fix: " in result.stderr
    assert result.stdout == ""


# --- template and convert ---------------------------------------------------------------------


def test_template_validates(tmp_path: Path) -> None:
    path = tmp_path / "X.xlsx"
    runner = CliRunner()
    written = runner.invoke(main, ["template", str(path)])
    assert written.exit_code == 0, written.output
    assert path.is_file()
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "Region Example region: valid" in result.stdout


def test_template_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "X.xlsx"
    path.write_bytes(b"my own work")
    runner = CliRunner()
    refused = runner.invoke(main, ["template", str(path)])
    assert refused.exit_code == 2
    assert "exists already" in refused.stderr
    assert "--force" in refused.stderr
    assert path.read_bytes() == b"my own work"
    forced = runner.invoke(main, ["template", str(path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert load_instance(path).region.name == "Example region"


def test_convert_to_workbook_and_back_gives_the_same_region(tmp_path: Path) -> None:
    source = write_instance(tmp_path / "source")
    original = load_instance(source).region
    workbook, back = tmp_path / "region.xlsx", tmp_path / "back"
    runner = CliRunner()
    result = runner.invoke(main, ["convert", str(source), str(workbook)])
    assert result.exit_code == 0, result.output
    assert load_instance(workbook).region == original
    result = runner.invoke(main, ["convert", str(workbook), str(back)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in back.iterdir()) == [ADJACENCY, MUNICIPALITIES, REGION]
    assert load_instance(back).region == original
    assert load_instance(back).region == small_region()


def test_convert_refuses_an_invalid_instance_and_writes_nothing(tmp_path: Path) -> None:
    source = write_instance(tmp_path / "source", cells={(3, "dwellings"): "veel"})
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(main, ["convert", str(source), str(out)])
    assert result.exit_code == 2
    assert "municipalities.csv, row 3, column 'dwellings'" in result.stderr
    assert not out.exists()


def test_loading_does_not_depend_on_row_order(tmp_path: Path) -> None:
    source = write_instance(tmp_path / "inst")
    original = load_instance(source).region
    shuffler = random.Random(2024)
    for name in (MUNICIPALITIES, ADJACENCY):
        header, rows = read_table(source / name)
        shuffled = rows[:]
        while shuffled == rows:
            shuffler.shuffle(shuffled)
        if name == ADJACENCY:  # each pair in the other order too
            shuffled = [[r[1], r[0], *r[2:]] for r in shuffled]
        write_table(source / name, header, shuffled)
        assert read_table(source / name)[1] != rows
    assert load_instance(source).region == original
