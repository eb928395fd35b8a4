"""A compute job paid with x402 v2 (payments.x402), for callers with no account: the payer
(or a holder proving its licence with SIGN-IN-WITH-X) becomes the job's owner.

`POST /api/v1/compute/x402/listings/<slug>/jobs` with the fields of `POST compute/jobs` but
the listing (environment, algorithm_cid | algorithm, entry_point, inputs, max_seconds):
- 402 with the compute tiers' payment requirements when the caller holds no compute licence;
- 202 with PAYMENT-RESPONSE when the payment settled but the licence is not confirmed yet (the
  indexer waits CONFIRMATIONS blocks): submit again with SIGN-IN-WITH-X after Retry-After;
  nothing is charged again;
- 201 with the job once the licence is indexed."""

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from accounts.services import user_get_or_create_for_address
from compute import services
from compute.apis import JobListApi, JobSerializer
from compute.models import ComputePolicy
from core.errors import ApiError
from listings import selectors as listing_selectors
from payments import x402 as paid  # its x402 package loads on first use
from payments.selectors import COMPUTE_KINDS, entitlement_active

RETRY_AFTER_SECONDS = 5


class X402JobApi(APIView):
    authentication_classes: list = []  # the payment or the SIGN-IN-WITH-X proof says who
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_scope = "gasless"

    class InputSerializer(JobListApi.InputSerializer):
        listing = None  # in the URL

    @extend_schema(
        request=InputSerializer,
        responses={201: JobSerializer, 202: OpenApiTypes.OBJECT, 402: OpenApiTypes.OBJECT},
    )
    def post(self, request, slug):
        try:
            return self._submit(request, slug)
        except paid.PaymentRequiredError as exc:
            return exc.response()
        except ApiError as exc:
            return paid.error_response(exc)
        except Http404:
            return paid.error_response(ApiError("No such listing.", code="not_found", status=404))

    def _submit(self, request, slug):
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=AnonymousUser())
        data = self.InputSerializer(data=request.data)
        if not data.is_valid():
            field, errors = next(iter(data.errors.items()))
            raise ApiError(f"{field}: {errors[0]}", code="invalid", status=400)
        # Refuse what no licence would fix before anyone pays.
        if not ComputePolicy.objects.filter(listing=listing).exists():
            raise ApiError(
                "This listing offers no compute.", code="compute_not_offered", status=409
            )
        caller = paid.x402_access(
            request,
            listing=listing,
            kinds=COMPUTE_KINDS,
            description=f"A compute job on {listing.title}",
        )
        owner = user_get_or_create_for_address(address=caller.address)
        if entitlement_active(address=owner.address, listing=listing, kinds=COMPUTE_KINDS) is None:
            body = {
                "status": "licence_confirming",
                "message": "Paid: the licence is being confirmed. Submit again with "
                "SIGN-IN-WITH-X shortly; you will not be charged again.",
                "address": caller.address,
            }
            response = JsonResponse(body, status=202)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return paid.x402_attach(response, caller)
        values = data.validated_data
        job = services.job_submit(
            owner=owner,
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
        return paid.x402_attach(JsonResponse(JobSerializer(job).data, status=201), caller)
