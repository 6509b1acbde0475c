"""Inspection pages: the list by year, one inspection with its figures, indicators,
checklist, findings and decision (printable), and the evidence files. Reads go
through ``inspections.queries``, writes through ``inspections.actions``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecenter.forms import add_action_errors
from carecenter.pagination import page_context
from carecenter.scoping import (
    can_supervise,
    can_write,
    station_reader_required,
    supervised_stations,
)
from inspections import actions, queries
from inspections.forms import (
    AnswerForm,
    ChecklistForm,
    DecisionForm,
    FindingForm,
    RecheckForm,
    YearFilterForm,
)
from inspections.models import FindingStatus

PAGE_SIZE = 50


def _default_year() -> int:
    return timezone.localdate().year - 1


@station_reader_required
def inspection_list(request):
    years = queries.inspection_years(user=request.user)
    default = years[0] if years else _default_year()
    filters = YearFilterForm(
        request.GET if request.GET.get("year") else {"year": default},
        years=sorted({*years, default}, reverse=True),
    )
    year = filters.cleaned_data["year"] if filters.is_valid() else default
    inspections = queries.inspection_list(user=request.user, year=year)
    pages = page_context(request, inspections, size=PAGE_SIZE)
    return render(
        request,
        "inspections/list.html",
        {
            **pages,
            "filters": filters,
            "year": year,
            "inspections": pages["page_obj"].object_list,
            "may_refresh": year < timezone.localdate().year
            and supervised_stations(request.user).exists(),
        },
    )


@station_reader_required
@require_POST
def inspection_refresh(request):
    """A supervisor creates or refreshes a year's inspections of their district."""
    stations = list(supervised_stations(request.user).filter(is_active=True))
    if not stations:
        raise PermissionDenied(_("Only the district's supervisor may do this."))
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        year = _default_year()
    try:
        result = actions.inspections_refresh(
            year=year, stations=stations, actor=request.user
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _(
                "Inspections %(year)s: %(created)d created, %(refreshed)d refreshed, "
                "%(frozen)d decided and left as they were."
            )
            % {
                "year": year,
                "created": len(result.created),
                "refreshed": len(result.refreshed),
                "frozen": len(result.frozen),
            },
        )
    return redirect(f"{reverse('inspections:list')}?year={year}")


def _render_detail(request, inspection, *, status=200, **bound):
    supervise = can_supervise(request.user, inspection.station)
    answers = can_write(request.user, inspection.station)
    page = queries.inspection_page(inspection)
    answer_forms, recheck_forms = {}, {}
    for finding in page.findings:
        if answers and finding.status == FindingStatus.OPEN:
            answer_forms[finding.pk] = bound.get(
                f"answer-{finding.pk}", AnswerForm(prefix=f"answer-{finding.pk}")
            )
        if supervise and finding.status == FindingStatus.ANSWERED:
            recheck_forms[finding.pk] = {
                "answer": list(finding.answers.all())[-1],
                "form": bound.get(
                    f"recheck-{finding.pk}",
                    RecheckForm(prefix=f"recheck-{finding.pk}"),
                ),
            }
    context = {
        "inspection": inspection,
        "page": page,
        "months": list(enumerate(inspection.services_per_month, start=1)),
        "visit_months": inspection.visits_per_month,
        "may_supervise": supervise,
        "may_answer": answers,
        "answer_forms": answer_forms,
        "recheck_forms": recheck_forms,
        "history": queries.inspection_history(inspection, page.decisions),
        "today": timezone.localdate(),
    }
    if supervise:
        if not inspection.is_decided:
            context["checklist_form"] = bound.get("checklist") or ChecklistForm(
                instance=inspection
            )
        context["finding_form"] = bound.get("finding") or FindingForm(
            inspection=inspection
        )
        context["decision_form"] = bound.get("decision") or DecisionForm(
            initial={"decision": inspection.decision or None}
        )
    return render(request, "inspections/detail.html", context, status=status)


@station_reader_required
def inspection_detail(request, pk: int):
    inspection = queries.inspection_detail(user=request.user, pk=pk)
    return _render_detail(request, inspection)


def _supervised(request, pk: int):
    inspection = queries.inspection_detail(user=request.user, pk=pk)
    if not can_supervise(request.user, inspection.station):
        raise PermissionDenied(_("Only the district's supervisor may do this."))
    return inspection


@station_reader_required
@require_POST
def checklist_confirm(request, pk: int):
    inspection = _supervised(request, pk)
    # The form changes its own copy: the page shown again on an error keeps the
    # inspection as it is stored.
    copy = queries.inspection_detail(user=request.user, pk=pk)
    form = ChecklistForm(request.POST, instance=copy)
    if form.is_valid():
        try:
            actions.inspection_checklist_confirm(
                actor=request.user, inspection=inspection, data=form.action_data()
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(
                request, _("The checklist is confirmed and the score updated.")
            )
            return redirect(inspection)
    return _render_detail(request, inspection, checklist=form)


@station_reader_required
@require_POST
def finding_create(request, pk: int):
    inspection = _supervised(request, pk)
    form = FindingForm(request.POST, inspection=inspection)
    if form.is_valid():
        try:
            finding = actions.finding_create(
                actor=request.user,
                inspection=inspection,
                indicator=form.cleaned_data["indicator"],
                text=form.cleaned_data["text"],
                deadline=form.cleaned_data["deadline"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The finding was sent to the station."))
            return redirect(finding)
    return _render_detail(request, inspection, finding=form)


@station_reader_required
@require_POST
def finding_answer(request, pk: int):
    finding = queries.finding_detail(user=request.user, pk=pk)
    if not can_write(request.user, finding.station):
        raise PermissionDenied(_("Only the station's staff answer a finding."))
    prefix = f"answer-{finding.pk}"
    form = AnswerForm(request.POST, request.FILES, prefix=prefix)
    if form.is_valid():
        try:
            actions.finding_answer(
                actor=request.user,
                finding=finding,
                text=form.cleaned_data["text"],
                evidence=form.cleaned_data.get("evidence"),
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("Your answer was sent to the supervisor."))
            return redirect(finding)
    inspection = queries.inspection_detail(user=request.user, pk=finding.inspection_id)
    return _render_detail(request, inspection, **{prefix: form})


@station_reader_required
@require_POST
def answer_recheck(request, pk: int):
    answer = queries.answer_detail(user=request.user, pk=pk)
    if not can_supervise(request.user, answer.station):
        raise PermissionDenied(_("Only the district's supervisor may do this."))
    finding = answer.finding
    prefix = f"recheck-{finding.pk}"
    form = RecheckForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            actions.answer_recheck(
                actor=request.user,
                answer=answer,
                accepted=form.cleaned_data["result"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The re-check was recorded."))
            return redirect(finding)
    inspection = queries.inspection_detail(user=request.user, pk=finding.inspection_id)
    return _render_detail(request, inspection, **{prefix: form})


@station_reader_required
@require_POST
def inspection_decide(request, pk: int):
    inspection = _supervised(request, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            actions.inspection_decide(
                actor=request.user,
                inspection=inspection,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                recover_amount=form.cleaned_data["recover_amount"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The decision was recorded."))
            return redirect(inspection)
    return _render_detail(request, inspection, decision=form)


@station_reader_required
def answer_evidence(request, pk: int):
    """The evidence of a rectification, for the station's users and its supervisors.

    Never a public URL: the file lives under ``MEDIA_ROOT/private`` and is read
    here after the scope check.
    """
    answer = queries.answer_detail(user=request.user, pk=pk)
    if not answer.evidence:
        raise Http404(_("Not found."))
    try:
        handle = answer.evidence.open("rb")
    except FileNotFoundError:
        raise Http404(_("Not found.")) from None
    extension = answer.evidence.name.rsplit(".", 1)[-1]
    response = FileResponse(
        handle,
        content_type=answer.evidence_content_type or "application/octet-stream",
        as_attachment=request.GET.get("download") == "1",
        filename=f"rectification-{answer.pk}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
