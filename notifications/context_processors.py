from notifications import selectors


def unread(request):
    """The header's inbox badge: how many notifications the signed-in person has not read."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": selectors.notification_unread_count(recipient=user)}
