from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def as_hours(minutes) -> str:
    """Minutes as hours with one decimal (``90`` → ``1.5``); empty for none."""
    if not minutes:
        return "0"
    return f"{minutes / 60:.1f}"


@register.filter
def duration(minutes) -> str:
    """Minutes as "1 h 30 min"."""
    minutes = int(minutes or 0)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": rest}


@register.filter
def by_month(row, months) -> list[int]:
    """An hours row's minutes for each of ``months``."""
    return row.by_month(months)
