"""Compute pages, mounted at /compute/."""

from django.urls import path

from compute import views

app_name = "compute"

urlpatterns = [
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<uuid:uuid>/", views.job_detail, name="job"),
    path("jobs/<uuid:uuid>/cancel", views.job_cancel, name="job-cancel"),
    path("jobs/<uuid:uuid>/receipt", views.job_receipt, name="job-receipt"),
    path("jobs/<uuid:uuid>/manifest", views.job_manifest, name="job-manifest"),
    path("jobs/<uuid:uuid>/outputs/<path:path>", views.job_output, name="job-output"),
    path("listings/<slug:slug>/jobs/new", views.job_submit, name="job-submit"),
    path("listings/<slug:slug>/policy", views.policy_edit, name="policy"),
]
