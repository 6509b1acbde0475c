from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from activities.models import ActivityKind
from carecenter.models import Role, RoleAssignment, Station, User
from carecenter.scoping import visible_to, writable_stations
from elders.forms import ElderPicker
from elders.models import Elder, Status
from services.forms import DateTimeInput
from services.models import Provider
from volunteers.models import Team

ORGANISER_KINDS = [
    ("staff", _("Station staff")),
    ("team", _("Volunteer team")),
    ("provider", _("Provider")),
]


class ActivityForm(forms.Form):
    station = forms.ModelChoiceField(queryset=None, label=_("Station"))
    title = forms.CharField(label=_("Title"), max_length=120)
    kind = forms.ChoiceField(choices=ActivityKind.choices, label=_("Kind"))
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(
        label=_("Ends at"), required=False, widget=DateTimeInput()
    )
    place = forms.CharField(label=_("Place"), max_length=120)
    organiser_kind = forms.ChoiceField(
        choices=ORGANISER_KINDS,
        widget=forms.RadioSelect,
        initial="staff",
        label=_("Organised by"),
    )
    organiser_staff = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Staff member")
    )
    organiser_team = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Volunteer team")
    )
    organiser_provider = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Provider")
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        stations = writable_stations(user)
        self.fields["station"].queryset = stations
        if stations.count() == 1:
            self.fields["station"].initial = stations.first()
        self.fields["organiser_staff"].queryset = User.objects.filter(
            is_active=True,
            pk__in=RoleAssignment.objects.filter(
                station__in=stations, role__in=[Role.STAFF, Role.MANAGER]
            ).values("user_id"),
        ).order_by("username")
        self.fields["organiser_staff"].initial = user.pk
        self.fields["organiser_team"].queryset = visible_to(
            user, Team.objects.filter(station__in=stations)
        ).order_by("name", "pk")
        self.fields["organiser_provider"].queryset = visible_to(
            user, Provider.objects.filter(station__in=stations, active=True)
        ).order_by("name", "pk")

    def clean(self):
        data = super().clean()
        kind = data.get("organiser_kind")
        for other in ("staff", "team", "provider"):
            if other != kind:
                data[f"organiser_{other}"] = None
        if kind and data.get(f"organiser_{kind}") is None:
            self.add_error(f"organiser_{kind}", _("Choose the organiser."))
        return data

    def action_data(self) -> tuple[Station, dict]:
        data = dict(self.cleaned_data)
        station = data.pop("station")
        data.pop("organiser_kind")
        return station, data


class AddElderForm(forms.Form):
    """The attendance sheet's search for one more elder (the elder picker)."""

    add = forms.ModelChoiceField(
        queryset=None, label=_("Add an elder"), widget=ElderPicker()
    )

    def __init__(self, *args, user, station_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["add"].queryset = visible_to(
            user, Elder.objects.filter(station_id=station_id, status=Status.ACTIVE)
        )
        self.fields["add"].widget.station_id = station_id
