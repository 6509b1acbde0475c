"""API tokens that expire, and die with a password change or a deactivation.

``POST /api/v1/auth/token/`` with ``{"username", "password"}`` answers
``{"token", "expires_at"}`` (the view is in ``carecenter.api``). A token lives
``API_TOKEN_LIFETIME`` (12 hours by default, ``API_TOKEN_HOURS``) from when it
was issued; asking again before then
returns the same token, after then a new one. Changing a user's password or
deactivating the user deletes their token (``revoke_on_credentials_change``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def expires_at(token: Token) -> datetime.datetime:
    return token.created + settings.API_TOKEN_LIFETIME


def is_expired(token: Token, now: datetime.datetime | None = None) -> bool:
    return (now or timezone.now()) >= expires_at(token)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing tokens past their lifetime."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if is_expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed(
                _("The token has expired. Ask for a new one.")
            )
        return user, token


@transaction.atomic
def token_for(user) -> Token:
    """The user's token: the current one while it lives, else a new one."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and is_expired(token):
        token.delete()
        token = None
    if token is None:
        token = Token.objects.create(user=user)
    return token


def revoke_on_credentials_change(sender, instance, **kwargs) -> None:
    """``pre_save`` of the user: a new password or a deactivation ends the token.

    ``set_password`` leaves the raw password in ``_password`` until the save.
    """
    if instance.pk is None:
        return
    if getattr(instance, "_password", None) is not None or not instance.is_active:
        Token.objects.filter(user_id=instance.pk).delete()
