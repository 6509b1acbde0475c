"""The REST API's shared pieces: scoped view sets and related fields, stations, and
the token endpoint (``carecenter.tokens``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.response import Response
from rest_framework.settings import api_settings

from carecenter.models import Station
from carecenter.scoping import visible_to
from carecenter.tokens import expires_at, token_for


@contextmanager
def action_errors() -> Iterator[None]:
    """Around an action call: its Django ``ValidationError`` answers 400.

    The field keys stay as the action gave them (``__all__`` becomes DRF's
    ``non_field_errors``). The action's transaction has rolled back already.
    """
    try:
        yield
    except DjangoValidationError as exc:
        detail = serializers.as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        raise serializers.ValidationError(detail) from None


class ScopedViewSetMixin:
    """Every list and detail within the caller's scope; outside it answers 404."""

    def get_queryset(self):
        return visible_to(self.request.user, super().get_queryset())


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A writable reference that accepts only objects the caller may see.

    Another station's id is answered exactly like a missing one.
    """

    def get_queryset(self):
        request = self.context.get("request")
        return visible_to(request.user, super().get_queryset())


class StationSerializer(serializers.ModelSerializer):
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Station
        fields = ["id", "code", "name", "district", "address", "service_phone"]


class StationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Station.objects.filter(is_active=True).select_related("district")
    serializer_class = StationSerializer
    filterset_fields = ["code"]


@extend_schema(
    request=AuthTokenSerializer,
    responses=inline_serializer(
        "ExpiringToken",
        {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()},
    ),
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([])
@throttle_classes([])
def obtain_expiring_token(request):
    """A token for ``Authorization: Token <key>`` and when it expires."""
    serializer = AuthTokenSerializer(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    token = token_for(serializer.validated_data["user"])
    return Response(
        {
            "token": token.key,
            "expires_at": serializers.DateTimeField().to_representation(
                expires_at(token)
            ),
        }
    )
