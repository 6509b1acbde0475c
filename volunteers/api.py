"""The volunteers app in the REST API: ``teams/``, ``volunteers/``, ``pairings/``,
``visits/`` (INTERFACES.md).

Thin: serializers parse and render, view sets read through ``volunteers.queries``
(scoped) and write through ``volunteers.actions``. A volunteer's token sees their
own record, pairings and visits, and (through ``elders/``) only their paired
elders; a visit to any other elder is refused like a missing one.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from carecenter.api import (
    ModelSerializer,
    ScopedRelatedField,
    ScopedViewSetMixin,
    StrictCharField,
    action_errors,
)
from carecenter.models import Station
from carecenter.scoping import require_some_writable_station
from elders.api import IdFilter, ServiceKindField, WritableStationField
from elders.models import Elder
from volunteers import actions, queries
from volunteers.actions import TEAM_FIELDS, VOLUNTEER_FIELDS
from volunteers.models import Pairing, Team, Visit, Volunteer


def _station_code(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="code", read_only=True, label=gettext_lazy("station"), **kwargs
    )


# --- Teams ----------------------------------------------------------------------------


class TeamSerializer(ModelSerializer):
    station = _station_code()
    leader = ScopedRelatedField(
        queryset=Volunteer.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Team
        fields = ["id", "station", *TEAM_FIELDS]


class TeamCreateSerializer(TeamSerializer):
    station = WritableStationField(
        slug_field="code", queryset=Station.objects.all(), label=gettext_lazy("station")
    )


class TeamViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Teams: assistance staff, volunteer teams, professional teams."""

    queryset = Team.objects.none()
    serializer_class = TeamSerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        return queries.team_list(user=self.request.user)

    def get_serializer_class(self):
        return TeamCreateSerializer if self.action == "create" else TeamSerializer

    def create(self, request, *args, **kwargs):
        require_some_writable_station(request.user)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        station = data.pop("station")
        with action_errors():
            serializer.instance = actions.team_save(
                actor=self.request.user, station=station, data=data
            )

    def perform_update(self, serializer):
        team = serializer.instance
        with action_errors():
            serializer.instance = actions.team_save(
                actor=self.request.user,
                station=team.station,
                team=team,
                data=dict(serializer.validated_data),
            )


# --- Volunteers -----------------------------------------------------------------------


class VolunteerSerializer(ModelSerializer):
    station = _station_code()
    team = ScopedRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    specialties = serializers.ListField(child=ServiceKindField(), required=False)
    age = serializers.IntegerField(read_only=True)
    # Not ``source="user.username"`` with a default: DRF skips a default in a
    # partial update, so a PATCH answered without the field.
    username = serializers.SerializerMethodField(
        help_text=gettext_lazy("The linked login, if the volunteer logs visits.")
    )

    class Meta:
        model = Volunteer
        fields = ["id", "station", *VOLUNTEER_FIELDS, "age", "username"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_username(self, volunteer) -> str | None:
        return volunteer.user.username if volunteer.user_id else None


class VolunteerCreateSerializer(VolunteerSerializer):
    station = WritableStationField(
        slug_field="code", queryset=Station.objects.all(), label=gettext_lazy("station")
    )


class VolunteerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Volunteers; filters ``q``, ``station``, ``team``, ``specialty``, ``age_band``."""

    queryset = Volunteer.objects.none()
    serializer_class = VolunteerSerializer
    filterset_class = queries.VolunteerFilter

    def get_queryset(self):
        return queries.volunteer_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return VolunteerCreateSerializer
        return VolunteerSerializer

    def create(self, request, *args, **kwargs):
        require_some_writable_station(request.user)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        station = data.pop("station")
        with action_errors():
            volunteer = actions.volunteer_register(
                actor=self.request.user, station=station, data=data
            )
        serializer.instance = self.get_queryset().get(pk=volunteer.pk)

    def perform_update(self, serializer):
        with action_errors():
            volunteer = actions.volunteer_update(
                actor=self.request.user,
                volunteer=serializer.instance,
                data=dict(serializer.validated_data),
            )
        serializer.instance = self.get_queryset().get(pk=volunteer.pk)


# --- Pairings -------------------------------------------------------------------------


class PairingSerializer(ModelSerializer):
    volunteer = ScopedRelatedField(queryset=Volunteer.objects.select_related("station"))
    elder = ScopedRelatedField(queryset=Elder.objects.select_related("station"))
    services = serializers.ListField(child=ServiceKindField(), required=False)
    state = serializers.ChoiceField(
        choices=[
            ("claimed", gettext_lazy("Awaiting approval")),
            ("approved", gettext_lazy("Approved")),
            ("ended", gettext_lazy("Ended")),
        ],
        read_only=True,
    )

    class Meta:
        model = Pairing
        fields = [
            "id",
            "volunteer",
            "elder",
            "services",
            "schedule",
            "state",
            "claimed_at",
            "approved_at",
            "letter_signed_on",
            "active",
            "ended_on",
            "end_reason",
        ]
        read_only_fields = [
            "claimed_at",
            "approved_at",
            "letter_signed_on",
            "active",
            "ended_on",
            "end_reason",
        ]
        # One active pairing per volunteer and elder: actions.pairing_claim says so.
        validators: list = []


class LetterSerializer(serializers.Serializer):
    letter_signed_on = serializers.DateField()


class PairingEndSerializer(serializers.Serializer):
    reason = StrictCharField()
    ended_on = serializers.DateField(required=False)


class PairingFilter(django_filters.FilterSet):
    elder = IdFilter(field_name="elder_id", label=gettext_lazy("Elder"))
    volunteer = IdFilter(field_name="volunteer_id", label=gettext_lazy("Volunteer"))
    active = django_filters.BooleanFilter(label=gettext_lazy("Active"))


class PairingViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Pairings (结对): a claim (POST), the manager's approval, the letter, the end."""

    queryset = Pairing.objects.select_related("volunteer", "elder", "station")
    serializer_class = PairingSerializer
    filterset_class = PairingFilter

    def get_serializer_class(self):
        if self.action == "sign":
            return LetterSerializer
        if self.action == "end":
            return PairingEndSerializer
        if self.action == "approve":
            return serializers.Serializer
        return PairingSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        with action_errors():
            serializer.instance = actions.pairing_claim(
                actor=self.request.user,
                volunteer=data["volunteer"],
                elder=data["elder"],
                services=data.get("services", []),
                schedule=data.get("schedule", ""),
            )

    def _answer(self, pairing):
        return Response(
            PairingSerializer(pairing, context=self.get_serializer_context()).data
        )

    @extend_schema(request=None, responses=PairingSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The station manager approves the claim."""
        with action_errors():
            pairing = actions.pairing_approve(
                actor=request.user, pairing=self.get_object()
            )
        return self._answer(pairing)

    @extend_schema(request=LetterSerializer, responses=PairingSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Record the signing date of the service letter."""
        body = LetterSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        with action_errors():
            pairing = actions.pairing_sign_letter(
                actor=request.user,
                pairing=self.get_object(),
                signed_on=body.validated_data["letter_signed_on"],
            )
        return self._answer(pairing)

    @extend_schema(request=PairingEndSerializer, responses=PairingSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End the pairing (or decline the claim) with a reason."""
        body = PairingEndSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        with action_errors():
            pairing = actions.pairing_end(
                actor=request.user,
                pairing=self.get_object(),
                reason=body.validated_data["reason"],
                ended_on=body.validated_data.get("ended_on"),
            )
        return self._answer(pairing)


# --- Visits ---------------------------------------------------------------------------


class VisitSerializer(ModelSerializer):
    volunteer = ScopedRelatedField(
        queryset=Volunteer.objects.select_related("station"),
        required=False,
        help_text=gettext_lazy(
            "Whose visit; a volunteer's own by default (staff must give it)."
        ),
    )
    elder = ScopedRelatedField(
        queryset=Elder.objects.select_related("station"),
        error_messages={
            # A phone sending a visit saved offline after the pairing ended
            # shows this to the volunteer.
            "does_not_exist": gettext_lazy(
                "This elder is not among those you may log visits for; "
                "the pairing may have ended."
            )
        },
    )
    services = serializers.ListField(child=ServiceKindField(), required=False)
    minutes = serializers.IntegerField(read_only=True)
    client_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "The id the phone gave the visit when it saved it. Sent again, the "
            "visit already logged under it is returned (200) and nothing is "
            "written."
        ),
    )

    class Meta:
        model = Visit
        fields = [
            "id",
            "client_id",
            "volunteer",
            "elder",
            "started_at",
            "ended_at",
            "minutes",
            "services",
            "notes",
            "systolic",
            "diastolic",
            "blood_sugar",
            "needs_follow_up",
            "follow_up_reason",
            "resolved_at",
            "resolution_note",
        ]
        read_only_fields = ["resolved_at", "resolution_note"]
        # The rules (overlap, pairing, plausibility) live in actions.visit_log.
        validators: list = []


class ResolveSerializer(serializers.Serializer):
    note = StrictCharField()


class VisitFilter(django_filters.FilterSet):
    elder = IdFilter(field_name="elder_id", label=gettext_lazy("Elder"))
    volunteer = IdFilter(field_name="volunteer_id", label=gettext_lazy("Volunteer"))
    open_follow_up = django_filters.BooleanFilter(
        method="filter_open", label=gettext_lazy("Open follow-ups only")
    )

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        condition = {"needs_follow_up": True, "resolved_at__isnull": True}
        return queryset.filter(**condition) if value else queryset.exclude(**condition)


class VisitViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Visits; a volunteer may log visits only to the elders paired with them."""

    queryset = Visit.objects.select_related("volunteer", "elder", "station")
    serializer_class = VisitSerializer
    filterset_class = VisitFilter

    def get_serializer_class(self):
        return ResolveSerializer if self.action == "resolve" else VisitSerializer

    @extend_schema(responses={201: VisitSerializer, 200: VisitSerializer})
    def create(self, request, *args, **kwargs):
        """Log a visit; with a ``client_id`` already logged, return that visit (200).

        The repeat is answered before the fields are checked: a visit logged
        before its pairing ended is still the one the phone sent.
        """
        seen = queries.visit_sent_before(
            user=request.user,
            client_id=(
                request.data.get("client_id")
                if isinstance(request.data, dict)
                else None
            ),
        )
        if seen is not None:
            return Response(self.get_serializer(seen).data, status=status.HTTP_200_OK)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        volunteer = data.pop("volunteer", None) or queries.volunteer_of(request.user)
        if volunteer is None:
            raise serializers.ValidationError(
                {"volunteer": [_("Say whose visit this is.")]}
            )
        with action_errors():
            visit, created = actions.visit_log_once(
                actor=request.user, volunteer=volunteer, **data
            )
        return Response(
            self.get_serializer(visit).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=ResolveSerializer, responses=VisitSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Staff resolve the visit's follow-up with a note."""
        body = ResolveSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        with action_errors():
            visit = actions.follow_up_resolve(
                actor=request.user,
                visit=self.get_object(),
                note=body.validated_data["note"],
            )
        return Response(
            VisitSerializer(visit, context=self.get_serializer_context()).data,
            status=status.HTTP_200_OK,
        )
