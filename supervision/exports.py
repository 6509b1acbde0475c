"""The dashboard's tables as Excel workbooks: the same ``tables.Table`` objects the
page shows, one sheet per table."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from carecenter.exports import XLSX_CONTENT_TYPE, Workbook
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


def _write(workbook: Workbook, table: Table, dash: Dashboard, taken: set[str]):
    sheet = workbook.sheet(_sheet_title(table.title, taken))
    sheet.widths(
        [
            24 if index == 1 else max(10, min(28, len(column.label) + 4))
            for index, column in enumerate(table.columns, start=1)
        ]
    ).freeze("B5")
    kinds = [c.kind for c in table.columns]
    formats = [
        "#,##0.00" if kind == MONEY else "0.0" if kind == DECIMAL else None
        for kind in kinds
    ]

    sheet.row([table.title], bold=True, data=False)
    sheet.row([_scope_line(dash)], data=False)
    sheet.row([table.note] if table.note else [], data=False)
    sheet.header(
        [f"{c.label} (%)" if c.kind == PERCENT else c.label for c in table.columns]
    )
    for row in table.rows:
        sheet.row(row.cells, formats=formats)
    if table.footer is not None:
        sheet.row(table.footer, bold=True, formats=formats, data=False)


def dashboard_workbook(dash: Dashboard, tables: list[Table]) -> Workbook:
    """One sheet per table, through ``carecenter.exports`` (no formula)."""
    workbook = Workbook()
    taken: set[str] = set()
    for table in tables:
        _write(workbook, table, dash, taken)
    return workbook


__all__ = ["XLSX_CONTENT_TYPE", "dashboard_workbook"]
