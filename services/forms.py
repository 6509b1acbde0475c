"""Forms of the services pages. They parse and show errors; actions do the writing."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecenter.models import Role, User
from carecenter.scoping import visible_to, writable_stations
from elders.forms import DateInput, ElderPicker
from elders.models import Elder, Status
from services import payment, queries
from services.actions import AGREEMENT_FIELDS, FEEDBACK_FIELDS, PROVIDER_FIELDS
from services.models import (
    DeliveredBy,
    Feedback,
    Provider,
    ReturnVisit,
    ServiceAgreement,
    VisitFeedback,
)
from services.scans import EXTENSIONS
from volunteers.models import Volunteer, VolunteerStatus


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _row(*fields, cols="col-md-6"):
    return Div(*[Div(f, css_class=cols) for f in fields], css_class="row")


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    if layout:
        helper.layout = Layout(*layout)
    return helper


def _station_field(form, user) -> None:
    """The station choice: hidden when the user works for one station only."""
    stations = writable_stations(user).order_by("code")
    field = form.fields["station"]
    field.queryset = stations
    only = list(stations[:2])
    if len(only) == 1:
        field.initial = only[0]
        field.widget = forms.HiddenInput()


# --- Providers and agreements -------------------------------------------------------


class ProviderForm(forms.ModelForm):
    station = forms.ModelChoiceField(queryset=None, label=_("Station"))

    class Meta:
        model = Provider
        fields = ["station", *PROVIDER_FIELDS]
        widgets = {
            "licence_expires_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["station"]
        else:
            _station_field(self, user)
        station = [] if self.instance.pk else ["station"]
        self.helper = _helper(
            *station,
            _row("name", "kind"),
            _row("licence", "licence_expires_on"),
            _row("contact_name", "contact_phone"),
            "address",
            "notes",
            "active",
        )

    def action_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in PROVIDER_FIELDS}


class AgreementForm(forms.ModelForm):
    """The agreement, a price field for every service of the catalogue (blank: not
    covered), and the signed scan."""

    station = forms.ModelChoiceField(queryset=None, label=_("Station"))
    scan = forms.FileField(
        label=_("Signed scan"),
        required=False,
        help_text=_("PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.FileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )

    class Meta:
        model = ServiceAgreement
        fields = ["station", *AGREEMENT_FIELDS]
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        if editing:
            del self.fields["station"]
            self.fields["provider"].queryset = Provider.objects.filter(
                station=self.instance.station_id
            )
        else:
            _station_field(self, user)
            self.fields["provider"].queryset = visible_to(
                user, Provider.objects.filter(active=True)
            )
        current = (
            {p.service_type_id: p.price for p in self.instance.prices.all()}
            if editing
            else {}
        )
        self.service_types = list(queries.service_types())
        self.price_fields = []
        for service_type in self.service_types:
            name = f"price_{service_type.code}"
            self.fields[name] = forms.DecimalField(
                label=f"{service_type.name} ({service_type.get_unit_display()})",
                required=False,
                min_value=0,
                max_digits=8,
                decimal_places=2,
                initial=current.get(service_type.pk),
                widget=forms.NumberInput(
                    attrs={
                        "step": "0.01",
                        "inputmode": "decimal",
                        "placeholder": str(service_type.default_price),
                    }
                ),
            )
            self.price_fields.append(name)
        station = [] if editing else ["station"]
        self.helper = _helper(
            Fieldset(
                _("Agreement"),
                *station,
                _row("provider", "number"),
                _row("starts_on", "ends_on"),
                _row("charging_method", "status"),
                "notes",
                "scan",
            ),
            Fieldset(
                _("Services and agreed prices (leave blank: not covered)"),
                Div(
                    *[
                        Div(Field(n), css_class="col-sm-6 col-lg-4")
                        for n in self.price_fields
                    ],
                    css_class="row agreement-prices",
                ),
            ),
        )

    def action_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in AGREEMENT_FIELDS}

    def prices(self) -> dict:
        return {
            service_type: self.cleaned_data[f"price_{service_type.code}"]
            for service_type in self.service_types
            if self.cleaned_data.get(f"price_{service_type.code}") is not None
        }


# --- Service records ------------------------------------------------------------------


class ServiceRecordForm(forms.Form):
    elder = forms.ModelChoiceField(
        queryset=None, label=_("Elder"), widget=ElderPicker()
    )
    service_type = forms.ModelChoiceField(queryset=None, label=_("Service"))
    delivered_by = forms.ChoiceField(
        choices=DeliveredBy.choices,
        widget=forms.RadioSelect,
        initial=DeliveredBy.PROVIDER,
        label=_("Delivered by"),
    )
    provider = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Provider")
    )
    volunteer = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Volunteer")
    )
    staff = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Staff member")
    )
    delivered_at = forms.DateTimeField(
        label=_("Delivered at"),
        widget=DateTimeInput(),
        help_text=_(
            "A service recorded long after it was delivered (beyond the district's "
            "limit, a week by default) is paid once the station manager confirms it."
        ),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=1, max_value=24 * 60, initial=60
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        min_value=0.01,
        max_digits=6,
        decimal_places=2,
        initial=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    price = forms.DecimalField(
        label=_("Unit price"),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        help_text=_(
            "Leave blank for the agreed price, or the catalogue's when there is "
            "no agreement."
        ),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        stations = writable_stations(user)
        self.fields["elder"].queryset = visible_to(
            user, Elder.objects.filter(station__in=stations, status=Status.ACTIVE)
        ).order_by("name", "pk")
        self.fields["service_type"].queryset = queries.service_types()
        self.fields["provider"].queryset = visible_to(
            user, Provider.objects.filter(station__in=stations, active=True)
        )
        self.fields["volunteer"].queryset = visible_to(
            user,
            Volunteer.objects.filter(
                station__in=stations, status=VolunteerStatus.ACTIVE
            ),
        ).order_by("name", "pk")
        self.fields["staff"].queryset = (
            User.objects.filter(
                is_active=True,
                roles__role__in=[Role.STAFF, Role.MANAGER],
                roles__station__in=stations,
            )
            .distinct()
            .order_by("username")
        )
        self.fields["delivered_at"].initial = timezone.localtime().replace(
            second=0, microsecond=0
        )
        self.fields["staff"].initial = user.pk
        self.helper = _helper(
            _row("elder", "service_type"),
            Div(Field("delivered_by"), css_class="delivered-by"),
            _row("provider", "volunteer", "staff", cols="col-md-6"),
            _row("delivered_at", "duration_minutes"),
            _row("quantity", "price"),
            "notes",
        )

    def clean(self):
        data = super().clean()
        chosen = data.get("delivered_by")
        if chosen and not data.get(chosen):
            self.add_error(chosen, _("Choose who delivered the service."))
        if data.get("price") is not None and data.get("quantity") is not None:
            for field, messages in payment.amount_errors(
                data["price"], data["quantity"]
            ).items():
                for message in messages:
                    self.add_error(field, message)
        return data

    def action_kwargs(self) -> dict:
        data = self.cleaned_data
        chosen = data["delivered_by"]
        return {
            "elder": data["elder"],
            "service_type": data["service_type"],
            "delivered_at": data["delivered_at"],
            "duration_minutes": data["duration_minutes"],
            "quantity": data["quantity"],
            "price": data["price"],
            "notes": data["notes"],
            **{
                who: (data.get(who) if who == chosen else None)
                for who in DeliveredBy.values
            },
        }


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = Feedback
        fields = FEEDBACK_FIELDS
        widgets = {
            "satisfaction": forms.RadioSelect(choices=SCORE_CHOICES),
            "attitude": forms.RadioSelect(choices=SCORE_CHOICES),
            "quality": forms.RadioSelect(choices=SCORE_CHOICES),
            "channel": forms.RadioSelect,
            "comment": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            c for c in self.fields["channel"].choices if c[0]
        ]
        self.fields["punctual"].required = False
        self.helper = _helper(
            Div(
                Div(Field("satisfaction"), css_class="col-sm-6 col-lg-4"),
                Div(Field("attitude"), css_class="col-sm-6 col-lg-4"),
                Div(Field("quality"), css_class="col-sm-6 col-lg-4"),
                css_class="row feedback-scores",
            ),
            "punctual",
            Field("channel"),
            "comment",
        )

    def action_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in FEEDBACK_FIELDS}


class VisitFeedbackForm(FeedbackForm):
    class Meta(FeedbackForm.Meta):
        model = VisitFeedback


class ReturnVisitForm(forms.ModelForm):
    class Meta:
        model = ReturnVisit
        fields = ["visited_at", "channel", "outcome", "notes"]
        widgets = {
            "visited_at": DateTimeInput(),
            "channel": forms.RadioSelect,
            "outcome": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("channel", "outcome"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]
        self.fields["visited_at"].initial = timezone.localtime().replace(
            second=0, microsecond=0
        )
        self.helper = _helper()


class RecordFilterForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    service_type = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Service")
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("All")),
            ("delivered", _("Delivered")),
            ("no_feedback", _("Lacking feedback")),
            ("to_confirm", _("Awaiting the manager's confirmation")),
            ("cancelled", _("Cancelled")),
        ],
    )
    q = forms.CharField(label=_("Elder's name"), required=False)
    # From the elder's page ("all services"): one elder, out of scope is empty.
    elder = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = queries.service_types(active_only=False)
