"""The "My licences" page: what the signed-in wallet holds, as the indexer derived it from chain
events, and the purchases this browser started that have not been granted yet."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from payments import selectors


@login_required
def my_licences(request):
    entitlements = selectors.entitlement_list_for_holder(address=request.user.address).order_by(
        "listing__title", "tier__position"
    )
    now = timezone.now()
    rows = [{"entitlement": e, "active": e.is_active(now)} for e in entitlements]
    # Access given by approving a request is no token, but it is a licence all the same.
    grants = selectors.grant_list_for_holder(address=request.user.address).order_by(
        "listing__title", "tier__position"
    )
    rows += [{"entitlement": g, "active": g.is_active(now), "grant": True} for g in grants]
    config = {"address": request.user.address, "explorerTxUrl": settings.CHAIN_EXPLORER_TX_URL}
    return render(request, "payments/my_licences.html", {"rows": rows, "licences_config": config})
