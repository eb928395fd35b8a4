from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


@ensure_csrf_cookie  # the wallet sign-in script posts with the CSRF cookie's token
def home(request):
    return render(request, "home.html")


def health(request):
    """Liveness for load balancers: the database answers. Later issues add chain/indexer lag."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
