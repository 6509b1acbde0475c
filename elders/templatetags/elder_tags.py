from django import template

from elders.id_numbers import mask

register = template.Library()


@register.simple_tag
def elder_id(elder, full_id_stations) -> str:
    """The ID number, whole only where the viewer may see it (managers, admins)."""
    return (
        elder.id_number
        if elder.station_id in full_id_stations
        else mask(elder.id_number)
    )
