"""How a service record is paid (PRODUCT.md "Services": vouchers first, the rest
by the elder).

``record_payment`` is the one place that splits a record's amount. Until the
vouchers issue replaces it, the elder pays everything.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def record_amount(record) -> Decimal:
    """Unit price × quantity, to the cent."""
    return (Decimal(record.price) * Decimal(record.quantity)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def record_payment(record) -> tuple[Decimal, Decimal]:
    """``(voucher_paid, self_paid)`` of ``record``; they add up to its amount."""
    return Decimal("0.00"), record_amount(record)
