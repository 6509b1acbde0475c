"""The dashboard's figures for ``seed_demo``: every month of the demo data."""

from __future__ import annotations

from carecenter.months import add_months
from supervision import actions
from supervision.models import RefreshTrigger


def seed_dashboard_figures(command, stations, users) -> None:
    last = actions.this_month()
    run = actions.figures_refresh(
        first=add_months(last, -23), last=last, trigger=RefreshTrigger.DEMO
    )
    command.stdout.write(f"dashboard: {run.figures_written} figures written")
