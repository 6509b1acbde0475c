"""The vocabulary of care services (PRODUCT.md, "Services").

The codes are stable: needs surveys store them, the API speaks them, and the
services app seeds its editable catalogue (names, units, prices) from this list.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceKind(models.TextChoices):
    MEAL = "meal", _("Meal help (助餐)")
    MEAL_DELIVERY = "meal_delivery", _("Meal delivery")
    CLEANING = "cleaning", _("Cleaning (助洁)")
    BATHING = "bathing", _("Bathing (助浴)")
    MEDICAL = "medical", _("Medical help (助医)")
    MOBILITY = "mobility", _("Mobility help (助行)")
    EMERGENCY = "emergency", _("Emergency help (助急)")
    DAY_CARE = "day_care", _("Day care (托老)")
    HOUSEKEEPING = "housekeeping", _("Housekeeping")
    HEALTH_CHECK = "health_check", _("Health check (blood pressure, sugar)")
    REHAB = "rehab", _("Rehabilitation")
    CHAT = "chat", _("Spiritual comfort and chat")
    COUNSELLING = "counselling", _("Psychological counselling")
    ERRANDS = "errands", _("Errands and purchasing (代购代办)")
    LEGAL_AID = "legal_aid", _("Legal aid")
    CULTURE = "culture", _("Cultural and sports activities")
    REPAIR = "repair", _("Plumbing and electrical repair")


#: The daily services taken on day sheets: recorded at most once per elder,
#: service and day (PRODUCT.md "A station's day").
DAY_SHEET_KINDS = (ServiceKind.MEAL, ServiceKind.MEAL_DELIVERY, ServiceKind.DAY_CARE)
