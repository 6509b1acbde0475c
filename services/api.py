"""The services in the REST API (INTERFACES.md: service-types/, providers/,
agreements/, service-records/, service-records/{id}/feedback/).

Thin by design: serializers parse and render, view sets read through scoped
querysets and write through ``services.actions``. Another station's object
answers 404 (detail) or is refused like a missing one (references); read-only
roles get 403 from the actions' ``require_write``.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from carecenter.api import ScopedRelatedField, ScopedViewSetMixin, action_errors
from carecenter.models import Station, User
from carecenter.scoping import require_some_writable_station
from elders.api import IdFilter, ServiceKindField, WritableStationField, enum_field
from elders.models import Elder
from services import actions
from services.models import (
    AgreementStatus,
    Channel,
    ChargingMethod,
    Feedback,
    Provider,
    ProviderKind,
    ServiceAgreement,
    ServiceRecord,
    ServiceType,
    Unit,
)
from services.queries import month_bounds
from volunteers.models import Volunteer

ProviderKindField = enum_field("ProviderKindEnum", ProviderKind.choices)
AgreementStatusField = enum_field("AgreementStatusEnum", AgreementStatus.choices)
ChargingMethodField = enum_field("ChargingMethodEnum", ChargingMethod.choices)
ChannelField = enum_field("FeedbackChannelEnum", Channel.choices)
UnitField = enum_field("ServiceUnitEnum", Unit.choices)


# --- Service types -----------------------------------------------------------------


class ServiceTypeSerializer(serializers.ModelSerializer):
    code = ServiceKindField(read_only=True)
    name = serializers.CharField(read_only=True)
    unit = UnitField(read_only=True)
    price = serializers.DecimalField(
        source="default_price", max_digits=8, decimal_places=2, read_only=True
    )

    class Meta:
        model = ServiceType
        fields = ["code", "name", "name_zh", "name_en", "unit", "price", "active"]


class ServiceTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """The service catalogue (the same for every station; the admin edits it)."""

    queryset = ServiceType.objects.order_by("pk")
    serializer_class = ServiceTypeSerializer
    lookup_field = "code"
    filterset_fields = ["active", "unit"]
    pagination_class = None


# --- Providers ---------------------------------------------------------------------


class ProviderSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(
        slug_field="code", read_only=True, label=gettext_lazy("station")
    )
    kind = ProviderKindField()

    class Meta:
        model = Provider
        fields = [
            "id",
            "station",
            "name",
            "kind",
            "licence",
            "licence_expires_on",
            "contact_name",
            "contact_phone",
            "address",
            "notes",
            "active",
        ]


class ProviderCreateSerializer(ProviderSerializer):
    station = WritableStationField(
        slug_field="code", queryset=Station.objects.all(), label=gettext_lazy("station")
    )


class ProviderViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Providers (units and individuals) of the caller's stations."""

    queryset = Provider.objects.select_related("station").order_by("name", "pk")
    serializer_class = ProviderSerializer
    filterset_fields = ["kind", "active"]

    def get_serializer_class(self):
        if self.action == "create":
            return ProviderCreateSerializer
        return ProviderSerializer

    def create(self, request, *args, **kwargs):
        require_some_writable_station(request.user)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        station = data.pop("station")
        with action_errors():
            serializer.instance = actions.provider_save(
                actor=self.request.user, station=station, data=data
            )

    def perform_update(self, serializer):
        provider = serializer.instance
        with action_errors():
            serializer.instance = actions.provider_save(
                actor=self.request.user,
                station=provider.station,
                provider=provider,
                data=dict(serializer.validated_data),
            )


# --- Agreements --------------------------------------------------------------------


class AgreementPriceSerializer(serializers.Serializer):
    service_type = serializers.SlugRelatedField(
        slug_field="code", queryset=ServiceType.objects.filter(active=True)
    )
    price = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)


class AgreementSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(
        slug_field="code", read_only=True, label=gettext_lazy("station")
    )
    provider = ScopedRelatedField(queryset=Provider.objects.all())
    charging_method = ChargingMethodField()
    status = AgreementStatusField(required=False)
    prices = AgreementPriceSerializer(many=True)
    has_scan = serializers.SerializerMethodField()

    class Meta:
        model = ServiceAgreement
        fields = [
            "id",
            "station",
            "provider",
            "number",
            "starts_on",
            "ends_on",
            "charging_method",
            "status",
            "prices",
            "has_scan",
            "notes",
        ]

    def get_has_scan(self, agreement) -> bool:
        return bool(agreement.scan)


class AgreementCreateSerializer(AgreementSerializer):
    station = WritableStationField(
        slug_field="code", queryset=Station.objects.all(), label=gettext_lazy("station")
    )


class ScanSerializer(serializers.Serializer):
    scan = serializers.FileField(
        help_text=gettext_lazy("The signed agreement: PDF, JPEG or PNG, at most 10 MB.")
    )


class AgreementViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Service agreements with their agreed prices; the scan is uploaded apart."""

    queryset = (
        ServiceAgreement.objects.select_related("station", "provider")
        .prefetch_related("prices__service_type")
        .order_by("-starts_on", "-pk")
    )
    serializer_class = AgreementSerializer
    filterset_fields = ["provider", "status", "charging_method"]

    def get_serializer_class(self):
        if self.action == "create":
            return AgreementCreateSerializer
        if self.action == "scan":
            return ScanSerializer
        return AgreementSerializer

    def create(self, request, *args, **kwargs):
        require_some_writable_station(request.user)
        return super().create(request, *args, **kwargs)

    def _save(self, serializer, *, station, agreement=None):
        data = dict(serializer.validated_data)
        data.pop("station", None)
        prices = data.pop("prices", None)
        if prices is None and agreement is not None:
            prices = [
                {"service_type": p.service_type, "price": p.price}
                for p in agreement.prices.all()
            ]
        with action_errors():
            saved = actions.agreement_save(
                actor=self.request.user,
                station=station,
                agreement=agreement,
                data=data,
                prices={p["service_type"]: p["price"] for p in prices},
            )
        serializer.instance = self.get_queryset().get(pk=saved.pk)

    def perform_create(self, serializer):
        self._save(serializer, station=serializer.validated_data["station"])

    def perform_update(self, serializer):
        agreement = serializer.instance
        self._save(serializer, station=agreement.station, agreement=agreement)

    @extend_schema(request=ScanSerializer, responses=AgreementSerializer)
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[parsers.MultiPartParser, parsers.FormParser],
    )
    def scan(self, request, pk=None):
        """Upload the signed scan (multipart field ``scan``)."""
        agreement = self.get_object()
        upload = ScanSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        with action_errors():
            actions.agreement_save(
                actor=request.user,
                station=agreement.station,
                agreement=agreement,
                data={},
                prices={p.service_type: p.price for p in agreement.prices.all()},
                scan=upload.validated_data["scan"],
            )
        return Response(
            AgreementSerializer(
                self.get_queryset().get(pk=agreement.pk),
                context=self.get_serializer_context(),
            ).data
        )


# --- Service records and feedback -----------------------------------------------------


class MonthFilter(django_filters.CharFilter):
    def filter(self, qs, value):
        if not value:
            return qs
        import datetime

        try:
            month = datetime.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise serializers.ValidationError(
                {"month": _("Give the month as YYYY-MM.")}
            ) from None
        start, end = month_bounds(month)
        return qs.filter(delivered_at__gte=start, delivered_at__lt=end)


class ServiceRecordFilter(django_filters.FilterSet):
    elder = IdFilter(field_name="elder_id", label=gettext_lazy("Elder"))
    month = MonthFilter(label=gettext_lazy("Month (YYYY-MM)"))
    service_type = django_filters.CharFilter(
        field_name="service_type__code", label=gettext_lazy("Service type code")
    )
    cancelled = django_filters.BooleanFilter(
        field_name="cancelled_at", lookup_expr="isnull", exclude=True
    )
    has_feedback = django_filters.BooleanFilter()


class ServiceRecordSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)
    elder = ScopedRelatedField(queryset=Elder.objects.select_related("station"))
    service_type = serializers.SlugRelatedField(
        slug_field="code", queryset=ServiceType.objects.all()
    )
    provider = ScopedRelatedField(
        queryset=Provider.objects.all(), required=False, allow_null=True
    )
    volunteer = ScopedRelatedField(
        queryset=Volunteer.objects.all(), required=False, allow_null=True
    )
    staff = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    quantity = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, min_value=0
    )
    price = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    awaiting_confirmation = serializers.BooleanField(
        source="awaits_confirmation", read_only=True
    )

    class Meta:
        model = ServiceRecord
        fields = [
            "id",
            "station",
            "elder",
            "service_type",
            "provider",
            "volunteer",
            "staff",
            "delivered_at",
            "duration_minutes",
            "quantity",
            "price",
            "voucher_paid",
            "self_paid",
            "notes",
            "has_feedback",
            "cancelled_at",
            "cancel_reason",
            "needs_confirmation",
            "awaiting_confirmation",
            "confirmed_at",
        ]
        read_only_fields = [
            "voucher_paid",
            "self_paid",
            "has_feedback",
            "cancelled_at",
            "cancel_reason",
            "needs_confirmation",
            "confirmed_at",
        ]


class FeedbackSerializer(serializers.ModelSerializer):
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)
    attitude = serializers.IntegerField(min_value=1, max_value=5)
    quality = serializers.IntegerField(min_value=1, max_value=5)
    channel = ChannelField()

    class Meta:
        model = Feedback
        fields = [
            "satisfaction",
            "punctual",
            "attitude",
            "quality",
            "comment",
            "channel",
            "recorded_at",
        ]
        read_only_fields = ["recorded_at"]


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField()


class BatchRecordSerializer(ServiceRecordSerializer):
    client_id = serializers.UUIDField()

    class Meta(ServiceRecordSerializer.Meta):
        fields = [*ServiceRecordSerializer.Meta.fields, "client_id"]


class BatchSerializer(serializers.Serializer):
    records = serializers.ListField(child=serializers.DictField(), min_length=1)


class BatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    records = BatchRecordSerializer(many=True)


#: The most records one batch may carry (a day sheet is at most a few hundred).
BATCH_MAX = 500


class ServiceRecordViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Delivered services; ``voucher_paid`` and ``self_paid`` are computed."""

    queryset = ServiceRecord.objects.select_related("station", "service_type").order_by(
        "-delivered_at", "-pk"
    )
    serializer_class = ServiceRecordSerializer
    filterset_class = ServiceRecordFilter

    def get_serializer_class(self):
        if self.action == "feedback":
            return FeedbackSerializer
        if self.action == "cancel":
            return CancelSerializer
        return ServiceRecordSerializer

    def create(self, request, *args, **kwargs):
        require_some_writable_station(request.user)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        with action_errors():
            record = actions.service_record_create(
                actor=self.request.user,
                elder=data["elder"],
                service_type=data["service_type"],
                delivered_at=data["delivered_at"],
                duration_minutes=data["duration_minutes"],
                quantity=data.get("quantity") or 1,
                price=data.get("price"),
                provider=data.get("provider"),
                volunteer=data.get("volunteer"),
                staff=data.get("staff"),
                notes=data.get("notes", ""),
            )
        serializer.instance = self.get_queryset().get(pk=record.pk)

    @extend_schema(request=CancelSerializer, responses=ServiceRecordSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a record with a reason; it is kept, marked cancelled."""
        record = self.get_object()
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with action_errors():
            actions.service_record_cancel(
                actor=request.user, record=record, reason=body.validated_data["reason"]
            )
        return Response(
            ServiceRecordSerializer(
                self.get_queryset().get(pk=record.pk),
                context=self.get_serializer_context(),
            ).data
        )

    @extend_schema(request=None, responses=ServiceRecordSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The station manager confirms a service recorded late; it is paid now."""
        record = self.get_object()
        with action_errors():
            actions.service_record_confirm(actor=request.user, record=record)
        return Response(
            ServiceRecordSerializer(
                self.get_queryset().get(pk=record.pk),
                context=self.get_serializer_context(),
            ).data
        )

    @extend_schema(methods=["GET"], request=None, responses={200: FeedbackSerializer})
    @extend_schema(
        methods=["POST"],
        request=FeedbackSerializer,
        responses={201: FeedbackSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def feedback(self, request, pk=None):
        """The record's feedback form: one per record (a second one answers 400)."""
        record = self.get_object()
        if request.method == "GET":
            feedback = Feedback.objects.filter(record=record).first()
            if feedback is None:
                raise Http404(_("Not found."))
            return Response(FeedbackSerializer(feedback).data)
        body = FeedbackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        with action_errors():
            feedback = actions.feedback_record(
                actor=request.user, record=record, data=data
            )
        return Response(
            FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=BatchSerializer, responses={201: BatchResultSerializer})
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """Record many services at once (a day sheet): all or nothing.

        Each record carries a ``client_id`` (UUID); one already seen returns the
        record written then and writes nothing. Any invalid record refuses the
        batch: 400 with ``errors`` by index (``{"3": {"elder": [...]}}``).
        """
        require_some_writable_station(request.user)
        body = BatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        raw = body.validated_data["records"]
        if len(raw) > BATCH_MAX:
            raise serializers.ValidationError(
                {"records": [_("At most %(n)d records a batch.") % {"n": BATCH_MAX}]}
            )
        errors: dict[str, dict] = {}
        items = []
        context = self.get_serializer_context()
        for index, data in enumerate(raw):
            item = BatchRecordSerializer(data=data, context=context)
            if item.is_valid():
                fields = dict(item.validated_data)
                fields["quantity"] = fields.get("quantity") or 1
                items.append(fields)
            else:
                errors[str(index)] = item.errors
        if not errors:
            try:
                result = actions.service_records_batch(actor=request.user, items=items)
            except actions.BatchErrors as exc:
                errors = {
                    str(index): serializers.as_serializer_error(
                        DjangoValidationError(by_field)
                    )
                    for index, by_field in exc.by_index.items()
                }
        if errors:
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        records = {
            r.pk: r
            for r in self.get_queryset().filter(pk__in=[r.pk for r in result.records])
        }
        return Response(
            {
                "created": result.created,
                "existing": result.existing,
                "records": BatchRecordSerializer(
                    [records[r.pk] for r in result.records], many=True, context=context
                ).data,
            },
            status=status.HTTP_201_CREATED,
        )
