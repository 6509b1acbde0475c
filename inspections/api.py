"""``inspections/?year=YYYY`` (INTERFACES.md), read-only and scoped: a station's
users see their station's inspections, supervisors their district's; volunteers
get 403. Writes are made on the pages (``inspections.actions``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError

from carecenter.scoping import is_station_reader
from elders.api import enum_field
from inspections import queries
from inspections.actions import STATION_CHECKLIST
from inspections.models import FundingDecision, Inspection
from inspections.rules import Recommendation

RecommendationField = enum_field("InspectionRecommendationEnum", Recommendation.choices)


@extend_schema_field(
    {
        "type": "string",
        "enum": [*FundingDecision.values, None],
        "nullable": True,
    }
)
class DecisionField(serializers.CharField):
    """``continue``, ``stop``, ``recover``, or ``null`` while undecided."""

    def to_representation(self, value):
        return value or None


class PercentField(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(
            max_digits=6, decimal_places=1, read_only=True, allow_null=True, **kwargs
        )


class ChecklistSerializer(serializers.ModelSerializer):
    confirmed_at = serializers.DateTimeField(
        source="checklist_confirmed_at", read_only=True
    )

    class Meta:
        model = Inspection
        fields = [*STATION_CHECKLIST, "funds_used_properly", "confirmed_at"]
        read_only_fields = fields


class DeductionSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    points = serializers.IntegerField()
    value = serializers.JSONField(allow_null=True)


class InspectionSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    services_total = serializers.IntegerField(read_only=True)
    visits_total = serializers.IntegerField(read_only=True)
    feedback_coverage = PercentField(
        help_text="Percent of the year's services with feedback."
    )
    voucher_use = PercentField(help_text="Vouchers redeemed, percent of the budget.")
    certified_share = PercentField(
        help_text="Percent of staff and volunteers certified on 31 December."
    )
    checklist = ChecklistSerializer(source="*", read_only=True)
    recommendation = RecommendationField(read_only=True)
    deductions = DeductionSerializer(many=True, read_only=True)
    decision = DecisionField(read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "station",
            "year",
            "services_per_month",
            "services_total",
            "visits_per_month",
            "visits_total",
            "services_with_feedback",
            "feedback_coverage",
            "satisfaction",
            "voucher_budget",
            "voucher_issued",
            "voucher_used",
            "voucher_use",
            "staff_total",
            "staff_certified",
            "volunteers_total",
            "volunteers_certified",
            "certified_share",
            "trainings_held",
            "activities_held",
            "activity_attendances",
            "refreshed_at",
            "checklist",
            "score",
            "recommendation",
            "deductions",
            "decision",
            "decision_reason",
            "recover_amount",
            "decided_at",
        ]
        read_only_fields = fields


class InspectionViewSet(viewsets.ReadOnlyModelViewSet):
    """Annual inspections, newest year first; ``?year=YYYY``."""

    queryset = Inspection.objects.none()
    serializer_class = InspectionSerializer

    @extend_schema(parameters=[OpenApiParameter("year", int, description="YYYY")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        if not is_station_reader(self.request.user):
            raise PermissionDenied(_("This is for station staff and supervisors."))
        year = self.request.query_params.get("year")
        if year:
            try:
                year = int(year)
            except ValueError:
                raise ValidationError({"year": [_("Give the year as YYYY.")]}) from None
        return queries.inspection_list(user=self.request.user, year=year or None)
