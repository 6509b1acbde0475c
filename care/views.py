"""Care pages: who is due a call, care calls, emergencies, health readings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from care import actions, cadence, queries
from care.forms import (
    CareCallForm,
    CloseForm,
    EmergencyForm,
    QuickCallForm,
    ReadingForm,
    ResolveForm,
    RespondForm,
)
from care.models import CallKind, CallOutcome
from carecenter.forms import add_action_errors
from carecenter.pagination import elder_param, page_context
from carecenter.scoping import (
    can_write,
    get_visible_or_404,
    require_write,
    station_reader_required,
    writable_stations,
)
from elders.models import Elder

PAGE_SIZE = 25


def _elder(request, pk: int) -> Elder:
    elder = get_visible_or_404(
        request.user, Elder.objects.select_related("station"), pk=pk
    )
    require_write(request.user, elder.station)
    return elder


@station_reader_required
def due_list(request):
    """Who is due or overdue a call (the default) or a visit, most overdue first."""
    today = timezone.localdate()
    contact = cadence.VISIT if request.GET.get("contact") == "visit" else cadence.CALL
    pages = page_context(
        request,
        queries.due_obligations(user=request.user, today=today, contact=contact),
        size=PAGE_SIZE,
    )
    return render(
        request,
        "care/due.html",
        {
            **pages,
            "rows": queries.due_rows(pages["page_obj"].object_list, today=today),
            "contact": contact,
            "outcomes": CallOutcome.choices,
            "can_call": contact == cadence.CALL
            and writable_stations(request.user).exists(),
            "today": today,
        },
    )


@station_reader_required
@require_POST
def call_quick(request):
    """Log a call with one click from the due list (now, the outcome clicked)."""
    form = QuickCallForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("care:due")
    if not form.is_valid():
        messages.error(request, _("Choose an elder and the outcome of the call."))
        return redirect(back)
    elder = _elder(request, form.cleaned_data["elder"])
    try:
        actions.care_call_log(
            actor=request.user, elder=elder, outcome=form.cleaned_data["outcome"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The call to %(name)s was logged.") % {"name": elder.name}
        )
    return redirect(back)


@station_reader_required
def call_list(request):
    kind = request.GET.get("kind", "")
    kind = kind if kind in CallKind.values else ""
    calls = queries.call_list(user=request.user, elder=elder_param(request), kind=kind)
    return render(
        request,
        "care/call_list.html",
        {**page_context(request, calls, size=PAGE_SIZE), "kind": kind},
    )


@station_reader_required
def call_log(request, elder_pk: int):
    elder = _elder(request, elder_pk)
    form = CareCallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.care_call_log(actor=request.user, elder=elder, **form.cleaned_data)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(
                request, _("The call to %(name)s was logged.") % {"name": elder.name}
            )
            return redirect(elder)
    return render(request, "care/call_form.html", {"form": form, "elder": elder})


@station_reader_required
def emergency_list(request):
    state = request.GET.get("state", "")
    emergencies = queries.emergency_list(
        user=request.user, state=state, elder=elder_param(request)
    )
    return render(
        request,
        "care/emergency_list.html",
        {
            **page_context(request, emergencies, size=PAGE_SIZE),
            "state": state,
            "can_add": writable_stations(request.user).exists(),
        },
    )


@station_reader_required
def emergency_create(request):
    initial = {}
    if request.GET.get("elder", "").isdigit():
        initial["elder"] = request.GET["elder"]
    form = EmergencyForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            emergency = actions.emergency_record(
                actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The emergency was recorded."))
            return redirect(emergency)
    return render(request, "care/emergency_form.html", {"form": form})


@station_reader_required
def emergency_detail(request, pk: int):
    emergency = queries.emergency_detail(user=request.user, pk=pk)
    writable = can_write(request.user, emergency.station) and emergency.is_open
    respond = close = None
    if writable:
        respond = RespondForm(
            request.POST if request.POST.get("step") == "respond" else None,
            initial={
                "responder": emergency.responder,
                "contact_informed": emergency.contact_informed,
            },
        )
        close = CloseForm(
            request.POST if request.POST.get("step") == "close" else None,
            initial={"contact_informed": emergency.contact_informed},
        )
    if request.method == "POST":
        require_write(request.user, emergency.station)
        step = request.POST.get("step")
        form = respond if step == "respond" else close if step == "close" else None
        if form is not None and form.is_valid():
            try:
                if step == "respond":
                    actions.emergency_respond(
                        actor=request.user, emergency=emergency, **form.cleaned_data
                    )
                else:
                    actions.emergency_close(
                        actor=request.user, emergency=emergency, **form.cleaned_data
                    )
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The emergency was closed.")
                    if step == "close"
                    else _("The response was recorded."),
                )
                return redirect(emergency)
        elif form is None and not emergency.is_open:
            messages.error(request, _("This emergency is closed already."))
            return redirect(emergency)
    return render(
        request,
        "care/emergency_detail.html",
        {"emergency": emergency, "respond": respond, "close": close},
    )


@station_reader_required
def reading_list(request):
    elder, readings = queries.reading_list_for(
        user=request.user, elder_pk=elder_param(request)
    )
    return render(
        request,
        "care/reading_list.html",
        {
            **page_context(request, readings, size=50),
            "elder": elder,
            "can_add": elder is not None and can_write(request.user, elder.station),
        },
    )


@station_reader_required
def reading_add(request, elder_pk: int):
    elder = _elder(request, elder_pk)
    form = ReadingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.reading_record(actor=request.user, elder=elder, **form.cleaned_data)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The reading was recorded."))
            return redirect(
                reverse("elders:detail", args=[elder.pk]) + "#section-readings"
            )
    return render(request, "care/reading_form.html", {"form": form, "elder": elder})


@station_reader_required
def follow_up_list(request):
    """Open follow-ups of every source: visits, return visits, care calls."""
    items = queries.open_follow_ups(user=request.user, elder=elder_param(request))
    return render(
        request,
        "care/follow_ups.html",
        {
            **page_context(request, items, size=PAGE_SIZE),
            "can_resolve": writable_stations(request.user).exists(),
        },
    )


@station_reader_required
def follow_up_resolve(request, kind: str, pk: int):
    item = queries.follow_up_detail(user=request.user, kind=kind, pk=pk)
    require_write(request.user, item.elder.station)
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.follow_up_resolve(
                actor=request.user,
                item=item,
                note=form.cleaned_data["resolution_note"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The follow-up was resolved."))
            return redirect("care:follow-ups")
    return render(request, "care/follow_up_resolve.html", {"form": form, "item": item})
