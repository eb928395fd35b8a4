"""The upload API under /api/v1/artifacts/ (modelled on tus: offsets in headers, resumable).

    POST  uploads/               {filename, size, content_type?, sha256?} → 201 upload
    GET   uploads/<id>/          (or HEAD) → upload; header Upload-Offset: where to resume
    PATCH uploads/<id>/chunk     body = bytes, headers Upload-Offset, Content-Length,
                                 Content-Type: application/offset+octet-stream,
                                 optional Upload-Checksum: sha256 <base64> → 200 upload
    POST  uploads/<id>/finish    {sha256?} → 200 upload with its artifact {cid, sha256, size}
    POST  uploads/<id>/cancel    → 200 upload (failed)
    GET   <cid>/                 → artifact {cid, sha256, size, created_at}

Errors use the project's format; an offset conflict also carries `error.offset` and the
Upload-Offset header. Codes: offset_mismatch (409), upload_busy (409), upload_closed (409),
checksum_mismatch (460), too_large (413), unsupported_type (415), length_required (411),
chunk_incomplete / sha256_mismatch / invalid (400), not_found (404), storage_unavailable (503).
"""

import io
import logging

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from artifacts import selectors, services
from artifacts.parts import Checksum
from artifacts.storage import StorageError
from core.errors import ApiError

logger = logging.getLogger(__name__)
CHUNK_CONTENT_TYPES = ("application/offset+octet-stream", "application/octet-stream")


class ArtifactOutputSerializer(serializers.Serializer):
    cid = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class UploadOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    filename = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    offset = serializers.IntegerField(source="received")
    status = serializers.CharField()
    chunk_size = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    artifact = ArtifactOutputSerializer(allow_null=True)
    urls = serializers.SerializerMethodField()

    def get_chunk_size(self, upload) -> int:
        return settings.UPLOAD_CHUNK_BYTES

    def get_urls(self, upload) -> dict:
        name = "artifacts-api:upload-{}".format
        return {
            what: reverse(name(what), kwargs={"upload_id": upload.pk})
            for what in ("detail", "chunk", "finish", "cancel")
        }


class UploadApi(APIView):
    """Common ground of the upload endpoints: signed-in users only; resumption headers."""

    permission_classes = [IsAuthenticated]

    def respond(self, upload, *, status_code=status.HTTP_200_OK) -> Response:
        response = Response(UploadOutputSerializer(upload).data, status=status_code)
        response["Upload-Offset"] = str(upload.received)
        response["Upload-Length"] = str(upload.size)
        response["Cache-Control"] = "no-store"
        return response

    def handle_exception(self, exc):
        if isinstance(exc, StorageError):
            logger.exception("artifact storage failed")
            exc = ApiError(
                "The file store is unavailable right now; try again in a minute.",
                code="storage_unavailable",
                status=503,
            )
        response = super().handle_exception(exc)
        if isinstance(exc, services.UploadOffsetConflict):
            response["Upload-Offset"] = str(exc.offset)
            response.data["error"]["offset"] = exc.offset
        response["Cache-Control"] = "no-store"
        return response

    def get_upload(self, request, upload_id):
        return selectors.upload_get_for_owner(upload_id=upload_id, owner=request.user)


class UploadCreateApi(UploadApi):
    throttle_scope = "uploads"  # settings.API_THROTTLE_RATES: starting uploads is rate-limited

    class InputSerializer(serializers.Serializer):
        filename = serializers.CharField(max_length=1024)
        size = serializers.IntegerField(min_value=0)
        content_type = serializers.CharField(max_length=255, required=False, allow_blank=True)
        sha256 = serializers.CharField(max_length=64, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses={201: UploadOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = services.upload_create(owner=request.user, **data.validated_data)
        return self.respond(upload, status_code=status.HTTP_201_CREATED)


class UploadDetailApi(UploadApi):
    """GET or HEAD: where the upload stands (a client resumes from `offset`)."""

    @extend_schema(responses=UploadOutputSerializer)
    def get(self, request, upload_id):
        return self.respond(self.get_upload(request, upload_id))


class UploadChunkApi(UploadApi):
    @extend_schema(
        request={"application/offset+octet-stream": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter("Upload-Offset", int, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("Upload-Checksum", str, OpenApiParameter.HEADER),
        ],
        responses=UploadOutputSerializer,
    )
    def patch(self, request, upload_id):
        upload = self.get_upload(request, upload_id)
        offset, length = _chunk_position(request)
        checksum = request.headers.get("Upload-Checksum")
        upload = services.upload_append_chunk(
            upload=upload,
            offset=offset,
            stream=request.stream or io.BytesIO(),
            length=length,
            checksum=Checksum.parse(checksum) if checksum else None,
        )
        return self.respond(upload)

    put = patch


def _chunk_position(request) -> tuple[int, int]:
    """Upload-Offset and Content-Length, checked before a byte of the body is read."""
    content_type = request.content_type.split(";", 1)[0].strip().lower()
    if content_type not in CHUNK_CONTENT_TYPES:
        raise ApiError(
            "Send chunks as application/offset+octet-stream.", code="unsupported_type", status=415
        )
    try:
        offset = int(request.headers.get("Upload-Offset", ""))
    except ValueError:
        offset = -1
    if offset < 0:
        raise ApiError("Upload-Offset must be the byte offset of this chunk.", code="invalid")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        raise ApiError(
            "Chunks need a Content-Length.", code="length_required", status=411
        ) from None
    return offset, length


class UploadFinishApi(UploadApi):
    class InputSerializer(serializers.Serializer):
        sha256 = serializers.CharField(max_length=64, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=UploadOutputSerializer)
    def post(self, request, upload_id):
        upload = self.get_upload(request, upload_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = services.upload_finish(upload=upload, **data.validated_data)
        return self.respond(upload)


class UploadCancelApi(UploadApi):
    @extend_schema(request=None, responses=UploadOutputSerializer)
    def post(self, request, upload_id):
        upload = services.upload_cancel(upload=self.get_upload(request, upload_id))
        return self.respond(upload)


class ArtifactDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ArtifactOutputSerializer)
    def get(self, request, cid):
        artifact = selectors.artifact_get_for_user(cid=cid, user=request.user)
        return Response(ArtifactOutputSerializer(artifact).data)
