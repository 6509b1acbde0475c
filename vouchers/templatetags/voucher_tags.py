from django import template

from elders.eligibility import REASONS

register = template.Library()


@register.filter
def reason_labels(codes) -> list[str]:
    """Reason codes of a grant, in words (the eligibility module's labels)."""
    return [str(REASONS.get(code, code)) for code in codes or []]
