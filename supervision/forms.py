"""The dashboard's month-range filter, shared by the pages, exports and API."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecenter.models import District
from carecenter.months import add_months
from supervision.queries import months_between
from vouchers.forms import MonthField

#: The default range: this month and the five before it.
DEFAULT_MONTHS = 6
#: The longest range a page shows (one column per month in some tables).
LONGEST_RANGE = 24


def default_range() -> tuple[datetime.date, datetime.date]:
    last = timezone.localdate().replace(day=1)
    return add_months(last, -(DEFAULT_MONTHS - 1)), last


class RangeForm(forms.Form):
    """``from`` and ``to`` (YYYY-MM, both optional) and, for users who read
    several districts, ``district`` (a code)."""

    def __init__(self, *args, districts=None, **kwargs):
        super().__init__(*args, **kwargs)
        first, last = default_range()
        self.fields["from"] = MonthField(label=gettext_lazy("From"), required=False)
        self.fields["to"] = MonthField(label=gettext_lazy("To"), required=False)
        # Unbound (no filter given): the inputs show the default range.
        self.fields["from"].initial, self.fields["to"].initial = first, last
        if districts is not None and len(districts) > 1:
            self.fields["district"] = forms.ModelChoiceField(
                label=gettext_lazy("District"),
                queryset=District.objects.filter(pk__in=[d.pk for d in districts]),
                to_field_name="code",
                required=False,
            )

    def clean(self):
        data = super().clean()
        this_month = timezone.localdate().replace(day=1)
        last = data.get("to") or this_month
        if last > this_month:
            last = this_month
        first = data.get("from") or add_months(last, -(DEFAULT_MONTHS - 1))
        if first > last:
            raise forms.ValidationError(
                _("The first month must not come after the last.")
            )
        if len(months_between(first, last)) > LONGEST_RANGE:
            raise forms.ValidationError(
                _("Choose at most %(n)s months.") % {"n": LONGEST_RANGE}
            )
        data["first"], data["last"] = first, last
        return data

    def range(self) -> tuple[datetime.date, datetime.date]:
        """The chosen range, or the default one when the input is invalid."""
        if self.is_valid():
            return self.cleaned_data["first"], self.cleaned_data["last"]
        return default_range()
