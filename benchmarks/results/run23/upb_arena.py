"""A MathOpt model whose objective of 10,000 coefficients is set 200 times, in place and with
the model copied afresh after every four (as `COPY_AFTER_OBJECTIVES`): protobuf's upb keeps
every array a message held until the message goes (benchmarks/RESULTS.md, run 23).

    PYTHONPATH=. python benchmarks/results/run23/upb_arena.py
"""

from __future__ import annotations

from solver.backends.mathopt_proto import model_proto
from solver.memory import release_freed_memory, resident_mib
from solver.model import LinearModel

SIZE = 10_000


def run(copy_every: int | None) -> None:
    model = LinearModel()
    for number in range(SIZE):
        model.add_variable(f"x{number}", 0, 1)
    proto = model_proto(model, with_names=False)
    release_freed_memory()
    before = resident_mib()
    for number in range(200):
        if copy_every is not None and number % copy_every == 0:
            fresh = type(proto)()
            fresh.CopyFrom(proto)
            proto = fresh
        objective = proto.objective
        objective.Clear()
        objective.linear_coefficients.ids.extend(range(SIZE))
        objective.linear_coefficients.values.extend(float(i) for i in range(SIZE))
    release_freed_memory()
    print(f"copied every {copy_every}: resident {before} MiB before, {resident_mib()} MiB after")


if __name__ == "__main__":
    run(None)
    run(4)
