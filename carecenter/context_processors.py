from carecenter.scoping import scope_of


def navigation(request):
    """Role flags for the navigation bar; the menu shows only what the user may open."""
    user = getattr(request, "user", None)
    scope = scope_of(user) if user is not None else None
    if scope is None or scope.is_empty:
        return {"nav": {}}
    return {
        "nav": {
            "is_administrator": scope.everything,
            "is_supervisor": bool(scope.supervised_district_ids),
            "works_at_station": bool(scope.work_station_ids),
            "is_manager": bool(scope.manager_station_ids),
            "is_volunteer": bool(scope.volunteer_station_ids),
            # Their home is "My elders" (the home page sends them there): the
            # links go there directly, which also works on a phone without signal.
            "volunteer_only": bool(scope.volunteer_station_ids)
            and not scope.everything
            and not scope.supervised_district_ids
            and not scope.work_station_ids,
            "sees_stations": scope.everything
            or bool(scope.supervised_district_ids)
            or len(scope.work_station_ids) > 1,
        }
    }
