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
    """A manager issues one month for one of their stations by hand."""

    station = forms.ModelChoiceField(
        label=gettext_lazy("Station"), queryset=Station.objects.none()
    )
    month = MonthField(label=gettext_lazy("Month"))

    def __init__(self, *args, stations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations
        if stations.count() == 1:
            self.fields["station"].initial = stations.get().pk
            self.fields["station"].widget = forms.HiddenInput()
        self.fields["month"].initial = timezone.localdate().replace(day=1)

    def clean_month(self):
        month = self.cleaned_data["month"]
        if month is None:
            raise forms.ValidationError(_("Choose a month."))
        this_month = timezone.localdate().replace(day=1)
        if month > this_month:
            raise forms.ValidationError(
                _("Vouchers of a future month cannot be issued yet.")
            )
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
