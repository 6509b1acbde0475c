"""Forms of the care pages. They parse and show errors; actions do the writing."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care.models import CallerRelation, CallKind, CallOutcome
from carecenter.scoping import visible_to, writable_stations
from elders.forms import ElderPicker
from elders.models import Elder
from elders.models import Status as ElderStatus
from services.forms import DateTimeInput

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    if layout:
        helper.layout = Layout(*layout)
    return helper


def _row(*fields, cols="col-md-6"):
    return Div(*[Div(f, css_class=cols) for f in fields], css_class="row")


def _when(label) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, input_formats=DATETIME_FORMATS, widget=DateTimeInput()
    )


def _now() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class CareCallForm(forms.Form):
    called_at = _when(_("Called at"))
    kind = forms.ChoiceField(
        label=_("Kind"), choices=CallKind.choices, initial=CallKind.GREETING
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=CallOutcome.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    needs_follow_up = forms.BooleanField(label=_("Needs follow-up"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("called_at", _now())
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            _row("called_at", "kind"), "outcome", "notes", "needs_follow_up"
        )


class QuickCallForm(forms.Form):
    """One click on the due list: this elder, now, this outcome."""

    elder = forms.IntegerField(min_value=1)
    outcome = forms.ChoiceField(choices=CallOutcome.choices)


def _scoped_elders(user):
    return visible_to(
        user,
        Elder.objects.filter(
            status=ElderStatus.ACTIVE, station__in=writable_stations(user)
        ),
    )


class EmergencyForm(forms.Form):
    elder = forms.ModelChoiceField(
        label=_("Elder"), queryset=Elder.objects.none(), widget=ElderPicker()
    )
    reported_at = _when(_("Call received at"))
    caller_name = forms.CharField(label=_("Who called"), max_length=50)
    caller_relation = forms.ChoiceField(
        label=_("Caller is"), choices=CallerRelation.choices
    )
    what_happened = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3})
    )
    responder = forms.CharField(
        label=_("Who responded"), required=False, max_length=100
    )
    responded_at = forms.DateTimeField(
        label=_("Responded at"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DateTimeInput(),
    )
    contact_informed = forms.BooleanField(
        label=_("Emergency contact informed"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("reported_at", _now())
        super().__init__(*args, **kwargs)
        self.fields["elder"].queryset = _scoped_elders(user)
        self.helper = _helper(
            "elder",
            _row("reported_at", "caller_relation"),
            "caller_name",
            "what_happened",
            _row("responder", "responded_at"),
            "contact_informed",
        )


class RespondForm(forms.Form):
    responder = forms.CharField(label=_("Who responded"), max_length=100)
    responded_at = _when(_("Responded at"))
    contact_informed = forms.BooleanField(
        label=_("Emergency contact informed"), required=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("responded_at", _now())
        super().__init__(*args, **kwargs)
        self.helper = _helper(_row("responder", "responded_at"), "contact_informed")


class CloseForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 2})
    )
    contact_informed = forms.BooleanField(
        label=_("Emergency contact informed"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("outcome", "contact_informed")


class ReadingForm(forms.Form):
    measured_at = _when(_("Measured at"))
    systolic = forms.IntegerField(
        label=_("Systolic (mmHg)"), required=False, min_value=0, max_value=999
    )
    diastolic = forms.IntegerField(
        label=_("Diastolic (mmHg)"), required=False, min_value=0, max_value=999
    )
    blood_sugar = forms.DecimalField(
        label=_("Blood sugar (mmol/L)"),
        required=False,
        max_digits=4,
        decimal_places=1,
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("measured_at", _now())
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            "measured_at",
            _row("systolic", "diastolic", cols="col-6"),
            "blood_sugar",
            "notes",
        )


class ResolveForm(forms.Form):
    resolution_note = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
