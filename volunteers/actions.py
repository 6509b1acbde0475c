"""Every write of the volunteers app: validated, transactional, audited.

Staff writes check the station with ``require_write`` (404 outside scope, 403 for
read-only roles; the manager for approvals). A volunteer writes only their own
visits, to elders of their own approved pairings (``_require_visit_writer``).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecenter.actions import role_grant
from carecenter.audit import audit_context, register_reasons
from carecenter.catalogue import ServiceKind
from carecenter.models import Role, Station, User
from carecenter.scoping import require_write, scope_of
from carecenter.validators import reading_errors
from elders.models import Elder
from elders.models import Status as ElderStatus
from volunteers.models import (
    Certificate,
    HoursEntry,
    HoursEntryKind,
    Pairing,
    Team,
    TrainingSession,
    Visit,
    Volunteer,
    VolunteerStatus,
)
from volunteers.qualifications import missing_certificates

register_reasons(
    {
        "volunteers.certificate_saved": gettext_lazy("certificate saved"),
        "volunteers.follow_up_resolved": gettext_lazy("follow-up resolved"),
        "volunteers.pairing_approved": gettext_lazy("pairing approved"),
        "volunteers.pairing_claimed": gettext_lazy("pairing claimed"),
        "volunteers.pairing_ended": gettext_lazy("pairing ended"),
        "volunteers.service_letter_signed": gettext_lazy("service letter signed"),
        "volunteers.team_saved": gettext_lazy("team saved"),
        "volunteers.training_session_saved": gettext_lazy("training session saved"),
        "volunteers.visit_logged": gettext_lazy("visit logged"),
        "volunteers.volunteer_login_created": gettext_lazy("volunteer login created"),
        "volunteers.volunteer_login_linked": gettext_lazy("volunteer login linked"),
        "volunteers.volunteer_registered": gettext_lazy("volunteer registered"),
        "volunteers.volunteer_updated": gettext_lazy("volunteer updated"),
    }
)

VOLUNTEER_FIELDS = [
    "team",
    "name",
    "gender",
    "birth_date",
    "phone",
    "occupation",
    "specialties",
    "availability",
    "status",
]
TEAM_FIELDS = ["name", "kind", "leader", "notes"]
TRAINING_FIELDS = ["held_on", "topic", "trainer", "hours", "notes"]
CERTIFICATE_FIELDS = ["kind", "number", "issued_on", "expires_on", "issuer"]

#: A visit longer than this is a typing mistake, not a visit.
LONGEST_VISIT = datetime.timedelta(hours=12)


def _apply(obj, data: dict, allowed: list[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    for name, value in data.items():
        setattr(obj, name, value)


def _check_services(services: Iterable[str], field: str = "services") -> list[str]:
    """Known service codes, once each, in the catalogue's order."""
    services = list(dict.fromkeys(services))
    unknown = [s for s in services if s not in ServiceKind.values]
    if unknown:
        raise ValidationError(
            {field: _("Unknown services: %(s)s") % {"s": ", ".join(unknown)}}
        )
    return sorted(services, key=ServiceKind.values.index)


def _check_qualified(
    volunteer: Volunteer, services: list[str], *, on: datetime.date
) -> None:
    missing = missing_certificates(volunteer, services, on=on)
    if missing:
        raise ValidationError(
            {
                "services": _(
                    "%(volunteer)s has no valid certificate for: %(services)s."
                )
                % {
                    "volunteer": volunteer.name,
                    "services": "、".join(str(ServiceKind(s).label) for s in missing),
                }
            }
        )


# --- Teams and volunteers -------------------------------------------------------------


@transaction.atomic
def team_save(
    *, actor: User, station: Station, data: dict, team: Team | None = None
) -> Team:
    """Create or change a team; its leader is a volunteer of the same station."""
    require_write(actor, station)
    if team is not None and team.station_id != station.pk:
        raise ValidationError(_("This team belongs to another station."))
    team = team or Team(station=station)
    _apply(team, data, TEAM_FIELDS)
    if team.leader is not None and team.leader.station_id != station.pk:
        raise ValidationError({"leader": _("The leader must volunteer here.")})
    team.full_clean()
    with audit_context(user=actor, reason="volunteers.team_saved"):
        team.save()
    return team


def _check_volunteer(volunteer: Volunteer) -> None:
    errors = {}
    if volunteer.team is not None and volunteer.team.station_id != volunteer.station_id:
        errors["team"] = _("Choose a team of the volunteer's station.")
    if volunteer.birth_date and volunteer.birth_date > timezone.localdate():
        errors["birth_date"] = _("The birth date cannot be in the future.")
    try:
        volunteer.specialties = _check_services(volunteer.specialties, "specialties")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    volunteer.full_clean()


@transaction.atomic
def volunteer_register(*, actor: User, station: Station, data: dict) -> Volunteer:
    """Register a volunteer (PRODUCT.md: specialty, occupation, age)."""
    require_write(actor, station)
    volunteer = Volunteer(station=station)
    _apply(volunteer, data, VOLUNTEER_FIELDS)
    _check_volunteer(volunteer)
    with audit_context(user=actor, reason="volunteers.volunteer_registered"):
        volunteer.save()
    return volunteer


@transaction.atomic
def volunteer_update(*, actor: User, volunteer: Volunteer, data: dict) -> Volunteer:
    require_write(actor, volunteer.station)
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    _apply(volunteer, data, VOLUNTEER_FIELDS)
    _check_volunteer(volunteer)
    with audit_context(user=actor, reason="volunteers.volunteer_updated"):
        volunteer.save()
    return volunteer


@transaction.atomic
def volunteer_login_create(
    *, actor: User, volunteer: Volunteer, username: str, password: str
) -> User:
    """Give a volunteer a login for logging visits (the volunteer role here)."""
    require_write(actor, volunteer.station)
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    if volunteer.user_id is not None:
        raise ValidationError(_("This volunteer already has a login."))
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("Choose a user name.")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This user name is taken.")})
    user = User(username=username, first_name=volunteer.name, phone=volunteer.phone)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    with audit_context(user=actor, reason="volunteers.volunteer_login_created"):
        user.save()
        role_grant(
            actor=actor, user=user, role=Role.VOLUNTEER, station=volunteer.station
        )
        volunteer.user = user
        volunteer.save(update_fields=["user", "updated_at"])
    return user


@transaction.atomic
def volunteer_link_login(*, actor: User, volunteer: Volunteer, user: User) -> Volunteer:
    """Link an existing login to a volunteer; it gets the volunteer role here."""
    require_write(actor, volunteer.station)
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    if volunteer.user_id == user.pk:
        return volunteer
    if volunteer.user_id is not None:
        raise ValidationError(_("This volunteer already has a login."))
    if Volunteer.objects.filter(user=user).exists():
        raise ValidationError(_("This login belongs to another volunteer."))
    with audit_context(user=actor, reason="volunteers.volunteer_login_linked"):
        role_grant(
            actor=actor, user=user, role=Role.VOLUNTEER, station=volunteer.station
        )
        volunteer.user = user
        volunteer.save(update_fields=["user", "updated_at"])
    return volunteer


# --- Training and certificates --------------------------------------------------------


@transaction.atomic
def training_session_save(
    *,
    actor: User,
    station: Station,
    data: dict,
    attendees: Iterable[Volunteer] = (),
    session: TrainingSession | None = None,
) -> TrainingSession:
    require_write(actor, station)
    if session is not None and session.station_id != station.pk:
        raise ValidationError(_("This session belongs to another station."))
    session = session or TrainingSession(station=station)
    _apply(session, data, TRAINING_FIELDS)
    attendees = list(attendees)
    if any(v.station_id != station.pk for v in attendees):
        raise ValidationError({"attendees": _("Attendees must volunteer here.")})
    if session.held_on and session.held_on > timezone.localdate() + datetime.timedelta(
        days=366
    ):
        raise ValidationError({"held_on": _("Plan sessions within the next year.")})
    session.full_clean()
    with audit_context(user=actor, reason="volunteers.training_session_saved"):
        session.save()
        session.attendees.set(attendees)
    return session


@transaction.atomic
def certificate_save(
    *,
    actor: User,
    volunteer: Volunteer,
    data: dict,
    certificate: Certificate | None = None,
) -> Certificate:
    require_write(actor, volunteer.station)
    if certificate is not None and certificate.volunteer_id != volunteer.pk:
        raise ValidationError(_("This certificate belongs to another volunteer."))
    certificate = certificate or Certificate(volunteer=volunteer)
    _apply(certificate, data, CERTIFICATE_FIELDS)
    if certificate.issued_on and certificate.issued_on > timezone.localdate():
        raise ValidationError(
            {"issued_on": _("The issue date cannot be in the future.")}
        )
    certificate.full_clean()
    with audit_context(user=actor, reason="volunteers.certificate_saved"):
        certificate.save()
    return certificate


# --- Pairings (结对) ------------------------------------------------------------------


@transaction.atomic
def pairing_claim(
    *,
    actor: User,
    volunteer: Volunteer,
    elder: Elder,
    services: Iterable[str] = (),
    schedule: str = "",
) -> Pairing:
    """A volunteer claims an elder (staff record the claim); the manager approves."""
    require_write(actor, volunteer.station)
    errors = {}
    if elder.station_id != volunteer.station_id:
        errors["elder"] = _("The elder and the volunteer belong to different stations.")
    elif elder.status != ElderStatus.ACTIVE:
        errors["elder"] = _("Only an active elder can be paired.")
    if volunteer.status != VolunteerStatus.ACTIVE:
        errors["volunteer"] = _("Only an active volunteer can be paired.")
    if errors:
        raise ValidationError(errors)
    services = _check_services(services)
    _check_qualified(volunteer, services, on=timezone.localdate())
    pairing = Pairing(
        station_id=volunteer.station_id,
        volunteer=volunteer,
        elder=elder,
        services=services,
        schedule=schedule,
        claimed_by=actor,
    )
    try:
        with (
            transaction.atomic(),
            audit_context(user=actor, reason="volunteers.pairing_claimed"),
        ):
            pairing.save()
    except IntegrityError as exc:
        if "pairing_one_active_per_volunteer_and_elder" in str(exc):
            raise ValidationError(
                _("This volunteer is already paired with this elder.")
            ) from None
        raise
    return pairing


def _locked(pairing: Pairing) -> Pairing:
    return (
        Pairing.objects.select_for_update()
        .select_related("volunteer", "elder", "station")
        .get(pk=pairing.pk)
    )


@transaction.atomic
def pairing_approve(*, actor: User, pairing: Pairing) -> Pairing:
    """The station manager approves a claim (PRODUCT.md, pairing)."""
    require_write(actor, pairing.station, manager=True)
    pairing = _locked(pairing)
    if not pairing.active:
        raise ValidationError(_("This pairing has ended."))
    if pairing.approved_at is not None:
        raise ValidationError(_("This pairing is already approved."))
    if pairing.elder.status != ElderStatus.ACTIVE:
        raise ValidationError(_("Only an active elder can be paired."))
    _check_qualified(pairing.volunteer, pairing.services, on=timezone.localdate())
    pairing.approved_at = timezone.now()
    pairing.approved_by = actor
    with audit_context(user=actor, reason="volunteers.pairing_approved"):
        pairing.save(update_fields=["approved_at", "approved_by"])
    return pairing


@transaction.atomic
def pairing_sign_letter(
    *, actor: User, pairing: Pairing, signed_on: datetime.date
) -> Pairing:
    """Record the day the service letter (服务承诺书) was signed."""
    require_write(actor, pairing.station)
    pairing = _locked(pairing)
    if not pairing.in_force:
        raise ValidationError(
            _("The letter is signed for an approved pairing that has not ended.")
        )
    if signed_on is None or signed_on > timezone.localdate():
        raise ValidationError(
            {"letter_signed_on": _("The signing date cannot be in the future.")}
        )
    if signed_on < timezone.localdate(pairing.claimed_at):
        raise ValidationError(
            {"letter_signed_on": _("The letter cannot be signed before the claim.")}
        )
    pairing.letter_signed_on = signed_on
    with audit_context(user=actor, reason="volunteers.service_letter_signed"):
        pairing.save(update_fields=["letter_signed_on"])
    return pairing


@transaction.atomic
def pairing_end(
    *, actor: User, pairing: Pairing, reason: str, ended_on: datetime.date | None = None
) -> Pairing:
    """End a pairing (or decline a claim) with a reason; it stays on file."""
    require_write(actor, pairing.station)
    pairing = _locked(pairing)
    if not pairing.active:
        raise ValidationError(_("This pairing has ended already."))
    reason = (reason or "").strip()
    ended_on = ended_on or timezone.localdate()
    errors = {}
    if not reason:
        errors["end_reason"] = _("Say why the pairing ends.")
    if ended_on > timezone.localdate():
        errors["ended_on"] = _("The end date cannot be in the future.")
    elif ended_on < timezone.localdate(pairing.claimed_at):
        errors["ended_on"] = _("The end date cannot be before the claim.")
    if errors:
        raise ValidationError(errors)
    pairing.active = False
    pairing.ended_on = ended_on
    pairing.end_reason = reason
    with audit_context(user=actor, reason="volunteers.pairing_ended"):
        pairing.save(update_fields=["active", "ended_on", "end_reason"])
    return pairing


# --- Visits, follow-ups and the hours ledger ------------------------------------------


def _require_visit_writer(actor: User, volunteer: Volunteer) -> None:
    """A volunteer logs their own visits; station staff may log for a volunteer."""
    if (
        volunteer.user_id == actor.pk
        and volunteer.station_id in scope_of(actor).volunteer_station_ids
    ):
        return
    require_write(actor, volunteer.station)


def month_of(moment: datetime.datetime) -> datetime.date:
    """The first day of the local month of ``moment`` (the ledger's month)."""
    return timezone.localtime(moment).date().replace(day=1)


@transaction.atomic
def visit_log(
    *,
    actor: User,
    volunteer: Volunteer,
    elder: Elder,
    started_at: datetime.datetime,
    ended_at: datetime.datetime,
    services: Iterable[str] = (),
    notes: str = "",
    systolic: int | None = None,
    diastolic: int | None = None,
    blood_sugar: Decimal | None = None,
    needs_follow_up: bool = False,
    follow_up_reason: str = "",
    client_id: uuid.UUID | None = None,
) -> Visit:
    """Log one completed visit and credit its minutes to the hours ledger.

    The rules are those of ``visit_log_once``, which also says whether the visit
    is new; this is the same write for callers that need only the visit.
    """
    visit, _created = visit_log_once(
        actor=actor,
        volunteer=volunteer,
        elder=elder,
        started_at=started_at,
        ended_at=ended_at,
        services=services,
        notes=notes,
        systolic=systolic,
        diastolic=diastolic,
        blood_sugar=blood_sugar,
        needs_follow_up=needs_follow_up,
        follow_up_reason=follow_up_reason,
        client_id=client_id,
    )
    return visit


def _visit_sent_before(volunteer: Volunteer, client_id: uuid.UUID) -> Visit | None:
    """The visit already logged under ``client_id``: the volunteer's own, else refused.

    Another volunteer's visit is never handed out: the id is refused as taken,
    exactly as a forged one would be.
    """
    visit = Visit.objects.filter(client_id=client_id).first()
    if visit is not None and visit.volunteer_id != volunteer.pk:
        raise ValidationError(
            {"client_id": _("This client id belongs to another visit.")}
        )
    return visit


@transaction.atomic
def visit_log_once(
    *,
    actor: User,
    volunteer: Volunteer,
    elder: Elder,
    started_at: datetime.datetime,
    ended_at: datetime.datetime,
    services: Iterable[str] = (),
    notes: str = "",
    systolic: int | None = None,
    diastolic: int | None = None,
    blood_sugar: Decimal | None = None,
    needs_follow_up: bool = False,
    follow_up_reason: str = "",
    client_id: uuid.UUID | None = None,
) -> tuple[Visit, bool]:
    """Log one completed visit and credit its minutes to the hours ledger.

    PRODUCT.md: the end after the start and not in the future, no overlap with
    the volunteer's other visits (checked under a lock on the volunteer, and an
    exclusion constraint in the database), the
    elder paired with the volunteer (active, approved) and active. The visit and
    its ledger entry (and its follow-up request, a flag of the visit) are written
    in one transaction.

    ``client_id`` is the id the volunteer's phone gave the visit when it was
    saved there. A visit sent again under an id already logged (its answer was
    lost, the phone came back online twice) returns the visit logged then and
    writes nothing: ``(visit, False)``. The unique constraint
    ``visit_client_id_unique`` is what guarantees one visit per id; looking the
    id up first, under the volunteer's lock, only answers a repeat before its
    times would be refused as overlapping the visit it repeats.
    """
    _require_visit_writer(actor, volunteer)
    # One visit of a volunteer at a time: two phones logging overlapping visits
    # at once would otherwise each wait for the other's row in the exclusion
    # constraint's check, a deadlock that PostgreSQL breaks with an error.
    Volunteer.objects.select_for_update().filter(pk=volunteer.pk).exists()
    if client_id is not None:
        seen = _visit_sent_before(volunteer, client_id)
        if seen is not None:
            return seen, False
    pairing = (
        Pairing.objects.select_for_update()
        .filter(volunteer=volunteer, elder=elder, active=True)
        .exclude(approved_at=None)
        .first()
    )
    errors: dict[str, list] = {}

    def error(field, message):
        errors.setdefault(field, []).append(message)

    if pairing is None:
        error("elder", _("This elder is not paired with the volunteer."))
    elif elder.status != ElderStatus.ACTIVE:
        error("elder", _("This elder's archive is not active."))
    if volunteer.status != VolunteerStatus.ACTIVE:
        error("volunteer", _("Only an active volunteer can log visits."))
    now = timezone.now()
    if started_at is None:
        error("started_at", _("Give the start time."))
    if ended_at is None:
        error("ended_at", _("Give the end time."))
    if started_at and ended_at:
        if ended_at <= started_at:
            error("ended_at", _("The visit must end after it starts."))
        elif ended_at - started_at > LONGEST_VISIT:
            error("ended_at", _("A visit lasts at most 12 hours."))
        if ended_at > now:
            error("ended_at", _("The visit cannot end in the future."))
    try:
        services = _check_services(services)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for field, message in reading_errors(
        systolic=systolic, diastolic=diastolic, blood_sugar=blood_sugar
    ).items():
        error(field, message)
    follow_up_reason = (follow_up_reason or "").strip()
    if needs_follow_up and not follow_up_reason:
        error("follow_up_reason", _("Say why the elder needs a follow-up."))
    if not needs_follow_up:
        follow_up_reason = ""
    if not errors and started_at and ended_at:
        if Visit.objects.filter(
            volunteer=volunteer, started_at__lt=ended_at, ended_at__gt=started_at
        ).exists():
            error(
                "started_at",
                _("This visit overlaps another visit of the same volunteer."),
            )
        else:
            try:
                _check_qualified(
                    volunteer, services, on=timezone.localtime(started_at).date()
                )
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    visit = Visit(
        station_id=elder.station_id,
        volunteer=volunteer,
        elder=elder,
        started_at=started_at,
        ended_at=ended_at,
        services=services,
        notes=notes,
        systolic=systolic,
        diastolic=diastolic,
        blood_sugar=blood_sugar,
        needs_follow_up=needs_follow_up,
        follow_up_reason=follow_up_reason,
        logged_by=actor,
        client_id=client_id,
    )
    try:
        with (
            transaction.atomic(),
            audit_context(user=actor, reason="volunteers.visit_logged"),
        ):
            visit.save()
            HoursEntry.objects.create(
                station_id=volunteer.station_id,
                volunteer=volunteer,
                month=month_of(started_at),
                minutes=visit.minutes,
                kind=HoursEntryKind.VISIT,
                visit=visit,
                created_by=actor,
            )
    except IntegrityError as exc:
        # Another visit of the volunteer committed in between (two phones at once).
        if "visit_no_overlap_per_volunteer" in str(exc):
            raise ValidationError(
                {
                    "started_at": _(
                        "This visit overlaps another visit of the same volunteer."
                    )
                }
            ) from None
        # The same id committed in between by a transaction that did not hold
        # this volunteer's lock (the id sent for another volunteer): the
        # constraint kept one row; answer as for any repeat.
        if "visit_client_id_unique" in str(exc):
            seen = _visit_sent_before(volunteer, client_id)
            if seen is not None:
                return seen, False
        raise
    return visit, True


@transaction.atomic
def follow_up_resolve(*, actor: User, visit: Visit, note: str) -> Visit:
    """Staff close a follow-up with a note; it leaves the station's list."""
    require_write(actor, visit.station)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if not visit.needs_follow_up:
        raise ValidationError(_("This visit did not ask for a follow-up."))
    if visit.resolved_at is not None:
        raise ValidationError(_("This follow-up is resolved already."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"resolution_note": _("Say what was done.")})
    visit.resolved_at = timezone.now()
    visit.resolved_by = actor
    visit.resolution_note = note
    with audit_context(user=actor, reason="volunteers.follow_up_resolved"):
        visit.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    return visit
