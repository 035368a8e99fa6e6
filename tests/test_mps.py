"""The MPS export holds the model exactly: every coefficient, right-hand side, bound and integer
marker read back from the file equals the model's."""

from __future__ import annotations

from collections import defaultdict

import pytest

from instances import bundled_instance
from models.loader import load_instance
from solver.formulation import formulate
from solver.model import Constraint, LinearModel, Variable
from solver.mps import OBJECTIVE_ROW, mps_text
from solver.objectives import sum_deviation_stage


class ReadBack:
    """A free MPS file read back, section by section."""

    def __init__(self, text: str) -> None:
        self.comments: list[str] = []
        self.senses: dict[str, str] = {}
        self.entries: dict[str, dict[str, int]] = defaultdict(dict)
        self.rhs: dict[str, int] = {}
        self.bounds: dict[str, dict[str, int]] = defaultdict(dict)
        self.integers: set[str] = set()
        section, integer = "", False
        for line in text.splitlines():
            fields = line.split()
            if line.startswith("*"):
                self.comments.append(line)
            elif not line.startswith(" "):
                section = fields[0]
            elif section == "ROWS":
                self.senses[fields[1]] = fields[0]
            elif section == "COLUMNS" and fields[1] == "'MARKER'":
                integer = fields[2] == "'INTORG'"
            elif section == "COLUMNS":
                assert fields[0] not in self.entries or fields[1] not in self.entries[fields[0]]
                self.entries[fields[0]][fields[1]] = int(fields[2])
                if integer:
                    self.integers.add(fields[0])
            elif section == "RHS":
                self.rhs[fields[1]] = int(fields[2])
            elif section == "BOUNDS":
                self.bounds[fields[2]][fields[0]] = int(fields[3])


def _model() -> LinearModel:
    model = LinearModel()
    model.variables.extend(
        [
            Variable(0, "x", -3, None, True),
            Variable(1, "y", 2, 2, True),
            Variable(2, "z", 0, 10, False),
        ]
    )
    model.constraints.extend(
        [
            Constraint("row", "test", ((0, 123456789), (2, -1)), "<=", 98765432101),
            Constraint("row", "test", ((0, 1), (1, 1)), ">=", 0),
        ]
    )
    return model


def test_every_number_is_written_exactly_and_repeated_row_names_are_told_apart() -> None:
    extra = Constraint("fixed", "stage", ((2, 7),), "==", -5)
    read = ReadBack(mps_text(_model(), {0: 12345678901, 2: -3}, [extra], constant=17))
    assert read.senses == {OBJECTIVE_ROW: "N", "row": "L", "row~2": "G", "fixed": "E"}
    assert read.entries["x"] == {OBJECTIVE_ROW: 12345678901, "row": 123456789, "row~2": 1}
    assert read.entries["y"] == {"row~2": 1}
    assert read.entries["z"] == {OBJECTIVE_ROW: -3, "row": -1, "fixed": 7}
    assert read.rhs == {"row": 98765432101, "fixed": -5}
    assert read.bounds == {"x": {"LO": -3}, "y": {"FX": 2}, "z": {"LO": 0, "UP": 10}}
    assert read.integers == {"x", "y"}
    assert any("objective constant: 17" in line for line in read.comments)


def test_a_variable_in_no_row_still_has_a_column() -> None:
    model = _model()
    model.constraints.clear()
    read = ReadBack(mps_text(model, {}))
    assert set(read.entries) == {"x", "y", "z"}


@pytest.mark.parametrize("name", ["haaglanden", "nl"])
def test_the_fairness_objective_is_exported_exactly(name: str) -> None:
    """Nationally the fairness stage's coefficients have eight digits (units of ``1/L``
    household); a writer with six significant digits exported a different objective."""
    f = formulate(load_instance(bundled_instance(name)).region)
    stage = sum_deviation_stage(f)
    read = ReadBack(mps_text(f.model, stage.terms, constant=stage.constant))
    names = [v.name for v in f.model.variables]
    objective = {names[i]: c for i, c in stage.terms.items() if c}
    assert {v: e[OBJECTIVE_ROW] for v, e in read.entries.items() if OBJECTIVE_ROW in e} == (
        objective
    )
    assert max(abs(c) for c in objective.values()) > 10**6
    for constraint in f.model.constraints:
        assert read.senses[constraint.name] == {"<=": "L", ">=": "G", "==": "E"}[constraint.sense]
        assert read.rhs.get(constraint.name, 0) == constraint.rhs
        for index, coefficient in constraint.terms:
            assert read.entries[names[index]][constraint.name] == coefficient
    assert read.integers == {v.name for v in f.model.variables if v.integer}
