"""The site's URLs plus one API route nobody wrote a matrix row for (test_access_matrix)."""

from django.urls import path
from rest_framework.views import APIView

from marketplace.urls import urlpatterns as site


class UnlistedApi(APIView):
    def get(self, request):  # pragma: no cover - never called
        raise NotImplementedError


urlpatterns = [path("api/v1/unlisted", UnlistedApi.as_view()), *site]
