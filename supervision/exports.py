"""The dashboard's tables as Excel workbooks: the same ``tables.Table`` objects the
page shows, one sheet per table."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from elders.roster import XLSX_CONTENT_TYPE
from supervision.queries import Dashboard
from supervision.tables import DECIMAL, MONEY, PERCENT, Table

#: Excel sheet names: at most 31 characters, none of []:*?/\ .
_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def _sheet_title(title: str, taken: set[str]) -> str:
    base = title.translate(_FORBIDDEN)[:31]
    name, n = base, 2
    while name in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _value(value, kind: str):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _scope_line(dash: Dashboard) -> str:
    if dash.station is not None:
        scope = str(dash.station)
    else:
        scope = "、".join(str(d) for d in dash.districts)
    as_of = (
        timezone.localtime(dash.as_of.started_at).strftime("%Y-%m-%d %H:%M")
        if dash.as_of
        else "—"
    )
    return _("%(scope)s · %(first)s – %(last)s · figures as of %(as_of)s") % {
        "scope": scope,
        "first": f"{dash.first:%Y-%m}",
        "last": f"{dash.last:%Y-%m}",
        "as_of": as_of,
    }


def _write(workbook, table: Table, dash: Dashboard, taken: set[str]) -> None:
    sheet = workbook.create_sheet(_sheet_title(table.title, taken))
    bold = Font(bold=True)
    for index, column in enumerate(table.columns, start=1):
        width = 24 if index == 1 else max(10, min(28, len(column.label) + 4))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "B5"

    def line(values, kinds=None, *, strong=False):
        cells = []
        for position, value in enumerate(values):
            kind = kinds[position] if kinds else ""
            cell = WriteOnlyCell(sheet, value=_value(value, kind))
            if strong:
                cell.font = bold
            if kind == MONEY:
                cell.number_format = "#,##0.00"
            elif kind == DECIMAL:
                cell.number_format = "0.0"
            cells.append(cell)
        sheet.append(cells)

    line([table.title], strong=True)
    line([_scope_line(dash)])
    line([table.note] if table.note else [])
    headers = [
        f"{c.label} (%)" if c.kind == PERCENT else c.label for c in table.columns
    ]
    line(headers, strong=True)
    kinds = [c.kind for c in table.columns]
    for row in table.rows:
        line(row.cells, kinds)
    if table.footer is not None:
        line(table.footer, kinds, strong=True)


def dashboard_workbook(dash: Dashboard, tables: list[Table]) -> bytes:
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    for table in tables:
        _write(workbook, table, dash, taken)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


__all__ = ["XLSX_CONTENT_TYPE", "dashboard_workbook"]
