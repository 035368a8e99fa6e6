"""A model copied from a base (`LinearModel.copied_from`) written into MathOpt's protocol buffer
from the rows written for its base (`solver.backends.mathopt_proto.model_proto`): the same
proto as one written whole, whatever the copy adds or narrows, written whole where the base's
rows are not the copy's first, and the base's proto forgotten with the base."""

from __future__ import annotations

import gc

from solver.backends import mathopt_proto as proto_module
from solver.backends.mathopt_proto import model_proto
from solver.model import Constraint, LinearModel, Variable


def _base() -> LinearModel:
    model = LinearModel()
    for number in range(4):
        model.add_variable(f"x{number}", 0, 10 + number)
    model.add_constraint("sum", "test", {0: 1, 1: 2, 2: 3}, "<=", 20)
    model.add_constraint("gap", "test", {1: 1, 3: -1}, ">=", -4)
    model.add_constraint("pair", "test", {0: 1, 3: 1}, "==", 7)
    return model


def _whole(model: LinearModel) -> bytes:
    plain = LinearModel(variables=list(model.variables), constraints=list(model.constraints))
    written: bytes = model_proto(plain, with_names=False).SerializeToString()
    return written


def test_a_copy_is_written_as_the_same_proto_as_a_model_written_whole() -> None:
    """The copy narrows a bound, adds a variable and two rows (one over the new variable)."""
    base = _base()
    model_proto(base, with_names=False)
    copy = base.copied_from()
    copy.variables[2] = Variable(2, "x2", 3, 5, True)
    extra = copy.add_variable("missing", 0, 9)
    copy.add_constraint("more", "test", {0: 1, extra: 1}, ">=", 2)
    copy.add_constraint("less", "test", {3: 2}, "<=", 11)
    assert copy.base is base and base.base is None
    assert proto_module._base_rows(copy) is not None
    assert model_proto(copy, with_names=False).SerializeToString() == _whole(copy)
    again = base.copied_from()
    assert model_proto(again, with_names=False).SerializeToString() == _whole(base)


def test_a_copy_whose_first_rows_are_not_its_bases_is_written_whole() -> None:
    base = _base()
    copy = base.copied_from()
    copy.constraints[1] = Constraint("gap", "test", ((1, 1), (3, -1)), ">=", -3)
    assert proto_module._base_rows(copy) is None
    assert model_proto(copy, with_names=False).SerializeToString() == _whole(copy)
    fewer = base.copied_from()
    fewer.constraints.pop()
    assert proto_module._base_rows(fewer) is None


def test_the_bases_proto_goes_with_the_base() -> None:
    base = _base()
    copy = base.copied_from()
    model_proto(copy, with_names=False)
    key = id(base)
    assert key in proto_module._BASE_PROTOS
    del base, copy
    gc.collect()
    assert key not in proto_module._BASE_PROTOS


def test_copies_of_copies_remember_the_first_base() -> None:
    """A model narrowed as a copy, narrowed again and given a row (the reduced model as the
    later stages narrow it, `solver.reduction.with_rows`) remembers the first model as its
    base, and is written from that model's rows as the same proto as written whole."""
    base = _base()
    narrowed = base.with_bounds({2: (3, 5)}, copy=True)
    again = narrowed.with_bounds({0: (1, 4)}, copy=True)
    extended = again.copied_from()
    extended.add_constraint("more", "test", {0: 1, 2: 1}, ">=", 5)
    assert narrowed.base is again.base is extended.base is base
    assert base.with_bounds({2: (3, 5)}).base is None
    assert proto_module._base_rows(extended) is not None
    for model in (narrowed, again, extended):
        assert model_proto(model, with_names=False).SerializeToString() == _whole(model)


def test_a_base_that_grew_is_written_again() -> None:
    """A row added to the base after its proto was written: a copy made then is written with
    every row of the base, as written whole."""
    base = _base()
    model_proto(base.copied_from(), with_names=False)
    base.add_constraint("late", "test", {2: 1, 3: 1}, "<=", 15)
    copy = base.copied_from()
    assert model_proto(copy, with_names=False).SerializeToString() == _whole(copy)
