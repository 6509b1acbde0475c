"""Forms of the inspection pages. They parse input only; the rules are in
``inspections.actions`` (which every form's view calls) and ``inspections.rules``."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inspections import rules
from inspections.actions import CHECKLIST_FIELDS
from inspections.evidence import EXTENSIONS
from inspections.models import FundingDecision, Inspection

YES_NO = [("true", _("Yes")), ("false", _("No"))]


class YearFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]


class ChecklistForm(forms.ModelForm):
    """The facility checklist the supervisor confirms on site."""

    funds_used_properly = forms.TypedChoiceField(
        label=_("Funds used only for facilities and services"),
        choices=YES_NO,
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Inspection
        fields = CHECKLIST_FIELDS
        widgets = {"checklist_notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        value = self.instance.funds_used_properly
        self.initial["funds_used_properly"] = (
            "" if value is None else "true" if value else "false"
        )

    def action_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in CHECKLIST_FIELDS}


class FindingForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"), required=False)
    text = forms.CharField(
        label=_("Finding"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Left empty with an indicator: what the indicator found."),
    )
    deadline = forms.DateField(
        label=_("Rectify by"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, inspection: Inspection, **kwargs):
        super().__init__(*args, **kwargs)
        results = rules.evaluate(inspection)
        failed = [r for r in results if r.passed is False]
        others = [r for r in results if r.passed is not False]
        self.fields["indicator"].choices = [
            ("", _("Other (say what in the text)")),
            *[(r.indicator.code, f"{r.indicator.label} ✗") for r in failed],
            *[(r.indicator.code, str(r.indicator.label)) for r in others],
        ]
        self.fields["deadline"].initial = timezone.localdate() + datetime.timedelta(
            days=30
        )


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("What the station did"), widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.FileField(
        label=_("Evidence (PDF, JPEG or PNG, at most 10 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )


class RecheckForm(forms.Form):
    result = forms.TypedChoiceField(
        label=_("Re-check"),
        choices=[("accepted", _("Accepted")), ("not_accepted", _("Not accepted"))],
        coerce=lambda value: value == "accepted",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when not accepted: what is still missing."),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=FundingDecision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required to stop funding, to recover funds, or to change a decision."
        ),
    )
    recover_amount = forms.DecimalField(
        label=_("Amount to recover (¥)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
    )
