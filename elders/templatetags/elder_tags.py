from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from elders.id_numbers import mask

register = template.Library()

#: The tier badge's words (``elders/_tier_badge.html`` draws it with this filter).
_TIER_WORDS = {
    "free": _("Free"),
    "low_cost": _("Low-cost"),
    "paid": _("Paid"),
}


@register.filter
def id_mask(last4: str) -> str:
    """A resident ID number as lists show it: its last four characters only."""
    return mask(last4)


@register.filter
def tier_badge(tier: str) -> str:
    """An elder's tier as a coloured badge, built directly (a list of 25 elders
    draws 25); ``elders/_tier_badge.html`` is this filter for an include."""
    return format_html(
        '<span class="badge tier-badge tier-{}">{}</span>',
        tier,
        _TIER_WORDS.get(tier, _("Ineligible")),
    )
