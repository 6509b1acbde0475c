"""The REST API's shared pieces: scoped view sets and related fields, stations, and
the token endpoint (``carecenter.tokens``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
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


@extend_schema_field(
    {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$", "example": "2026-11"}
)
class MonthField(serializers.DateField):
    """A month (stored as its first day), read as ``YYYY-MM``."""

    def to_representation(self, value):
        return f"{value.year:04d}-{value.month:02d}"


def _is_json(field: serializers.Field) -> bool:
    request = field.context.get("request")
    return request is not None and (request.content_type or "").startswith(
        "application/json"
    )


class JSONTypeMixin:
    """A JSON value of the type the schema declares, or 400.

    DRF turns ``0`` into ``"0"`` for a text field and ``"1"`` into ``True`` for a
    yes/no field; a client generated from the schema sends the declared type, so
    anything else is a mistake worth refusing. Form data (all text) is left alone.
    """

    json_types: tuple[type, ...] = ()

    def to_internal_value(self, data):
        if _is_json(self) and (
            isinstance(data, bool) is not (bool in self.json_types)
            or not isinstance(data, self.json_types)
        ):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(JSONTypeMixin, serializers.CharField):
    json_types = (str,)


class StrictBooleanField(JSONTypeMixin, serializers.BooleanField):
    json_types = (bool,)


class StrictIntegerField(JSONTypeMixin, serializers.IntegerField):
    json_types = (int,)


class StrictDecimalField(JSONTypeMixin, serializers.DecimalField):
    json_types = (str,)  # money and quantities travel as "12.50" (INTERFACES.md)


class ModelSerializer(serializers.ModelSerializer):
    """The API's model serializer: text, yes/no, whole-number and decimal fields
    take only their JSON type (``JSONTypeMixin``)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.BooleanField: StrictBooleanField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.DecimalField: StrictDecimalField,
    }


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


class StationSerializer(ModelSerializer):
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
    responses={
        200: inline_serializer(
            "ExpiringToken",
            {
                "token": serializers.CharField(),
                "expires_at": serializers.DateTimeField(),
            },
        )
    },
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
