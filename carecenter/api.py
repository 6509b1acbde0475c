"""The REST API's shared pieces: scoped view sets and related fields, and stations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, viewsets
from rest_framework.settings import api_settings

from carecenter.models import Station
from carecenter.scoping import visible_to


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
