"""The vouchers app's answer to the services app's payment signals
(``services.payment``): a service record is paid from the elder's vouchers valid
on its delivery date, and a cancelled one gives them back. Connected in
``VouchersConfig.ready``."""

from __future__ import annotations

from decimal import Decimal

from vouchers import ledger


def pay_from_vouchers(sender, *, record, amount, on, actor, **kwargs) -> Decimal:
    return ledger.redeem(
        elder_id=record.elder_id,
        amount=amount,
        on=on,
        service_record_id=record.pk,
        actor_id=actor.pk if actor is not None else None,
    )


def give_vouchers_back(sender, *, record, actor, **kwargs) -> Decimal:
    return ledger.reverse(
        service_record_id=record.pk,
        actor_id=actor.pk if actor is not None else None,
    )
