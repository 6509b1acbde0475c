"""The dashboard's tables and charts, built from one ``queries.Dashboard``.

The page renders these tables, the .xlsx export writes the same ones and the API
returns them, so the three cannot disagree. Labels come from the apps' own
choices (service kinds, categories, tiers, age bands): no query.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.models import ActivityKind
from carecenter.catalogue import ServiceKind
from elders.filters import AGE_BANDS
from elders.models import Category, Tier
from supervision.aggregates import AGE_BANDS as AGE_BAND_ORDER
from supervision.models import Metric
from supervision.queries import Dashboard, Figures

# Column kinds: how a cell is shown and exported.
TEXT, INT, MONEY, DECIMAL, PERCENT = "text", "int", "money", "decimal", "percent"


@dataclass
class Column:
    label: str
    kind: str = INT
    nowrap: bool = False  # a short label that must not break (a month)


@dataclass
class Row:
    cells: list
    url: str = ""  # the first cell links here (drill-down to a station)


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[Row]
    footer: list | None = None
    note: str = ""


@dataclass
class Section:
    """A part of the page: charts beside ``tables``, then ``wide`` tables (one row
    per station) across the page."""

    key: str
    title: object
    tables: list[str] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    wide: list[str] = field(default_factory=list)
    district_only: bool = False

    @property
    def table_keys(self) -> list[str]:
        return [*self.tables, *self.wide]


SECTIONS = [
    Section(
        "stations", gettext_lazy("Stations"), wide=["stations"], district_only=True
    ),
    Section(
        "elders",
        gettext_lazy("Elders"),
        charts=["elders_age", "tiers"],
        wide=["elders"],
    ),
    Section(
        "categories",
        gettext_lazy("Special categories"),
        ["categories"],
        ["categories"],
    ),
    Section("needs", gettext_lazy("Needs"), ["needs"], ["needs"]),
    Section("services", gettext_lazy("Services delivered"), ["services"], ["services"]),
    Section("feedback", gettext_lazy("Feedback"), ["feedback"], ["feedback"]),
    Section(
        "vouchers",
        gettext_lazy("Vouchers"),
        ["vouchers"],
        ["vouchers"],
        wide=["budget"],
    ),
    Section(
        "volunteers", gettext_lazy("Volunteer hours"), ["volunteers"], ["volunteers"]
    ),
    Section("activities", gettext_lazy("Group activities"), wide=["activities"]),
    Section("alerts", gettext_lazy("Follow-ups and expiries"), wide=["alerts"]),
]


def sections_for(dash: Dashboard) -> list[Section]:
    return [s for s in SECTIONS if not (s.district_only and dash.station)]


def table_keys(dash: Dashboard) -> list[str]:
    return [key for s in sections_for(dash) for key in s.table_keys]


def _month(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


def _age_labels() -> list[tuple[str, str]]:
    labels = dict(AGE_BANDS)
    return [(band, str(labels[band])) for band in AGE_BAND_ORDER]


def _tiers() -> list[tuple[str, str]]:
    return [(t.value, str(t.label)) for t in Tier]


def _station_cells(dash: Dashboard, station) -> list:
    cells = [station.name]
    if len(dash.districts) > 1:
        cells.append(station.district.name)
    return cells


def _station_columns(dash: Dashboard) -> list[Column]:
    columns = [Column(_("Station"), TEXT)]
    if len(dash.districts) > 1:
        columns.append(Column(_("District"), TEXT))
    return columns


def _footer(dash: Dashboard, values: list) -> list | None:
    if len(dash.stations) <= 1:
        return None
    lead = [_("Total")] + ([""] if len(dash.districts) > 1 else [])
    return lead + values


def _per_station(
    dash: Dashboard,
    key: str,
    title: str,
    columns: list[Column],
    values: Callable[[Figures], list],
    link: Callable | None,
    note: str = "",
) -> Table:
    rows = [
        Row(
            _station_cells(dash, station) + values(figures),
            url=link(station) if link and not dash.station else "",
        )
        for station, figures in dash.rows()
    ]
    return Table(
        key,
        title,
        _station_columns(dash) + columns,
        rows,
        _footer(dash, values(dash.totals)),
        note,
    )


def _snapshot_note(dash: Dashboard) -> str:
    if dash.snapshot_month is None:
        return _("No figures were taken in this period.")
    if dash.as_of is not None and dash.snapshot_month == dash.as_of.last_month:
        return _("On file at the latest refresh.")
    return _("On file at the last refresh of %(month)s.") % {
        "month": _month(dash.snapshot_month)
    }


def stations_table(dash: Dashboard, link=None) -> Table:
    columns = [
        Column(_("Elders on file")),
        Column(_("Free or low-cost")),
        Column(_("Services delivered")),
        Column(_("Service hours"), DECIMAL),
        Column(_("Feedback coverage"), PERCENT),
        Column(_("Mean satisfaction"), DECIMAL),
        Column(_("Vouchers issued"), MONEY),
        Column(_("Vouchers redeemed"), MONEY),
        Column(_("Volunteer hours"), DECIMAL),
        Column(_("Open follow-ups")),
    ]
    return _per_station(
        dash,
        "stations",
        _("Figures per station"),
        columns,
        lambda f: [
            f.elders,
            f.voucher_eligible,
            f.services,
            f.service_hours,
            f.coverage_percent,
            f.satisfaction_mean,
            f.issued,
            f.redeemed,
            f.volunteer_hours,
            f.follow_ups,
        ],
        link,
        _("Elders and follow-ups: %(snapshot)s Everything else: the months chosen.")
        % {"snapshot": _snapshot_note(dash)},
    )


def elders_table(dash: Dashboard, link=None) -> Table:
    bands, tiers = _age_labels(), _tiers()
    columns = [Column(_("Elders on file"))]
    columns += [Column(label) for _code, label in bands]
    columns += [Column(label) for _code, label in tiers]
    return _per_station(
        dash,
        "elders",
        _("Elders by age band and tier"),
        columns,
        lambda f: (
            [f.elders]
            + [f.count(Metric.ELDERS_AGE, code) for code, _label in bands]
            + [f.count(Metric.ELDERS_TIER, code) for code, _label in tiers]
        ),
        link,
        _snapshot_note(dash) + " " + _("The tier is today's."),
    )


def categories_table(dash: Dashboard, link=None) -> Table:
    categories = list(Category)
    return _per_station(
        dash,
        "categories",
        _("Elders by special category"),
        [Column(str(c.label)) for c in categories],
        lambda f: [f.count(Metric.ELDERS_CATEGORY, c.value) for c in categories],
        link,
        _snapshot_note(dash) + " " + _("An elder may belong to several categories."),
    )


def needs_table(dash: Dashboard, link=None) -> Table:
    totals = dash.totals
    surveyed = totals.surveyed
    rows = []
    for code, label in ServiceKind.choices:
        n = totals.count(Metric.NEEDS, code)
        if n:
            share = round(100 * n / surveyed) if surveyed else None
            rows.append(Row([str(label), n, share]))
    rows.sort(key=lambda r: -r.cells[1])
    return Table(
        "needs",
        _("Needs (latest survey of each elder)"),
        [
            Column(_("Service"), TEXT),
            Column(_("Elders needing it")),
            Column(_("Share of surveyed"), PERCENT),
        ],
        rows,
        [_("Elders surveyed"), surveyed, None],
        _snapshot_note(dash),
    )


def services_table(dash: Dashboard, link=None) -> Table:
    months = dash.month_rows()
    totals = dash.totals
    rows = []
    for code, label in ServiceKind.choices:
        total = totals.count(Metric.SERVICES, code)
        if not total:
            continue
        rows.append(
            Row(
                [str(label)]
                + [f.count(Metric.SERVICES, code) for _m, f in months]
                + [
                    total,
                    (totals.get(Metric.SERVICE_MINUTES, code) / 60).quantize(
                        Decimal("0.1")
                    ),
                    totals.get(Metric.SERVICE_AMOUNT, code),
                ]
            )
        )
    return Table(
        "services",
        _("Services delivered per month and type"),
        [Column(_("Service"), TEXT)]
        + [Column(_month(m), nowrap=True) for m, _f in months]
        + [
            Column(_("Total")),
            Column(_("Hours"), DECIMAL),
            Column(_("Amount"), MONEY),
        ],
        rows,
        [_("Total")]
        + [f.services for _m, f in months]
        + [totals.services, totals.service_hours, totals.service_amount],
        _("Cancelled services are not counted."),
    )


def feedback_table(dash: Dashboard, link=None) -> Table:
    def values(f: Figures) -> list:
        return [f.services, f.feedback, f.coverage_percent, f.satisfaction_mean]

    return Table(
        "feedback",
        _("Feedback coverage and satisfaction"),
        [
            Column(_("Month"), TEXT),
            Column(_("Services delivered")),
            Column(_("With feedback")),
            Column(_("Coverage"), PERCENT),
            Column(_("Mean satisfaction (1–5)"), DECIMAL),
        ],
        [Row([_month(m), *values(f)]) for m, f in dash.month_rows()],
        [_("Total"), *values(dash.totals)],
        _("Feedback counts in the month of the service it is about."),
    )


def vouchers_table(dash: Dashboard, link=None) -> Table:
    def values(f: Figures) -> list:
        return [f.grants, f.issued, f.redeemed, f.expired]

    return Table(
        "vouchers",
        _("Vouchers issued, redeemed and expired per month"),
        [
            Column(_("Month"), TEXT),
            Column(_("Elders granted")),
            Column(_("Issued"), MONEY),
            Column(_("Redeemed"), MONEY),
            Column(_("Expired"), MONEY),
        ],
        [Row([_month(m), *values(f)]) for m, f in dash.month_rows()],
        [_("Total"), *values(dash.totals)],
        _("By the month of the vouchers; redeemed is net of cancelled services."),
    )


def budget_table(dash: Dashboard, link=None) -> Table:
    year = dash.budget_year
    return _per_station(
        dash,
        "budget",
        _("Vouchers against the budget"),
        [
            Column(_("Issued"), MONEY),
            Column(_("Redeemed"), MONEY),
            Column(_("Expired"), MONEY),
            Column(_("Issued in %(year)s to date") % {"year": year}, MONEY),
            Column(_("Budget %(year)s") % {"year": year}, MONEY),
            Column(_("Budget used"), PERCENT),
        ],
        lambda f: [
            f.issued,
            f.redeemed,
            f.expired,
            f.issued_year_to_date,
            f.budget,
            f.budget_used_percent,
        ],
        link,
        _("Issued, redeemed and expired: the months chosen; to date: up to %(month)s.")
        % {"month": _month(dash.last)},
    )


def volunteers_table(dash: Dashboard, link=None) -> Table:
    def values(f: Figures) -> list:
        return [f.volunteer_hours, f.volunteer_visits]

    return Table(
        "volunteers",
        _("Volunteer hours per month"),
        [
            Column(_("Month"), TEXT),
            Column(_("Hours"), DECIMAL),
            Column(_("Visits")),
        ],
        [Row([_month(m), *values(f)]) for m, f in dash.month_rows()],
        [_("Total"), *values(dash.totals)],
        _("The time bank: visits and adjustments, by the month of the visit."),
    )


def activities_table(dash: Dashboard, link=None) -> Table:
    kinds = [(k, ActivityKind(k).label) for k in ("lecture", "health_check")]

    def values(f: Figures) -> list:
        return [
            f.activities,
            f.activity_attendances,
            *[f.count(Metric.ACTIVITIES, k) for k, _label in kinds],
        ]

    return _per_station(
        dash,
        "activities",
        _("Group activities held and attended"),
        [
            Column(_("Activities")),
            Column(_("Attendances")),
            *[Column(str(label)) for _k, label in kinds],
        ],
        values,
        link,
        _("The months chosen, by the month the activity started."),
    )


def alerts_table(dash: Dashboard, link=None) -> Table:
    return _per_station(
        dash,
        "alerts",
        _("Open follow-ups, certificates and agreements expiring"),
        [
            Column(_("Open follow-ups")),
            Column(_("Certificates expiring within 30 days")),
            Column(_("Agreements expiring within 30 days")),
        ],
        lambda f: [f.follow_ups, f.certificates_expiring, f.agreements_expiring],
        link,
        _snapshot_note(dash),
    )


BUILDERS: dict[str, Callable[..., Table]] = {
    "stations": stations_table,
    "elders": elders_table,
    "categories": categories_table,
    "needs": needs_table,
    "services": services_table,
    "feedback": feedback_table,
    "vouchers": vouchers_table,
    "budget": budget_table,
    "volunteers": volunteers_table,
    "activities": activities_table,
    "alerts": alerts_table,
}


def build_table(dash: Dashboard, key: str, link=None) -> Table | None:
    """The table ``key`` of this dashboard, or None when it has no such table."""
    if key not in table_keys(dash):
        return None
    return BUILDERS[key](dash, link)


def build_tables(dash: Dashboard, link=None) -> dict[str, Table]:
    return {key: BUILDERS[key](dash, link) for key in table_keys(dash)}


# --- Charts: the data Chart.js draws (static/supervision/dashboard.js) --------------

TIER_COLOURS = {
    Tier.FREE: "#15803d",
    Tier.LOW_COST: "#0369a1",
    Tier.PAID: "#9ca3af",
    Tier.INELIGIBLE: "#e5e7eb",
}


def _number(value) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def charts(dash: Dashboard) -> dict[str, dict]:
    totals = dash.totals
    months = dash.month_rows()
    labels = [_month(m) for m, _f in months]
    bands = _age_labels()
    needs = sorted(
        (
            (str(label), totals.count(Metric.NEEDS, code))
            for code, label in ServiceKind.choices
            if totals.count(Metric.NEEDS, code)
        ),
        key=lambda item: -item[1],
    )
    service_datasets = [
        {
            "label": str(label),
            "data": [f.count(Metric.SERVICES, code) for _m, f in months],
        }
        for code, label in ServiceKind.choices
        if totals.count(Metric.SERVICES, code)
    ]
    return {
        "elders_age": {
            "type": "bar",
            "title": _("Elders by age band"),
            "labels": [label for _c, label in bands],
            "datasets": [
                {
                    "label": _("Elders on file"),
                    "data": [totals.count(Metric.ELDERS_AGE, c) for c, _l in bands],
                }
            ],
        },
        "tiers": {
            "type": "doughnut",
            "title": _("Elders by tier today"),
            # The tiers' colours wherever a tier is shown (carecenter.css).
            "colors": [TIER_COLOURS[c] for c, _l in _tiers()],
            "labels": [label for _c, label in _tiers()],
            "datasets": [
                {
                    "label": _("Elders on file"),
                    "data": [totals.count(Metric.ELDERS_TIER, c) for c, _l in _tiers()],
                }
            ],
        },
        "categories": {
            "type": "bar",
            "horizontal": True,
            "title": _("Elders by special category"),
            "labels": [str(c.label) for c in Category],
            "datasets": [
                {
                    "label": _("Elders on file"),
                    "data": [
                        totals.count(Metric.ELDERS_CATEGORY, c.value) for c in Category
                    ],
                }
            ],
        },
        "needs": {
            "type": "bar",
            "horizontal": True,
            "title": _("Elders needing each service"),
            "labels": [label for label, _n in needs],
            "datasets": [
                {"label": _("Elders needing it"), "data": [n for _l, n in needs]}
            ],
        },
        "services": {
            "type": "bar",
            "stacked": True,
            "title": _("Services delivered per month and type"),
            "labels": labels,
            "datasets": service_datasets,
        },
        "feedback": {
            "type": "bar",
            "title": _("Feedback coverage and mean satisfaction"),
            "labels": labels,
            "percent": True,
            "datasets": [
                {
                    "label": _("Coverage (%)"),
                    "data": [_number(f.coverage_percent) for _m, f in months],
                },
                {
                    "label": _("Mean satisfaction (1–5)"),
                    "data": [_number(f.satisfaction_mean) for _m, f in months],
                    "type": "line",
                    "yAxisID": "y2",
                },
            ],
        },
        "vouchers": {
            "type": "bar",
            "title": _("Vouchers per month (¥)"),
            "labels": labels,
            "datasets": [
                {"label": _("Issued"), "data": [_number(f.issued) for _m, f in months]},
                {
                    "label": _("Redeemed"),
                    "data": [_number(f.redeemed) for _m, f in months],
                },
                {
                    "label": _("Expired"),
                    "data": [_number(f.expired) for _m, f in months],
                },
            ],
        },
        "volunteers": {
            "type": "bar",
            "title": _("Volunteer hours per month"),
            "labels": labels,
            "datasets": [
                {
                    "label": _("Hours"),
                    "data": [_number(f.volunteer_hours) for _m, f in months],
                }
            ],
        },
    }
