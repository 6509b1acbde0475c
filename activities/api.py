"""Group activities in the REST API (INTERFACES.md: ``activities/`` and
``activities/{id}/attendance/``): read through scoped querysets, written through
``activities.actions``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from activities import actions, queries
from activities.models import Activity, ActivityKind
from carecenter.api import ScopedRelatedField, ScopedViewSetMixin, action_errors
from carecenter.models import Station, User
from carecenter.scoping import require_some_writable_station
from elders.api import WritableStationField, enum_field
from services.models import Provider
from volunteers.models import Team

ActivityKindField = enum_field("ActivityKindEnum", ActivityKind.choices)


class ActivitySerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(
        slug_field="code", read_only=True, label=gettext_lazy("station")
    )
    kind = ActivityKindField()
    organiser_staff = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    organiser_team = ScopedRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    organiser_provider = ScopedRelatedField(
        queryset=Provider.objects.all(), required=False, allow_null=True
    )
    signed_up_count = serializers.IntegerField(read_only=True)
    attended_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "station",
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "place",
            "organiser_staff",
            "organiser_team",
            "organiser_provider",
            "description",
            "signed_up_count",
            "attended_count",
        ]


class ActivityCreateSerializer(ActivitySerializer):
    station = WritableStationField(
        slug_field="code", queryset=Station.objects.all(), label=gettext_lazy("station")
    )


class AttendeeSerializer(serializers.Serializer):
    elder = serializers.IntegerField(source="elder_id")
    name = serializers.CharField(source="elder.name")
    signed_up = serializers.BooleanField()


class AttendanceSerializer(serializers.Serializer):
    elders = serializers.ListField(
        child=serializers.IntegerField(min_value=1), max_length=1000
    )


class ActivityViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Group activities of the caller's stations, with their counts."""

    serializer_class = ActivitySerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        return queries.activity_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return ActivityCreateSerializer
        if self.action == "attendance":
            return AttendanceSerializer
        return ActivitySerializer

    def create(self, request, *args, **kwargs):
        require_some_writable_station(request.user)
        return super().create(request, *args, **kwargs)

    def _save(self, serializer, *, station, activity=None):
        data = dict(serializer.validated_data)
        data.pop("station", None)
        if activity is None and not any(
            data.get(k)
            for k in ("organiser_staff", "organiser_team", "organiser_provider")
        ):
            data["organiser_staff"] = self.request.user
        with action_errors():
            saved = actions.activity_save(
                actor=self.request.user, station=station, data=data, activity=activity
            )
        serializer.instance = self.get_queryset().get(pk=saved.pk)

    def perform_create(self, serializer):
        self._save(serializer, station=serializer.validated_data["station"])

    def perform_update(self, serializer):
        activity = serializer.instance
        self._save(serializer, station=activity.station, activity=activity)

    @extend_schema(
        methods=["GET"], request=None, responses={200: AttendeeSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request=AttendanceSerializer,
        responses={200: AttendeeSerializer(many=True)},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def attendance(self, request, pk=None):
        """GET: the elders who attended. POST ``{"elders": [ids]}``: mark them as
        attended (idempotent; any elder outside the activity's station or the
        caller's scope refuses the whole list and nothing is written)."""
        activity = self.get_object()
        if request.method == "POST":
            body = AttendanceSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            with action_errors():
                actions.activity_attendance_mark(
                    actor=request.user,
                    activity=activity,
                    elder_ids=body.validated_data["elders"],
                )
        rows = queries.attendees(user=request.user, activity=activity)
        return Response(
            AttendeeSerializer(rows, many=True).data, status=status.HTTP_200_OK
        )
