"""The district dashboard and a station's dashboard, with their .xlsx exports.

Reads go through ``supervision.queries`` (the aggregates only), the tables through
``supervision.tables``; scoping through ``carecenter.scoping``: volunteers get
403, another station 404.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from carecenter.exports import xlsx_response
from carecenter.scoping import scope_of, station_reader_required
from supervision import queries, tables
from supervision.exports import dashboard_workbook
from supervision.forms import RangeForm


def _filters(request, *, districts=None):
    form = RangeForm(request.GET or None, districts=districts)
    first, last = form.range()
    district = form.cleaned_data.get("district") if form.is_valid() else None
    return form, first, last, district


def _range_query(first, last) -> str:
    return urlencode({"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}"})


def _station_link(first, last):
    query = _range_query(first, last)
    links: dict[int, str] = {}

    def link(station) -> str:
        if station.pk not in links:
            url = reverse("supervision:station", args=[station.pk])
            links[station.pk] = f"{url}?{query}"
        return links[station.pk]

    return link


def _only_station(user) -> int | None:
    """The one station of a user who reads no other (staff or manager)."""
    scope = scope_of(user)
    if scope.everything or scope.supervised_district_ids:
        return None
    if len(scope.work_station_ids) == 1:
        return next(iter(scope.work_station_ids))
    return None


def _page(request, dash, form):
    link = _station_link(dash.first, dash.last)
    built = tables.build_tables(dash, link)
    sections = [
        (
            section,
            [built[key] for key in section.tables],
            [built[key] for key in section.wide],
        )
        for section in tables.sections_for(dash)
    ]
    query = request.GET.urlencode()
    return render(
        request,
        "supervision/dashboard.html",
        {
            "dash": dash,
            "form": form,
            "sections": sections,
            "charts": tables.charts(dash),
            "query": query,
            "range_query": _range_query(dash.first, dash.last),
        },
    )


@station_reader_required
def district_dashboard(request):
    """Every station the user may read (a supervisor: their district)."""
    only = _only_station(request.user)
    if only is not None:
        url = reverse("supervision:station", args=[only])
        return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
    districts = list(queries.dashboard_districts(user=request.user))
    form, first, last, district = _filters(request, districts=districts)
    dash = queries.dashboard(
        user=request.user, first=first, last=last, district=district
    )
    return _page(request, dash, form)


@station_reader_required
def station_dashboard(request, pk: int):
    station = queries.dashboard_station(user=request.user, pk=pk)
    form, first, last, _district = _filters(request)
    dash = queries.dashboard(user=request.user, first=first, last=last, station=station)
    return _page(request, dash, form)


def _export(request, dash, key: str, name: str) -> HttpResponse:
    if key == "all":
        found = list(tables.build_tables(dash).values())
    else:
        table = tables.build_table(dash, key)
        if table is None:
            raise Http404(_("Not found."))
        found = [table]
    return xlsx_response(
        request,
        dashboard_workbook(dash, found),
        filename=f"dashboard-{name}-{key}-{dash.first:%Y-%m}-{dash.last:%Y-%m}.xlsx",
        what=f"dashboard:{key}",
        station=dash.station,
    )


@station_reader_required
def district_export(request, key: str):
    districts = list(queries.dashboard_districts(user=request.user))
    _form, first, last, district = _filters(request, districts=districts)
    dash = queries.dashboard(
        user=request.user, first=first, last=last, district=district
    )
    name = district.code if district else "district"
    return _export(request, dash, key, name)


@station_reader_required
def station_export(request, pk: int, key: str):
    station = queries.dashboard_station(user=request.user, pk=pk)
    _form, first, last, _district = _filters(request)
    dash = queries.dashboard(user=request.user, first=first, last=last, station=station)
    return _export(request, dash, key, station.code)
