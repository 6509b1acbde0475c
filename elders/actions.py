"""Every write to the elder archives: validated, transactional, audited.

Views, forms, the API, the roster import and commands call these functions and
nothing else. Each takes the acting user, checks the station with
``require_write`` (404 outside scope, 403 for read-only roles), validates through
the model (``Elder.clean`` and friends) and leaves the audit trail (pghistory
triggers with the actor and reason attached).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecenter import access_log
from carecenter.audit import audit_context, register_reasons
from carecenter.catalogue import ServiceKind
from carecenter.models import AccessAction, Station, User
from carecenter.scoping import may_reveal_id_number, require_write
from elders import eligibility, id_numbers, kept
from elders.id_numbers import normalize
from elders.models import (
    BARTHEL_ITEMS,
    STORED_TIER_FIELDS,
    BarthelAssessment,
    Elder,
    ElderIdNumber,
    EligibilityPolicy,
    FamilyContact,
    NeedsSurvey,
    Tier,
)
from elders.names import name_key

register_reasons(
    {
        "elder.registered": gettext_lazy("archive opened"),
        "elder.updated": gettext_lazy("archive updated"),
        "elder.updated_note": gettext_lazy("archive updated: %(note)s"),
        "elder.tier_override_set": gettext_lazy("tier override: %(note)s"),
        "elder.tier_override_cleared": gettext_lazy("tier override removed: %(note)s"),
        "eligibility.policy_changed": gettext_lazy("eligibility policy changed"),
        "elder.imported": gettext_lazy("roster import"),
        "family_contact.saved": gettext_lazy("family contact saved"),
        "family_contact.removed": gettext_lazy("family contact removed"),
        "assessment.recorded": gettext_lazy("Barthel assessment"),
        "assessment.removed": gettext_lazy("Barthel assessment removed: %(note)s"),
        "needs_survey.recorded": gettext_lazy("needs survey"),
        "needs_survey.removed": gettext_lazy("needs survey removed: %(note)s"),
    }
)

#: Fields of the archive that staff may set (status included: moved, deceased, …).
ELDER_FIELDS = [
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "address",
    "hukou_local",
    "residence_since",
    "living_arrangement",
    "empty_nest",
    "categories",
    "financial_difficulty",
    "health_status",
    "chronic_conditions",
    "status",
]


def _save_elder(elder: Elder) -> Elder:
    # validate_constraints=False: Elder.clean() reports a duplicate ID number on
    # its field; the database constraint stays the backstop against races.
    elder.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            elder.save()
    except IntegrityError as exc:
        if "elder_id_number_unique_in_district" in str(exc):
            raise ValidationError(
                {"id_number": id_numbers.ALREADY_REGISTERED}
            ) from None
        raise
    return _keep_tier(elder)


def _keep_tier(elder: Elder) -> Elder:
    """Today's tier of ``elder`` after a change of it, its assessments or its
    override, kept by the one rule (``eligibility.tiers_store``), and what
    higher apps keep for it (``elders.kept``)."""
    _keep(Elder.objects.filter(pk=elder.pk))
    elder.refresh_from_db(fields=STORED_TIER_FIELDS)
    return elder


def _keep(elders) -> None:
    eligibility.tiers_store(elders)
    kept.keep(elders)


def _apply(elder: Elder, data: dict) -> None:
    unknown = set(data) - set(ELDER_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    for name, value in data.items():
        setattr(elder, name, value)


@transaction.atomic
def elder_register(*, actor: User, station: Station, data: dict) -> Elder:
    """Open an archive (PRODUCT.md "Elder archives")."""
    require_write(actor, station)
    elder = Elder(station=station, district_id=station.district_id)
    _apply(elder, data)
    with audit_context(user=actor, reason="elder.registered"):
        return _save_elder(elder)


@transaction.atomic
def elder_update(*, actor: User, elder: Elder, data: dict, reason: str = "") -> Elder:
    """Change an archive; ``reason`` (free text) is kept with the change."""
    require_write(actor, elder.station)
    elder = Elder.objects.select_for_update().get(pk=elder.pk)
    _apply(elder, data)
    code = "elder.updated_note" if reason else "elder.updated"
    with audit_context(user=actor, reason=code, note=reason):
        return _save_elder(elder)


def id_number_reveal(*, actor: User, elder: Elder, reason: str, request=None) -> str:
    """One elder's whole ID number, for someone allowed to see it, with a reason.

    The station's manager and administrators (and the station's staff where the
    district allows it, ``scoping.may_reveal_id_number``); each reveal goes to
    the access log with its reason. Others: 404 outside the scope, 403 inside.
    """
    require_write(actor, elder.station)
    if not may_reveal_id_number(actor, elder.station):
        raise PermissionDenied(_("Only the station manager may see whole ID numbers."))
    reason = " ".join((reason or "").split())
    if len(reason) < 4:
        raise ValidationError(
            {"reason": _("Say why the whole number is needed (a few words).")}
        )
    access_log.record(
        request,
        user=actor,
        action=AccessAction.REVEAL_ID,
        elder=elder,
        reason=reason[:500],
    )
    return elder.id_number


@transaction.atomic
def tier_override_set(*, actor: User, elder: Elder, tier: str, reason: str) -> Elder:
    """A manager sets the tier by hand, with a written reason (audited)."""
    require_write(actor, elder.station, manager=True)
    if tier not in Tier.values:
        raise ValidationError({"tier": _("Choose a valid tier.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A tier override needs a written reason.")})
    return _write_override(
        elder,
        actor=actor,
        reason="elder.tier_override_set",
        tier=tier,
        note=reason,
        set_by=actor,
    )


def _write_override(
    elder: Elder,
    *,
    actor: User,
    reason: str,
    tier: str,
    note: str,
    set_by: User | None,
    reason_note: str = "",
) -> Elder:
    elder = Elder.objects.select_for_update().get(pk=elder.pk)
    elder.tier_override = tier
    elder.tier_override_reason = note
    elder.tier_override_by = set_by
    elder.tier_override_at = timezone.now() if set_by else None
    with audit_context(user=actor, reason=reason, note=note or reason_note):
        elder.save(
            update_fields=[
                "tier_override",
                "tier_override_reason",
                "tier_override_by",
                "tier_override_at",
                "updated_at",
            ]
        )
    return _keep_tier(elder)


@transaction.atomic
def tier_override_clear(*, actor: User, elder: Elder, reason: str) -> Elder:
    require_write(actor, elder.station, manager=True)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the override is removed.")})
    return _write_override(
        elder,
        actor=actor,
        reason="elder.tier_override_cleared",
        tier="",
        note="",
        set_by=None,
        reason_note=reason,
    )


@transaction.atomic
def family_contact_save(
    *, actor: User, elder: Elder, data: dict, contact: FamilyContact | None = None
) -> FamilyContact:
    """Add or change a family contact; at most one is the emergency contact."""
    require_write(actor, elder.station)
    if contact is not None and contact.elder_id != elder.pk:
        raise ValidationError(_("This contact belongs to another elder."))
    contact = contact or FamilyContact(elder=elder)
    for name in ("name", "relation", "phone", "is_emergency"):
        if name in data:
            setattr(contact, name, data[name])
    contact.full_clean()
    with audit_context(user=actor, reason="family_contact.saved"):
        if contact.is_emergency:
            # One emergency contact: the newly flagged one replaces the old.
            elder.family_contacts.exclude(pk=contact.pk).filter(
                is_emergency=True
            ).update(is_emergency=False)
        contact.save()
    return contact


@transaction.atomic
def family_contact_delete(*, actor: User, contact: FamilyContact) -> None:
    require_write(actor, contact.elder.station)
    with audit_context(user=actor, reason="family_contact.removed"):
        contact.delete()


@transaction.atomic
def assessment_record(
    *,
    actor: User,
    elder: Elder,
    assessed_on: datetime.date,
    scores: dict[str, int],
    notes: str = "",
) -> BarthelAssessment:
    """Record a Barthel assessment; the total and level are computed, never typed in."""
    require_write(actor, elder.station)
    errors = {}
    for item, (_label, scale) in BARTHEL_ITEMS.items():
        if scores.get(item) not in scale:
            errors[item] = _("Choose one of %(scale)s.") % {
                "scale": ", ".join(str(s) for s in scale)
            }
    extra = set(scores) - set(BARTHEL_ITEMS)
    if extra:
        errors["__all__"] = _("Unknown items: %(i)s") % {"i": ", ".join(sorted(extra))}
    if assessed_on and assessed_on > timezone.localdate():
        errors["assessed_on"] = _("The assessment date cannot be in the future.")
    if assessed_on and assessed_on < elder.birth_date:
        errors["assessed_on"] = _("The assessment date is before the elder's birth.")
    if errors:
        raise ValidationError(errors)
    assessment = BarthelAssessment(
        elder=elder, assessed_on=assessed_on, assessed_by=actor, notes=notes, **scores
    )
    with audit_context(user=actor, reason="assessment.recorded"):
        assessment.save()
    assessment.refresh_from_db(fields=["total"])
    _keep(Elder.objects.filter(pk=elder.pk))
    return assessment


@transaction.atomic
def needs_survey_record(
    *,
    actor: User,
    elder: Elder,
    surveyed_on: datetime.date,
    needs: Iterable[str],
    notes: str = "",
) -> NeedsSurvey:
    """One visit's needs questionnaire: which services the elder needs."""
    require_write(actor, elder.station)
    needs = list(dict.fromkeys(needs))
    errors = {}
    unknown = [n for n in needs if n not in ServiceKind.values]
    if unknown:
        errors["needs"] = _("Unknown services: %(s)s") % {"s": ", ".join(unknown)}
    if surveyed_on and surveyed_on > timezone.localdate():
        errors["surveyed_on"] = _("The survey date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    survey = NeedsSurvey(
        elder=elder,
        surveyed_on=surveyed_on,
        surveyed_by=actor,
        needs=needs,
        notes=notes,
    )
    survey.full_clean()
    with audit_context(user=actor, reason="needs_survey.recorded"):
        survey.save()
    return survey


def _removal_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the record is removed.")})
    return reason


@transaction.atomic
def assessment_delete(*, actor: User, assessment: BarthelAssessment, reason: str):
    """Remove an assessment entered by mistake; the history keeps it and why."""
    require_write(actor, assessment.elder.station)
    reason = _removal_reason(reason)
    with audit_context(user=actor, reason="assessment.removed", note=reason):
        assessment.delete()
    _keep(Elder.objects.filter(pk=assessment.elder_id))


@transaction.atomic
def needs_survey_delete(*, actor: User, survey: NeedsSurvey, reason: str):
    """Remove a needs survey entered by mistake; the history keeps it and why."""
    require_write(actor, survey.elder.station)
    reason = _removal_reason(reason)
    with audit_context(user=actor, reason="needs_survey.removed", note=reason):
        survey.delete()


@transaction.atomic
def elders_import(
    *, actor: User, station: Station, rows: list[tuple[int, dict]]
) -> list[Elder]:
    """Open archives for every row, or for none (PRODUCT.md: nothing half-imported).

    ``rows`` are ``(row number in the file, field values)``. Every row is validated
    first; a single bad row raises ``RosterErrors`` listing each bad row with its
    number and reasons, and nothing is written.
    """
    require_write(actor, station)
    elders, problems = [], []
    seen: dict[str, int] = {}
    # One query for the whole file, not one per row (by the numbers' blind
    # indexes, under every key while a rotation is under way).
    candidates = {normalize(str(d.get("id_number") or "")) for _n, d in rows} - {""}
    by_index = {
        index: number
        for number in candidates
        for index in id_numbers.indexes_of(number)
    }
    taken = {
        by_index[bytes(index)]
        for index in ElderIdNumber.objects.filter(
            district_id=station.district_id, index__in=list(by_index)
        ).values_list("index", flat=True)
    }
    for number, data in rows:
        elder = Elder(station=station, district_id=station.district_id)
        elder.taken_id_numbers = taken
        try:
            _apply(elder, data)
            # The station is known; checking its key again would cost two queries a row.
            elder.full_clean(
                exclude=["station", "district"], validate_constraints=False
            )
        except ValidationError as exc:
            problems.append((number, _messages(exc)))
            continue
        if elder.id_number in seen:
            problems.append(
                (
                    number,
                    [
                        _("The same ID number is on row %(row)d of this file.")
                        % {"row": seen[elder.id_number]}
                    ],
                )
            )
            continue
        seen[elder.id_number] = number
        elders.append(elder)
    if problems:
        raise RosterErrors(problems)
    with audit_context(user=actor, reason="elder.imported"):
        try:
            with transaction.atomic():
                for elder in elders:  # bulk_create does not call save()
                    elder.name_key = name_key(elder.name)
                created = Elder.objects.bulk_create(elders)
                ElderIdNumber.store(
                    [(elder, elder.take_sealed_id_number()) for elder in created]
                )
                _keep(Elder.objects.filter(pk__in=[elder.pk for elder in created]))
                return created
        except IntegrityError:
            clash = _("Another import registered some of these ID numbers meanwhile.")
            raise RosterErrors([(0, [clash])]) from None


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        out = []
        for field, messages in exc.message_dict.items():
            label = field if field == "__all__" else _field_label(field)
            out += [m if field == "__all__" else f"{label}: {m}" for m in messages]
        return out
    return list(exc.messages)


def _field_label(name: str) -> str:
    if name == "id_number":  # not a model field: stored encrypted
        return str(Elder._meta.get_field("id_number_last4").verbose_name)
    try:
        return str(Elder._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


class RosterErrors(Exception):
    """Bad rows of a roster: ``[(row number, [messages])]``."""

    def __init__(self, problems: list[tuple[int, list[str]]]):
        super().__init__(f"{len(problems)} bad rows")
        self.problems = problems


@transaction.atomic
def eligibility_policy_save(*, actor: User, policy: EligibilityPolicy) -> int:
    """Save the eligibility thresholds (administrators) and rewrite the kept tier
    of every elder under them, in the same transaction. Returns the number of
    elders whose tier or reasons changed."""
    if not actor.is_administrator:
        raise PermissionDenied(_("Only an administrator may change the policy."))
    policy.full_clean()
    with audit_context(user=actor, reason="eligibility.policy_changed"):
        policy.save()
    # Only tiers read these thresholds: what higher apps keep for elders
    # (``elders.kept``, the care cadence) does not, so it stays as it is.
    return eligibility.tiers_store_all().changed
