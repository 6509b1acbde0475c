"""A provider's monthly statement as an Excel workbook (the settlement of the
government's purchase of services)."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from elders.roster import XLSX_CONTENT_TYPE
from services.queries import mask_name


def statement_workbook(statement) -> bytes:
    """One row per voucher-paid service, then the totals. Names are masked: the
    statement leaves the station for the provider and the finance office."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Statement"))
    bold = Font(bold=True)
    widths = [18, 12, 16, 10, 10, 12, 12, 12]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    def row(values, *, strong=False):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if strong:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    row(
        [
            _("Provider statement"),
            str(statement.provider),
            f"{statement.month:%Y-%m}",
            str(statement.provider.station),
        ],
        strong=True,
    )
    row([])
    row(
        [
            _("Delivered at"),
            _("Elder"),
            _("Service"),
            _("Quantity"),
            _("Unit price"),
            _("Amount"),
            _("Paid by vouchers"),
            _("Paid by the elder"),
        ],
        strong=True,
    )
    for record in statement.records:
        row(
            [
                timezone.localtime(record.delivered_at).strftime("%Y-%m-%d %H:%M"),
                mask_name(record.elder.name),
                str(record.service_type),
                float(record.quantity),
                float(record.price),
                float(record.voucher_paid + record.self_paid),
                float(record.voucher_paid),
                float(record.self_paid),
            ]
        )
    row(
        [
            _("Total"),
            "",
            "",
            "",
            "",
            float(statement.voucher_paid + statement.self_paid),
            float(statement.voucher_paid),
            float(statement.self_paid),
        ],
        strong=True,
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


__all__ = ["XLSX_CONTENT_TYPE", "statement_workbook"]
