"""The settings of an instance (``region.toml`` or the workbook's ``settings`` and ``groups``
sheets): region, file names, targets, target groups and policy.

Both formats are first turned into the same nested dictionary (the shape of ``region.toml``); this
module validates that dictionary and reports every problem with the line (or sheet row) of its key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from models.cells import CellError, format_fraction, parse_fraction, parse_int
from models.errors import Problem
from models.policy import (
    DISTRIBUTION_KEYS,
    EXCHANGE_PAIRS,
    FACTOR_COLUMNS,
    FACTOR_DIRECTIONS,
    FRACTION_FIELDS,
    INT_FIELDS,
    NORM_OBJECTIVES,
    OBJECTIVES,
    OPTIONAL_FRACTION_FIELDS,
    RULES,
    KeyFactor,
    Policy,
)
from models.region import TargetGroup, Targets
from models.schema import CODE_FIX, CODE_PATTERN, FACTOR_PREFIX, GROUP_ID_PATTERN

KeyPath = tuple[str | int, ...]

#: Settings of ``[policy]`` that parametrise the distribution keys (see `models.policy.Policy`).
KEY_SETTINGS: tuple[str, ...] = ("ses_correction", "key_factors", "credit_prior_placements")
#: Keys of a factor written as a table, ``name = { weight = "0.1", direction = "inverted" }``.
FACTOR_KEYS: tuple[str, ...] = ("weight", "direction")

#: Optional caps that are shares (between 0 and 1), not counts.
SHARE_CAPS: tuple[str, ...] = ("max_group_letting_share",)

#: Settings of ``[policy]`` for exchanges between municipalities (see `models.policy.Policy`).
EXCHANGE_SETTINGS: tuple[str, ...] = (
    "exchanges",
    "exchange_max_km",
    "exchange_max_share",
    "exchange_max_per_pair",
    "exchange_compensation",
)

SECTIONS: dict[str, tuple[str, ...]] = {
    "region": ("name", "base_year", "horizon_years", "default_turnover_rate", "source"),
    "files": ("municipalities", "adjacency"),
    "targets": ("new_homes", "new_homes_min", "new_homes_max", "demand"),
    "policy": (
        *FRACTION_FIELDS,
        *OPTIONAL_FRACTION_FIELDS,
        *EXCHANGE_SETTINGS,
        *INT_FIELDS,
        "distribution_key",
        *KEY_SETTINGS,
        "objective",
        "norm_objective",
        "rules",
    ),
    "groups": (),
}
GROUP_KEYS: tuple[str, ...] = (
    "id",
    "name",
    "unit",
    "household_size",
    "only_in",
    "not_in",
    "care_within_hops",
    "care_within_km",
    "care_at",
)


def closest(name: str, known: tuple[str, ...] | list[str]) -> str | None:
    """The known name most like ``name`` (a likely typo), or ``None``."""
    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_name_fix(name: str, known: tuple[str, ...] | list[str], what: str) -> str:
    """A fix for an unknown name: the closest known one, else the list of known ones."""
    near = closest(name, known)
    if near is not None:
        return f"did you mean '{near}'? Rename it, or remove it"
    return f"use one of the known {what}: {', '.join(known)}"


def toml_key_lines(text: str) -> dict[KeyPath, int]:
    """Line numbers of the keys of a TOML document, by key path (``("policy", "social_norm")``).

    Covers what region.toml uses: ``[table]``, ``[[array]]`` and ``key = value`` lines.
    """
    lines: dict[KeyPath, int] = {}
    current: KeyPath = ()
    counts: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if array := re.fullmatch(r"\[\[\s*([A-Za-z0-9_.-]+)\s*\]\](\s*#.*)?", line):
            name = array.group(1)
            index = counts.get(name, 0)
            counts[name] = index + 1
            current = (*name.split("."), index)
            lines[current] = number
        elif table := re.fullmatch(r"\[\s*([A-Za-z0-9_.-]+)\s*\](\s*#.*)?", line):
            current = tuple(table.group(1).split("."))
            lines.setdefault(current, number)
        elif key := re.match(r"""("[^"]+"|[A-Za-z0-9_.-]+)\s*=""", line):
            dotted = tuple(part.strip('"') for part in key.group(1).split("."))
            lines.setdefault((*current, *dotted), number)
    return lines


@dataclass
class SettingsDocument:
    """The settings dictionary with where each key was written."""

    data: dict[str, Any]
    file: str
    locate: Callable[[KeyPath], tuple[str | None, int | None]]
    problems: list[Problem] = field(default_factory=list)

    def report(
        self, path: KeyPath, message: str, fix: str, value: Any = None, severity: str = "error"
    ) -> None:
        """Record a problem at the key ``path``."""
        sheet, row = self.locate(path)
        self.problems.append(
            Problem(
                file=self.file,
                sheet=sheet,
                row=row,
                column=".".join(str(p) for p in path),
                value=None if value is None else str(value),
                message=message,
                fix=fix,
                severity="warning" if severity == "warning" else "error",
            )
        )


@dataclass(frozen=True)
class Settings:
    """Validated settings; fields are ``None`` where a problem was reported."""

    name: str
    base_year: int
    horizon_years: int
    default_turnover_rate: Fraction | None
    source: str
    municipalities_file: str
    adjacency_file: str | None
    targets: Targets
    demand: dict[str, int]
    groups: tuple[TargetGroup, ...]
    policy: Policy


def _section(doc: SettingsDocument, name: str) -> Mapping[str, Any]:
    value = doc.data.get(name, {})
    if not isinstance(value, Mapping):
        doc.report((name,), f"'{name}' must be a table of settings", f"write it as [{name}]")
        return {}
    return value


def _check_keys(
    doc: SettingsDocument, path: KeyPath, table: Mapping[str, Any], known: tuple[str, ...]
) -> None:
    for key in table:
        if key not in known:
            doc.report((*path, key), "unknown setting", unknown_name_fix(key, known, "settings"))


def _int(
    doc: SettingsDocument, path: KeyPath, value: Any, *, minimum: int | None = None, what: str
) -> int | None:
    """An integer setting, or ``None`` after reporting why not."""
    if value is None:
        doc.report(path, "the setting is missing", f"give {what}")
        return None
    if isinstance(value, bool):
        doc.report(path, "expected a whole number, found true/false", f"give {what}", value)
        return None
    try:
        number = parse_int(value if isinstance(value, str | int | Fraction) else str(value))
    except CellError as error:
        doc.report(path, str(error), f"give {what} as a whole number", value)
        return None
    if minimum is not None and number < minimum:
        doc.report(path, f"must be at least {minimum}", f"give {what} >= {minimum}", value)
        return None
    return number


def _fraction(doc: SettingsDocument, path: KeyPath, value: Any, *, what: str) -> Fraction | None:
    """A share setting in [0, 1]: a number, a ratio ``"2/3"`` or a percentage ``"30%"``."""
    if isinstance(value, bool):
        doc.report(path, "expected a share, found true/false", f"give {what}", value)
        return None
    text = value.strip() if isinstance(value, str) else value
    try:
        if isinstance(text, str) and text.endswith("%"):
            share = parse_fraction(text[:-1]) / 100
        else:
            share = parse_fraction(text if isinstance(text, str | int | Fraction) else str(text))
    except CellError as error:
        doc.report(path, str(error), f'give {what} as 0.3, "3/10" or "30%"', value)
        return None
    if not 0 <= share <= 1:
        doc.report(path, "a share must lie between 0 and 1 (0% and 100%)", f"give {what}", value)
        return None
    return share


def _text(doc: SettingsDocument, path: KeyPath, value: Any, *, what: str) -> str | None:
    if value is None:
        doc.report(path, "the setting is missing", f"give {what}")
        return None
    if not isinstance(value, str) or not value.strip():
        doc.report(path, "expected a non-empty text", f"give {what}", value)
        return None
    return value.strip()


def _codes(doc: SettingsDocument, path: KeyPath, value: Any) -> frozenset[str] | None:
    """A list of municipality codes: a TOML list or a text with codes separated by , ; or spaces."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    items = re.split(r"[,;\s]+", value.strip()) if isinstance(value, str) else value
    if not isinstance(items, list):
        doc.report(
            path, "expected a list of municipality codes", 'write ["GM0518", "GM0603"]', value
        )
        return None
    codes = []
    for item in items:
        if not isinstance(item, str) or not CODE_PATTERN.fullmatch(item.strip()):
            doc.report(path, "not a CBS municipality code", CODE_FIX, item)
            continue
        codes.append(item.strip())
    return frozenset(codes)


def _read_groups(doc: SettingsDocument) -> list[TargetGroup]:
    raw_groups = doc.data.get("groups", [])
    if not isinstance(raw_groups, list):
        doc.report(("groups",), "groups must be a list", "write each group as [[groups]]")
        return []
    groups: list[TargetGroup] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_groups):
        path: KeyPath = ("groups", index)
        if not isinstance(raw, Mapping):
            doc.report(path, "a group must be a table", "write each group as [[groups]]")
            continue
        _check_keys(doc, path, raw, GROUP_KEYS)
        group_id = _text(doc, (*path, "id"), raw.get("id"), what="an id such as permit_holders")
        if group_id is not None and not GROUP_ID_PATTERN.fullmatch(group_id):
            doc.report(
                (*path, "id"),
                "a group id must be lower-case letters, digits and _",
                "use an id such as permit_holders",
                group_id,
            )
            group_id = None
        if group_id is not None and group_id in seen:
            doc.report((*path, "id"), "duplicate group id", "give every group its own id", group_id)
            group_id = None
        name = _text(doc, (*path, "name"), raw.get("name"), what="the group's display name")
        unit = raw.get("unit")
        if unit not in ("persons", "households"):
            doc.report(
                (*path, "unit"), "unknown unit", 'write unit = "persons" or "households"', unit
            )
            unit = None
        size: Fraction | None = Fraction(1)
        if unit == "persons" or raw.get("household_size") is not None:
            value = raw.get("household_size")
            if value is None:
                doc.report(
                    (*path, "household_size"),
                    "a group counted in persons needs an average household size",
                    "give household_size, e.g. 2.1",
                )
                size = None
            else:
                try:
                    size = parse_fraction(
                        value if isinstance(value, str | int | Fraction) else str(value)
                    )
                except CellError as error:
                    doc.report((*path, "household_size"), str(error), "give a number >= 1", value)
                    size = None
                if size is not None and size < 1:
                    doc.report(
                        (*path, "household_size"),
                        "a household has at least one person",
                        "give a number >= 1",
                        value,
                    )
                    size = None
        only_in = _codes(doc, (*path, "only_in"), raw.get("only_in"))
        not_in = _codes(doc, (*path, "not_in"), raw.get("not_in")) or frozenset()
        care = _read_care(doc, path, raw)
        if group_id is None:
            continue
        seen.add(group_id)
        # A group whose other fields are wrong (reported above, so the instance is refused) still
        # counts as defined: its demand and its prior_/arrears_ columns are then not reported as
        # naming an unknown group as well. The placeholders are never used.
        groups.append(
            TargetGroup(
                group_id,
                name or group_id,
                unit or "households",
                0,
                size or Fraction(1),
                only_in,
                not_in,
                *care,
            )
        )
    return groups


def _read_care(
    doc: SettingsDocument, path: KeyPath, raw: Mapping[str, Any]
) -> tuple[int | None, Fraction | None, frozenset[str] | None]:
    """``care_within_hops``, ``care_within_km`` and ``care_at`` of a group (at most one limit)."""
    hops = raw.get("care_within_hops")
    km = raw.get("care_within_km")
    hops_value = None
    if hops is not None and hops != "":
        hops_value = _int(
            doc, (*path, "care_within_hops"), hops, minimum=0, what="a number of borders"
        )
    km_value = None
    if km is not None and km != "":
        km_value = _nonnegative(doc, (*path, "care_within_km"), km, what="a distance in km")
    if hops_value is not None and km_value is not None:
        doc.report(
            (*path, "care_within_km"),
            "give the distance to care in borders or in km, not both",
            "remove care_within_hops or care_within_km",
            km,
        )
    care_at = _codes(doc, (*path, "care_at"), raw.get("care_at"))
    if care_at is not None and not care_at:
        doc.report(
            (*path, "care_at"),
            "no care location listed",
            "list the care municipalities, or leave care_at out to use every municipality "
            "with care_facilities",
            "[]",
        )
        care_at = None
    return hops_value, km_value, care_at


def _read_targets(doc: SettingsDocument, group_ids: list[str]) -> tuple[Targets, dict[str, int]]:
    targets = _section(doc, "targets")
    _check_keys(doc, ("targets",), targets, SECTIONS["targets"])
    low = high = 0
    if "new_homes" in targets:
        if "new_homes_min" in targets or "new_homes_max" in targets:
            doc.report(
                ("targets", "new_homes"),
                "give either new_homes or a range, not both",
                "remove new_homes, or new_homes_min and new_homes_max",
            )
        total = _int(
            doc,
            ("targets", "new_homes"),
            targets["new_homes"],
            minimum=0,
            what="the regional new-build total",
        )
        low = high = total or 0
    elif "new_homes_min" in targets or "new_homes_max" in targets:
        low = (
            _int(
                doc,
                ("targets", "new_homes_min"),
                targets.get("new_homes_min", 0),
                minimum=0,
                what="the least number of new homes",
            )
            or 0
        )
        if "new_homes_max" not in targets:
            doc.report(
                ("targets", "new_homes_max"), "a range needs an upper end", "give new_homes_max"
            )
        high = (
            _int(
                doc,
                ("targets", "new_homes_max"),
                targets.get("new_homes_max", 0),
                minimum=0,
                what="the largest number of new homes",
            )
            or 0
        )
        if low > high:
            doc.report(
                ("targets", "new_homes_min"),
                f"new_homes_min {low} exceeds new_homes_max {high}",
                "swap or correct the two numbers",
                low,
            )
    else:
        doc.report(
            ("targets",),
            "the regional new-build total is missing",
            "give new_homes (the woondeal total) under [targets]",
        )
    demand_table = targets.get("demand", {})
    demand: dict[str, int] = {}
    if not isinstance(demand_table, Mapping):
        doc.report(
            ("targets", "demand"),
            "demand must be a table of group id = number",
            "write [targets.demand] with one line per group",
        )
        demand_table = {}
    for group_id, value in demand_table.items():
        path: KeyPath = ("targets", "demand", group_id)
        if group_id not in group_ids:
            doc.report(
                path,
                "a demand for a target group that is not defined",
                unknown_name_fix(group_id, group_ids, "group ids")
                if group_ids
                else "define the group under [[groups]]",
            )
            continue
        number = _int(doc, path, value, minimum=0, what="the regional demand of the group")
        if number is not None:
            demand[group_id] = number
    for group_id in group_ids:
        if group_id not in demand_table:
            doc.report(
                ("targets", "demand"),
                f"no demand given for group '{group_id}'",
                f"add {group_id} = <number> under [targets.demand]",
            )
    return Targets(low, high), demand


def _nonnegative(doc: SettingsDocument, path: KeyPath, value: Any, *, what: str) -> Fraction | None:
    """A number >= 0 without upper bound: ``0.2``, ``"1/5"`` or ``"20%"``."""
    if isinstance(value, bool):
        doc.report(path, "expected a number, found true/false", f"give {what}", value)
        return None
    text = value.strip() if isinstance(value, str) else value
    try:
        if isinstance(text, str) and text.endswith("%"):
            number = parse_fraction(text[:-1]) / 100
        else:
            number = parse_fraction(text if isinstance(text, str | int | Fraction) else str(text))
    except CellError as error:
        doc.report(path, str(error), f'give {what} as 0.2, "1/5" or "20%"', value)
        return None
    if number < 0:
        doc.report(path, "must not be negative", f"give {what} >= 0", value)
        return None
    return number


def _factor_name_fix(name: str) -> str:
    """The fix for a factor that names no usable column."""
    near = closest(name, list(FACTOR_COLUMNS))
    if near is not None:
        return f"did you mean '{near}'? Rename it, or remove it"
    if re.fullmatch(r"[A-Za-z0-9_]+", name) and not name.startswith(FACTOR_PREFIX):
        return (
            f"for a column of your own write '{FACTOR_PREFIX}{name}' (and give that column in the "
            f"municipality table); the built-in factors are {', '.join(FACTOR_COLUMNS)}"
        )
    return (
        f"use one of {', '.join(FACTOR_COLUMNS)}, or {FACTOR_PREFIX}<name> for a column "
        "of the municipality table"
    )


def _read_key_factor(doc: SettingsDocument, name: str, raw: Any) -> KeyFactor | None:
    """One factor of ``[policy.key_factors]``: ``name = "0.4"`` or ``name = { weight = .. }``."""
    path: KeyPath = ("policy", "key_factors", name)
    known = name in FACTOR_COLUMNS or (
        name.startswith(FACTOR_PREFIX) and len(name) > len(FACTOR_PREFIX)
    )
    if not known:
        doc.report(path, "unknown key factor", _factor_name_fix(name), name)
    direction: Any = "direct"
    weight_value = raw
    weight_path = path
    if isinstance(raw, Mapping):
        _check_keys(doc, path, raw, FACTOR_KEYS)
        direction = raw.get("direction", "direct")
        weight_path = (*path, "weight")
        weight_value = raw.get("weight")
        if weight_value is None:
            doc.report(weight_path, "the factor has no weight", 'give weight = "0.1"')
    weight = (
        None
        if weight_value is None
        else _fraction(doc, weight_path, weight_value, what=f"the weight of {name}")
    )
    if not isinstance(direction, str) or direction not in FACTOR_DIRECTIONS:
        doc.report(
            (*path, "direction"),
            "unknown factor direction",
            unknown_name_fix(str(direction), tuple(FACTOR_DIRECTIONS), "directions"),
            direction,
        )
        return None
    if not known or weight is None:
        return None
    return KeyFactor(name, weight, str(direction))


def _read_key_factors(doc: SettingsDocument, raw: Any) -> tuple[KeyFactor, ...] | None:
    """The factors of the weighted key, sorted by column, or ``None`` after a problem."""
    path: KeyPath = ("policy", "key_factors")
    if not isinstance(raw, Mapping):
        doc.report(
            path,
            "key_factors must be a table of factor = weight",
            'write [policy.key_factors] with lines such as population = "0.4"',
        )
        return None
    if not raw:
        doc.report(path, "the table has no factors", 'add lines such as population = "0.4"')
        return None
    factors = [_read_key_factor(doc, str(name), value) for name, value in raw.items()]
    if any(f is None for f in factors):
        return None
    valid = sorted((f for f in factors if f is not None), key=lambda f: f.column)
    total = sum((f.weight for f in valid), Fraction(0))
    if total != 1:
        doc.report(
            path,
            f"the factor weights sum to {format_fraction(total)}, not 1",
            "change the weights so that they add up to 1"
            + (f" (e.g. divide each by {format_fraction(total)})" if total else ""),
            format_fraction(total),
        )
        return None
    return tuple(valid)


def _read_key_settings(doc: SettingsDocument, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of the distribution keys (`KEY_SETTINGS`) that ``[policy]`` gives."""
    values: dict[str, Any] = {}
    if "ses_correction" in raw:
        strength = _nonnegative(
            doc,
            ("policy", "ses_correction"),
            raw["ses_correction"],
            what="the strength of the SES correction",
        )
        if strength is not None:
            values["ses_correction"] = strength
    if "credit_prior_placements" in raw:
        credit = raw["credit_prior_placements"]
        if isinstance(credit, bool):
            values["credit_prior_placements"] = credit
        else:
            doc.report(
                ("policy", "credit_prior_placements"),
                "expected true or false",
                "write true to count placements already made towards the quotas, else false",
                credit,
            )
    if "key_factors" in raw:
        factors = _read_key_factors(doc, raw["key_factors"])
        if factors is not None:
            values["key_factors"] = factors
    if raw.get("distribution_key") == "weighted" and "key_factors" not in raw:
        doc.report(
            ("policy", "distribution_key"),
            "the weighted key needs its factors",
            'add [policy.key_factors] with lines such as population = "0.4", weights summing to 1',
            "weighted",
        )
    return values


def _read_exchange_settings(doc: SettingsDocument, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The exchange settings of ``[policy]`` that are given, validated."""
    values: dict[str, Any] = {}
    if "exchanges" in raw:
        if isinstance(raw["exchanges"], str) and raw["exchanges"] in EXCHANGE_PAIRS:
            values["exchanges"] = raw["exchanges"]
        else:
            doc.report(
                ("policy", "exchanges"),
                "unknown kind of exchange pairs",
                unknown_name_fix(str(raw["exchanges"]), tuple(EXCHANGE_PAIRS), "values"),
                raw["exchanges"],
            )
    for name in ("exchange_max_km", "exchange_compensation"):
        if name in raw:
            number = _nonnegative(doc, ("policy", name), raw[name], what=f"the number {name}")
            if name == "exchange_compensation" and number is not None and number.denominator > 100:
                doc.report(
                    ("policy", name),
                    "at most two decimals (or a fraction with a denominator up to 100)",
                    "give e.g. 0.25 or 1/3",
                    raw[name],
                )
                number = None
            if number is not None:
                values[name] = number
    if "exchange_max_share" in raw:
        share = _fraction(
            doc, ("policy", "exchange_max_share"), raw["exchange_max_share"], what="a share"
        )
        if share is not None:
            values["exchange_max_share"] = share
    if "exchange_max_per_pair" in raw:
        most = _int(
            doc,
            ("policy", "exchange_max_per_pair"),
            raw["exchange_max_per_pair"],
            minimum=0,
            what="a number of households",
        )
        if most is not None:
            values["exchange_max_per_pair"] = most
    if values.get("exchanges") == "distance" and "exchange_max_km" not in values:
        doc.report(
            ("policy", "exchanges"),
            'exchanges = "distance" needs the largest distance',
            "give exchange_max_km, e.g. 15",
            "distance",
        )
    return values


def _read_policy(doc: SettingsDocument) -> Policy:
    raw = _section(doc, "policy")
    _check_keys(doc, ("policy",), raw, SECTIONS["policy"])
    defaults = Policy()
    values: dict[str, Any] = {}
    for name in FRACTION_FIELDS:
        if name in raw:
            share = _fraction(doc, ("policy", name), raw[name], what=f"the share {name}")
            if share is not None:
                values[name] = share
    for name in OPTIONAL_FRACTION_FIELDS:
        if name not in raw:
            continue
        if name in SHARE_CAPS:
            number = _fraction(doc, ("policy", name), raw[name], what=f"the share {name}")
        else:
            number = _nonnegative(doc, ("policy", name), raw[name], what=f"the cap {name}")
        if number is not None:
            values[name] = number
    values.update(_read_exchange_settings(doc, raw))
    for name in INT_FIELDS:
        if name in raw:
            weight = _int(doc, ("policy", name), raw[name], minimum=0, what=f"the weight {name}")
            if weight is not None:
                values[name] = weight
    for name, known in (
        ("distribution_key", DISTRIBUTION_KEYS),
        ("objective", OBJECTIVES),
        ("norm_objective", NORM_OBJECTIVES),
    ):
        if name in raw:
            if isinstance(raw[name], str) and raw[name] in known:
                values[name] = raw[name]
            else:
                doc.report(
                    ("policy", name),
                    f"unknown {name.replace('_', ' ')}",
                    unknown_name_fix(str(raw[name]), tuple(known), "values"),
                    raw[name],
                )
    values.update(_read_key_settings(doc, raw))
    rules = dict(defaults.rules)
    raw_rules = raw.get("rules", {})
    if isinstance(raw_rules, Mapping):
        for rule, switch in raw_rules.items():
            if rule not in RULES:
                doc.report(
                    ("policy", "rules", rule),
                    "unknown rule",
                    unknown_name_fix(rule, tuple(RULES), "rules"),
                )
            elif not isinstance(switch, bool):
                doc.report(
                    ("policy", "rules", rule),
                    "expected true or false",
                    "write true to apply the rule, false to switch it off",
                    switch,
                )
            else:
                rules[rule] = switch
    else:
        doc.report(("policy", "rules"), "rules must be a table", "write [policy.rules]")
    return Policy(**values, rules=rules)


def read_settings(doc: SettingsDocument) -> Settings:
    """Validate the settings dictionary; problems are appended to ``doc.problems``."""
    _check_keys(doc, (), doc.data, tuple(SECTIONS))
    region = _section(doc, "region")
    _check_keys(doc, ("region",), region, SECTIONS["region"])
    name = _text(doc, ("region", "name"), region.get("name"), what="the region's name") or ""
    base_year = (
        _int(
            doc,
            ("region", "base_year"),
            region.get("base_year"),
            minimum=1900,
            what="the year of the stock figures (1 January)",
        )
        or 0
    )
    horizon = (
        _int(
            doc,
            ("region", "horizon_years"),
            region.get("horizon_years"),
            minimum=1,
            what="the number of years to the horizon",
        )
        or 0
    )
    turnover = None
    if "default_turnover_rate" in region:
        turnover = _fraction(
            doc,
            ("region", "default_turnover_rate"),
            region["default_turnover_rate"],
            what="the yearly turnover share",
        )
    source = region.get("source", "")
    files = _section(doc, "files")
    _check_keys(doc, ("files",), files, SECTIONS["files"])
    municipalities_file = files.get("municipalities", "municipalities.csv")
    adjacency_file = files.get("adjacency")
    groups = _read_groups(doc)
    targets, demand = _read_targets(doc, [g.id for g in groups])
    groups = [replace(g, demand=demand.get(g.id, 0)) for g in groups]
    return Settings(
        name=name,
        base_year=base_year,
        horizon_years=horizon,
        default_turnover_rate=turnover,
        source=source if isinstance(source, str) else str(source),
        municipalities_file=str(municipalities_file),
        adjacency_file=None if adjacency_file is None else str(adjacency_file),
        targets=targets,
        demand=demand,
        groups=tuple(groups),
        policy=_read_policy(doc),
    )
