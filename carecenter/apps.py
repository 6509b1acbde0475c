import logging

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _

security_log = logging.getLogger("carecenter.security")


class CareCenterConfig(AppConfig):
    name = "carecenter"
    verbose_name = _("Stations and users")
    default = True

    def ready(self) -> None:
        from django.contrib.auth import signals
        from django.db.models.signals import pre_save

        from carecenter import (
            jobs,
            queries,  # noqa: F401  (registers the home counters)
        )
        from carecenter.models import User
        from carecenter.tokens import revoke_on_credentials_change

        jobs.register_job(
            "carecenter.catch_up",
            _("Hourly catch-up"),
            _(
                "Every hour at minute 30, and whenever beat starts, runs what is due "
                "and not done: a missing monthly issuance, vouchers past their date, "
                "stale dashboard figures, a missing annual inspection, a skipped "
                "reconciliation."
            ),
            order=0,
        )
        jobs.register_job(
            "carecenter.purge_access_log",
            _("Access-log retention"),
            _(
                "Every night at 03:30, removes access-log entries older than the "
                "retention period (ACCESS_LOG_RETENTION_DAYS)."
            ),
            order=90,
        )

        signals.user_logged_in.connect(_logged_in, dispatch_uid="carecenter-login")
        signals.user_logged_out.connect(_logged_out, dispatch_uid="carecenter-logout")
        signals.user_login_failed.connect(
            _login_failed, dispatch_uid="carecenter-login-failed"
        )
        pre_save.connect(
            revoke_on_credentials_change,
            sender=User,
            dispatch_uid="carecenter-revoke-tokens",
        )


class CareCenterAdminConfig(admin_apps.AdminConfig):
    """Django's admin, opened only to administrators (see ``admin_site``)."""

    default = False
    default_site = "carecenter.admin_site.CareCenterAdminSite"


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "-") if request is not None else "-"


def _logged_in(sender, request, user, **kwargs):
    from carecenter.middleware import start_session_clocks

    security_log.info("login: user=%s from %s", user.pk, _client_address(request))
    start_session_clocks(request)


def _logged_out(sender, request, user, **kwargs):
    security_log.info("logout: user=%s", getattr(user, "pk", None))


def _login_failed(sender, credentials, request=None, **kwargs):
    security_log.warning(
        "login failed: username=%r from %s",
        credentials.get("username"),
        _client_address(request),
    )
