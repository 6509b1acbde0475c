"""Elder archive pages for station staff (supervisors read them)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecenter import access_log
from carecenter.forms import add_action_errors
from carecenter.models import AccessAction
from carecenter.pagination import page_context
from carecenter.scoping import (
    can_write,
    may_browse_access_log,
    may_reveal_id_number,
    report_stations,
    require_write,
    station_reader_required,
    writable_stations,
)
from elders import actions, queries
from elders.eligibility import REASONS, evaluate
from elders.forms import (
    AssessmentForm,
    ElderForm,
    FamilyContactForm,
    NeedsSurveyForm,
    RemovalForm,
    RevealForm,
    TierOverrideForm,
)
from elders.id_numbers import mask
from elders.models import BarthelAssessment, FamilyContact, NeedsSurvey
from elders.sections import sections_for

PAGE_SIZE = 25


def writable_elder(request, pk: int, *, manager: bool = False):
    """The elder ``pk`` if the user may change it: 404 outside scope, 403 read-only."""
    elder = queries.elder_detail(user=request.user, pk=pk)
    require_write(request.user, elder.station, manager=manager)
    return elder


@station_reader_required
def elder_list(request):
    search = queries.elder_search(
        user=request.user, params=request.GET, request=request
    )
    pages = page_context(request, search.qs, size=PAGE_SIZE)
    elders = pages["page_obj"].object_list
    access_log.record(
        request,
        action=AccessAction.LIST,
        rows=len(elders),
        what="elders:list",
        filters=request.GET,
    )
    return render(
        request,
        "elders/list.html",
        {
            **pages,
            "filter": search,
            "elders": elders,
            "multi_station": report_stations(request.user).count() > 1,
            "can_browse_log": may_browse_access_log(request.user),
            "can_add": writable_stations(request.user).exists(),
        },
    )


@station_reader_required
def elder_create(request):
    if not writable_stations(request.user).exists():
        raise PermissionDenied(_("You may read these archives but not change them."))
    form = ElderForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            elder = actions.elder_register(
                actor=request.user,
                station=form.cleaned_data["station"],
                data=form.action_data(),
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(
                request, _("The archive of %(name)s was opened.") % {"name": elder}
            )
            return redirect(elder)
    return render(request, "elders/form.html", {"form": form, "elder": None})


@station_reader_required
def elder_detail(request, pk: int):
    elder = queries.elder_detail(user=request.user, pk=pk)
    eligibility = evaluate(elder, on=timezone.localdate())
    access_log.record(request, action=AccessAction.VIEW, elder=elder)
    return render(
        request,
        "elders/detail.html",
        {
            "elder": elder,
            # Masked for everyone, the manager too: "Show the whole number"
            # reveals it with a reason, logged (PRODUCT.md, "Personal data").
            "id_number": mask(elder.id_number_last4),
            "can_reveal": may_reveal_id_number(request.user, elder.station),
            "can_browse_log": may_browse_access_log(request.user),
            "eligibility": eligibility,
            "computed_reasons": [
                (code, REASONS[code])
                for code in eligibility.reasons
                if code != "override"
            ],
            "can_write": can_write(request.user, elder.station),
            "is_manager": can_write(request.user, elder.station, manager=True),
            "history": queries.elder_history(user=request.user, elder=elder),
            "sections": sections_for(request.user, elder),
        },
    )


@station_reader_required
def reveal_id_number(request, pk: int):
    """One elder's whole ID number, after a reason (manager; staff by policy)."""
    elder = queries.elder_detail(user=request.user, pk=pk)
    require_write(request.user, elder.station)
    if not may_reveal_id_number(request.user, elder.station):
        raise PermissionDenied(_("Only the station manager may see whole ID numbers."))
    form = RevealForm(request.POST or None)
    number = None
    if request.method == "POST" and form.is_valid():
        try:
            number = actions.id_number_reveal(
                actor=request.user,
                elder=elder,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
    return render(
        request,
        "elders/reveal.html",
        {"elder": elder, "form": form, "id_number": number},
    )


def _remove_record(request, pk, record_pk, *, model, remove, title):
    record = queries.related_for_elder(
        user=request.user, model=model, pk=record_pk, elder_id=pk
    )
    elder = writable_elder(request, pk)
    form = RemovalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            remove(
                actor=request.user, record=record, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The record was removed."))
            return redirect(elder)
    return render(
        request,
        "elders/subform.html",
        {
            "form": form,
            "elder": elder,
            "title": title,
            "record": record,
            "submit_label": _("Remove"),
        },
    )


@station_reader_required
def assessment_remove(request, pk: int, assessment_pk: int):
    return _remove_record(
        request,
        pk,
        assessment_pk,
        model=BarthelAssessment,
        remove=lambda actor, record, reason: actions.assessment_delete(
            actor=actor, assessment=record, reason=reason
        ),
        title=_("Remove a Barthel assessment"),
    )


@station_reader_required
def survey_remove(request, pk: int, survey_pk: int):
    return _remove_record(
        request,
        pk,
        survey_pk,
        model=NeedsSurvey,
        remove=lambda actor, record, reason: actions.needs_survey_delete(
            actor=actor, survey=record, reason=reason
        ),
        title=_("Remove a needs survey"),
    )


@station_reader_required
def access_log_page(request):
    """Who read which archive: the station manager's and administrators' page."""
    entries = queries.access_log(user=request.user, params=request.GET)
    pages = page_context(request, entries, size=50)
    rows = queries.with_elder_names(pages["page_obj"].object_list)
    return render(
        request,
        "elders/access_log.html",
        {
            **pages,
            "entries": rows,
            "elder_filter": request.GET.get("elder", ""),
            "actions": AccessAction.choices,
        },
    )


@station_reader_required
def elder_edit(request, pk: int):
    elder = writable_elder(request, pk)
    form = ElderForm(request.POST or None, instance=elder, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            actions.elder_update(
                actor=request.user, elder=elder, data=form.action_data()
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The archive was saved."))
            return redirect(elder)
    return render(request, "elders/form.html", {"form": form, "elder": elder})


@station_reader_required
def contact_form(request, pk: int, contact_pk: int | None = None):
    elder = writable_elder(request, pk)
    contact = None
    if contact_pk is not None:
        contact = queries.related_for_elder(
            user=request.user, model=FamilyContact, pk=contact_pk, elder=elder
        )
    form = FamilyContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            actions.family_contact_save(
                actor=request.user, elder=elder, contact=contact, data=form.cleaned_data
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The family contact was saved."))
            return redirect(elder)
    return render(
        request,
        "elders/subform.html",
        {"form": form, "elder": elder, "title": _("Family contact")},
    )


@require_POST
@station_reader_required
def contact_delete(request, pk: int, contact_pk: int):
    contact = queries.related_for_elder(
        user=request.user, model=FamilyContact, pk=contact_pk, elder_id=pk
    )
    actions.family_contact_delete(actor=request.user, contact=contact)
    messages.success(request, _("The family contact was removed."))
    return redirect(contact.elder)


@station_reader_required
def assessment_add(request, pk: int):
    elder = writable_elder(request, pk)
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = actions.assessment_record(
                actor=request.user,
                elder=elder,
                assessed_on=form.cleaned_data["assessed_on"],
                scores=form.scores(),
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(
                request,
                _("Barthel assessment saved: %(total)d points, %(level)s.")
                % {"total": assessment.total, "level": assessment.get_level_display()},
            )
            return redirect(elder)
    return render(
        request,
        "elders/subform.html",
        {"form": form, "elder": elder, "title": _("Barthel assessment")},
    )


@station_reader_required
def survey_add(request, pk: int):
    elder = writable_elder(request, pk)
    form = NeedsSurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.needs_survey_record(
                actor=request.user,
                elder=elder,
                surveyed_on=form.cleaned_data["surveyed_on"],
                needs=form.cleaned_data["needs"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The needs survey was saved."))
            return redirect(elder)
    return render(
        request,
        "elders/subform.html",
        {"form": form, "elder": elder, "title": _("Needs survey")},
    )


@station_reader_required
def tier_override(request, pk: int):
    elder = writable_elder(request, pk, manager=True)
    initial = {"tier": elder.tier_override, "reason": ""}
    form = TierOverrideForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        tier, reason = form.cleaned_data["tier"], form.cleaned_data["reason"]
        try:
            if tier:
                actions.tier_override_set(
                    actor=request.user, elder=elder, tier=tier, reason=reason
                )
            else:
                actions.tier_override_clear(
                    actor=request.user, elder=elder, reason=reason
                )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The tier was updated."))
            return redirect(elder)
    return render(
        request,
        "elders/subform.html",
        {
            "form": form,
            "elder": elder,
            "title": _("Override the service tier"),
            "eligibility": evaluate(elder, on=timezone.localdate()),
        },
    )


@station_reader_required
def needs_summary(request):
    summary = queries.needs_summary(user=request.user)
    return render(request, "elders/needs_summary.html", {"summary": summary})


@station_reader_required
def elder_pick(request):
    """The matches of an elder picker's search box (an htmx fragment)."""
    station = request.GET.get("station", "")
    elders = queries.elder_pick(
        user=request.user,
        q=request.GET.get("q", ""),
        station_id=int(station) if station.isdigit() else None,
    )
    return render(
        request,
        "elders/_pick_results.html",
        {"elders": elders, "q": request.GET.get("q", "")},
    )
