"""Writing the allocation model in MPS format for users of other solvers."""

from __future__ import annotations

from models.region import Region
from solver.formulation import formulate
from solver.mps import mps_text
from solver.objectives import needs_stage, sum_deviation_stage, tie_break_stage

STAGES = ("needs", "fairness_sum", "tie_break")


def model_mps(region: Region, stage: str = "needs") -> str:
    """The model (all rules, fairness variables included) with the objective of one stage.

    Later stages are exported without the constraints that fix the earlier stages' optima (those
    depend on a solve). Variables and constraints keep their names, e.g. ``new_homes[GM0518]``
    and ``letting_pool[GM0518]``; every number is exact (`solver.mps`), and the stage's constant
    is given in a comment.

    Raises:
        KeyError: for an unknown stage.
    """
    f = formulate(region)
    stages = {"needs": needs_stage(f), "fairness_sum": sum_deviation_stage(f)}
    stages["tie_break"] = tie_break_stage(f)
    if stage not in stages:
        raise KeyError(stage)
    chosen = stages[stage]
    return mps_text(
        f.model,
        chosen.terms,
        constant=chosen.constant,
        comments=(f"fairshare model of {region.name}, objective of the stage {stage}",),
    )
