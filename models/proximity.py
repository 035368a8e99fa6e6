"""Proximity to care: where a group that needs care nearby may be housed.

A group with ``care_within_hops`` or ``care_within_km`` may only be housed in municipalities within
that distance of a care location: the group's ``care_at`` municipalities, or else every
municipality with ``care_facilities > 0`` (the centre municipalities of sheltered housing, e.g.
Den Haag, Groningen, Heerlen). Distance is the shortest path on the adjacency graph, counted in
borders crossed (hops) or in kilometres with the great-circle distance between the two
municipalities' centroids as the length of each border crossed. A care location is at distance 0
from itself.

Source: DOMAIN.md, "some groups need care nearby (the centrumgemeente for sheltered housing)".
"""

from __future__ import annotations

from fractions import Fraction
from math import asin, cos, radians, sin, sqrt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx


#: Mean radius of the earth in km (IUGG), for great-circle distances between centroids.
EARTH_RADIUS_KM = 6371.0088


def centroid_km(a: tuple[Fraction, Fraction], b: tuple[Fraction, Fraction]) -> float:
    """Great-circle (haversine) distance in km between two (latitude, longitude) points.

    Examples:
        >>> round(centroid_km((Fraction(52), Fraction(4)), (Fraction(52), Fraction(5))), 1)
        68.5
    """
    lat1, lon1, lat2, lon2 = (radians(float(x)) for x in (*a, *b))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(h))


def within_reach(
    graph: nx.Graph,
    sources: frozenset[str],
    *,
    hops: int | None = None,
    km: Fraction | None = None,
    positions: dict[str, tuple[Fraction, Fraction]] | None = None,
) -> dict[str, float]:
    """Every municipality within ``hops`` borders or ``km`` kilometres of a source, with its
    distance (multi-source Dijkstra on the adjacency graph)."""
    import networkx as nx  # imported here: it takes a sixth of a second, and few runs need it

    if hops is not None:
        lengths = nx.multi_source_dijkstra_path_length(graph, set(sources), cutoff=hops)
        return {code: float(d) for code, d in lengths.items()}
    if km is None or positions is None:
        raise ValueError("give hops, or km with the municipalities' positions")

    def length(u: str, v: str, _: object) -> float:
        return centroid_km(positions[u], positions[v])

    lengths = nx.multi_source_dijkstra_path_length(
        graph, set(sources), cutoff=float(km), weight=length
    )
    return {code: float(d) for code, d in lengths.items()}


def exchange_pairs(
    kind: str,
    codes: list[str],
    edges: list[tuple[str, str]],
    positions: dict[str, tuple[Fraction, Fraction]],
    subregions: dict[str, str | None],
    max_km: Fraction | None,
) -> list[tuple[str, str]]:
    """Unordered pairs ``(a, b)``, ``a < b``, that may exchange tasks, sorted.

    ``adjacent``: the borders; ``distance``: centroids at most ``max_km`` apart (great circle);
    ``subregion``: the same non-empty subregion.
    """
    if kind == "adjacent":
        return sorted((min(a, b), max(a, b)) for a, b in edges)
    pairs = []
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            if kind == "subregion":
                if subregions.get(a) and subregions.get(a) == subregions.get(b):
                    pairs.append((a, b))
            elif (
                a in positions
                and b in positions
                and max_km is not None
                and centroid_km(positions[a], positions[b]) <= float(max_km)
            ):
                pairs.append((a, b))
    return sorted(pairs)
