"""How a service record is paid (PRODUCT.md "Services", "Vouchers"): the elder's
vouchers valid on the service day first, oldest expiry first; the rest by the elder.

``record_amount`` is the one place a record's amount is computed; ``pay`` and
``refund`` are the only ways a record touches the voucher ledger.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

CENT = Decimal("0.01")


def record_amount(record) -> Decimal:
    """Unit price × quantity, to the cent."""
    return (Decimal(record.price) * Decimal(record.quantity)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def pay(record, *, actor=None) -> tuple[Decimal, Decimal]:
    """Pay a saved ``record`` inside the caller's transaction.

    Sets and returns ``(voucher_paid, self_paid)``; they add up to its amount.
    Concurrent records of one elder wait for each other's voucher rows, so
    together they never spend more than the elder has.
    """
    from vouchers import ledger

    amount = record_amount(record)
    voucher = ledger.redeem(
        elder_id=record.elder_id,
        amount=amount,
        on=timezone.localtime(record.delivered_at).date(),
        service_record_id=record.pk,
        actor_id=actor.pk if actor is not None else None,
    )
    record.voucher_paid, record.self_paid = voucher, amount - voucher
    return record.voucher_paid, record.self_paid


def refund(record, *, actor=None) -> Decimal:
    """Give a cancelled record's vouchers back to the elder; return the amount."""
    from vouchers import ledger

    return ledger.reverse(
        service_record_id=record.pk,
        actor_id=actor.pk if actor is not None else None,
    )
