"""The OpenAPI schema of ``/api/v1/``: every operation declares the errors it answers.

drf-spectacular documents only the success of an operation; clients generated from
the schema then fail on a 400 they were never told about. ``AutoSchema`` adds, to
every operation, the error answers the API's one set of rules gives:

- ``400`` (validation errors, by field) where there is a body or a query to refuse;
- ``401`` (no or a bad token; ``WWW-Authenticate: Token``) and ``403`` (the role may
  not do this) wherever credentials are needed;
- ``404`` where a path or a query names an object (another station's answers
  like a missing one) or a list can be asked for a page past its end.

An operation's own ``@extend_schema(responses={...})`` still wins for a code it sets.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent

DETAIL = {
    "type": "object",
    "description": "What went wrong, in the caller's language.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERRORS = {
    "description": (
        "The messages for each refused field (``non_field_errors`` for the request "
        "as a whole); a batch gives them by the index of each refused item."
    ),
    "oneOf": [
        {"type": "object", "additionalProperties": {}},
        {"type": "array", "items": {}},
    ],
}
WRITES = {"POST", "PUT", "PATCH"}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p["in"] == "query"}
        in_path = any(p["in"] == "path" for p in parameters)
        needs_credentials = any(operation.get("security") or [{}])

        errors = {}
        if self.method in WRITES or query:
            errors["400"] = self._error(
                "ValidationErrors", VALIDATION_ERRORS, "Refused input."
            )
        if needs_credentials:
            unauthorised = self._error(
                "ErrorDetail",
                DETAIL,
                "No credentials, or a token that is unknown or has expired.",
            )
            unauthorised["headers"] = {
                "WWW-Authenticate": {
                    "description": "How to authenticate: ``Token``.",
                    "required": True,
                    "schema": {"type": "string"},
                }
            }
            errors["401"] = unauthorised
            errors["403"] = self._error(
                "ErrorDetail", DETAIL, "The caller's role may not do this."
            )
        if in_path or query:
            errors["404"] = self._error(
                "ErrorDetail",
                DETAIL,
                "No such object within the caller's stations, or no such page.",
            )
        for code, response in errors.items():
            responses.setdefault(code, response)
        return operation

    def map_parsers(self):
        """JSON bodies only, where the view reads JSON: the API is documented as
        JSON, and form encoding cannot say ``true`` from ``"true"``. A view that
        takes only uploads keeps its multipart body."""
        media_types = super().map_parsers()
        if "application/json" in media_types:
            return ["application/json"]
        return media_types

    def _error(self, name: str, schema: dict, description: str) -> dict:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
        )
        self.registry.register_on_missing(component)
        return {
            "description": description,
            "content": {"application/json": {"schema": component.ref}},
        }
