"""Mounted at /api/v1/artifacts/ (see apis.py for the protocol)."""

from django.urls import path

from artifacts import apis

app_name = "artifacts-api"

urlpatterns = [
    path("uploads/", apis.UploadCreateApi.as_view(), name="upload-create"),
    path("uploads/<uuid:upload_id>/", apis.UploadDetailApi.as_view(), name="upload-detail"),
    path("uploads/<uuid:upload_id>/chunk", apis.UploadChunkApi.as_view(), name="upload-chunk"),
    path("uploads/<uuid:upload_id>/finish", apis.UploadFinishApi.as_view(), name="upload-finish"),
    path("uploads/<uuid:upload_id>/cancel", apis.UploadCancelApi.as_view(), name="upload-cancel"),
    path("<str:cid>/", apis.ArtifactDetailApi.as_view(), name="artifact-detail"),
]
