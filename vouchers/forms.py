"""Forms of the vouchers pages and the month parser shared with the command and API."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecenter.models import Station


def parse_month(value: str) -> datetime.date:
    """``"YYYY-MM"`` → the first day of that month; ``ValueError`` with a message."""
    try:
        return datetime.datetime.strptime(value.strip(), "%Y-%m").date()
    except (AttributeError, ValueError):
        raise ValueError(
            _("Give the month as YYYY-MM, for example %(example)s.")
            % {"example": f"{timezone.localdate():%Y-%m}"}
        ) from None


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_month(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def prepare_value(self, value):
        if isinstance(value, datetime.date):
            return f"{value:%Y-%m}"
        return value


class IssueForm(forms.Form):
    """A manager issues this month or the next for one of their stations by hand;
    an administrator may also issue an ended month, with a reason. Which months
    may be issued is the action's rule (``actions.issue_month_check``)."""

    station = forms.ModelChoiceField(
        label=gettext_lazy("Station"), queryset=Station.objects.none()
    )
    month = MonthField(
        label=gettext_lazy("Month"),
        help_text=gettext_lazy("This month or the next."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for an ended month"),
        required=False,
        max_length=500,
        help_text=gettext_lazy(
            "Administrators only: why vouchers are issued for a month that has "
            "ended. Kept with the run."
        ),
    )

    def __init__(self, *args, stations, may_backdate: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations
        if stations.count() == 1:
            self.fields["station"].initial = stations.get().pk
            self.fields["station"].widget = forms.HiddenInput()
        self.fields["month"].initial = timezone.localdate().replace(day=1)
        if not may_backdate:
            del self.fields["reason"]

    def clean_month(self):
        month = self.cleaned_data["month"]
        if month is None:
            raise forms.ValidationError(_("Choose a month."))
        return month


class MonthFilterForm(forms.Form):
    month = MonthField(label=gettext_lazy("Month"), required=False)
    station = forms.ModelChoiceField(
        label=gettext_lazy("Station"), queryset=Station.objects.none(), required=False
    )

    def __init__(self, *args, stations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations
        if stations.count() <= 1:
            del self.fields["station"]
