"""The hours report as an Excel workbook (through ``carecenter.exports``, like
every export: text cells as text, no formula)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from carecenter.exports import XLSX_CONTENT_TYPE, Workbook
from volunteers.queries import HoursReport, HoursRow


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def _sheet(workbook, title, first_headers, rows: list[HoursRow], report, cells):
    sheet = workbook.sheet(title)
    headers = [*first_headers, *[f"{m:%Y-%m}" for m in report.months], _("Total")]
    sheet.widths([max(10, len(str(h)) + 4) for h in headers]).freeze("A2")
    sheet.header(headers)
    for row in rows:
        sheet.row(
            [
                *cells(row),
                *[_hours(m) for m in row.by_month(report.months)],
                _hours(row.total),
            ]
        )
    return sheet


def hours_workbook(report: HoursReport) -> Workbook:
    """Hours (not minutes) per volunteer and per team for each month of the report."""
    workbook = Workbook()
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
    return workbook


__all__ = ["XLSX_CONTENT_TYPE", "hours_workbook"]
