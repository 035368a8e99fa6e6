"""The solve parameters of a MathOpt solve: MathOpt's common parameters, and SCIP's own where
measurements showed them to matter (`solve_parameters`)."""

from __future__ import annotations

from ortools.math_opt import parameters_pb2
from ortools.math_opt.python import mathopt
from ortools.math_opt.solvers.gscip import gscip_pb2

#: Presolve rounds SCIP may take per solve (its default is unlimited).
SCIP_PRESOLVE_ROUNDS = 50
#: SCIP plug-ins switched off in a solve started from a known answer (a later stage), with the
#: seconds each took in SCIP's statistics of the programme or tie-break stage of syn-1000-g8 or
#: syn-342-g8, none of them contributing a cut or a solution, or (zero-half cuts) in the fairness
#: stage of syn-5000-g8, two rounds that moved no bound and overran the time limit by minutes
#: (benchmarks/RESULTS.md, run 5).
SCIP_OFF_WHEN_STARTED: tuple[tuple[str, str], ...] = (
    ("heuristics/shifting/freq", "11.5 s of 29.6, no solution"),
    ("constraints/linear/sepafreq", "6.1 s of 29.6 separating linear rows, no cut"),
    ("separating/mcf/freq", "0.7 s of 29.6 and 0.37 s of 2.0, no cut"),
    ("separating/aggregation/freq", "0.15 s of 29.6 and 0.29 s of 2.0, 1 cut and none"),
    ("separating/clique/freq", "0.93 s of 1.8, no cut"),
    ("heuristics/clique/freq", "0.29 s of 2.0, no solution"),
    ("heuristics/vbounds/freq", "0.20 s of 1.8, no solution"),
    ("separating/zerohalf/freq", "213.6 s of 245.5 in the fairness stage of syn-5000-g8"),
)
#: Cuts HiGHS's pool keeps (``mip_pool_soft_limit``, default 10,000) when it searches only for a
#: start (`solve_parameters`). On the programme stage of syn-5000-g8 HiGHS's memory grows with its
#: search: 10,000 cuts peaked at 927 MiB after 150 s, 1,000 at 763-765 MiB after 93-117 s and 100
#: at 666 MiB after 197 s, each with the same answer (the optimum; benchmarks/RESULTS.md, run 12).
HIGHS_FIRST_ANSWER_POOL = 1000
#: Largest objective coefficient for which SCIP's LP solver scales the LP aggressively.
SMALL_OBJECTIVE = 4096
#: The least ``limits/memory`` handed to SCIP, in MB: with the budget spent, SCIP stops at once.
SCIP_LEAST_MEMORY_MB = 1.0
#: SCIP's feasibility tolerance for a second solve when the first answer broke a row after
#: rounding (its default is 1e-6).
TIGHT_FEASIBILITY_TOLERANCE = 1e-9


def solve_parameters(
    params: mathopt.SolveParameters,
    engine: str,
    *,
    tight: bool = False,
    started: bool = False,
    small_objective: bool = False,
    primal_heuristics: bool = True,
    first_answer: bool = False,
    memory_mb: float | None = None,
) -> parameters_pb2.SolveParametersProto:
    """The solve parameters, with SCIP's presolve limited to a fixed number of rounds (on some
    small models its presolve was seen cycling for tens of thousands of rounds, adding and
    deleting the same constraints, and never reaching the search).

    A solve ``started`` from a known answer (a later stage, which carries the earlier stages
    as fixed rows) presolves at SCIP's fast emphasis: the default probing built hundreds of
    thousands of implications on the programme stage of a 342 x 8 region and took 10 of its
    12 seconds, for a search that then closed at the root. Without a start (the first stage,
    the feasibility probes of min-max stages) the default stays: there the fast emphasis made
    the needs stage of 5,000 x 8 take 281 s instead of 46 s (benchmarks/RESULTS.md, run 4).

    A started solve also runs without the heuristics and separators of
    `SCIP_OFF_WHEN_STARTED`: with the start as incumbent these stages close at the root, and
    SCIP's statistics showed those plug-ins taking over 60% of the time of the programme
    stage of syn-1000-g8 for no cut or solution; with them off (and the scaling below) the
    stages after the first took 39 s instead of 81 s there and 2.5-3.3 s instead of 6.4-8.0 s
    on syn-342-g8, with the same answers (run 5).

    Where the objective's coefficients are small (`SMALL_OBJECTIVE`: needs, programme,
    tie-break, feasibility probes) SoPlex scales the LP aggressively: after ``equal_burden``
    the programme stage's root LP of the national instance had "unresolved numerical
    troubles" and SCIP branched for 17.7 s; with it the stage closed at the root in 0.6 s.
    That cure depends on the path of the earlier stages (run 5, "Doubts").

    Without ``primal_heuristics`` (the building MIPs of the placement network, whose search
    reaches the LP bound by itself) SCIP runs no primal heuristic: the least building cost
    of syn-5000-g8 took 3.7 s instead of 13.1 s, of syn-1000-g8 1.1 s instead of 2.2 s, and
    the national instance's 0.2 s either way (benchmarks/RESULTS.md, run 6).

    SCIP's rapid learning (a sub-SCIP at the root that collects conflicts) is off: on the
    programme stage after a ``max_abs_deviation`` stage of the national instance it ran for
    82 of 85 seconds and learnt nothing that was used; without it that stage takes 1.7 s, and
    the other stages measured were no slower (run 4).

    HiGHS's ``first_answer`` (a start for SCIP on the programme stage of 5,000 municipalities)
    keeps a cut pool of at most `HIGHS_FIRST_ANSWER_POOL` cuts.

    ``memory_mb`` is SCIP's ``limits/memory``, in megabytes of SCIP's own count
    (`scip_memory_limit`): SCIP stops there with its best answer, unproven.
    """
    proto = params.to_proto()
    if engine == "scip":
        proto.gscip.int_params["presolving/maxrounds"] = SCIP_PRESOLVE_ROUNDS
        proto.gscip.int_params["separating/rapidlearning/freq"] = -1
        if started:
            proto.gscip.presolve = gscip_pb2.GScipParameters.FAST
            for name, _ in SCIP_OFF_WHEN_STARTED:
                proto.gscip.int_params[name] = -1
        if small_objective:
            proto.gscip.int_params["lp/scaling"] = 2
        if tight:
            proto.gscip.real_params["numerics/feastol"] = TIGHT_FEASIBILITY_TOLERANCE
        if not primal_heuristics:
            proto.gscip.heuristics = gscip_pb2.GScipParameters.OFF
        if memory_mb is not None:
            proto.gscip.real_params["limits/memory"] = memory_mb
    if engine == "highs" and first_answer:
        proto.highs.int_options["mip_pool_soft_limit"] = HIGHS_FIRST_ANSWER_POOL
    return proto


def scip_memory_limit(budget_mib: int, resident_mib: int | None) -> float:
    """SCIP's ``limits/memory`` for a solve in a process that may hold ``budget_mib`` MiB and
    holds ``resident_mib`` MiB as the solve begins: the rest of the budget, at least
    `SCIP_LEAST_MEMORY_MB`; the whole budget where the resident memory is unknown.

    SCIP counts the memory it allocated itself and an estimate of its LP solver's, in MB of
    2**20 bytes, checks that count between nodes and stops once it passes the limit. So the
    limit holds the search, not each of its steps. On the tie-break stage of syn-5000-g8,
    replayed from a process holding 119 MiB, a limit of 250 stopped SCIP after 2 s at a peak
    of 323 MiB resident, one of 400 after 406 s at 525 MiB: the count follows the resident
    memory SCIP adds (benchmarks/RESULTS.md, run 16).
    """
    if resident_mib is None:
        return float(budget_mib)
    return max(float(budget_mib - resident_mib), SCIP_LEAST_MEMORY_MB)
