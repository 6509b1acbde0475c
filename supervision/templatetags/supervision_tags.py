"""Showing the dashboard's figures: one format per column kind."""

from __future__ import annotations

from decimal import Decimal
from html import escape  # the standard library's: no lazy-string wrapper per cell

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from supervision.tables import DECIMAL, MONEY, PERCENT, TEXT, Table

register = template.Library()


@register.filter
def figure(value, kind: str = ""):
    """``1,234``, ``¥1,234.00``, ``4.3``, ``87%``; an em dash for no figure."""
    if value is None or value == "":
        return "" if kind == TEXT else "—"
    if kind == TEXT or isinstance(value, str):
        return value
    if kind == MONEY:
        return f"¥{Decimal(value):,.2f}"
    if kind == DECIMAL:
        return f"{Decimal(value):,.1f}"
    if kind == PERCENT:
        return f"{value}%"
    return f"{int(value):,}"


def _cell(value, kind: str, *, head: bool = False, url: str = "") -> str:
    text = escape(figure(value, kind))
    if url:
        text = f'<a href="{escape(url)}">{text}</a>'
    if head:
        return f'<th scope="row" class="fw-normal">{text}</th>'
    return f'<td class="text-end">{text}</td>' if kind != TEXT else f"<td>{text}</td>"


@register.simple_tag
def figures_table(table: Table) -> SafeString:
    """The ``<table>`` of a dashboard table, built in Python: a district's tables
    hold thousands of cells, too many for template loops within the page's budget.
    """
    kinds = [c.kind for c in table.columns]
    head = []
    for column in table.columns:
        classes = [] if column.kind == TEXT else ["text-end"]
        if column.nowrap:
            classes.append("text-nowrap")
        head.append(
            f'<th scope="col" class="{" ".join(classes)}">{escape(column.label)}</th>'
        )
    rows = []
    for row in table.rows:
        cells = [_cell(row.cells[0], TEXT, head=True, url=row.url)]
        cells += [_cell(v, k) for v, k in zip(row.cells[1:], kinds[1:], strict=True)]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if not rows:
        rows.append(
            f'<tr><td colspan="{len(kinds)}" class="text-center text-body-secondary'
            f' py-3">{escape(_("No figures for this period."))}</td></tr>'
        )
    foot = ""
    if table.footer is not None:
        cells = [f'<th scope="row">{escape(str(table.footer[0]))}</th>']
        cells += [_cell(v, k) for v, k in zip(table.footer[1:], kinds[1:], strict=True)]
        foot = (
            '<tfoot class="table-light fw-semibold"><tr>'
            + "".join(cells)
            + "</tr></tfoot>"
        )
    # Every value above went through escape().
    return mark_safe(
        '<table class="table table-sm table-hover align-middle mb-1 figures-table"'
        f' data-table="{escape(table.key)}">'
        f'<thead class="table-light"><tr>{"".join(head)}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody>{foot}</table>"
    )


@register.filter
def chart_title(charts: dict, key: str) -> str:
    return charts.get(key, {}).get("title", "")
