from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VouchersConfig(AppConfig):
    name = "vouchers"
    verbose_name = _("Vouchers")

    def ready(self) -> None:
        from carecenter.management.commands.seed_demo import seed_demo_steps
        from elders.demo import seed_elders
        from services.payment import payment_requested, refund_requested
        from vouchers import (
            jobs,
            queries,  # noqa: F401  (registers the home counters)
        )
        from vouchers.demo import seed_voucher_expiry, seed_voucher_issuance
        from vouchers.receivers import give_vouchers_back, pay_from_vouchers

        jobs.register()
        # Service records are paid from vouchers first (services.payment).
        payment_requested.connect(pay_from_vouchers, dispatch_uid="vouchers.pay")
        refund_requested.connect(give_vouchers_back, dispatch_uid="vouchers.refund")

        # Issuance right after the elders, so that the demo services spend vouchers;
        # expiry after everything else.
        if seed_voucher_issuance not in seed_demo_steps:
            seed_demo_steps.insert(
                seed_demo_steps.index(seed_elders) + 1, seed_voucher_issuance
            )
        if seed_voucher_expiry not in seed_demo_steps:
            seed_demo_steps.append(seed_voucher_expiry)
