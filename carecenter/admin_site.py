from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class CareCenterAdminSite(admin.AdminSite):
    site_header = _("carecenter administration")
    site_title = _("carecenter administration")
    index_title = _("Districts, stations, users and policies")

    def has_permission(self, request) -> bool:
        """The admin is for administrators only, not for every ``is_staff`` user."""
        return request.user.is_active and request.user.is_administrator
