"""Validation of the municipality and adjacency tables, row by row, all problems at once."""

from __future__ import annotations

from fractions import Fraction

from models.cells import Cell, CellError, is_blank, parse_fraction, parse_int, round_half_up
from models.region import Edge, Municipality
from models.schema import (
    ADJACENCY_COLUMNS,
    ARREARS_PREFIX,
    CODE_FIX,
    CODE_PATTERN,
    FACTOR_PREFIX,
    MUNICIPALITY_COLUMNS,
    PRIOR_PREFIX,
    Column,
)
from models.settings import closest
from models.tables import RawRow, RawTable

_GROUP_PREFIXES = (PRIOR_PREFIX, ARREARS_PREFIX)


def check_columns(
    table: RawTable, declared: tuple[Column, ...], group_ids: tuple[str, ...] = ()
) -> None:
    """Report missing required columns and unknown ones (with the closest known name)."""
    if not table.columns and table.problems:
        return  # the file could not be read (reported): every column would be "missing" too
    known = [c.name for c in declared]
    for column in declared:
        if column.required and column.name not in table.columns:
            table.problems.append(
                table.problem(
                    f"required column '{column.name}' is missing",
                    f"add a column '{column.name}' ({column.meaning})",
                    row=1,
                    column=column.name,
                )
            )
    if declared is MUNICIPALITY_COLUMNS and not {"social_stock", "social_share_pct"} & set(
        table.columns
    ):
        table.problems.append(
            table.problem(
                "the social stock is missing",
                "add a column 'social_stock' (a count) or 'social_share_pct' (a percentage)",
                row=1,
                column="social_stock",
            )
        )
    for name in table.columns:
        if name in known:
            continue
        if declared is MUNICIPALITY_COLUMNS and _is_dynamic_column(name, group_ids):
            continue
        if declared is MUNICIPALITY_COLUMNS and name.startswith(_GROUP_PREFIXES):
            prefix = PRIOR_PREFIX if name.startswith(PRIOR_PREFIX) else ARREARS_PREFIX
            group = name[len(prefix) :]
            near = closest(group, list(group_ids))
            hint = f"did you mean '{prefix}{near}'?" if near else "define the group in the settings"
            message = f"the column names target group '{group}', which is not defined"
            table.problems.append(table.problem(message, hint, row=1, column=name))
            continue
        candidates = known + [f"{p}{g}" for g in group_ids for p in _GROUP_PREFIXES]
        near = closest(name, candidates)
        fix = (
            f"did you mean '{near}'? Rename the column"
            if near
            else f"remove it, or prefix a numeric column for keys with '{FACTOR_PREFIX}'"
        )
        table.problems.append(table.problem("unknown column", fix, row=1, column=name))


def _is_dynamic_column(name: str, group_ids: tuple[str, ...]) -> bool:
    if name.startswith(FACTOR_PREFIX) and len(name) > len(FACTOR_PREFIX):
        return True
    return any(name == f"{p}{g}" for g in group_ids for p in _GROUP_PREFIXES)


def _number_fix(column: Column, decimal_comma: bool | None) -> str:
    """How to write a number for this column, with an example in the table's decimal convention."""
    example = column.example.replace(".", ",") if decimal_comma else column.example
    what = {"int": "a whole number", "pct": "a percentage (0-100)"}.get(column.kind, "a number")
    unit = f" ({column.unit})" if column.unit and column.kind != "pct" else ""
    return f"write {column.meaning} as {what}{unit}, e.g. {example}"


class _RowReader:
    """Reads the typed cells of one row and reports each bad cell on the table."""

    def __init__(self, table: RawTable, row: RawRow) -> None:
        self.table = table
        self.row = row
        self.ok = True

    def _fail(self, column: str, message: str, fix: str, value: Cell) -> None:
        self.ok = False
        self.table.problems.append(
            self.table.problem(message, fix, row=self.row.number, column=column, value=value)
        )

    def cell(self, column: Column) -> Cell:
        return self.row.cells.get(column.name)

    def value(self, column: Column) -> int | Fraction | str | None:
        """The typed value of the cell, ``None`` if blank (reported if required) or invalid."""
        cell = self.cell(column)
        if is_blank(cell):
            if column.required and column.name in self.table.columns:
                self._fail(column.name, "required value is empty", f"give {column.meaning}", None)
            return None
        if column.kind in ("text", "code"):
            text = str(cell).strip()
            if column.kind == "code" and not CODE_PATTERN.fullmatch(text):
                self._fail(
                    column.name,
                    "not a CBS municipality code",
                    CODE_FIX,
                    cell,
                )
                return None
            return text
        number: int | Fraction
        try:
            text_cell = cell.rstrip().removesuffix("%") if isinstance(cell, str) else cell
            if column.kind == "int":
                number = parse_int(text_cell, decimal_comma=self.table.decimal_comma)
            else:
                source = text_cell if column.kind == "pct" else cell
                number = parse_fraction(source, decimal_comma=self.table.decimal_comma)
        except CellError as error:
            self._fail(column.name, str(error), _number_fix(column, self.table.decimal_comma), cell)
            return None
        return self._bounded(column, number, cell)

    def _bounded(self, column: Column, number: int | Fraction, cell: Cell) -> int | Fraction | None:
        low, high = column.minimum, column.maximum
        if low is not None and number < low:
            what = "negative" if low == 0 else f"below {low}"
            fix = f"give {column.meaning}, at least {low}"
            if column.kind == "pct":
                fix = "give a percentage between 0 and 100"
            self._fail(column.name, f"the value is {what}", fix, cell)
            return None
        if high is not None and number > high:
            fix = (
                "give a percentage between 0 and 100"
                if column.kind == "pct"
                else f"give {column.meaning}, at most {high}"
            )
            self._fail(column.name, f"the value is above {high}", fix, cell)
            return None
        return number

    def extra_int(self, name: str, *, allow_negative: bool) -> int | None:
        cell = self.row.cells.get(name)
        if is_blank(cell):
            return None
        try:
            number = parse_int(cell, decimal_comma=self.table.decimal_comma)
        except CellError as error:
            self._fail(name, str(error), "give a whole number of households", cell)
            return None
        if number < 0 and not allow_negative:
            self._fail(name, "the value is negative", "give a whole number >= 0", cell)
            return None
        return number

    def extra_fraction(self, name: str) -> Fraction | None:
        cell = self.row.cells.get(name)
        if is_blank(cell):
            return None
        try:
            return parse_fraction(cell, decimal_comma=self.table.decimal_comma)
        except CellError as error:
            self._fail(name, str(error), "give a number", cell)
            return None


def _social_stock(
    reader: _RowReader, dwellings: int | None, count: int | None, pct: Fraction | None
) -> int | None:
    """The social stock of a row: the count if given, else ``round_half_up(pct/100 * dwellings)``.

    When both are given they must agree: the count, as a percentage of the stock, must round
    (half up) to the percentage given, at the precision the percentage is written in.
    """
    if dwellings is None:
        return None
    if count is None and pct is None:
        cell_count = reader.row.cells.get("social_stock")
        cell_pct = reader.row.cells.get("social_share_pct")
        if is_blank(cell_count) and is_blank(cell_pct):
            reader._fail(
                "social_stock",
                "the social stock is empty",
                "give social_stock (a count) or social_share_pct (a percentage)",
                None,
            )
        return None
    if count is not None:
        if count > dwellings:
            reader._fail(
                "social_stock",
                f"social stock {count} exceeds the {dwellings} dwellings",
                "give the number of social rent dwellings, at most the housing stock",
                count,
            )
            return None
        if pct is not None and dwellings > 0:
            step = Fraction(1, pct.denominator) if pct.denominator > 1 else Fraction(1)
            implied = Fraction(100 * count, dwellings)
            if abs(implied - pct) > step / 2:
                reader._fail(
                    "social_share_pct",
                    f"the percentage disagrees with social_stock {count} of {dwellings} dwellings "
                    f"({float(implied):.2f}%)",
                    "give only one of social_stock and social_share_pct, or make them agree",
                    str(pct),
                )
                return None
        return count
    return None if pct is None else round_half_up(pct * dwellings / 100)


def read_municipalities(table: RawTable, group_ids: tuple[str, ...]) -> list[Municipality]:
    """Validate every row of the municipality table; return the rows that are valid.

    Problems (bad cells, duplicate codes, social stock above dwellings, ...) are appended to
    ``table.problems``.
    """
    check_columns(table, MUNICIPALITY_COLUMNS, group_ids)
    spec = {c.name: c for c in MUNICIPALITY_COLUMNS}
    first_row: dict[str, int] = {}
    result: list[Municipality] = []
    for row in table.rows:
        reader = _RowReader(table, row)
        values = {name: reader.value(column) for name, column in spec.items()}
        code = values["code"]
        if isinstance(code, str):
            if code in first_row:
                reader._fail(
                    "code",
                    f"duplicate code: row {first_row[code]} has the same code",
                    "keep one row per municipality",
                    code,
                )
            else:
                first_row[code] = row.number
        dwellings = values["dwellings"]
        social = _social_stock(
            reader,
            dwellings if isinstance(dwellings, int) else None,
            values["social_stock"] if isinstance(values["social_stock"], int) else None,
            Fraction(values["social_share_pct"])
            if isinstance(values["social_share_pct"], int | Fraction)
            else None,
        )
        capacity, minimum = values["plan_capacity"], values["min_new_homes"]
        if isinstance(capacity, int) and isinstance(minimum, int) and minimum > capacity:
            reader._fail(
                "min_new_homes",
                f"the minimum of {minimum} new homes exceeds the plan capacity of {capacity}",
                "lower min_new_homes or raise plan_capacity",
                minimum,
            )
        latitude, longitude = values["latitude"], values["longitude"]
        if (latitude is None) != (longitude is None) and reader.ok:
            missing = "longitude" if longitude is None else "latitude"
            reader._fail(
                missing, "latitude and longitude come in pairs", f"give {missing} too", None
            )
        prior = {g: reader.extra_int(f"{PRIOR_PREFIX}{g}", allow_negative=False) for g in group_ids}
        arrears = {
            g: reader.extra_int(f"{ARREARS_PREFIX}{g}", allow_negative=True) for g in group_ids
        }
        factors = {
            name: reader.extra_fraction(name)
            for name in table.columns
            if name.startswith(FACTOR_PREFIX) and len(name) > len(FACTOR_PREFIX)
        }
        if not reader.ok or social is None:
            continue
        pct = values["social_share_pct"]
        result.append(
            Municipality(
                code=str(code),
                name=str(values["name"]),
                population=int(values["population"] or 0),
                dwellings=int(dwellings or 0),
                social_stock=social,
                plan_capacity=int(capacity or 0),
                social_share_pct_given=None if pct is None else Fraction(pct),
                social_stock_from_pct=values["social_stock"] is None,
                households=_optional_int(values["households"]),
                min_new_homes=_optional_int(minimum),
                turnover_rate=_optional_fraction(values["turnover_rate"]),
                ses_score=_optional_fraction(values["ses_score"]),
                latitude=_optional_fraction(latitude),
                longitude=_optional_fraction(longitude),
                care_facilities=_optional_int(values["care_facilities"]),
                subregion=None if values["subregion"] is None else str(values["subregion"]),
                prior_placements={g: v for g, v in prior.items() if v is not None},
                arrears={g: v for g, v in arrears.items() if v is not None},
                factors={n: v for n, v in factors.items() if v is not None},
            )
        )
    return sorted(result, key=lambda m: m.code)


def _optional_int(value: int | Fraction | str | None) -> int | None:
    return None if value is None else int(value)


def _optional_fraction(value: int | Fraction | str | None) -> Fraction | None:
    return None if value is None else Fraction(value)


def read_adjacency(table: RawTable, codes: set[str]) -> list[Edge]:
    """Validate the adjacency table: known codes, no self-loops, no pair twice (in either order)."""
    check_columns(table, ADJACENCY_COLUMNS)
    spec = {c.name: c for c in ADJACENCY_COLUMNS}
    seen: dict[tuple[str, str], int] = {}
    edges: list[Edge] = []
    for row in table.rows:
        reader = _RowReader(table, row)
        values = {name: reader.value(column) for name, column in spec.items()}
        a, b = values["code_a"], values["code_b"]
        for column, code in (("code_a", a), ("code_b", b)):
            if isinstance(code, str) and codes and code not in codes:
                reader._fail(
                    column,
                    "the code is not in the municipality table",
                    "use a code of the municipality table, or add that municipality",
                    code,
                )
        contact = values["contact"]
        if contact is not None and contact not in ("edge", "point"):
            reader._fail("contact", "unknown contact", "write edge or point", contact)
        if not (reader.ok and isinstance(a, str) and isinstance(b, str)):
            continue
        if a == b:
            reader._fail("code_b", "a municipality cannot border itself", "remove the row", b)
            continue
        pair = (min(a, b), max(a, b))
        if pair in seen:
            reader._fail(
                "code_b",
                f"the pair {pair[0]}-{pair[1]} is already listed in row {seen[pair]}",
                "list each pair once (the graph is undirected)",
                b,
            )
            continue
        seen[pair] = row.number
        km = values["shared_border_km"]
        edges.append(
            Edge(
                pair[0],
                pair[1],
                None if km is None else Fraction(km),
                None if contact is None else str(contact),
            )
        )
    return sorted(edges, key=lambda e: (e.code_a, e.code_b))
