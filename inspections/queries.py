"""Reads of the inspection pages and API: scoped through ``carecenter.scoping``,
each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecenter.audit import history_of
from carecenter.home import Notice, count_by_station, home_counter, home_notice
from carecenter.scoping import get_visible_or_404, visible_to
from inspections import rules
from inspections.models import (
    PENDING_FINDING,
    Decision,
    Finding,
    FindingAnswer,
    FindingStatus,
    FundingDecision,
    Inspection,
)


def inspection_list(*, user, year: int | None = None) -> QuerySet[Inspection]:
    """The inspections the user may read, with their pending findings counted."""
    inspections = visible_to(
        user, Inspection.objects.select_related("station", "decided_by")
    ).annotate(
        pending_findings=Count(
            "findings", filter=Q(findings__status__in=PENDING_FINDING)
        ),
        answered_findings=Count(
            "findings", filter=Q(findings__status=FindingStatus.ANSWERED)
        ),
    )
    if year is not None:
        inspections = inspections.filter(year=year)
    return inspections.order_by("-year", "station__code")


def inspection_years(*, user) -> list[int]:
    """The years of the inspections the user may read, newest first."""
    return list(
        visible_to(user, Inspection.objects.all())
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )


def inspection_detail(*, user, pk: int) -> Inspection:
    return get_visible_or_404(
        user,
        Inspection.objects.select_related(
            "station__district", "decided_by", "checklist_confirmed_by"
        ),
        pk=pk,
    )


def inspection_findings(inspection: Inspection) -> list[Finding]:
    """The findings with their answers (and who gave and re-checked them)."""
    answers = FindingAnswer.objects.select_related("answered_by", "rechecked_by")
    return list(
        inspection.findings.select_related("created_by")
        .prefetch_related(Prefetch("answers", queryset=answers))
        .order_by("deadline", "pk")
    )


def inspection_decisions(inspection: Inspection) -> list[Decision]:
    return list(
        inspection.decisions.select_related("decided_by").order_by("-decided_at", "-pk")
    )


def inspection_history(inspection: Inspection, decisions: list[Decision]):
    """The inspection's change history, readable: deductions as labels and points;
    users by name and times in local time come with every history."""

    def deductions(value):
        return "; ".join(
            f"{d.label or d.code} −{d.points}" for d in rules.describe(value or [])
        )

    return history_of(inspection, limit=30, display={"deductions": deductions})


def finding_detail(*, user, pk: int) -> Finding:
    return get_visible_or_404(
        user, Finding.objects.select_related("station", "inspection"), pk=pk
    )


def answer_detail(*, user, pk: int) -> FindingAnswer:
    return get_visible_or_404(
        user,
        FindingAnswer.objects.select_related("station", "finding__inspection"),
        pk=pk,
    )


@dataclass
class Detail:
    """What the inspection page shows besides the inspection itself."""

    assessment: rules.Assessment
    deductions: list[rules.Deduction]
    reason: str
    findings: list[Finding]
    decisions: list[Decision]


def inspection_page(inspection: Inspection) -> Detail:
    """The indicators judged now (all of them, passed or not) and the stored
    deductions (what the score and recommendation were computed from)."""
    return Detail(
        assessment=rules.assess(inspection),
        deductions=rules.describe(inspection.deductions),
        reason=rules.recommendation_reason(inspection.score, inspection.recommendation),
        findings=inspection_findings(inspection),
        decisions=inspection_decisions(inspection),
    )


# --- The home page --------------------------------------------------------------------


@home_counter(
    "findings_to_rectify",
    gettext_lazy("Inspection findings to rectify"),
    url_name="inspections:list",
    warn=True,
)
def findings_to_rectify_counts(stations: QuerySet) -> dict[int, int]:
    return count_by_station(
        Finding.objects.filter(station__in=stations, status=FindingStatus.OPEN)
    )


_NOTICE_LEVEL = {
    FundingDecision.CONTINUE: "success",
    FundingDecision.STOP: "danger",
    FundingDecision.RECOVER: "warning",
}


@home_notice
def decision_notices(stations: QuerySet) -> list[Notice]:
    """The station's latest funding decision, for its manager and staff (one query)."""
    latest = (
        Inspection.objects.filter(station__in=stations)
        .exclude(decision="")
        .order_by("station_id", "-decided_at", "-pk")
        .distinct("station_id")
    )
    notices = []
    for inspection in latest:
        text = _("Annual inspection %(year)s: %(decision)s.") % {
            "year": inspection.year,
            "decision": inspection.get_decision_display(),
        }
        if inspection.decision == FundingDecision.RECOVER:
            text += " " + _("Amount to recover: ¥%(amount)s.") % {
                "amount": inspection.recover_amount
            }
        if inspection.decision_reason:
            text += " " + _("Reason: %(reason)s") % {
                "reason": inspection.decision_reason
            }
        notices.append(
            Notice(
                station_id=inspection.station_id,
                text=text,
                url=inspection.get_absolute_url(),
                level=_NOTICE_LEVEL[inspection.decision],
            )
        )
    return notices
