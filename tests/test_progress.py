"""Progress of a solve: `solver.solve.solve` tells when the model is built and as each stage
begins and ends; ``fairshare solve`` shows those lines on standard error once the solve has run
`PROGRESS_AFTER_SECONDS`, and none for a solve that ends sooner, without changing its output."""

from __future__ import annotations

import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import commands.solve as solve_command
from instances import bundled_instance
from models.loader import load_region
from solver.backends.base import SolverOptions
from solver.solve import solve

PROJECT = Path(__file__).resolve().parents[1]


def test_the_solve_tells_the_model_and_each_stage_in_order() -> None:
    lines: list[str] = []
    region = load_region(bundled_instance("groningen"))
    result = solve(region, options=SolverOptions(), hard_limit=False, progress=lines.append)
    assert lines[0].startswith("model built: ")
    expected = []
    for stage in result.stages:
        expected += [f"stage {stage.name}: solving", f"stage {stage.name}: {stage.status}, value "]
    assert len(lines) == 1 + len(expected)
    for line, start in zip(lines[1:], expected, strict=True):
        assert line.startswith(start), (line, start)


class _Closing:
    """A progress that records its lines and whether it was closed."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.closed_after = -1

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    def close(self) -> None:
        self.closed_after = len(self.lines)


def test_the_solving_process_closes_the_progress_after_the_last_line() -> None:
    region = load_region(bundled_instance("groningen"))
    progress = _Closing()
    solve(region, options=SolverOptions(), hard_limit=False, progress=progress)
    assert progress.lines and progress.closed_after == len(progress.lines)


def test_the_solve_tells_how_a_stage_stopped_short() -> None:
    lines: list[str] = []
    region = load_region(bundled_instance("groningen"))
    solve(region, options=SolverOptions(memory_limit=1), hard_limit=False, progress=lines.append)
    assert lines[-1].startswith("stage needs: no_solution (memory_limit)")


@pytest.mark.skipif(platform.system() != "Linux", reason="ru_maxrss is read in KiB on Linux")
def test_each_stage_ends_with_the_peak_memory_so_far() -> None:
    lines: list[str] = []
    region = load_region(bundled_instance("groningen"))
    solve(region, options=SolverOptions(), hard_limit=False, progress=lines.append)
    ends = [line for line in lines if line.startswith("stage ") and "solving" not in line]
    assert ends and all(re.search(r", peak memory [0-9,]+ MiB, [0-9.]+ s in$", e) for e in ends)


def _solve_command(threshold: float | None) -> subprocess.CompletedProcess[str]:
    """``fairshare solve groningen`` in a process of its own (the solve forks a child that
    writes to the real standard error), with the progress threshold set if given."""
    setting = "" if threshold is None else f"s.PROGRESS_AFTER_SECONDS = {threshold!r}; "
    code = f"import commands.solve as s; {setting}from cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "solve", str(bundled_instance("groningen"))],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_shows_progress_only_past_its_threshold() -> None:
    quick = _solve_command(None)
    assert quick.returncode == 0, quick.stderr
    assert "progress:" not in quick.stderr
    shown = _solve_command(0.0)
    assert shown.returncode == 0, shown.stderr
    assert "progress: model built: " in shown.stderr
    assert "progress: stage tie_break: optimal, value " in shown.stderr
    assert shown.stdout == quick.stdout


def test_held_lines_appear_when_the_threshold_passes(capsys: pytest.CaptureFixture[str]) -> None:
    lines = solve_command._ProgressLines(1.0)
    lines("model built")
    assert capsys.readouterr().err == ""
    shown = ""
    deadline = time.monotonic() + 10  # the timer is due after 1 s; a loaded machine may lag
    while not shown and time.monotonic() < deadline:
        time.sleep(0.05)
        shown = capsys.readouterr().err
    assert shown == "progress: model built\n"
    lines("stage needs: solving")
    assert capsys.readouterr().err == "progress: stage needs: solving\n"
    lines.close()


def test_a_solve_that_ends_before_the_threshold_shows_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = solve_command._ProgressLines(1.0)
    lines("model built")
    lines.close()
    time.sleep(1.5)
    assert capsys.readouterr().err == ""
