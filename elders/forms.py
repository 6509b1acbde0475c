"""Forms of the elder pages. They parse and show errors; actions do the writing."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecenter.catalogue import ServiceKind
from carecenter.scoping import writable_stations
from elders.actions import ELDER_FIELDS
from elders.id_numbers import mask
from elders.models import (
    BARTHEL_DESCRIPTIONS,
    BARTHEL_ITEMS,
    BarthelAssessment,
    Category,
    Elder,
    FamilyContact,
    NeedsSurvey,
    Tier,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ElderPicker(forms.HiddenInput):
    """An elder chosen by searching (name, phone or ID tail), not from a list of a
    station's thousands: a search box asks ``elders:pick`` as one types (htmx) and
    the chosen elder's id goes into the hidden input. Used with a
    ``ModelChoiceField`` whose (scoped) queryset names the chosen elder, so an id
    outside the user's scope shows nothing. ``station`` narrows the search.

    ``base.html`` loads ``static/js/elder-picker.js`` for every page. The widget's
    template lives in the app (``elders/templates/``): Django's form renderer reads
    widget templates from apps, not from the project's template folder.
    """

    template_name = "elders/widgets/elder_picker.html"
    is_hidden = False  # a visible control, with its label, despite the hidden input

    def __init__(self, attrs=None, *, station_id: int | None = None):
        super().__init__(attrs)
        self.station_id = station_id

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = None
        queryset = getattr(self.choices, "queryset", None)
        if value not in (None, "") and str(value).isdigit() and queryset is not None:
            chosen = queryset.filter(pk=value).select_related("station").first()
        context["widget"].update({"chosen": chosen, "station_id": self.station_id})
        return context


def _row(*fields, cols="col-md-6"):
    return Div(*[Div(f, css_class=cols) for f in fields], css_class="row")


class ElderForm(forms.ModelForm):
    station = forms.ModelChoiceField(queryset=None, label=_("Station"))
    # Not a model field: the archive stores it encrypted (Elder.id_number).
    id_number = forms.CharField(
        label=_("resident ID number"),
        max_length=24,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}
        ),
    )
    categories = forms.MultipleChoiceField(
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Special categories"),
    )

    class Meta:
        model = Elder
        fields = ["station", *ELDER_FIELDS]
        widgets = {
            "birth_date": DateInput(),
            "residence_since": DateInput(),
            "chronic_conditions": forms.Textarea(attrs={"rows": 2}),
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        stations = writable_stations(user)
        self.fields["station"].queryset = stations
        editing = self.instance.pk is not None
        if editing:
            # Moving an archive to another station is not an edit of the archive.
            del self.fields["station"]
            # Shown masked to everyone, the manager too: the whole number is
            # revealed on its own page, with a reason, and logged.
            self.initial["id_number"] = mask(self.instance.id_number_last4)
            self.fields["id_number"].help_text = _(
                "Shown masked. Leave it as it is to keep the number, or type the "
                "whole new number."
            )
        elif stations.count() == 1:
            self.fields["station"].initial = stations.first()
            self.fields["station"].widget = forms.HiddenInput()
        self.helper = FormHelper()
        self.helper.form_tag = False
        station = [] if editing else ["station"]
        self.helper.layout = Layout(
            Fieldset(
                _("Identity"),
                *station,
                _row("name", "gender"),
                _row("birth_date", "id_number"),
                _row("phone", "address"),
            ),
            Fieldset(
                _("Residence and household"),
                _row("hukou_local", "residence_since"),
                _row("living_arrangement", "empty_nest"),
                "status",
            ),
            Fieldset(
                _("Circumstances and health"),
                "categories",
                "financial_difficulty",
                _row("health_status", "chronic_conditions"),
            ),
        )

    def clean_id_number(self):
        value = self.cleaned_data["id_number"]
        if self.instance.pk and value == mask(self.instance.id_number_last4):
            value = self.instance.id_number  # unchanged
        # The model's own rules (check character, birth date, duplicates) run on
        # the instance in the form's model validation, as in the action.
        self.instance.id_number = value
        return value

    def action_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in ELDER_FIELDS}


class FamilyContactForm(forms.ModelForm):
    class Meta:
        model = FamilyContact
        fields = ["name", "relation", "phone", "is_emergency"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = BarthelAssessment
        fields = ["assessed_on", *BARTHEL_ITEMS, "notes"]
        widgets = {
            "assessed_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
            **{item: forms.RadioSelect for item in BARTHEL_ITEMS},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].initial = timezone.localdate()
        for item in BARTHEL_ITEMS:
            field = self.fields[item]
            # Each score with what it means: a bare 0/5/10 guides no one.
            field.choices = [
                (value, f"{value} · {BARTHEL_DESCRIPTIONS[item][value]}")
                for value, _label in field.choices
                if value != ""
            ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "assessed_on",
            Div(
                *[Div(item, css_class="col-sm-6 col-lg-4") for item in BARTHEL_ITEMS],
                css_class="row barthel-items",
            ),
            "notes",
        )

    def scores(self) -> dict[str, int]:
        return {item: int(self.cleaned_data[item]) for item in BARTHEL_ITEMS}


class NeedsSurveyForm(forms.ModelForm):
    needs = forms.MultipleChoiceField(
        choices=ServiceKind.choices,
        widget=forms.CheckboxSelectMultiple,
        label=_("Services needed"),
    )

    class Meta:
        model = NeedsSurvey
        fields = ["surveyed_on", "needs", "notes"]
        widgets = {
            "surveyed_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["surveyed_on"].initial = timezone.localdate()
        self.helper = FormHelper()
        self.helper.form_tag = False


class TierOverrideForm(forms.Form):
    tier = forms.ChoiceField(
        choices=[("", _("No override: use the computed tier")), *Tier.choices],
        required=False,
        label=_("Tier"),
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Reason"),
        help_text=_(
            "Required: it is kept in the audit trail and shown beside the tier."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the whole number needed?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "For example: applying for a subsidy at the civil-affairs office. "
            "The reason is kept in the access log with your name."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class RemovalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the change history, with your name."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


__all__ = [
    "AssessmentForm",
    "ElderForm",
    "FamilyContactForm",
    "NeedsSurveyForm",
    "RemovalForm",
    "RevealForm",
    "TierOverrideForm",
]
