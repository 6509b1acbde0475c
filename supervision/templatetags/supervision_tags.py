"""Showing the dashboard's figures: one format per column kind."""

from __future__ import annotations

from decimal import Decimal

from django import template

from supervision.tables import DECIMAL, MONEY, PERCENT, TEXT

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


@register.filter
def cells(table, row):
    """``(value, kind)`` pairs of a row of ``table``."""
    return table.cells(row)


@register.filter
def chart_title(charts: dict, key: str) -> str:
    return charts.get(key, {}).get("title", "")
