"""Forms of the volunteer pages. They parse and show errors; actions do the writing."""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecenter.catalogue import ServiceKind
from carecenter.scoping import visible_to, writable_stations
from elders.forms import DateInput, ElderPicker
from elders.models import Elder
from elders.models import Status as ElderStatus
from volunteers.actions import (
    CERTIFICATE_FIELDS,
    TEAM_FIELDS,
    TRAINING_FIELDS,
    VOLUNTEER_FIELDS,
)
from volunteers.models import Certificate, Team, TrainingSession, Visit, Volunteer


def _row(*fields, cols="col-md-6"):
    return Div(*[Div(f, css_class=cols) for f in fields], css_class="row")


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    if layout:
        helper.layout = Layout(*layout)
    return helper


class StationChoiceMixin:
    """A station field on new records: the stations the user may write to."""

    def _station_field(self, user, editing: bool) -> list[str]:
        if editing:
            del self.fields["station"]
            return []
        stations = writable_stations(user)
        self.fields["station"].queryset = stations
        if stations.count() == 1:
            self.fields["station"].initial = stations.first()
            self.fields["station"].widget = forms.HiddenInput()
        return ["station"]


def _services_field(label, required=False) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=ServiceKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=required,
        label=label,
    )


class VolunteerForm(StationChoiceMixin, forms.ModelForm):
    station = forms.ModelChoiceField(queryset=None, label=_("Station"))
    specialties = _services_field(_("Specialties"))

    class Meta:
        model = Volunteer
        fields = ["station", *VOLUNTEER_FIELDS]
        widgets = {
            "birth_date": DateInput(),
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        station = self._station_field(user, editing)
        teams = visible_to(user, Team.objects.all())
        if editing:
            teams = teams.filter(station=self.instance.station)
        self.fields["team"].queryset = teams
        self.helper = _helper(
            Fieldset(
                _("Volunteer"),
                *station,
                _row("name", "gender"),
                _row("birth_date", "phone"),
                _row("occupation", "team"),
                _row("availability", "status"),
            ),
            Div("specialties", css_class="service-choices"),
        )

    def action_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in VOLUNTEER_FIELDS}


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Tell the volunteer; they can change it after signing in."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class TeamForm(StationChoiceMixin, forms.ModelForm):
    station = forms.ModelChoiceField(queryset=None, label=_("Station"))

    class Meta:
        model = Team
        fields = ["station", *TEAM_FIELDS]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        station = self._station_field(user, editing)
        leaders = visible_to(user, Volunteer.objects.all())
        if editing:
            leaders = leaders.filter(station=self.instance.station)
        self.fields["leader"].queryset = leaders
        self.helper = _helper(*station, _row("name", "kind"), "leader", "notes")

    def action_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in TEAM_FIELDS}


class TrainingForm(StationChoiceMixin, forms.ModelForm):
    station = forms.ModelChoiceField(queryset=None, label=_("Station"))
    attendees = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Attendees"),
    )

    class Meta:
        model = TrainingSession
        fields = ["station", *TRAINING_FIELDS, "attendees"]
        widgets = {"held_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        station = self._station_field(user, editing)
        attendees = visible_to(user, Volunteer.objects.all()).order_by("name")
        if editing:
            attendees = attendees.filter(station=self.instance.station)
        self.fields["attendees"].queryset = attendees
        self.fields["held_on"].initial = timezone.localdate()
        self.helper = _helper(
            *station,
            _row("held_on", "hours"),
            _row("topic", "trainer"),
            Div("attendees", css_class="attendee-choices"),
            "notes",
        )

    def action_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in TRAINING_FIELDS}


class CertificateForm(forms.ModelForm):
    class Meta:
        model = Certificate
        fields = CERTIFICATE_FIELDS
        widgets = {"issued_on": DateInput(), "expires_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            _row("kind", "number"), _row("issued_on", "expires_on"), "issuer"
        )


class PairingClaimForm(forms.Form):
    elder = forms.ModelChoiceField(
        queryset=None, label=_("Elder"), widget=ElderPicker()
    )
    services = _services_field(_("Services promised"))
    schedule = forms.CharField(
        label=_("Service hours"),
        max_length=200,
        required=False,
        help_text=_("When the volunteer visits, e.g. Tuesdays 9:00–11:00."),
    )

    def __init__(self, *args, user, volunteer: Volunteer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elder"].queryset = visible_to(
            user,
            Elder.objects.filter(
                station=volunteer.station, status=ElderStatus.ACTIVE
            ).order_by("name", "pk"),
        )
        self.fields["elder"].widget.station_id = volunteer.station_id
        self.helper = _helper(
            "elder", Div("services", css_class="service-choices"), "schedule"
        )


class LetterForm(forms.Form):
    letter_signed_on = forms.DateField(
        label=_("Letter signed on"), widget=DateInput(), initial=timezone.localdate
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class PairingEndForm(forms.Form):
    ended_on = forms.DateField(
        label=_("Ended on"), widget=DateInput(), initial=timezone.localdate
    )
    end_reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ResolveForm(forms.Form):
    resolution_note = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def _rounded_now() -> datetime.datetime:
    now = timezone.localtime()
    return now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)


def visit_default_times(
    now: datetime.datetime, last: tuple[datetime.datetime, datetime.datetime] | None
) -> tuple[datetime.datetime, datetime.datetime]:
    """The times a new visit comes filled in with (local, whole five minutes).

    The last hour, unless it overlaps the volunteer's latest visit: then from that
    visit's end until now, or, when it ended just now (two visits logged in a
    row after both were made), the hour before it began. The offline page's
    script (``static/volunteers/offline/page.js``, ``defaultTimes``) follows the
    same rule on the phone's clock.
    """
    end = now
    start = end - datetime.timedelta(hours=1)
    if last is not None:
        last_start, last_end = (timezone.localtime(t) for t in last)
        if last_end > start and last_start < end:
            if last_end < end:
                start = last_end
            else:
                end = min(last_start, end)
                start = end - datetime.timedelta(hours=1)
    return start, end


class VisitForm(forms.ModelForm):
    """A visit in a few taps: the day and times come filled in (the last hour,
    or after the volunteer's latest visit: ``visit_default_times``)."""

    day = forms.DateField(label=_("Day"), widget=DateInput())
    start = forms.TimeField(label=_("From"), widget=TimeInput())
    end = forms.TimeField(label=_("To"), widget=TimeInput())
    services = _services_field(_("Services done"))
    # Made by the page's script for each visit, so that sending it twice (a lost
    # answer, a double tap) logs it once. Without the script the form works
    # without it.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Visit
        fields = [
            "services",
            "notes",
            "systolic",
            "diastolic",
            "blood_sugar",
            "needs_follow_up",
            "follow_up_reason",
        ]
        labels = {
            "systolic": _("Systolic"),
            "diastolic": _("Diastolic"),
            "blood_sugar": _("Blood sugar (mmol/L)"),
        }
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 2}),
            "follow_up_reason": forms.Textarea(attrs={"rows": 2}),
            "systolic": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "diastolic": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "blood_sugar": forms.NumberInput(
                attrs={"inputmode": "decimal", "step": "0.1"}
            ),
        }

    def __init__(self, *args, last_visit=None, allowed=None, agreed=(), **kwargs):
        super().__init__(*args, **kwargs)
        if allowed is not None:
            # Only what the volunteer may do (qualifications.services_allowed);
            # the pairing's services come ticked.
            self.fields["services"].choices = [
                (code, label) for code, label in ServiceKind.choices if code in allowed
            ]
            self.fields["services"].initial = [s for s in agreed if s in allowed]
        # A visit may cross midnight: the day is the day it began.
        start, end = visit_default_times(_rounded_now(), last_visit)
        self.fields["day"].initial = start.date()
        self.fields["start"].initial = start.time()
        self.fields["end"].initial = end.time()
        self.helper = _helper(
            Div(
                Div("day", css_class="col-12 col-sm-4"),
                Div("start", css_class="col-6 col-sm-4"),
                Div("end", css_class="col-6 col-sm-4"),
                css_class="row",
            ),
            Div("services", css_class="service-choices"),
            "notes",
            Fieldset(
                _("Health check (optional)"),
                Div(
                    Div("systolic", css_class="col-4"),
                    Div("diastolic", css_class="col-4"),
                    Div("blood_sugar", css_class="col-4"),
                    css_class="row g-2 align-items-end",
                ),
            ),
            Div("needs_follow_up", css_class="follow-up-flag"),
            "follow_up_reason",
            "client_id",
        )

    def clean(self):
        # The same rules as actions.visit_log, said next to the field at once.
        data = super().clean()
        if data.get("needs_follow_up") and not data.get("follow_up_reason", "").strip():
            self.add_error(
                "follow_up_reason", _("Say why the elder needs a follow-up.")
            )
        if data.get("start") and data.get("end") and data["end"] == data["start"]:
            self.add_error("end", _("The visit must end after it starts."))
        return data

    def times(self) -> tuple[datetime.datetime, datetime.datetime]:
        """An end before the start is on the next day: the visit crossed midnight
        (the action still refuses one longer than 12 hours)."""
        day = self.cleaned_data["day"]
        zone = timezone.get_current_timezone()
        end_day = day
        if self.cleaned_data["end"] < self.cleaned_data["start"]:
            end_day = day + datetime.timedelta(days=1)
        return (
            datetime.datetime.combine(day, self.cleaned_data["start"], tzinfo=zone),
            datetime.datetime.combine(end_day, self.cleaned_data["end"], tzinfo=zone),
        )

    def action_data(self) -> dict:
        started_at, ended_at = self.times()
        data = {name: self.cleaned_data[name] for name in self._meta.fields}
        return {
            "started_at": started_at,
            "ended_at": ended_at,
            "client_id": self.cleaned_data.get("client_id"),
            **data,
        }
