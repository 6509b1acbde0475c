"""Writes of group activities: plan one, sign elders up, tick attendance.

Sign-up and attendance take a list of elders at once and write them with one
statement (``INSERT … ON CONFLICT``): ticking 30 names is one write, and sending
the same list again changes nothing. Any elder outside the activity's station or
the actor's scope refuses the whole list.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.models import Activity, Participation
from carecenter.audit import audit_context, register_reasons
from carecenter.models import Station, User
from carecenter.scoping import require_write, scope_of, visible_to
from elders.models import Elder, Status

register_reasons(
    {
        "activities.activity_saved": gettext_lazy("activity saved"),
        "activities.signed_up": gettext_lazy("signed up for an activity"),
        "activities.attendance_taken": gettext_lazy("attendance taken"),
    }
)

ACTIVITY_FIELDS = [
    "title",
    "kind",
    "starts_at",
    "ends_at",
    "place",
    "organiser_staff",
    "organiser_team",
    "organiser_provider",
    "description",
]


@transaction.atomic
def activity_save(
    *, actor: User, station: Station, data: dict, activity: Activity | None = None
) -> Activity:
    """Plan an activity at the station, or change one."""
    require_write(actor, station)
    if activity is not None and activity.station_id != station.pk:
        raise ValidationError(_("This activity belongs to another station."))
    unknown = set(data) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    activity = activity or Activity(station=station, created_by=actor)
    for name, value in data.items():
        setattr(activity, name, value)
    errors: dict[str, list] = {}
    organisers = [
        o
        for o in (
            activity.organiser_staff,
            activity.organiser_team,
            activity.organiser_provider,
        )
        if o is not None
    ]
    if len(organisers) != 1:
        errors["__all__"] = [
            _("An activity is organised by one staff member, team or provider.")
        ]
    elif activity.organiser_team is not None and (
        activity.organiser_team.station_id != station.pk
    ):
        errors["organiser_team"] = [_("Choose a team of this station.")]
    elif activity.organiser_provider is not None and (
        activity.organiser_provider.station_id != station.pk
    ):
        errors["organiser_provider"] = [_("Choose a provider of this station.")]
    elif activity.organiser_staff is not None and (
        station.pk not in scope_of(activity.organiser_staff).work_station_ids
    ):
        errors["organiser_staff"] = [_("Choose a staff member of this station.")]
    for name in ("starts_at", "ends_at"):
        value = getattr(activity, name)
        if value is not None and timezone.is_naive(value):
            setattr(activity, name, timezone.make_aware(value))
    if (
        activity.ends_at
        and activity.starts_at
        and activity.ends_at < activity.starts_at
    ):
        errors.setdefault("ends_at", []).append(
            _("The end cannot be before the start.")
        )
    try:
        activity.full_clean(
            exclude=[
                "station",
                "organiser_staff",
                "organiser_team",
                "organiser_provider",
                "created_by",
            ],
            validate_constraints=False,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with audit_context(user=actor, reason="activities.activity_saved"):
        activity.save()
    return activity


def _elders_of(actor: User, activity: Activity, elder_ids: Iterable) -> list[int]:
    """The ids, each an active elder of the activity's station that the actor may
    see; otherwise the whole list is refused (nothing written)."""
    try:
        wanted = sorted({int(pk) for pk in elder_ids})
    except (TypeError, ValueError):
        raise ValidationError({"elders": [_("Give elders by their ids.")]}) from None
    found = set(
        visible_to(actor, Elder.objects.all())
        .filter(pk__in=wanted, station_id=activity.station_id, status=Status.ACTIVE)
        .values_list("pk", flat=True)
    )
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationError(
            {
                "elders": [
                    _(
                        "Not an active elder of this station: %(ids)s. "
                        "Nothing was written."
                    )
                    % {"ids": ", ".join(str(pk) for pk in missing)}
                ]
            }
        )
    return wanted


@transaction.atomic
def activity_sign_up(*, actor: User, activity: Activity, elder_ids: Iterable) -> int:
    """Sign elders up (one statement; those signed up already are left as they
    are). Returns how many were given."""
    require_write(actor, activity.station)
    wanted = _elders_of(actor, activity, elder_ids)
    with audit_context(user=actor, reason="activities.signed_up"):
        Participation.objects.bulk_create(
            [
                Participation(
                    station_id=activity.station_id,
                    activity=activity,
                    elder_id=pk,
                    signed_up=True,
                )
                for pk in wanted
            ],
            update_conflicts=True,
            unique_fields=["activity", "elder"],
            update_fields=["signed_up"],
        )
    return len(wanted)


@transaction.atomic
def activity_attendance_mark(
    *, actor: User, activity: Activity, elder_ids: Iterable, only: bool = False
) -> int:
    """Mark elders as having attended (idempotent: one ``INSERT … ON CONFLICT``).

    With ``only`` the list is the whole attendance: anyone else marked before is
    unmarked (the attendance sheet's submit). Refused before the activity starts.
    """
    require_write(actor, activity.station)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.starts_at > timezone.now():
        raise ValidationError(
            {"elders": [_("Attendance is taken once the activity has started.")]}
        )
    wanted = _elders_of(actor, activity, elder_ids)
    with audit_context(user=actor, reason="activities.attendance_taken"):
        if only:
            activity.participations.filter(attended=True).exclude(
                elder_id__in=wanted
            ).update(attended=False)
        Participation.objects.bulk_create(
            [
                Participation(
                    station_id=activity.station_id,
                    activity=activity,
                    elder_id=pk,
                    attended=True,
                )
                for pk in wanted
            ],
            update_conflicts=True,
            unique_fields=["activity", "elder"],
            update_fields=["attended"],
        )
    return len(wanted)
