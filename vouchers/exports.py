"""A provider's monthly statement as an Excel workbook (the settlement of the
government's purchase of services)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from carecenter.exports import XLSX_CONTENT_TYPE, Workbook
from services.queries import mask_name


def statement_workbook(statement) -> Workbook:
    """One row per voucher-paid service, then the totals. Names are masked: the
    statement leaves the station for the provider and the finance office. Through
    ``carecenter.exports``: text cells as text, no formula."""
    workbook = Workbook()
    sheet = workbook.sheet(_("Statement"))
    sheet.widths([18, 12, 16, 10, 10, 12, 12, 12])

    def row(values, *, strong=False, data=True):
        sheet.row(values, bold=strong, data=data)

    row(
        [
            _("Provider statement"),
            str(statement.provider),
            f"{statement.month:%Y-%m}",
            str(statement.provider.station),
        ],
        strong=True,
        data=False,
    )
    row([], data=False)
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
        data=False,
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
        data=False,
    )
    return workbook


__all__ = ["XLSX_CONTENT_TYPE", "statement_workbook"]
