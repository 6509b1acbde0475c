"""How a service record is paid (PRODUCT.md "Services", "Vouchers"): the elder's
vouchers valid on the service day first, oldest expiry first; the rest by the elder.

``record_amount`` is the one place a record's amount is computed; ``pay`` and
``refund`` are the only ways a record touches the voucher ledger.

The services app sits below the vouchers app (STYLE.md §13) and never imports it:
it announces a payment or a refund with a signal, inside the record's transaction,
and the vouchers app's receivers (``vouchers.receivers``) draw on the ledger and
answer with the amount they covered. Without a receiver the elder pays it all.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from services.models import Unit

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: The largest amount a record can hold (its ``numeric(10, 2)`` money columns).
MAX_AMOUNT = Decimal("99999999.99")

#: Sent with ``record``, ``amount``, ``on`` (the local delivery date) and
#: ``actor`` inside the record's transaction; a receiver spends what it can of
#: ``amount`` and returns how much.
payment_requested = Signal()
#: Sent with ``record`` and ``actor`` when a record is cancelled; a receiver gives
#: back what it spent and returns how much.
refund_requested = Signal()


def record_amount(record) -> Decimal:
    """Unit price × quantity, to the cent."""
    return (Decimal(record.price) * Decimal(record.quantity)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def billed_quantity(service_type, duration_minutes, quantity) -> Decimal | None:
    """The quantity billed: a service priced per hour bills its duration in hours
    (to the cent of an hour), whatever quantity was typed; others bill the
    quantity given (visits, meals)."""
    from_hours = service_type is not None and service_type.unit == Unit.HOUR
    if from_hours:
        if duration_minutes is None or duration_minutes < 1:
            return quantity
        return (Decimal(duration_minutes) / 60).quantize(CENT, rounding=ROUND_HALF_UP)
    return quantity


def amount_errors(price, quantity) -> dict[str, list]:
    """Price × quantity must fit the record's money columns; one message if not."""
    try:
        amount = (Decimal(price) * Decimal(quantity)).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
    except (ArithmeticError, TypeError, ValueError):
        return {}  # the fields' own validation says what is wrong
    if amount > MAX_AMOUNT:
        return {
            "quantity": [
                _(
                    "Unit price × quantity is ¥%(amount)s, more than one service "
                    "record can hold (¥%(max)s). Check the price and the quantity."
                )
                % {"amount": f"{amount:,}", "max": f"{MAX_AMOUNT:,}"}
            ]
        }
    return {}


def pay(record, *, actor=None) -> tuple[Decimal, Decimal]:
    """Pay a saved ``record`` inside the caller's transaction.

    Sets and returns ``(voucher_paid, self_paid)``; they add up to its amount.
    Concurrent records of one elder wait for each other's voucher rows, so
    together they never spend more than the elder has.
    """
    amount = record_amount(record)
    answers = payment_requested.send(
        sender=type(record),
        record=record,
        amount=amount,
        on=timezone.localtime(record.delivered_at).date(),
        actor=actor,
    )
    voucher = sum((paid for _receiver, paid in answers), ZERO)
    record.voucher_paid, record.self_paid = voucher, amount - voucher
    return record.voucher_paid, record.self_paid


def refund(record, *, actor=None) -> Decimal:
    """Give a cancelled record's vouchers back to the elder; return the amount."""
    answers = refund_requested.send(sender=type(record), record=record, actor=actor)
    return sum((back for _receiver, back in answers), ZERO)
