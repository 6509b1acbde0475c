from django import template

from elders.id_numbers import mask

register = template.Library()


@register.filter
def id_mask(last4: str) -> str:
    """A resident ID number as lists show it: its last four characters only."""
    return mask(last4)
