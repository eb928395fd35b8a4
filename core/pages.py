"""Pages show a service's refusal (core.errors.ApiError) in one way: beside the form that was
sent, or as a message at the top of the page, and with the error's own 4xx status."""

from django.contrib import messages
from django.forms import BaseFormSet

from core.errors import ApiError


def show_error(request, exc: ApiError, *, form=None, field: str | None = None) -> int:
    """Show `exc` on `form` (on `field`, or above the form; a formset above its forms), or as a
    flash message when there is no form. Returns the status the page should answer with."""
    if isinstance(form, BaseFormSet):
        form.non_form_errors().append(exc.message)
    elif form is not None:
        form.add_error(field, exc.message)
    else:
        messages.error(request, exc.message)
    return exc.status
