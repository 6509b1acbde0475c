"""The care app in the REST API: ``care-calls/``, ``care-due/``,
``emergencies/`` (INTERFACES.md).

Thin: serializers parse and render, views read through ``care.queries``
(scoped) and write through ``care.actions``. For station staff and
supervisors: volunteers get 403; another station's elder or emergency is
refused like a missing one.
"""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from care import actions, cadence, queries
from care.models import CareCall, Emergency
from carecenter.api import ScopedRelatedField, ScopedViewSetMixin, action_errors
from carecenter.scoping import is_station_reader
from elders.api import IdFilter
from elders.models import Elder


class StationReaderMixin:
    """Care records are for the station's staff and supervisors (volunteers 403)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not is_station_reader(request.user):
            raise PermissionDenied(_("This is for station staff and supervisors."))


def _elder_field() -> ScopedRelatedField:
    return ScopedRelatedField(queryset=Elder.objects.select_related("station"))


# --- Care calls -----------------------------------------------------------------------


class CareCallSerializer(serializers.ModelSerializer):
    elder = _elder_field()
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    called_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    called_at = serializers.DateTimeField(required=False)

    class Meta:
        model = CareCall
        fields = [
            "id",
            "station",
            "elder",
            "called_at",
            "kind",
            "outcome",
            "notes",
            "needs_follow_up",
            "responded_at",
            "contact_informed",
            "called_by",
        ]
        validators: list = []


class CareCallFilter(django_filters.FilterSet):
    elder = IdFilter(field_name="elder_id", label=gettext_lazy("Elder"))
    kind = django_filters.CharFilter(field_name="kind")


class CareCallViewSet(
    StationReaderMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Phone calls to elders (greetings and emergency calls)."""

    queryset = CareCall.objects.select_related("elder", "station", "called_by")
    serializer_class = CareCallSerializer
    filterset_class = CareCallFilter

    def perform_create(self, serializer):
        with action_errors():
            serializer.instance = actions.care_call_log(
                actor=self.request.user, **serializer.validated_data
            )


# --- Care due -------------------------------------------------------------------------


class CareDueSerializer(serializers.Serializer):
    elder = serializers.IntegerField(source="elder.pk")
    elder_name = serializers.CharField(source="elder.name")
    station = serializers.CharField(source="elder.station.code")
    group = serializers.CharField()
    group_label = serializers.CharField()
    contact = serializers.CharField(help_text="call or visit")
    last_contact = serializers.DateTimeField(allow_null=True)
    due_on = serializers.DateField()
    overdue_days = serializers.IntegerField()


class CareDueView(StationReaderMixin, ListAPIView):
    """Elders due or overdue for contact under the district's cadence
    (``care.cadence``), most overdue first; one row per elder and group.
    ``?contact=call`` or ``?contact=visit`` keeps the rules of that kind."""

    serializer_class = CareDueSerializer
    filter_backends: list = []

    def get_queryset(self):
        self.today = timezone.localdate()
        contact = self.request.query_params.get("contact")
        return queries.due_obligations(
            user=self.request.user,
            today=self.today,
            contact=contact if contact in (cadence.CALL, cadence.VISIT) else None,
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = queries.due_rows(page, today=self.today)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


# --- Emergencies ----------------------------------------------------------------------


class EmergencySerializer(serializers.ModelSerializer):
    elder = _elder_field()
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    closed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    reported_at = serializers.DateTimeField(required=False)
    response_minutes = serializers.IntegerField(read_only=True)
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Emergency
        fields = [
            "id",
            "station",
            "elder",
            "reported_at",
            "caller_name",
            "caller_relation",
            "what_happened",
            "responder",
            "responded_at",
            "response_minutes",
            "contact_informed",
            "outcome",
            "is_open",
            "closed_at",
            "closed_by",
            "recorded_by",
        ]
        read_only_fields = ["outcome", "closed_at"]
        validators: list = []


class RespondSerializer(serializers.Serializer):
    responder = serializers.CharField()
    responded_at = serializers.DateTimeField()
    contact_informed = serializers.BooleanField(default=False)


class CloseSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    contact_informed = serializers.BooleanField(required=False, allow_null=True)


class EmergencyFilter(django_filters.FilterSet):
    elder = IdFilter(field_name="elder_id", label=gettext_lazy("Elder"))
    open = django_filters.BooleanFilter(
        field_name="closed_at", lookup_expr="isnull", label=gettext_lazy("Open only")
    )


class EmergencyViewSet(
    StationReaderMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Emergency help (助急): open, respond, close with the outcome."""

    queryset = Emergency.objects.select_related(
        "elder", "station", "recorded_by", "closed_by"
    ).order_by("-reported_at", "-pk")
    serializer_class = EmergencySerializer
    filterset_class = EmergencyFilter

    def get_serializer_class(self):
        return {"respond": RespondSerializer, "close": CloseSerializer}.get(
            self.action, EmergencySerializer
        )

    def perform_create(self, serializer):
        with action_errors():
            serializer.instance = actions.emergency_record(
                actor=self.request.user, **serializer.validated_data
            )

    def _answer(self, emergency):
        return Response(
            EmergencySerializer(emergency, context=self.get_serializer_context()).data,
            status=status.HTTP_200_OK,
        )

    @extend_schema(request=RespondSerializer, responses=EmergencySerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        """Who responded, when, and whether the emergency contact was told."""
        emergency = self.get_object()
        body = RespondSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with action_errors():
            emergency = actions.emergency_respond(
                actor=request.user, emergency=emergency, **body.validated_data
            )
        return self._answer(emergency)

    @extend_schema(request=CloseSerializer, responses=EmergencySerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the emergency with its outcome."""
        emergency = self.get_object()
        body = CloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with action_errors():
            emergency = actions.emergency_close(
                actor=request.user, emergency=emergency, **body.validated_data
            )
        return self._answer(emergency)
