from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecenter.catalogue import DAY_SHEET_KINDS
from carecenter.scoping import visible_to, writable_stations
from daysheets.models import Meal, Weekday
from elders.forms import DateInput, ElderPicker
from elders.models import Elder, Status
from services.models import Provider, ServiceType


class EnrolmentForm(forms.Form):
    elder = forms.ModelChoiceField(
        queryset=None, label=_("Elder"), widget=ElderPicker()
    )
    service_type = forms.ModelChoiceField(queryset=None, label=_("Service"))
    weekdays = forms.TypedMultipleChoiceField(
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-inline"}),
        label=_("Weekdays"),
        initial=[0, 1, 2, 3, 4],
    )
    meals = forms.MultipleChoiceField(
        choices=Meal.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Meals"),
        initial=[Meal.LUNCH],
        help_text=_("Not needed for day care."),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=DateInput())
    notes = forms.CharField(label=_("Notes"), required=False, max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elder"].queryset = visible_to(
            user,
            Elder.objects.filter(
                station__in=writable_stations(user), status=Status.ACTIVE
            ),
        ).order_by("name", "pk")
        self.fields["service_type"].queryset = ServiceType.objects.filter(
            code__in=DAY_SHEET_KINDS, active=True
        ).order_by("pk")
        self.fields["starts_on"].initial = timezone.localdate()

    def action_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("elder")
        data["meals"] = list(data["meals"])
        return data


class EndEnrolmentForm(forms.Form):
    ends_on = forms.DateField(label=_("Last day"), widget=DateInput())


class SheetForm(forms.Form):
    """The submit of a day sheet: who delivered, at what time, who was present."""

    provider = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Delivered by"),
        empty_label=_("Station staff (me)"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    at = forms.TimeField(
        label=_("Time"),
        widget=forms.TimeInput(
            attrs={"type": "time", "class": "form-control"}, format="%H:%M"
        ),
    )
    present = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, user, station, day: datetime.date, elder_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = visible_to(
            user, Provider.objects.filter(station=station, active=True)
        ).order_by("name", "pk")
        self.fields["present"].choices = [(pk, pk) for pk in elder_ids]
        now = timezone.localtime()
        if day == now.date():
            self.fields["at"].initial = now.time().replace(second=0, microsecond=0)
        else:
            self.fields["at"].initial = datetime.time(12, 0)


class WalkInForm(forms.Form):
    """The sheet's search for a walk-in (the elder picker of the station)."""

    walkin = forms.ModelChoiceField(
        queryset=None, label=_("Add a walk-in"), widget=ElderPicker()
    )

    def __init__(self, *args, user, station, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["walkin"].queryset = visible_to(
            user, Elder.objects.filter(station=station, status=Status.ACTIVE)
        )
        self.fields["walkin"].widget.station_id = station.pk
