"""Services pages for station staff (supervisors read them)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecenter.forms import add_action_errors
from carecenter.pagination import page_context
from carecenter.scoping import (
    can_write,
    get_visible_or_404,
    report_stations,
    require_some_writable_station,
    require_write,
    station_reader_required,
    writable_stations,
)
from services import actions, queries
from services.forms import (
    AgreementForm,
    CancelForm,
    FeedbackForm,
    ProviderForm,
    RecordFilterForm,
    ReturnVisitForm,
    ServiceRecordForm,
    VisitFeedbackForm,
)
from services.models import VisitFeedback
from volunteers.models import Visit

PAGE_SIZE = 25


def _multi_station(user) -> bool:
    return report_stations(user).count() > 1


# --- Service records ---------------------------------------------------------------


def writable_record(request, pk: int):
    """The record ``pk`` if the user may change it: 404 outside scope, 403 read-only."""
    record = queries.record_detail(user=request.user, pk=pk)
    require_write(request.user, record.station)
    return record


@station_reader_required
def record_list(request):
    filters = RecordFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    records = queries.record_list(
        user=request.user,
        month=criteria.get("month"),
        service_type=criteria.get("service_type"),
        state=criteria.get("state") or "",
        q=criteria.get("q") or "",
        elder=criteria.get("elder"),
    )
    context = page_context(request, records, size=PAGE_SIZE)
    context.update(
        {
            "filters": filters,
            "records": context["page_obj"].object_list,
            "multi_station": _multi_station(request.user),
            "can_add": writable_stations(request.user).exists(),
        }
    )
    return render(request, "services/record_list.html", context)


@station_reader_required
def record_create(request):
    require_some_writable_station(request.user)
    initial = {}
    if request.GET.get("elder", "").isdigit():
        initial["elder"] = int(request.GET["elder"])
    form = ServiceRecordForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            record = actions.service_record_create(
                actor=request.user, **form.action_kwargs()
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            if record.awaits_confirmation:
                messages.warning(
                    request,
                    _(
                        "The service was recorded, but it was delivered more than "
                        "%(days)d days ago: the station manager must confirm it "
                        "before it is paid. Now fill in its feedback form."
                    )
                    % {"days": record.station.district.late_record_days},
                )
            else:
                messages.success(
                    request,
                    _("The service was recorded. Now fill in its feedback form."),
                )
            return redirect(record)
    return render(request, "services/record_form.html", {"form": form})


@station_reader_required
def record_detail(request, pk: int):
    record = queries.record_detail(user=request.user, pk=pk)
    writable = can_write(request.user, record.station)
    return render(
        request,
        "services/record_detail.html",
        {
            "record": record,
            "feedback": getattr(record, "feedback", None),
            "can_write": writable,
            "can_confirm": record.awaits_confirmation
            and can_write(request.user, record.station, manager=True),
            "cancel_form": CancelForm() if writable else None,
        },
    )


@require_POST
@station_reader_required
def record_confirm(request, pk: int):
    record = queries.record_detail(user=request.user, pk=pk)
    require_write(request.user, record.station, manager=True)  # 403 to staff
    try:
        record = actions.service_record_confirm(actor=request.user, record=record)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _(
                "Confirmed: ¥%(vouchers)s paid by vouchers valid on the day of the "
                "service, ¥%(own)s by the elder."
            )
            % {"vouchers": record.voucher_paid, "own": record.self_paid},
        )
    if request.POST.get("next") == "list":
        return redirect("services:records-to-confirm")
    return redirect(record)


@station_reader_required
def records_to_confirm(request):
    """Services recorded late, waiting for the manager (oldest first)."""
    records = queries.records_to_confirm(user=request.user)
    context = page_context(request, records, size=PAGE_SIZE)
    context.update(
        {
            "records": context["page_obj"].object_list,
            "multi_station": _multi_station(request.user),
            "managed": set(
                writable_stations(request.user, manager=True).values_list(
                    "pk", flat=True
                )
            ),
            "late_days": sorted(
                set(
                    report_stations(request.user).values_list(
                        "district__late_record_days", flat=True
                    )
                )
            ),
        }
    )
    return render(request, "services/records_to_confirm.html", context)


@require_POST
@station_reader_required
def record_cancel(request, pk: int):
    record = writable_record(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            actions.service_record_cancel(
                actor=request.user, record=record, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The record was cancelled and kept."))
    else:
        messages.error(request, _("Say why the record is cancelled."))
    return redirect(record)


@station_reader_required
def feedback_add(request, pk: int):
    record = writable_record(request, pk)
    if hasattr(record, "feedback"):
        messages.info(request, _("This service already has its feedback."))
        return redirect(record)
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.feedback_record(
                actor=request.user, record=record, data=form.action_data()
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The feedback was saved."))
            return redirect(record)
    return render(
        request,
        "services/record_subform.html",
        {"form": form, "record": record, "title": _("Feedback form")},
    )


@station_reader_required
def visit_feedback_add(request, pk: int):
    """The feedback form after a volunteer's visit."""
    visit = get_visible_or_404(
        request.user,
        Visit.objects.select_related("elder", "volunteer", "station"),
        pk=pk,
    )
    require_write(request.user, visit.station)
    if VisitFeedback.objects.filter(visit=visit).exists():
        messages.info(request, _("This visit has its feedback already."))
        return redirect("services:feedback-pending")
    form = VisitFeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.visit_feedback_record(
                actor=request.user, visit=visit, data=form.action_data()
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The feedback was saved."))
            return redirect("services:feedback-pending")
    return render(
        request, "services/visit_feedback_form.html", {"form": form, "visit": visit}
    )


@station_reader_required
def return_visit_add(request, pk: int):
    record = writable_record(request, pk)
    form = ReturnVisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.return_visit_record(
                actor=request.user, record=record, **form.cleaned_data
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The return visit was logged."))
            return redirect(record)
    return render(
        request,
        "services/record_subform.html",
        {"form": form, "record": record, "title": _("Return visit")},
    )


@station_reader_required
def feedback_pending(request):
    """Services still lacking feedback (oldest first) and the month's coverage."""
    today = timezone.localdate()
    month = today
    raw = request.GET.get("month", "")
    if raw:
        try:
            month = datetime.datetime.strptime(raw, "%Y-%m").date()
        except ValueError:
            month = today
    records = queries.records_lacking_feedback(user=request.user)
    context = page_context(request, records, size=PAGE_SIZE)
    visits = queries.visits_lacking_feedback(user=request.user)
    context.update(
        {
            "visits": list(visits[:PAGE_SIZE]),
            "visits_count": visits.count(),
            "visit_days": queries.VISIT_FEEDBACK_DAYS,
            "records": context["page_obj"].object_list,
            "coverage": queries.feedback_coverage(user=request.user, month=month),
            "month": month,
            "multi_station": _multi_station(request.user),
        }
    )
    return render(request, "services/feedback_pending.html", context)


# --- Providers ---------------------------------------------------------------------


@station_reader_required
def provider_list(request):
    context = page_context(
        request, queries.provider_list(user=request.user), size=PAGE_SIZE
    )
    context.update(
        {
            "providers": context["page_obj"].object_list,
            "multi_station": _multi_station(request.user),
            "can_add": writable_stations(request.user).exists(),
        }
    )
    return render(request, "services/provider_list.html", context)


@station_reader_required
def provider_detail(request, pk: int):
    provider = queries.provider_detail(user=request.user, pk=pk)
    return render(
        request,
        "services/provider_detail.html",
        {
            "provider": provider,
            "agreements": queries.agreement_list(user=request.user, provider=provider),
            "can_write": can_write(request.user, provider.station),
        },
    )


@station_reader_required
def provider_form(request, pk: int | None = None):
    provider = None
    if pk is not None:
        provider = queries.provider_detail(user=request.user, pk=pk)
        require_write(request.user, provider.station)
    else:
        require_some_writable_station(request.user)
    form = ProviderForm(request.POST or None, instance=provider, user=request.user)
    if request.method == "POST" and form.is_valid():
        station = provider.station if provider else form.cleaned_data["station"]
        try:
            provider = actions.provider_save(
                actor=request.user,
                station=station,
                provider=provider,
                data=form.action_data(),
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The provider was saved."))
            return redirect(provider)
    return render(
        request, "services/provider_form.html", {"form": form, "provider": provider}
    )


# --- Agreements --------------------------------------------------------------------


@station_reader_required
def agreement_list(request):
    context = page_context(
        request, queries.agreement_list(user=request.user), size=PAGE_SIZE
    )
    today = timezone.localdate()
    context.update(
        {
            "agreements": context["page_obj"].object_list,
            "multi_station": _multi_station(request.user),
            "can_add": writable_stations(request.user).exists(),
            "today": today,
            "warn_until": today + datetime.timedelta(days=queries.EXPIRY_WARNING_DAYS),
        }
    )
    return render(request, "services/agreement_list.html", context)


@station_reader_required
def agreement_detail(request, pk: int):
    agreement = queries.agreement_detail(user=request.user, pk=pk)
    return render(
        request,
        "services/agreement_detail.html",
        {
            "agreement": agreement,
            "can_write": can_write(request.user, agreement.station),
            "in_force": agreement.in_force_on(timezone.localdate()),
        },
    )


@station_reader_required
def agreement_form(request, pk: int | None = None):
    agreement = None
    if pk is not None:
        agreement = queries.agreement_detail(user=request.user, pk=pk)
        require_write(request.user, agreement.station)
    else:
        require_some_writable_station(request.user)
    form = AgreementForm(
        request.POST or None,
        request.FILES or None,
        instance=agreement,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        station = agreement.station if agreement else form.cleaned_data["station"]
        try:
            agreement = actions.agreement_save(
                actor=request.user,
                station=station,
                agreement=agreement,
                data=form.action_data(),
                prices=form.prices(),
                scan=form.cleaned_data.get("scan"),
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The agreement was saved."))
            return redirect(agreement)
    return render(
        request,
        "services/agreement_form.html",
        {"form": form, "agreement": agreement},
    )


@station_reader_required
def agreement_scan(request, pk: int):
    """The signed scan, for the station's users and its supervisors only.

    Never a public URL: the file lives under ``MEDIA_ROOT/private`` and is read
    here after the scope check.
    """
    agreement = queries.agreement_detail(user=request.user, pk=pk)
    if not agreement.scan:
        raise Http404(_("Not found."))
    try:
        handle = agreement.scan.open("rb")
    except FileNotFoundError:
        raise Http404(_("Not found.")) from None
    extension = agreement.scan.name.rsplit(".", 1)[-1]
    response = FileResponse(
        handle,
        content_type=agreement.scan_content_type or "application/octet-stream",
        as_attachment=request.GET.get("download") == "1",
        filename=f"agreement-{agreement.pk}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Public notice -------------------------------------------------------------------


@station_reader_required
def notice_index(request):
    stations = list(queries.notice_stations(user=request.user))
    if len(stations) == 1:
        return redirect("services:notice", station_pk=stations[0].pk)
    return render(request, "services/notice_index.html", {"stations": stations})


@station_reader_required
def notice(request, station_pk: int):
    notice = queries.public_notice(user=request.user, station_pk=station_pk)
    return render(request, "services/notice.html", {"notice": notice})
