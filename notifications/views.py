"""The inbox page: newest first, unread ones marked; "Mark all as read" is a POST."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from notifications import selectors, services


@login_required
def inbox(request):
    items = selectors.notification_list(recipient=request.user)
    return render(request, "notifications/inbox.html", {"items": items})


@login_required
@require_POST
def mark_read(request):
    services.notification_mark_read(recipient=request.user)
    return redirect("notifications:inbox")
