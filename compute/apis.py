"""Compute API (/api/v1/compute/...). Jobs are private to their owner (404 for anyone else).

- `GET environments`: the hosts, their capacity, price and status (anyone).
- `POST jobs` (multipart or JSON): `listing` (slug), `environment` (host name), and either
  `algorithm_cid` (a trusted algorithm, or any stored script where raw ones are allowed, with
  `entry_point`) or an `algorithm` file; optional `inputs` files and `max_seconds`. 201 with
  the job. Errors, all before queueing: see compute/services.py (403 no compute licence or
  algorithm not allowed, 400/409 host not allowed/unavailable, 402 minutes used up).
- `GET jobs`, `GET jobs/<uuid>`, `POST jobs/<uuid>/cancel` (409 once finished).
- `GET jobs/<uuid>/log?after=N`: `{text, next, status, finished}`; poll with after=next.
- `GET jobs/<uuid>/outputs/<path>`, `GET jobs/<uuid>/manifest`, `GET listings/<slug>/compute`:
  for token clients and buyers before they submit (compute/apis_buyer.py).
- `GET receipts/<uid>?output_digest=0x…`: the JobReceipt read back from the chain, and
  whether it matches the digest given (anyone; 404 for a uid that is no receipt, 503 when the
  chain is down).
- `GET|PUT listings/<slug>/compute-policy`, `POST listings/<slug>/compute-policy/algorithms`,
  `DELETE listings/<slug>/compute-policy/algorithms/<id>`: the creator's policy (404 for
  anyone else)."""

import re

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from chain.client import chain_errors
from compute import policies, receipts, selectors, services
from core.errors import ApiError
from listings import selectors as listing_selectors

# Free-form documents (the log page, a receipt, a policy): their fields are in the docstrings.
OBJECT = OpenApiResponse(OpenApiTypes.OBJECT)


class EnvironmentSerializer(serializers.Serializer):
    name = serializers.CharField()
    queue = serializers.CharField()
    gpu_model = serializers.CharField()
    gpu_count = serializers.IntegerField()
    gpu_memory_gb = serializers.IntegerField()
    cpu_count = serializers.IntegerField()
    ram_mb = serializers.IntegerField()
    disk_gb = serializers.IntegerField()
    price_per_minute_wei = serializers.CharField()
    max_duration_seconds = serializers.IntegerField()
    max_concurrent_jobs = serializers.IntegerField()
    status = serializers.CharField()
    last_seen_at = serializers.DateTimeField()


class JobSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    listing = serializers.CharField(source="listing.slug")
    environment = serializers.CharField(source="environment.name")
    algorithm_cid = serializers.CharField(source="algorithm.cid")
    entry_point = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    reason_code = serializers.CharField()
    outputs_review = serializers.CharField()
    exit_code = serializers.IntegerField(allow_null=True)
    time_limit_seconds = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    output_digest = serializers.CharField()
    receipt_uid = serializers.CharField()
    outputs = serializers.SerializerMethodField()

    def get_outputs(self, job) -> list[dict]:
        return [
            {
                "path": out.path,
                "cid": out.artifact.cid,
                "sha256": out.artifact.sha256,
                "size": out.artifact.size,
                "url": job_output_api_url(job, out.path),
            }
            for out in selectors.job_outputs_released(job=job)
        ]


def job_output_api_url(job, path: str) -> str:
    """An output's URL under the API (compute/apis_buyer.py): session or token auth, where the
    page URL /compute/jobs/<uuid>/outputs/... would send a token client to the sign-in page."""
    return reverse("compute-job-output-file", args=[job.uuid, path])


class EnvironmentListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=EnvironmentSerializer(many=True))
    def get(self, request):
        return Response(EnvironmentSerializer(selectors.environment_list(), many=True).data)


class JobListApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        listing = serializers.SlugField(max_length=160)
        environment = serializers.SlugField(max_length=60)
        algorithm_cid = serializers.CharField(max_length=100, required=False, default="")
        entry_point = serializers.CharField(max_length=100, required=False, default="")
        algorithm = serializers.FileField(required=False, allow_null=True, default=None)
        max_seconds = serializers.IntegerField(min_value=1, required=False, allow_null=True)

    @extend_schema(responses=JobSerializer(many=True))
    def get(self, request):
        jobs = selectors.job_list_for_owner(owner=request.user)[:100]
        return Response(JobSerializer(jobs, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: JobSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        listing = listing_selectors.listing_get_for_viewer(
            slug=values["listing"], viewer=request.user
        )
        job = services.job_submit(
            owner=request.user,
            listing=listing,
            request=services.JobRequest(
                environment=values["environment"],
                entry_point=values["entry_point"],
                algorithm_cid=values["algorithm_cid"],
                algorithm_file=values["algorithm"],
                inputs=tuple(request.FILES.getlist("inputs")),
                max_seconds=values.get("max_seconds"),
            ),
        )
        return Response(JobSerializer(job).data, status=201)


class JobDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=JobSerializer)
    def get(self, request, uuid):
        job = selectors.job_get_for_owner(owner=request.user, uuid=uuid)
        return Response(JobSerializer(job).data)


class JobCancelApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=JobSerializer)
    def post(self, request, uuid):
        job = selectors.job_get_for_owner(owner=request.user, uuid=uuid)
        job = services.job_cancel(job=job, actor=request.user)
        return Response(JobSerializer(job).data)


class JobLogApi(APIView):
    permission_classes = [IsAuthenticated]

    class FilterSerializer(serializers.Serializer):
        after = serializers.IntegerField(min_value=0, required=False, default=0)

    @extend_schema(parameters=[FilterSerializer], responses=OBJECT)
    def get(self, request, uuid):
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        job = selectors.job_get_for_owner(owner=request.user, uuid=uuid)
        return Response(job_log_reply(job=job, after=params.validated_data["after"]))


def job_log_reply(*, job, after: int) -> dict:
    """The log from character `after` on, with the job's state: the API's and MCP's reply."""
    text, position = selectors.job_log_after(job=job, after=after)
    return {
        "text": text,
        "next": position,
        "status": job.status,
        "status_display": job.get_status_display(),
        "reason": job.reason,
        "exit_code": job.exit_code,
        "finished": job.is_finished,
    }


class ReceiptApi(APIView):
    permission_classes = [AllowAny]

    class FilterSerializer(serializers.Serializer):
        output_digest = serializers.RegexField(r"^0x[0-9a-fA-F]{64}$", required=False)

    @extend_schema(parameters=[FilterSerializer], responses=OBJECT)
    def get(self, request, uid):
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(
            receipt_verify(uid=uid, output_digest=params.validated_data.get("output_digest"))
        )


def receipt_verify(*, uid: str, output_digest: str | None = None) -> dict:
    """The JobReceipt read back from the chain and, given a digest, whether it matches."""
    if not _is_bytes32(uid):
        raise ApiError("A receipt uid is 0x and 64 hex digits.", code="uid_invalid")
    with chain_errors():
        try:
            found = receipts.receipt_read(uid=uid)
        except ValueError as exc:
            raise ApiError("No JobReceipt has that uid.", code="not_found", status=404) from exc
    if output_digest is not None:
        found["matches"] = output_digest.lower() == found["output_digest"]
    return found


def _is_bytes32(value: str) -> bool:
    # A pattern, not bytes.fromhex: that one skips whitespace ("0x00 00 ..." would pass).
    return re.fullmatch(r"0x[0-9a-fA-F]{64}", value) is not None


class PolicyApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        environments = serializers.ListField(child=serializers.SlugField(max_length=60))
        allow_raw_algorithms = serializers.BooleanField()
        minutes_per_licence = serializers.IntegerField(min_value=0, max_value=10_000_000)
        max_output_percent = serializers.IntegerField(min_value=0, max_value=1000, required=False)
        review_outputs = serializers.BooleanField(required=False)

    @extend_schema(responses=OBJECT)
    def get(self, request, slug):
        listing = listing_selectors.listing_get_owned(owner=request.user, slug=slug)
        return Response(_policy_data(policies.policy_get_or_create(listing=listing)))

    @extend_schema(request=InputSerializer, responses=OBJECT)
    def put(self, request, slug):
        listing = listing_selectors.listing_get_owned(owner=request.user, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            _policy_data(policies.policy_update(listing=listing, **data.validated_data))
        )


class TrustedAlgorithmListApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=80)
        cid = serializers.CharField(max_length=100)
        entry_point = serializers.CharField(max_length=100)

    @extend_schema(request=InputSerializer, responses={201: OBJECT})
    def post(self, request, slug):
        listing = listing_selectors.listing_get_owned(owner=request.user, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policies.trusted_algorithm_add(listing=listing, **data.validated_data)
        return Response(_policy_data(policies.policy_get_or_create(listing=listing)), status=201)


class TrustedAlgorithmDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request, slug, pk):
        listing = listing_selectors.listing_get_owned(owner=request.user, slug=slug)
        policies.trusted_algorithm_remove(listing=listing, pk=pk)
        return Response(status=204)


def _policy_data(policy) -> dict:
    return {
        "listing": policy.listing.slug,
        "environments": [env.name for env in policy.environments.all()],
        "allow_raw_algorithms": policy.allow_raw_algorithms,
        "minutes_per_licence": policy.minutes_per_licence,
        "max_output_percent": policy.max_output_percent,
        "review_outputs": policy.review_outputs,
        "raw_algorithms_warning": policies.RAW_SCRIPTS_WARNING,
        "algorithms": [
            {"id": a.pk, "name": a.name, "cid": a.artifact.cid, "entry_point": a.entry_point}
            for a in policy.algorithms.select_related("artifact")
        ],
    }


class JobOutputsReviewApi(APIView):
    """GET: the job's outputs for the listing's creator (paths, CIDs, sizes, download URLs,
    whatever the review state). POST {approve: bool}: release or withhold outputs its policy
    holds for review (404 for anyone else, 409 when none are waiting)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OBJECT)
    def get(self, request, uuid):
        job = selectors.job_get_for_listing_owner(owner=request.user, uuid=uuid)
        outputs = [
            {
                "path": out.path,
                "cid": out.artifact.cid,
                "size": out.artifact.size,
                "url": job_output_api_url(job, out.path),
            }
            for out in job.outputs.select_related("artifact")
        ]
        return Response({"id": job.uuid, "outputs_review": job.outputs_review, "outputs": outputs})

    class InputSerializer(serializers.Serializer):
        approve = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses=JobSerializer)
    def post(self, request, uuid):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = selectors.job_get_for_listing_owner(owner=request.user, uuid=uuid)
        job = policies.job_outputs_review(job=job, actor=request.user, **data.validated_data)
        return Response(JobSerializer(job).data)
