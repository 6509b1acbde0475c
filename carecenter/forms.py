"""Small pieces every app's forms share."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def add_action_errors(form, exc: ValidationError) -> None:
    """Show an action's ``ValidationError`` on the form's fields (or above them)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            if field == NON_FIELD_ERRORS:
                target = None
            form.add_error(target, errors)
    else:
        form.add_error(None, exc.messages)
