"""The hours report as an Excel workbook (openpyxl, like the elder export)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from elders.roster import XLSX_CONTENT_TYPE
from volunteers.queries import HoursReport, HoursRow


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def _sheet(workbook, title, first_headers, rows: list[HoursRow], report, cells):
    sheet = workbook.create_sheet(title)
    headers = [*first_headers, *[f"{m:%Y-%m}" for m in report.months], _("Total")]
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(
            10, len(str(header)) + 4
        )
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=str(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append(
            [
                *cells(row),
                *[_hours(m) for m in row.by_month(report.months)],
                _hours(row.total),
            ]
        )
    return sheet


def hours_workbook(report: HoursReport) -> bytes:
    """Hours (not minutes) per volunteer and per team for each month of the report."""
    workbook = Workbook(write_only=True)
    _sheet(
        workbook,
        _("Volunteers"),
        [_("Station"), _("Volunteer"), _("Team")],
        report.volunteers,
        report,
        lambda row: [row.station, row.name, row.team],
    )
    _sheet(
        workbook,
        _("Teams"),
        [_("Station"), _("Team")],
        report.teams,
        report,
        lambda row: [row.station, row.name],
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


__all__ = ["XLSX_CONTENT_TYPE", "hours_workbook"]
