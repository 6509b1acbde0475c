"""``voucher-grants/?month=YYYY-MM``, ``elders/{id}/voucher-balance/`` and
``voucher-cycles/`` with ``voucher-cycles/issue/`` (INTERFACES.md), scoped like
every other endpoint."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from carecenter.api import (
    ModelSerializer,
    MonthField,
    ScopedViewSetMixin,
    StrictCharField,
    action_errors,
)
from carecenter.models import Station
from carecenter.scoping import (
    get_visible_or_404,
    is_station_reader,
    writable_stations,
)
from elders.api import TierField
from elders.models import Elder
from vouchers import actions, ledger, queries
from vouchers.forms import parse_month
from vouchers.models import Cycle, Grant, RunTrigger


class GrantSerializer(ModelSerializer):
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


class CycleSerializer(ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    month = MonthField(read_only=True)

    class Meta:
        model = Cycle
        fields = [
            "id",
            "station",
            "month",
            "status",
            "grants_count",
            "free_count",
            "low_cost_count",
            "total_amount",
            "added_count",
            "removed_count",
            "changed_count",
            "approved_at",
        ]
        read_only_fields = fields


class IssueSerializer(serializers.Serializer):
    """A month issued by hand: this month or the next, or an ended month by an
    administrator with a reason."""

    station = serializers.SlugRelatedField(
        slug_field="code", queryset=Station.objects.none()
    )
    month = StrictCharField(help_text="YYYY-MM")
    reason = StrictCharField(required=False, allow_blank=True, max_length=500)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["station"].queryset = writable_stations(user, manager=True)

    def validate_month(self, value):
        try:
            return parse_month(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class VoucherCycleViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Each station's monthly cycles, newest first; ``?month=YYYY-MM``.

    ``POST voucher-cycles/issue/`` issues one station's month by hand (the
    station's manager or an administrator), exactly as the page does.
    """

    queryset = Cycle.objects.select_related("station").order_by("-month", "station")
    serializer_class = CycleSerializer

    def get_queryset(self):
        if not is_station_reader(self.request.user):
            raise PermissionDenied(_("This is for station staff and supervisors."))
        cycles = super().get_queryset()
        month = self.request.query_params.get("month")
        if month:
            try:
                cycles = cycles.filter(month=parse_month(month))
            except ValueError as exc:
                raise ValidationError({"month": [str(exc)]}) from None
        return cycles

    @extend_schema(request=IssueSerializer, responses={201: CycleSerializer})
    @action(detail=False, methods=["post"])
    def issue(self, request):
        if not writable_stations(request.user, manager=True).exists():
            raise PermissionDenied(_("Only a station manager can issue vouchers."))
        body = IssueSerializer(
            data=request.data, user=request.user, context={"request": request}
        )
        body.is_valid(raise_exception=True)
        with action_errors():
            result = actions.cycle_issue(
                actor=request.user,
                station=body.validated_data["station"],
                month=body.validated_data["month"],
                trigger=RunTrigger.WEB,
                reason=body.validated_data.get("reason", ""),
            )
        cycle = result.cycles[0]
        data = CycleSerializer(cycle).data
        data["grants_created"] = result.grants_created
        return Response(data, status=status.HTTP_201_CREATED)
