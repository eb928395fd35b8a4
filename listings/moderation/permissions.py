"""Who may use moderation: moderators (group "moderators", and superusers) for the queue and
reports; admins (superusers) for the deny-list and the audit log. Signed-in users without the
role get 403; anonymous visitors are sent to sign in (pages) or get 401/403 (API)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

MODERATOR, ADMIN = "moderator", "admin"


def has_role(user, role: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser if role == ADMIN else user.is_moderator


def role_required(role: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role):
                raise PermissionDenied("Moderators only.")
            return view(request, *args, **kwargs)

        wrapper.moderation_role = role
        return wrapper

    return decorator


class IsModerator(BasePermission):
    message = "Only moderators may do this."
    role = MODERATOR

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, self.role)


class IsAdmin(IsModerator):
    message = "Only admins may do this."
    role = ADMIN
