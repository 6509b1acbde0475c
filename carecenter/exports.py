"""The one way every spreadsheet leaves the application (PRODUCT.md: "Exports never
contain formulas").

* ``Workbook`` / ``Sheet`` wrap openpyxl's write-only mode (a station of 20,000
  elders stays flat in memory). Every text is written as a *text* cell and
  passed through ``neutralise``: a text that a spreadsheet would read as a
  formula or a command (leading ``=``, ``+``, ``-``, ``@``, tab or carriage
  return, as OWASP lists them) gets a leading apostrophe, so that an elder named
  ``=HYPERLINK("http://x","y")`` stays a name, in Excel, WPS, LibreOffice, or
  after a copy into a CSV file. Numbers, dates and booleans keep their types.
* ``xlsx_response`` sends the file and writes its access-log entry
  (``carecenter.access_log``): who exported what, how many rows, which filter.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from carecenter import access_log
from carecenter.models import AccessAction

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Leading characters that make a spreadsheet evaluate a text.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_BOLD = Font(bold=True)


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet can only show it (an apostrophe before a
    leading ``= + - @ \\t \\r``)."""
    if text and text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


def cell_value(value):
    """A value as written: numbers, dates and booleans as themselves, Decimal as
    float, everything else (lazy translations, model objects) as neutral text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value
    return neutralise(str(value))


class Sheet:
    """One sheet of a ``Workbook``; rows go in with ``row``."""

    def __init__(self, workbook: Workbook, title: str):
        self._sheet = workbook._book.create_sheet(title)
        self.rows = 0  # data rows written (headers and titles not counted)

    def widths(self, widths: Sequence[float]) -> Sheet:
        for index, width in enumerate(widths, start=1):
            self._sheet.column_dimensions[get_column_letter(index)].width = width
        return self

    def freeze(self, cell: str) -> Sheet:
        self._sheet.freeze_panes = cell
        return self

    def row(
        self,
        values: Iterable,
        *,
        bold: bool = False,
        formats: Sequence[str | None] | Mapping[int, str] | None = None,
        data: bool = True,
    ) -> None:
        """Append a row. ``formats``: a number format per column (or by index);
        ``data``: False for titles and headers (not counted as rows)."""
        cells = []
        for position, value in enumerate(values):
            written = cell_value(value)
            cell = WriteOnlyCell(self._sheet, value=written)
            if isinstance(written, str):
                # Text, whatever openpyxl would guess from its first character.
                cell.data_type = "s"
            if bold:
                cell.font = _BOLD
            number_format = None
            if isinstance(formats, Mapping):
                number_format = formats.get(position)
            elif formats is not None and position < len(formats):
                number_format = formats[position]
            if number_format:
                cell.number_format = number_format
            elif isinstance(written, datetime.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(written, datetime.date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        self._sheet.append(cells)
        if data:
            self.rows += 1

    def header(self, values: Iterable) -> None:
        self.row(values, bold=True, data=False)


class Workbook:
    """A write-only workbook whose every text cell is safe (see the module)."""

    def __init__(self):
        self._book = OpenpyxlWorkbook(write_only=True)
        self.sheets: list[Sheet] = []
        self._content: bytes | None = None

    def sheet(self, title: str) -> Sheet:
        sheet = Sheet(self, str(title))
        self.sheets.append(sheet)
        return sheet

    @property
    def rows(self) -> int:
        return sum(sheet.rows for sheet in self.sheets)

    def to_bytes(self) -> bytes:
        """The file (a write-only workbook is saved once; later calls reuse it)."""
        if self._content is None:
            out = io.BytesIO()
            self._book.save(out)
            self._content = out.getvalue()
        return self._content


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def xlsx_response(
    request,
    workbook: Workbook,
    *,
    filename: str,
    what: str,
    rows: int | None = None,
    station=None,
    filters: Mapping | None = None,
    log: bool = True,
) -> HttpResponse:
    """The workbook as a download, logged as an export (``log``: False only for
    files without personal data, such as the blank roster template)."""
    content = workbook.to_bytes()
    if log:
        access_log.record(
            request,
            action=AccessAction.EXPORT,
            rows=workbook.rows if rows is None else rows,
            what=what,
            station=station,
            filters=request.GET if filters is None else filters,
        )
    return _attachment(HttpResponse(content, content_type=XLSX_CONTENT_TYPE), filename)
