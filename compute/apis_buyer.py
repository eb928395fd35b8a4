"""What a compute buyer needs over the API without a browser session (/api/v1/compute/...).

- `GET listings/<slug>/compute` (anyone who may see the listing): the hosts the creator allows
  (with capacity, price per minute and status), the trusted algorithms a buyer may run
  (name, CID, entry point), whether raw scripts are allowed, and the minutes each licence buys.
  Everything the listing page's "Run a job" panel shows, before a job is submitted.
- `GET jobs/<uuid>/outputs/<path>`: one output file of the caller's own job, once released
  (the listing's owner may also read outputs held for review), as an attachment. Session or
  token auth (`Authorization: Bearer mkt_…`): the page URL /compute/jobs/… redirects a token
  request to the sign-in page. 404 for anyone else's job and for files not released.
- `GET jobs/<uuid>/manifest`: the outputs manifest (path, CID per line) whose sha256 is the
  receipt's `output_digest`: what a client hashes to check a JobReceipt. 404 while held back.

Storage failures answer 404 `not_found` (bytes gone) or 503 `storage_unavailable`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from artifacts.serving import artifact_response
from artifacts.storage import ArtifactNotFound, StorageError
from compute import selectors
from compute.apis import EnvironmentSerializer
from core.errors import ApiError
from listings import selectors as listing_selectors

FILE = {(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)}


def listing_compute_offer(listing) -> dict:
    """The listing's compute offer as the API and the MCP server show it."""
    policy = selectors.policy_get(listing=listing)
    environments = list(policy.environments.all()) if policy else []
    algorithms = list(policy.algorithms.all()) if policy else []
    return {
        "listing": listing.slug,
        "offered": bool(environments),
        "environments": EnvironmentSerializer(environments, many=True).data,
        "algorithms": [
            {"name": a.name, "cid": a.artifact.cid, "entry_point": a.entry_point}
            for a in algorithms
        ],
        "allow_raw_algorithms": bool(policy and policy.allow_raw_algorithms),
        "minutes_per_licence": policy.minutes_per_licence if policy else 0,
        "review_outputs": bool(policy and policy.review_outputs),
    }


class ListingComputeApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiResponse(OpenApiTypes.OBJECT))
    def get(self, request, slug):
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=request.user)
        return Response(listing_compute_offer(listing))


class JobOutputFileApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=FILE)
    def get(self, request, uuid, path):
        output = selectors.job_output_for_user(user=request.user, uuid=uuid, path=path)
        return _serve(request, output.artifact, path.rsplit("/", 1)[-1])


class JobManifestApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=FILE)
    def get(self, request, uuid):
        job = selectors.job_get_for_owner(owner=request.user, uuid=uuid)
        if job.output_manifest is None or job.outputs_review in ("pending", "rejected"):
            raise ApiError("This job has no released outputs.", code="not_found", status=404)
        return _serve(request, job.output_manifest, f"job-{job.uuid}-manifest.tsv")


def _serve(request, artifact, filename: str):
    try:
        return artifact_response(request, artifact, filename=filename)
    except ArtifactNotFound as exc:
        raise ApiError(
            "This file is missing from the store.", code="not_found", status=404
        ) from exc
    except StorageError as exc:
        raise ApiError(
            "The file store is not reachable right now; try again in a moment.",
            code="storage_unavailable",
            status=503,
        ) from exc
