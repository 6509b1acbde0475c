"""Volunteer pages: staff manage teams, volunteers, training, pairings, follow-ups and
hours; a volunteer on a phone sees their elders, logs visits and their hours."""

from __future__ import annotations

import datetime
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecenter import audit
from carecenter.exports import xlsx_response
from carecenter.forms import add_action_errors
from carecenter.months import add_months
from carecenter.pagination import elder_param, page_context
from carecenter.scoping import (
    can_write,
    report_stations,
    require_some_writable_station,
    require_write,
    scope_of,
    security_log,
    station_reader_required,
    writable_stations,
)
from volunteers import actions, exports, offline, queries
from volunteers.forms import (
    CertificateForm,
    LetterForm,
    LoginForm,
    PairingClaimForm,
    PairingEndForm,
    ResolveForm,
    TeamForm,
    TrainingForm,
    VisitForm,
    VolunteerForm,
)

PAGE_SIZE = 25


def _form_page(request, form, *, title, back, intro=""):
    """A form page; ``back`` (an object or a URL name) is where Cancel leads."""
    back_url = back.get_absolute_url() if hasattr(back, "get_absolute_url") else None
    return render(
        request,
        "volunteers/form.html",
        {
            "form": form,
            "title": title,
            "back_url": back_url or reverse(back),
            "intro": intro,
        },
    )


# --- Volunteers -----------------------------------------------------------------------


@station_reader_required
def volunteer_list(request):
    search = queries.volunteer_search(
        user=request.user, params=request.GET, request=request
    )
    return render(
        request,
        "volunteers/list.html",
        {
            "filter": search,
            **page_context(request, search.qs, size=PAGE_SIZE),
            "multi_station": report_stations(request.user).count() > 1,
            "can_add": writable_stations(request.user).exists(),
        },
    )


@station_reader_required
def volunteer_create(request):
    require_some_writable_station(request.user)
    form = VolunteerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = actions.volunteer_register(
                actor=request.user,
                station=form.cleaned_data["station"],
                data=form.action_data(),
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The volunteer was registered."))
            return redirect(volunteer)
    return _form_page(
        request, form, title=_("Register a volunteer"), back="volunteers:list"
    )


def writable_volunteer(request, pk: int, *, manager: bool = False):
    """The volunteer ``pk`` if the user may change it (404 outside, 403 read-only)."""
    volunteer = queries.volunteer_detail(user=request.user, pk=pk)
    require_write(request.user, volunteer.station, manager=manager)
    return volunteer


@station_reader_required
def volunteer_detail(request, pk: int):
    volunteer = queries.volunteer_detail(user=request.user, pk=pk)
    today = timezone.localdate()
    return render(
        request,
        "volunteers/detail.html",
        {
            "volunteer": volunteer,
            "certificates": queries.volunteer_certificates(volunteer=volunteer),
            "pairings": queries.volunteer_pairings(volunteer=volunteer),
            "visits": queries.volunteer_recent_visits(volunteer=volunteer),
            "total_minutes": queries.volunteer_total_minutes(volunteer=volunteer),
            "today": today,
            "can_write": can_write(request.user, volunteer.station),
            "history": audit.history_of(volunteer),
        },
    )


@station_reader_required
def volunteer_edit(request, pk: int):
    volunteer = writable_volunteer(request, pk)
    form = VolunteerForm(request.POST or None, instance=volunteer, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            actions.volunteer_update(
                actor=request.user, volunteer=volunteer, data=form.action_data()
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The volunteer was saved."))
            return redirect(volunteer)
    return _form_page(request, form, title=volunteer.name, back=volunteer)


@station_reader_required
def volunteer_login(request, pk: int):
    volunteer = writable_volunteer(request, pk)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.volunteer_login_create(
                actor=request.user, volunteer=volunteer, **form.cleaned_data
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The login was created."))
            return redirect(volunteer)
    return _form_page(
        request,
        form,
        title=_("Login for %(name)s") % {"name": volunteer.name},
        back=volunteer,
    )


@station_reader_required
def certificate_add(request, pk: int):
    volunteer = writable_volunteer(request, pk)
    form = CertificateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.certificate_save(
                actor=request.user, volunteer=volunteer, data=form.cleaned_data
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The certificate was saved."))
            return redirect(volunteer)
    return _form_page(
        request,
        form,
        title=_("Certificate of %(name)s") % {"name": volunteer.name},
        back=volunteer,
    )


@station_reader_required
def pairing_claim(request, pk: int):
    volunteer = writable_volunteer(request, pk)
    form = PairingClaimForm(
        request.POST or None, user=request.user, volunteer=volunteer
    )
    if request.method == "POST" and form.is_valid():
        try:
            pairing = actions.pairing_claim(
                actor=request.user, volunteer=volunteer, **form.cleaned_data
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(
                request, _("The claim was recorded; the manager approves it.")
            )
            return redirect(pairing)
    return _form_page(
        request,
        form,
        title=_("%(name)s claims an elder") % {"name": volunteer.name},
        back=volunteer,
        intro=_(
            "Professional services (medical help, rehabilitation, bathing, day "
            "care, repair, counselling, legal aid) need a valid certificate."
        ),
    )


# --- Teams and training ---------------------------------------------------------------


@station_reader_required
def team_list(request):
    teams = queries.team_list(user=request.user)
    return render(
        request,
        "volunteers/team_list.html",
        {
            **page_context(request, teams, size=PAGE_SIZE),
            "can_add": writable_stations(request.user).exists(),
            "multi_station": report_stations(request.user).count() > 1,
        },
    )


@station_reader_required
def team_detail(request, pk: int):
    team = queries.team_detail(user=request.user, pk=pk)
    members = queries.volunteer_list(user=request.user).filter(team=team)
    return render(
        request,
        "volunteers/team_detail.html",
        {
            "team": team,
            "members": members,
            "can_write": can_write(request.user, team.station),
        },
    )


@station_reader_required
def team_form(request, pk: int | None = None):
    team = None
    if pk is not None:
        team = queries.team_detail(user=request.user, pk=pk)
        require_write(request.user, team.station)
    else:
        require_some_writable_station(request.user)
    form = TeamForm(request.POST or None, instance=team, user=request.user)
    if request.method == "POST" and form.is_valid():
        station = team.station if team else form.cleaned_data["station"]
        try:
            team = actions.team_save(
                actor=request.user, station=station, team=team, data=form.action_data()
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The team was saved."))
            return redirect(team)
    return _form_page(
        request,
        form,
        title=team.name if team else _("New team"),
        back=team or "volunteers:teams",
    )


@station_reader_required
def training_list(request):
    return render(
        request,
        "volunteers/training_list.html",
        {
            **page_context(
                request, queries.training_list(user=request.user), size=PAGE_SIZE
            ),
            "can_add": writable_stations(request.user).exists(),
        },
    )


@station_reader_required
def training_form(request, pk: int | None = None):
    session = None
    if pk is not None:
        session = queries.training_detail(user=request.user, pk=pk)
        require_write(request.user, session.station)
    else:
        require_some_writable_station(request.user)
    form = TrainingForm(request.POST or None, instance=session, user=request.user)
    if request.method == "POST" and form.is_valid():
        station = session.station if session else form.cleaned_data["station"]
        try:
            actions.training_session_save(
                actor=request.user,
                station=station,
                session=session,
                data=form.action_data(),
                attendees=form.cleaned_data["attendees"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The training session was saved."))
            return redirect("volunteers:training")
    return _form_page(
        request,
        form,
        title=session.topic if session else _("New training session"),
        back="volunteers:training",
    )


@station_reader_required
def certificate_list(request):
    show_all = request.GET.get("show") == "all"
    certificates = queries.certificate_list(
        user=request.user, expiring_only=not show_all
    )
    return render(
        request,
        "volunteers/certificate_list.html",
        {
            **page_context(request, certificates, size=PAGE_SIZE),
            "show_all": show_all,
            "today": timezone.localdate(),
            "soon": timezone.localdate()
            + datetime.timedelta(days=queries.EXPIRY_WARNING_DAYS),
        },
    )


# --- Pairings -------------------------------------------------------------------------


@station_reader_required
def pairing_list(request):
    state = request.GET.get("state", "")
    pairings = queries.pairing_list(
        user=request.user, state=state, elder=elder_param(request)
    )
    return render(
        request,
        "volunteers/pairing_list.html",
        {**page_context(request, pairings, size=PAGE_SIZE), "state": state},
    )


@login_required
def pairing_detail(request, pk: int):
    pairing = queries.pairing_detail(user=request.user, pk=pk)
    return render(
        request,
        "volunteers/pairing_detail.html",
        {
            "pairing": pairing,
            "can_write": can_write(request.user, pairing.station),
            "is_manager": can_write(request.user, pairing.station, manager=True),
            "letter_form": LetterForm(),
            "history": audit.history_of(pairing),
        },
    )


@login_required
def pairing_letter(request, pk: int):
    """The service letter (服务承诺书), printable on one A4 page."""
    pairing = queries.pairing_detail(user=request.user, pk=pk)
    return render(request, "volunteers/letter.html", {"pairing": pairing})


def writable_pairing(request, pk: int, *, manager: bool = False):
    pairing = queries.pairing_detail(user=request.user, pk=pk)
    require_write(request.user, pairing.station, manager=manager)
    return pairing


@require_POST
@station_reader_required
def pairing_approve(request, pk: int):
    pairing = writable_pairing(request, pk, manager=True)
    try:
        actions.pairing_approve(actor=request.user, pairing=pairing)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The pairing was approved."))
    return redirect(pairing)


@require_POST
@station_reader_required
def pairing_sign(request, pk: int):
    pairing = writable_pairing(request, pk)
    form = LetterForm(request.POST)
    if form.is_valid():
        try:
            actions.pairing_sign_letter(
                actor=request.user,
                pairing=pairing,
                signed_on=form.cleaned_data["letter_signed_on"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The signing date was recorded."))
    else:
        messages.error(request, _("Give the date the letter was signed."))
    return redirect(pairing)


@station_reader_required
def pairing_end(request, pk: int):
    pairing = writable_pairing(request, pk)
    form = PairingEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.pairing_end(
                actor=request.user,
                pairing=pairing,
                ended_on=form.cleaned_data["ended_on"],
                reason=form.cleaned_data["end_reason"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The pairing was ended."))
            return redirect(pairing)
    return _form_page(
        request, form, title=_("End the pairing %(p)s") % {"p": pairing}, back=pairing
    )


# --- Follow-ups and visits ------------------------------------------------------------


@station_reader_required
def follow_up_list(request):
    elder = elder_param(request)
    return render(
        request,
        "volunteers/follow_ups.html",
        {
            **page_context(
                request,
                queries.open_follow_ups(user=request.user, elder=elder),
                size=PAGE_SIZE,
            ),
            "resolved": queries.resolved_follow_ups(user=request.user, elder=elder),
        },
    )


@station_reader_required
def visit_list(request):
    visits = queries.visit_list(user=request.user, elder=elder_param(request))
    return render(
        request,
        "volunteers/visit_list.html",
        page_context(request, visits, size=PAGE_SIZE),
    )


@station_reader_required
def follow_up_resolve(request, pk: int):
    visit = queries.visit_detail(user=request.user, pk=pk)
    require_write(request.user, visit.station)
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.follow_up_resolve(
                actor=request.user,
                visit=visit,
                note=form.cleaned_data["resolution_note"],
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The follow-up was resolved."))
            return redirect("volunteers:follow-ups")
    return render(request, "volunteers/resolve.html", {"form": form, "visit": visit})


@login_required
def visit_detail(request, pk: int):
    """A visit: for the station's staff and supervisors, and its own volunteer."""
    visit = queries.visit_detail(user=request.user, pk=pk)
    return render(
        request,
        "volunteers/visit_detail.html",
        {
            "visit": visit,
            "can_resolve": visit.follow_up_open
            and can_write(request.user, visit.station),
        },
    )


# --- Hours ----------------------------------------------------------------------------


def _month(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return default


def _month_range(request) -> tuple[datetime.date, datetime.date]:
    """``?from=YYYY-MM&to=YYYY-MM``; by default the last six months, at most 24."""
    this_month = timezone.localdate().replace(day=1)
    last = _month(request.GET.get("to"), this_month)
    default_first = add_months(last, -5)
    first = _month(request.GET.get("from"), default_first)
    if first > last:
        first, last = last, first
    first = max(first, add_months(last, -23))
    return first, last


@station_reader_required
def hours(request):
    first, last = _month_range(request)
    report = queries.hours_report(user=request.user, first=first, last=last)
    params = request.GET.copy()
    return render(
        request,
        "volunteers/hours.html",
        {
            "report": report,
            "first": first,
            "last": last,
            "query_string": params.urlencode(),
        },
    )


@station_reader_required
def hours_export(request):
    first, last = _month_range(request)
    report = queries.hours_report(user=request.user, first=first, last=last)
    return xlsx_response(
        request,
        exports.hours_workbook(report),
        filename=f"volunteer-hours-{first:%Y%m}-{last:%Y%m}.xlsx",
        what="volunteers:hours",
    )


# --- The volunteer's own pages (a phone) ----------------------------------------------


def volunteer_required(view):
    """Pages for a signed-in volunteer with a volunteer record; anyone else 403."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        volunteer = queries.volunteer_of(request.user)
        if (
            volunteer is None
            or volunteer.station_id not in scope_of(request.user).volunteer_station_ids
        ):
            security_log.warning(
                "denied: user=%s page %s", request.user.pk, request.path
            )
            raise PermissionDenied(_("This page is for volunteers."))
        response = view(request, volunteer, *args, **kwargs)
        if request.method == "GET":
            offline.mark_for_offline(response, request.user)
        return response

    return wrapper


@volunteer_required
def my_elders(request, volunteer):
    return render(
        request,
        "volunteers/my_elders.html",
        {
            "volunteer": volunteer,
            "elders": queries.my_elders(user=request.user, volunteer=volunteer),
            **offline.page_context(request, volunteer),
        },
    )


@volunteer_required
def visit_log(request, volunteer, elder_pk: int):
    if request.method == "POST":
        # A visit sent again (a double tap, a retry after a lost answer) is the
        # one already saved, even if its pairing has ended since.
        seen = queries.visit_sent_before(
            user=request.user, client_id=request.POST.get("client_id")
        )
        if seen is not None and seen.volunteer_id == volunteer.pk:
            messages.info(request, _("This visit was saved already."))
            return redirect("volunteers:my-elders")
    elder = queries.paired_elder(user=request.user, volunteer=volunteer, pk=elder_pk)
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _visit, created = actions.visit_log_once(
                actor=request.user,
                volunteer=volunteer,
                elder=elder,
                **form.action_data(),
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            if created:
                messages.success(
                    request,
                    _("Visit to %(name)s saved. Thank you!") % {"name": elder},
                )
            else:
                messages.info(request, _("This visit was saved already."))
            return redirect("volunteers:my-elders")
    return render(
        request,
        "volunteers/visit_form.html",
        {"form": form, "elder": elder, **offline.page_context(request, volunteer)},
    )


@volunteer_required
def my_hours(request, volunteer):
    this_month = timezone.localdate().replace(day=1)
    first = add_months(this_month, -11)
    report = queries.hours_report(
        user=request.user, first=first, last=this_month, volunteer=volunteer
    )
    row = report.volunteers[0] if report.volunteers else None
    months = [
        (month, row.minutes.get(month, 0) if row else 0)
        for month in reversed(report.months)
    ]
    return render(
        request,
        "volunteers/my_hours.html",
        {
            "volunteer": volunteer,
            "months": months,
            "total_minutes": queries.volunteer_total_minutes(volunteer=volunteer),
            "visits": queries.visit_list(user=request.user).filter(volunteer=volunteer)[
                :20
            ],
            **offline.page_context(request, volunteer),
        },
    )


# --- The volunteer's pages as an app that works without signal ------------------------


@volunteer_required
def offline_page(request, volunteer):
    """Shown by the phone for a page of the app it did not keep."""
    return render(
        request,
        "volunteers/offline.html",
        {"volunteer": volunteer, **offline.page_context(request, volunteer)},
    )


@volunteer_required
def offline_state(request, volunteer):
    """What the phone keeps, who is signed in, and a CSRF token to send the queue."""
    return JsonResponse(offline.offline_state(request, volunteer))


def service_worker(request):
    """The service worker, served here so that it controls ``/volunteers/me/`` only.

    Public, like a static file: the browser checks it for updates whoever is
    signed in, and it holds no data.
    """
    response = HttpResponse(
        offline.service_worker_source(),
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = reverse("volunteers:my-elders")
    response["Cache-Control"] = "no-cache"
    return response


def manifest(request, language: str):
    """The web app manifest in ``language`` (public: browsers fetch it without
    cookies)."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    response = JsonResponse(
        offline.manifest(language),
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response
