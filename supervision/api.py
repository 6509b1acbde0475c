"""Read-only report endpoints: the dashboard's figures and tables (PRODUCT.md
"Supervision"), scoped like the pages.

``reports/figures/?from=YYYY-MM&to=YYYY-MM[&station=CODE][&district=CODE]`` and
``reports/tables/{key}/`` with the same parameters. A station outside the
caller's scope answers 404; volunteers 403.
"""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from carecenter.scoping import get_visible_or_404, is_station_reader
from supervision import queries, tables
from supervision.forms import RangeForm
from supervision.models import Metric
from supervision.queries import Dashboard, Figures

PARAMETERS = [
    OpenApiParameter("from", str, description="First month, YYYY-MM"),
    OpenApiParameter("to", str, description="Last month, YYYY-MM"),
    OpenApiParameter("station", str, description="A station's code"),
    OpenApiParameter("district", str, description="A district's code"),
]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _counts(figures: Figures, metric: str) -> dict[str, int]:
    return {key: int(value) for key, value in sorted(figures.by_key(metric).items())}


def _flows(f: Figures) -> dict:
    return {
        "services": {
            "delivered": f.services,
            "minutes": int(f.total(Metric.SERVICE_MINUTES)),
            "amount": _money(f.service_amount),
            "by_type": _counts(f, Metric.SERVICES),
        },
        "feedback": {
            "given": f.feedback,
            "coverage_percent": f.coverage_percent,
            "satisfaction_mean": _decimal(f.satisfaction_mean),
        },
        "vouchers": {
            "grants": f.grants,
            "issued": _money(f.issued),
            "redeemed": _money(f.redeemed),
            "expired": _money(f.expired),
        },
        "volunteers": {
            "minutes": int(f.get(Metric.VOLUNTEER_MINUTES)),
            "visits": f.volunteer_visits,
        },
    }


def _figures(f: Figures) -> dict:
    result = {
        "elders": {
            "on_file": f.elders,
            "age_band": _counts(f, Metric.ELDERS_AGE),
            "category": _counts(f, Metric.ELDERS_CATEGORY),
            "tier": _counts(f, Metric.ELDERS_TIER),
        },
        "needs": {"surveyed": f.surveyed, "by_service": _counts(f, Metric.NEEDS)},
        **_flows(f),
        "alerts": {
            "open_follow_ups": f.follow_ups,
            "certificates_expiring": f.certificates_expiring,
            "agreements_expiring": f.agreements_expiring,
        },
    }
    result["vouchers"].update(
        {
            "issued_year_to_date": _money(f.issued_year_to_date),
            "budget": _money(f.budget),
        }
    )
    return result


def _dashboard(request) -> Dashboard:
    if not is_station_reader(request.user):
        raise PermissionDenied(_("This is for station staff and supervisors."))
    form = RangeForm(request.query_params)
    if not form.is_valid():
        raise ValidationError(form.errors)
    station = district = None
    if code := request.query_params.get("station"):
        station = get_visible_or_404(
            request.user, queries.dashboard_stations(user=request.user), code=code
        )
    if code := request.query_params.get("district"):
        # Another district answers like a missing one.
        district = (
            queries.dashboard_districts(user=request.user).filter(code=code).first()
        )
        if district is None:
            raise Http404(_("Not found."))
    return queries.dashboard(
        user=request.user,
        first=form.cleaned_data["first"],
        last=form.cleaned_data["last"],
        station=station,
        district=district,
    )


def _head(dash: Dashboard) -> dict:
    return {
        "from": f"{dash.first:%Y-%m}",
        "to": f"{dash.last:%Y-%m}",
        "as_of": timezone.localtime(dash.as_of.started_at).isoformat()
        if dash.as_of
        else None,
        "snapshot_month": f"{dash.snapshot_month:%Y-%m}"
        if dash.snapshot_month
        else None,
        "station": dash.station.code if dash.station else None,
        "budget_year": dash.budget_year,
    }


@extend_schema(parameters=PARAMETERS, responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def report_figures(request):
    """The dashboard's figures: totals, per station and per month.

    Elders, needs and alerts are the snapshot of the latest refresh within the
    range; everything else sums the months of the range.
    """
    dash = _dashboard(request)
    return Response(
        {
            **_head(dash),
            "totals": _figures(dash.totals),
            "stations": [
                {
                    "code": station.code,
                    "name": station.name,
                    "district": station.district.code,
                    "figures": _figures(figures),
                }
                for station, figures in dash.rows()
            ],
            "months": [
                {"month": f"{month:%Y-%m}", "figures": _flows(figures)}
                for month, figures in dash.month_rows()
            ],
        }
    )


def _cell(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


@extend_schema(parameters=PARAMETERS, responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def report_table(request, key: str):
    """One table of the dashboard, as the page shows it and the export writes it."""
    dash = _dashboard(request)
    table = tables.build_table(dash, key)
    if table is None:
        raise Http404(_("Not found."))
    return Response(
        {
            **_head(dash),
            "key": table.key,
            "title": table.title,
            "note": table.note,
            "columns": [{"label": c.label, "kind": c.kind} for c in table.columns],
            "rows": [[_cell(v) for v in row.cells] for row in table.rows],
            "footer": [_cell(v) for v in table.footer] if table.footer else None,
        }
    )
