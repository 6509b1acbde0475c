from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.generic import ListView

from carecenter import audit, home, jobs, queries
from carecenter.celery import app as celery_app
from carecenter.scoping import is_station_reader, scope_of


@login_required
def home_page(request):
    """Today at the station(s) the user works for; a district table for supervisors.

    Someone who is only a volunteer has no station figures to read: their start
    page is the list of their paired elders, where they log visits.
    """
    scope = scope_of(request.user)
    if scope.volunteer_station_ids and not is_station_reader(request.user):
        return redirect("volunteers:my-elders")
    stations = queries.station_list(user=request.user)
    counts = home.counts_for(stations)
    overview = scope.everything or bool(scope.supervised_district_ids)
    counters = home.counters()
    rows = [(station, counts.get(station.pk, {})) for station in stations]
    # Notices are for the station's own users; the overview keeps to the counters.
    notices = {} if overview else home.notices_for(stations)
    panels = {} if overview else home.panels_for(stations, request.user)
    administrator = request.user.is_administrator
    return render(
        request,
        "carecenter/home.html",
        {
            "alerts": home.alerts() if administrator else [],
            "job_rows": queries.job_rows() if administrator else [],
            "rows": rows,
            "notices": {
                station.pk: notices.get(station.pk, []) for station in stations
            },
            "panels": {station.pk: panels.get(station.pk, []) for station in stations},
            "counters": counters,
            "waiting": [c for c in counters if c.waiting],
            # The "Waiting for you" panel: the stations the user manages.
            "managed": scope.manager_station_ids,
            "overview": overview,
            "today": timezone.localdate(),
        },
    )


class StationListView(LoginRequiredMixin, ListView):
    template_name = "carecenter/station_list.html"
    context_object_name = "stations"
    paginate_by = 50

    def get_queryset(self):
        return queries.station_list(user=self.request.user)


@login_required
def station_detail(request, pk: int):
    station = queries.station_detail(user=request.user, pk=pk)
    return render(
        request,
        "carecenter/station_detail.html",
        {
            "station": station,
            "leading_group": queries.leading_group(user=request.user, station=station),
            "history": audit.history_of(station),
        },
    )


@never_cache
def healthz(request):
    """200 when the database answers and the broker (if one is configured) too.

    Also says when beat last showed signs of life (``beat``: ``ok``, ``late`` when
    its heartbeat is older than five minutes, ``never``; ``last_beat``). A late
    beat does not make the answer 503: the site still serves, but a monitor
    should alert on it, since no schedule runs without beat.
    """
    status = {"database": "ok", "broker": "eager", "beat": "never", "last_beat": None}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beat = jobs.beat_state()
        status["beat"] = beat.status
        status["last_beat"] = beat.last.isoformat() if beat.last else None
    except Exception as exc:
        status["database"] = f"error: {exc.__class__.__name__}"
        healthy = False
    if settings.CELERY_BROKER_URL:
        try:
            with celery_app.connection_for_write(
                url=settings.CELERY_BROKER_URL
            ) as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            status["broker"] = "ok"
        except Exception as exc:
            status["broker"] = f"error: {exc.__class__.__name__}"
            healthy = False
    return JsonResponse(status, status=200 if healthy else 503)


@login_required
def job_list(request):
    """The scheduled jobs: what each does, its schedule, its last run (admins)."""
    if not request.user.is_administrator:
        raise PermissionDenied
    return render(
        request,
        "carecenter/jobs.html",
        {
            "rows": queries.job_rows(),
            "beat": jobs.beat_state(),
            "alerts": home.alerts(),
            "broker": bool(settings.CELERY_BROKER_URL),
        },
    )


def page_not_found(request, exception):
    """404: the page for a browser, ``{"detail"}`` in JSON under ``/api/`` (a path
    the API's routes do not match, such as ``elders/0.5/``), as the API answers
    every other error."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
