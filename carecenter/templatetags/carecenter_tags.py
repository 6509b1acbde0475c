from django import template

from carecenter.models import Station
from carecenter.scoping import can_write_station

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}``: a dictionary lookup with a variable key."""
    return mapping.get(key, 0) if mapping else 0


def _station_id(obj) -> int | None:
    """The station of ``obj``: a station, anything with a ``station_id``, or None
    (no particular station: any the user may write)."""
    if obj is None or obj == "":
        return None
    if isinstance(obj, Station):
        return obj.pk
    return getattr(obj, "station_id", None)


@register.filter
def may_write(user, obj=None) -> bool:
    """``{% if request.user|may_write:record %}``: the one guard of every write
    button and form in the templates (``scoping.can_write``'s rule, from the
    user's cached scope: no query). A read-only role (supervisor, volunteer on a
    station page) sees none. Without an object: any station the user may write."""
    return can_write_station(user, _station_id(obj))


@register.filter
def may_manage(user, obj=None) -> bool:
    """The same for the station manager's buttons (approvals, overrides)."""
    return can_write_station(user, _station_id(obj), manager=True)


@register.filter
def waits(figures, counters) -> bool:
    """Does any of ``counters`` have a non-zero figure (the manager's panel)?"""
    return any(figures.get(counter.key) for counter in counters) if figures else False
