from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import ensure_csrf_cookie

from chain.indexer import indexer_status


@ensure_csrf_cookie  # the wallet sign-in script posts with the CSRF cookie's token
def home(request):
    return render(request, "home.html")


@cache_control(public=True, max_age=86400)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says (and for JSON and files too)."""
    svg = (settings.BASE_DIR / "static" / "favicon.svg").read_bytes()
    return HttpResponse(svg, content_type="image/svg+xml")


def live(request):
    """Liveness: the process answers. No database or chain, so it is cheap enough for a load
    balancer to poll often (and the baseline benchmarks compare against)."""
    return HttpResponse("ok", content_type="text/plain")


def health(request):
    """Health for load balancers and alerts: the database answers (503 otherwise, from
    marketplace.middleware), and the event indexer has not stopped (503 with the reason: a
    reorg deeper than its kept hashes needs an operator). Also the indexer's lag behind the
    chain head (head and lag read "unavailable" when the node does not answer within a second;
    that is reported, not a failure of this process)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    indexer = indexer_status()
    if indexer["stopped"]:
        return JsonResponse({"status": "indexer_stopped", "indexer": indexer}, status=503)
    return JsonResponse({"status": "ok", "indexer": indexer})
