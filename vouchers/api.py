"""``voucher-grants/?month=YYYY-MM`` and ``elders/{id}/voucher-balance/``
(INTERFACES.md), read-only and scoped like every other endpoint."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from carecenter.scoping import get_visible_or_404, is_station_reader
from elders.api import TierField
from elders.models import Elder
from vouchers import ledger, queries
from vouchers.forms import parse_month
from vouchers.models import Grant


class MonthField(serializers.DateField):
    def to_representation(self, value):
        return f"{value:%Y-%m}"


class GrantSerializer(serializers.ModelSerializer):
    month = MonthField(read_only=True)
    tier = TierField(read_only=True)

    class Meta:
        model = Grant
        fields = [
            "id",
            "elder",
            "month",
            "tier",
            "reasons",
            "amount",
            "remaining",
            "expires_on",
        ]
        read_only_fields = fields


class VoucherGrantViewSet(viewsets.ReadOnlyModelViewSet):
    """The grants of the caller's stations, newest month first; ``?month=YYYY-MM``."""

    queryset = Grant.objects.none()
    serializer_class = GrantSerializer

    @extend_schema(parameters=[OpenApiParameter("month", str, description="YYYY-MM")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        month = self.request.query_params.get("month")
        if month:
            try:
                month = parse_month(month)
            except ValueError as exc:
                raise ValidationError({"month": [str(exc)]}) from None
        return queries.grant_list(user=self.request.user, month=month or None)


@extend_schema(
    responses=inline_serializer(
        "VoucherBalance",
        {
            "balance": serializers.DecimalField(max_digits=10, decimal_places=2),
            "spendable": serializers.DecimalField(max_digits=10, decimal_places=2),
        },
    )
)
@api_view(["GET"])
def voucher_balance(request, id: int):  # "id", as in the path elders/{id}/
    """The elder's ledger balance, and what can be spent today."""
    if not is_station_reader(request.user):
        raise PermissionDenied(_("This is for station staff and supervisors."))
    elder = get_visible_or_404(request.user, Elder, pk=id)
    return Response(
        {
            "balance": f"{ledger.balance(elder.pk):.2f}",
            "spendable": f"{ledger.spendable(elder.pk, timezone.localdate()):.2f}",
        }
    )
