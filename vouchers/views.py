"""Voucher pages: cycles and their runs, an elder's vouchers, the monthly report and
the provider statements. Reads go through ``vouchers.queries``, writes through
``vouchers.actions``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecenter.exports import xlsx_response
from carecenter.pagination import page_context
from carecenter.scoping import (
    can_write,
    report_stations,
    require_write,
    station_reader_required,
    writable_stations,
)
from vouchers import actions, queries
from vouchers.exports import statement_workbook
from vouchers.forms import IssueForm, MonthFilterForm, parse_month
from vouchers.models import CycleStatus, RunTrigger

PAGE_SIZE = 50


def _month_filters(request, *, default_this_month: bool):
    stations = report_stations(request.user).filter(is_active=True)
    data = request.GET.copy()
    if default_this_month and not data.get("month"):
        data["month"] = f"{timezone.localdate():%Y-%m}"
    form = MonthFilterForm(data, stations=stations)
    criteria = form.cleaned_data if form.is_valid() else {}
    return form, criteria.get("month"), criteria.get("station")


@station_reader_required
def cycle_list(request):
    filters, month, station = _month_filters(request, default_this_month=False)
    cycles = queries.cycle_list(user=request.user, month=month, station=station)
    context = page_context(request, cycles, size=PAGE_SIZE)
    managed = writable_stations(request.user, manager=True)
    context.update(
        {
            "filters": filters,
            "cycles": context["page_obj"].object_list,
            "issue_form": IssueForm(
                stations=managed, may_backdate=request.user.is_administrator
            )
            if managed.exists()
            else None,
        }
    )
    return render(request, "vouchers/cycle_list.html", context)


@station_reader_required
@require_POST
def cycle_issue(request):
    form = IssueForm(
        request.POST,
        stations=writable_stations(request.user, manager=True),
        may_backdate=request.user.is_administrator,
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("vouchers:cycles")
    try:
        result = actions.cycle_issue(
            actor=request.user,
            station=form.cleaned_data["station"],
            month=form.cleaned_data["month"],
            trigger=RunTrigger.WEB,
            reason=form.cleaned_data.get("reason", ""),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("vouchers:cycles")
    cycle = result.cycles[0]
    messages.success(
        request,
        _("%(n)d new grants issued, ¥%(amount)s. The cycle has %(total)d grants.")
        % {
            "n": result.grants_created,
            "amount": result.amount_created,
            "total": cycle.grants_count,
        },
    )
    return redirect(cycle)


@station_reader_required
def cycle_detail(request, pk: int):
    cycle = queries.cycle_detail(user=request.user, pk=pk)
    tier = request.GET.get("tier", "")
    context = page_context(
        request, queries.cycle_grants(cycle, tier=tier), size=PAGE_SIZE
    )
    may_approve = cycle.status == CycleStatus.DRAFT and can_write(
        request.user, cycle.station, manager=True
    )
    context.update(
        {
            "cycle": cycle,
            "grants": context["page_obj"].object_list,
            "tier": tier,
            "changes": queries.cycle_changes(cycle, limit=200),
            "runs": list(queries.cycle_runs(cycle)[:20]),
            "may_approve": may_approve,
        }
    )
    return render(request, "vouchers/cycle_detail.html", context)


@station_reader_required
@require_POST
def cycle_approve(request, pk: int):
    cycle = queries.cycle_detail(user=request.user, pk=pk)
    require_write(request.user, cycle.station, manager=True)  # 403 to other roles
    try:
        actions.cycle_approve(actor=request.user, cycle=cycle)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except PermissionDenied as exc:  # maker-checker: the one who ran it by hand
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The cycle is approved: its vouchers can be spent.")
        )
    return redirect(cycle)


@station_reader_required
def elder_vouchers(request, pk: int):
    today = timezone.localdate()
    found = queries.elder_vouchers(user=request.user, elder_pk=pk, on=today)
    context = page_context(request, queries.elder_entries(found.elder), size=30)
    context.update(
        {
            "elder": found.elder,
            "balance": found.balance,
            "spendable": found.spendable,
            "grants": found.grants,
            "entries": context["page_obj"].object_list,
            "today": today,
        }
    )
    return render(request, "vouchers/elder.html", context)


@station_reader_required
def report(request):
    filters, month, station = _month_filters(request, default_this_month=True)
    month = month or timezone.localdate().replace(day=1)
    return render(
        request,
        "vouchers/report.html",
        {
            "filters": filters,
            "report": queries.monthly_report(
                user=request.user, month=month, station=station
            ),
        },
    )


@station_reader_required
def statements(request):
    filters, month, station = _month_filters(request, default_this_month=True)
    month = month or timezone.localdate().replace(day=1)
    lines = queries.provider_statements(user=request.user, month=month, station=station)
    return render(
        request,
        "vouchers/statements.html",
        {
            "filters": filters,
            "month": month,
            "lines": lines,
            "total_vouchers": sum(line.voucher_paid for line in lines),
            "total_records": sum(line.records for line in lines),
            "totals": queries.statement_totals(
                user=request.user, month=month, lines=lines, station=station
            ),
        },
    )


def _statement(request, provider_pk: int):
    try:
        month = parse_month(request.GET.get("month", ""))
    except ValueError:
        month = timezone.localdate().replace(day=1)
    return queries.provider_statement(
        user=request.user, provider_pk=provider_pk, month=month
    )


@station_reader_required
def statement(request, provider_pk: int):
    found = _statement(request, provider_pk)
    return render(request, "vouchers/statement.html", {"statement": found})


@station_reader_required
def statement_export(request, provider_pk: int):
    found = _statement(request, provider_pk)
    return xlsx_response(
        request,
        statement_workbook(found),
        filename=f"statement-{found.provider.pk}-{found.month:%Y-%m}.xlsx",
        what="vouchers:statement",
        station=found.provider.station_id,
    )


@login_required
def reconciliation(request):
    """The reconciliation runs and what the latest found (administrators)."""
    if not request.user.is_administrator:
        raise PermissionDenied
    runs = queries.reconciliation_runs()
    return render(
        request,
        "vouchers/reconciliation.html",
        {"runs": runs, "latest": runs[0] if runs else None},
    )
