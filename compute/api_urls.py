"""Compute API routes, mounted at /api/v1/compute/ (see compute/apis.py)."""

from django.urls import path

from compute import apis, apis_buyer, apis_x402

urlpatterns = [
    path("environments", apis.EnvironmentListApi.as_view(), name="compute-environments"),
    path("jobs", apis.JobListApi.as_view(), name="compute-jobs"),
    # Paid with x402 v2 by callers without an account (compute/apis_x402.py)
    path(
        "x402/listings/<slug:slug>/jobs", apis_x402.X402JobApi.as_view(), name="compute-x402-jobs"
    ),
    path("jobs/<uuid:uuid>", apis.JobDetailApi.as_view(), name="compute-job"),
    path("jobs/<uuid:uuid>/cancel", apis.JobCancelApi.as_view(), name="compute-job-cancel"),
    path("jobs/<uuid:uuid>/log", apis.JobLogApi.as_view(), name="compute-job-log"),
    path(
        "jobs/<uuid:uuid>/outputs-review",
        apis.JobOutputsReviewApi.as_view(),
        name="compute-job-outputs-review",
    ),
    path(
        "jobs/<uuid:uuid>/outputs/<path:path>",
        apis_buyer.JobOutputFileApi.as_view(),
        name="compute-job-output-file",
    ),
    path(
        "jobs/<uuid:uuid>/manifest",
        apis_buyer.JobManifestApi.as_view(),
        name="compute-job-manifest",
    ),
    path("receipts/<str:uid>", apis.ReceiptApi.as_view(), name="compute-receipt"),
    path(
        "listings/<slug:slug>/compute",
        apis_buyer.ListingComputeApi.as_view(),
        name="compute-listing-offer",
    ),
    path("listings/<slug:slug>/compute-policy", apis.PolicyApi.as_view(), name="compute-policy"),
    path(
        "listings/<slug:slug>/compute-policy/algorithms",
        apis.TrustedAlgorithmListApi.as_view(),
        name="compute-algorithms",
    ),
    path(
        "listings/<slug:slug>/compute-policy/algorithms/<int:pk>",
        apis.TrustedAlgorithmDetailApi.as_view(),
        name="compute-algorithm",
    ),
]
