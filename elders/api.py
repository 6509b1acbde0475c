"""The elder archives in the REST API (INTERFACES.md, "REST API").

Thin by design: serializers parse and render, view sets read through
``elders.queries`` / the scoped querysets and write through ``elders.actions``.
Another station's elder answers 404 (detail) or is refused like a missing one
(references); read-only roles get 403 from the actions' ``require_write``.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.fields import SkipField
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from carecenter import access_log
from carecenter.api import (
    ModelSerializer,
    ScopedRelatedField,
    ScopedViewSetMixin,
    StrictCharField,
    action_errors,
)
from carecenter.catalogue import ServiceKind
from carecenter.models import AccessAction, AccessLogEntry, Station
from carecenter.scoping import (
    may_read_archive,
    may_see_some_id_numbers,
    require_some_writable_station,
    writable_stations,
)
from elders import actions, id_numbers, queries
from elders.actions import ELDER_FIELDS
from elders.eligibility import REASONS, evaluate
from elders.filters import ElderFilter
from elders.id_numbers import mask
from elders.models import (
    BARTHEL_ITEMS,
    BarthelAssessment,
    BarthelLevel,
    Category,
    Elder,
    FamilyContact,
    NeedsSurvey,
    Status,
    Tier,
)


def enum_field(component: str, choices, *, schema_type: str = "string"):
    """A ``ChoiceField`` class whose schema is the enum component ``component``.

    drf-spectacular would otherwise name a choice set after every field using it
    (``tier``, ``computed_tier``; ``feeding``, ``bowels``…) and warn about it.
    """

    @extend_schema_field(
        {"type": schema_type, "enum": [value for value, _label in choices]},
        component_name=component,
    )
    class EnumField(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=choices, **kwargs)

    EnumField.__name__ = EnumField.__qualname__ = f"{component}Field"
    return EnumField


TierField = enum_field("TierEnum", Tier.choices)
ElderStatusField = enum_field("ElderStatusEnum", Status.choices)
ServiceKindField = enum_field("ServiceKindEnum", ServiceKind.choices)
BARTHEL_SCORE_FIELDS = {
    scale: enum_field(
        f"BarthelScore0To{max(scale)}Enum",
        [(score, str(score)) for score in scale],
        schema_type="integer",
    )
    for scale in {scale for _label, scale in BARTHEL_ITEMS.values()}
}


def _score(item: str) -> serializers.ChoiceField:
    label, scale = BARTHEL_ITEMS[item]
    return BARTHEL_SCORE_FIELDS[scale](label=label)


# --- Elders ------------------------------------------------------------------------


ID_NUMBER_HELP = gettext_lazy(
    "Resident ID number. Read back whole only by the station's manager and "
    "administrators, otherwise as its last four characters "
    "(**************123X); not sent to volunteers. Sending the masked value back "
    "leaves it unchanged."
)


class WritableStationField(serializers.SlugRelatedField):
    """A station code among the stations the caller may write to."""

    def get_queryset(self):
        return writable_stations(self.context["request"].user)


class IdNumberField(serializers.CharField):
    """Written whole; read as ``elders.id_numbers.shown`` says for the caller."""

    def get_attribute(self, instance):
        return instance  # never decrypted unless the caller may see it whole

    def to_representation(self, elder):
        return id_numbers.shown(self.context["request"].user, elder)


class ElderSerializer(ModelSerializer):
    """An archive; the station is fixed once opened (read-only here).

    What a caller reads of the elder's identity is ``elders.id_numbers.shown``:
    the whole ID number for the station's manager and administrators, its last
    four characters for other staff and supervisors; a caller who reads the elder
    only as a paired volunteer gets neither the number nor the birth date, but
    the age.
    """

    station = serializers.SlugRelatedField(
        slug_field="code", read_only=True, label=gettext_lazy("station")
    )
    id_number = IdNumberField(required=False, help_text=ID_NUMBER_HELP)
    age = serializers.IntegerField(read_only=True)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices), required=False
    )
    status = ElderStatusField(required=False)
    tier = TierField(
        read_only=True, help_text=gettext_lazy("Today's tier, override applied.")
    )

    class Meta:
        model = Elder
        fields = ["id", "station", *ELDER_FIELDS, "age", "tier"]
        extra_kwargs = {
            "birth_date": {
                "help_text": gettext_lazy("Not sent to volunteers (age instead).")
            }
        }

    def validate_id_number(self, value: str) -> str:
        if self.instance is not None and value == mask(self.instance.id_number_last4):
            raise SkipField  # the masked number as read: unchanged
        return value

    def to_representation(self, instance: Elder) -> dict:
        data = super().to_representation(instance)
        user = self.context["request"].user
        if not may_read_archive(user, instance):
            data.pop("id_number", None)
            data.pop("birth_date", None)
        return data


class ElderCreateSerializer(ElderSerializer):
    """A new archive, at a station the caller may write to."""

    station = WritableStationField(
        slug_field="code", queryset=Station.objects.all(), label=gettext_lazy("station")
    )
    id_number = IdNumberField(help_text=ID_NUMBER_HELP)


class RevealSerializer(serializers.Serializer):
    reason = StrictCharField(
        max_length=500,
        help_text=gettext_lazy("Why the whole number is needed; kept in the log."),
    )


class RevealResultSerializer(serializers.Serializer):
    id_number = serializers.CharField()


class HistoryEntrySerializer(serializers.Serializer):
    """One change, as INTERFACES.md names them: at, actor, action, changes, reason."""

    at = serializers.DateTimeField()
    actor = serializers.CharField(
        allow_null=True, help_text=gettext_lazy("The acting user's username.")
    )
    actor_name = serializers.CharField(allow_blank=True)
    action = serializers.ChoiceField(choices=["create", "update", "delete"])
    object = serializers.CharField(
        help_text=gettext_lazy(
            "What changed: elder, familycontact, barthelassessment, needssurvey."
        )
    )
    changes = serializers.DictField(
        child=serializers.ListField(allow_null=True),
        help_text=gettext_lazy("field: [old, new]; ID numbers masked."),
    )
    reason = serializers.CharField(allow_blank=True)
    reason_code = serializers.CharField(allow_blank=True)


def history_row(entry) -> dict:
    return {
        "at": entry.at,
        "actor": entry.actor_username,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object": entry.subject_key,
        "changes": {
            change.field: [change.raw_old, change.raw_new] for change in entry.changes
        },
        "reason": entry.reason,
        "reason_code": entry.reason_code,
    }


class EligibilityQuerySerializer(serializers.Serializer):
    on = serializers.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text=gettext_lazy("The date to evaluate (YYYY-MM-DD); default today."),
    )


class EligibilityOverrideSerializer(serializers.Serializer):
    tier = TierField()
    reason = serializers.CharField()
    by = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)


class EligibilitySerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    tier = TierField()
    computed_tier = TierField()
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=list(REASONS.items()))
    )
    override = EligibilityOverrideSerializer(allow_null=True)


class ElderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Elder archives within the caller's scope, with today's tier."""

    # A model hint for the schema only: get_queryset reads through queries.elder_list,
    # which is scoped and annotates the tier in the same statement.
    queryset = Elder.objects.none()
    serializer_class = ElderSerializer
    filterset_class = ElderFilter

    def get_queryset(self):
        queryset = queries.elder_list(user=self.request.user)
        if may_see_some_id_numbers(self.request.user):
            queryset = queryset.select_related("id_number_record")
        return queryset

    def get_serializer_class(self):
        if self.action == "create":
            return ElderCreateSerializer
        if self.action == "eligibility":
            return EligibilitySerializer
        if self.action == "reveal_id":
            return RevealSerializer
        if self.action == "history":
            return HistoryEntrySerializer
        return ElderSerializer

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        results = (
            response.data.get("results", []) if response.status_code == 200 else []
        )
        access_log.record(
            request,
            action=AccessAction.LIST,
            rows=len(results),
            what="api:elders",
            filters=request.query_params,
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        elder = self.get_object()
        access_log.record(request, action=AccessAction.VIEW, elder=elder)
        return Response(self.get_serializer(elder).data)

    @extend_schema(request=RevealSerializer, responses=RevealResultSerializer)
    @action(detail=True, methods=["post"], url_path="reveal-id")
    def reveal_id(self, request, pk=None):
        """The whole ID number, with a reason; logged (PRODUCT.md "Personal data")."""
        elder = self.get_object()
        body = RevealSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        with action_errors():
            number = actions.id_number_reveal(
                actor=request.user,
                elder=elder,
                reason=body.validated_data["reason"],
                request=request,
            )
        return Response({"id_number": number})

    @extend_schema(responses=HistoryEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        """The archive's change history, ID numbers masked, newest first."""
        elder = self.get_object()
        if not may_read_archive(request.user, elder):
            raise PermissionDenied()
        entries = queries.elder_history(user=request.user, elder=elder, limit=200)
        access_log.record(request, action=AccessAction.HISTORY, elder=elder)
        return Response(
            HistoryEntrySerializer(
                [history_row(entry) for entry in entries], many=True
            ).data
        )

    def create(self, request, *args, **kwargs):
        require_some_writable_station(request.user)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        station = data.pop("station")
        with action_errors():
            elder = actions.elder_register(
                actor=self.request.user, station=station, data=data
            )
        serializer.instance = self.get_queryset().get(pk=elder.pk)

    def perform_update(self, serializer):
        with action_errors():
            elder = actions.elder_update(
                actor=self.request.user,
                elder=serializer.instance,
                data=dict(serializer.validated_data),
            )
        serializer.instance = self.get_queryset().get(pk=elder.pk)

    @extend_schema(
        parameters=[EligibilityQuerySerializer], responses=EligibilitySerializer
    )
    @action(detail=True, methods=["get"])
    def eligibility(self, request, pk=None):
        """Tier and reasons on a date (PRODUCT.md "Eligibility and service tier")."""
        if request.query_params.get("on") == "":
            raise serializers.ValidationError(
                {"on": [_("Give a date (YYYY-MM-DD), or leave the parameter out.")]}
            )
        query = EligibilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("on") or timezone.localdate()
        result = evaluate(self.get_object(), on=on)
        return Response(
            EligibilitySerializer(
                {
                    "eligible": result.eligible,
                    "tier": result.tier,
                    "computed_tier": result.computed_tier,
                    "reasons": result.reasons,
                    "override": result.override,
                }
            ).data
        )


# --- Records that belong to an elder --------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ByElderFilter(django_filters.FilterSet):
    """``?elder=<id>``: a plain number, so it says nothing about other stations."""

    elder = IdFilter(field_name="elder_id", label=gettext_lazy("Elder"))


def _elder_field() -> ScopedRelatedField:
    return ScopedRelatedField(queryset=Elder.objects.select_related("station"))


class AssessmentSerializer(ModelSerializer):
    elder = _elder_field()
    feeding = _score("feeding")
    bathing = _score("bathing")
    grooming = _score("grooming")
    dressing = _score("dressing")
    bowels = _score("bowels")
    bladder = _score("bladder")
    toilet = _score("toilet")
    transfers = _score("transfers")
    mobility = _score("mobility")
    stairs = _score("stairs")
    total = serializers.IntegerField(read_only=True)
    level = serializers.ChoiceField(choices=BarthelLevel.choices, read_only=True)

    class Meta:
        model = BarthelAssessment
        fields = [
            "id",
            "elder",
            "assessed_on",
            *BARTHEL_ITEMS,
            "total",
            "level",
            "notes",
        ]


class AssessmentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Barthel assessments; the total and level are computed."""

    queryset = BarthelAssessment.objects.all()
    serializer_class = AssessmentSerializer
    filterset_class = ByElderFilter

    def perform_create(self, serializer):
        data = serializer.validated_data
        with action_errors():
            serializer.instance = actions.assessment_record(
                actor=self.request.user,
                elder=data["elder"],
                assessed_on=data["assessed_on"],
                scores={item: data[item] for item in BARTHEL_ITEMS},
                notes=data.get("notes", ""),
            )


class NeedsSurveySerializer(ModelSerializer):
    elder = _elder_field()
    needs = serializers.ListField(child=ServiceKindField(), allow_empty=True)

    class Meta:
        model = NeedsSurvey
        fields = ["id", "elder", "surveyed_on", "needs", "notes"]


class NeedsSurveyViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Needs questionnaires: the service-type codes an elder needs."""

    queryset = NeedsSurvey.objects.all()
    serializer_class = NeedsSurveySerializer
    filterset_class = ByElderFilter

    def perform_create(self, serializer):
        data = serializer.validated_data
        with action_errors():
            serializer.instance = actions.needs_survey_record(
                actor=self.request.user,
                elder=data["elder"],
                surveyed_on=data["surveyed_on"],
                needs=data["needs"],
                notes=data.get("notes", ""),
            )


class FamilyContactSerializer(ModelSerializer):
    """A contact; it stays with its elder (read-only here)."""

    class Meta:
        model = FamilyContact
        fields = ["id", "elder", "name", "relation", "phone", "is_emergency"]
        read_only_fields = ["elder"]


class FamilyContactCreateSerializer(FamilyContactSerializer):
    """A new contact of an elder the caller may see."""

    elder = _elder_field()

    class Meta(FamilyContactSerializer.Meta):
        read_only_fields = []


class FamilyContactViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Family contacts; at most one per elder is the emergency contact."""

    queryset = FamilyContact.objects.select_related("elder__station")
    serializer_class = FamilyContactSerializer
    filterset_class = ByElderFilter

    def get_serializer_class(self):
        if self.action == "create":
            return FamilyContactCreateSerializer
        return FamilyContactSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        elder = data.pop("elder")
        with action_errors():
            serializer.instance = actions.family_contact_save(
                actor=self.request.user, elder=elder, data=data
            )

    def perform_update(self, serializer):
        contact = serializer.instance
        with action_errors():
            serializer.instance = actions.family_contact_save(
                actor=self.request.user,
                elder=contact.elder,
                contact=contact,
                data=dict(serializer.validated_data),
            )

    def perform_destroy(self, instance):
        with action_errors():
            actions.family_contact_delete(actor=self.request.user, contact=instance)


# --- The access log ----------------------------------------------------------------


class AccessLogSerializer(ModelSerializer):
    """INTERFACES.md: ``user`` (username), ``at``, ``action``, ``elder`` or
    ``rows``, ``address``."""

    user = serializers.CharField(source="username")
    elder = serializers.IntegerField(source="elder_id", allow_null=True)
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = AccessLogEntry
        fields = [
            "id",
            "user",
            "at",
            "action",
            "elder",
            "rows",
            "station",
            "what",
            "filters",
            "reason",
            "address",
        ]


class AccessLogFilter(django_filters.FilterSet):
    elder = IdFilter(field_name="elder_id", label=gettext_lazy("Elder"))
    action = django_filters.ChoiceFilter(choices=AccessAction.choices)

    class Meta:
        model = AccessLogEntry
        fields = ["elder", "action"]


class AccessLogView(ListAPIView):
    """Who read which archive: station managers (their stations) and
    administrators; everyone else 403."""

    serializer_class = AccessLogSerializer
    filterset_class = AccessLogFilter
    queryset = AccessLogEntry.objects.none()  # a model hint for the schema

    def get_queryset(self):
        from django.core.exceptions import PermissionDenied as DjangoDenied

        try:
            return queries.access_log(user=self.request.user)
        except DjangoDenied as exc:
            raise PermissionDenied(str(exc)) from None
