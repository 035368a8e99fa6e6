"""The hard wall-clock limit (`solver.deadline`): answers and errors come back, an overrun is
killed, and the child's temporary files are removed either way."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from solver.deadline import ChildDiedError, DeadlineExceededError, run_with_deadline

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="the hard limit needs fork; without it nothing is killed"
)


@pytest.fixture
def temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process's temporary folder, empty; without the scratch folder the child would write
    into it."""
    for name in ("TMPDIR", "TMP", "TEMP"):
        monkeypatch.setenv(name, str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _write_temporary_files(hang: bool) -> str:
    """Write a file through Python's tempfile and one from a grandchild process through TMPDIR
    (as CBC's files are written), then hang if asked."""
    handle, path = tempfile.mkstemp(suffix="-model.mps")
    os.close(handle)
    folder = os.environ["TMPDIR"]
    subprocess.run(
        [sys.executable, "-c", f"open({str(Path(folder) / 'cbc.sol')!r}, 'w').write('x')"],
        check=True,
    )
    if hang:
        time.sleep(60)
    return path


def _fail() -> None:
    raise ValueError("bad value 7")


def test_the_answer_comes_back_and_its_temporary_files_are_removed(
    temporary_folder: Path,
) -> None:
    path = run_with_deadline(_write_temporary_files, (False,), 30)
    assert Path(path).name.endswith("-model.mps")
    assert Path(path).parent.parent == temporary_folder
    assert list(temporary_folder.iterdir()) == []


def test_an_error_in_the_child_is_raised_again() -> None:
    with pytest.raises(ValueError, match="bad value 7"):
        run_with_deadline(_fail, (), 30)


def test_an_overrun_is_killed_and_leaves_no_temporary_file(temporary_folder: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(DeadlineExceededError, match="hard limit"):
        run_with_deadline(_write_temporary_files, (True,), 3)
    assert time.perf_counter() - started < 30
    assert list(temporary_folder.iterdir()) == []


def test_a_child_that_ends_without_an_answer_is_not_a_deadline() -> None:
    with pytest.raises(ChildDiedError, match="exit code 3"):
        run_with_deadline(os._exit, (3,), 30)
