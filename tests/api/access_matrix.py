"""THE access matrix: every API route × method → the status each role gets.

A route under /api/v1/ without a row here fails tests/api/test_access_matrix.py, and so does a
row whose route is gone. Add a row with your endpoint:

    ("POST", "api/v1/listings/<slug:slug>/thing"): Row(owner(201), body={"x": 1}),

Helpers (tests/api/matrix.py): `public(s)` everyone; `signed_in(s)` anonymous 403, others s;
`owner(s, others=404)` the creator s, anonymous 403; `staff(s)` moderator and admin s, others
403; `expect(default, role=s, ...)` anything else. Roles: anonymous, stranger,
buyer_without_licence (their licence expired), buyer_with_licence, creator (of the world's
listing, upload and token), other_creator, moderator, admin. URL kwargs come from
World.values (slug, upload_id, cid, token_id, position, address) or the row's `kwargs`
(a value or a callable(world)); `body` may be a callable(world) too.

Each cell runs in a rolled-back savepoint, so a body may really change things. A 400 means
"allowed in, refused the input": rows use such bodies where the valid one needs state the world
does not have (a signature, chunk bytes)."""

from tests.api.matrix import Row, expect, owner, public, signed_in, staff

ADDRESS = "0x000000000000000000000000000000000000dEaD"
FUNDED = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # anvil dev account #1
NO_UUID = "00000000-0000-0000-0000-000000000000"  # an id nothing has
TIER = {"name": "Download", "price_wei": "10000000000000000"}


def JOB_OWNER(status: int) -> dict[str, int]:  # noqa: N802 (reads like the other helpers)
    return expect(404, anonymous=403, buyer_with_licence=status)


def _job(world) -> str:
    """A queued compute job of buyer_with_licence's on the world's listing."""
    from compute.models import ComputeEnvironment, Job
    from listings.tests.factories import artifact
    from payments.models import Entitlement

    buyer = world.users["buyer_with_licence"]
    job = Job.objects.create(
        owner=buyer,
        listing=world.listing,
        version=world.listing.versions.first(),
        environment=ComputeEnvironment.objects.get_or_create(name="matrix-host")[0],
        entitlement=Entitlement.objects.filter(holder=buyer.address).first(),
        algorithm=artifact(),  # random bytes: each cell makes its own job
        entry_point="a.py",
        time_limit_seconds=60,
    )
    return str(job.uuid)


TABLE: dict[tuple[str, str], Row] = {
    # --- accounts ---------------------------------------------------------------------------
    ("POST", "api/v1/auth/nonce"): Row(public(201), body={"address": ADDRESS}),
    ("POST", "api/v1/auth/verify"): Row(public(400), body={}, note="the signature is the auth"),
    ("POST", "api/v1/auth/sign-out"): Row(public(204)),
    ("GET", "api/v1/auth/me"): Row(signed_in(200)),
    ("PATCH", "api/v1/auth/me"): Row(signed_in(200), body={"display_name": "Someone"}),
    ("GET", "api/v1/auth/tokens"): Row(signed_in(200)),
    ("POST", "api/v1/auth/tokens"): Row(signed_in(201), body={"name": "ci"}),
    ("DELETE", "api/v1/auth/tokens/<int:token_id>"): Row(owner(204)),
    # --- artifacts --------------------------------------------------------------------------
    ("POST", "api/v1/artifacts/uploads/"): Row(
        signed_in(201), body={"filename": "a.csv", "size": 3}
    ),
    ("GET", "api/v1/artifacts/uploads/<uuid:upload_id>/"): Row(owner(200)),
    ("PATCH", "api/v1/artifacts/uploads/<uuid:upload_id>/chunk"): Row(
        owner(200),
        raw=(b"abc", "application/offset+octet-stream", {"Upload-Offset": "0"}),
    ),
    ("PUT", "api/v1/artifacts/uploads/<uuid:upload_id>/chunk"): Row(
        owner(200),
        raw=(b"abc", "application/offset+octet-stream", {"Upload-Offset": "0"}),
    ),
    ("POST", "api/v1/artifacts/uploads/<uuid:upload_id>/finish"): Row(
        owner(409), body={}, note="0 of 10 bytes received: offset_mismatch"
    ),
    ("POST", "api/v1/artifacts/uploads/<uuid:upload_id>/cancel"): Row(owner(200)),
    ("GET", "api/v1/artifacts/<str:cid>/"): Row(signed_in(200)),
    # --- listings ---------------------------------------------------------------------------
    ("GET", "api/v1/listings/"): Row(public(200)),
    ("POST", "api/v1/listings/"): Row(signed_in(201), body={"kind": "model", "title": "New"}),
    ("POST", "api/v1/listings/preview-card"): Row(signed_in(200), body={"card": "# Hi"}),
    ("GET", "api/v1/listings/<slug:slug>"): Row(public(200)),
    ("PATCH", "api/v1/listings/<slug:slug>"): Row(owner(200), body={"summary": "Changed"}),
    # A published listing changes tiers and splits only with a new signed offer: 409 not_draft.
    ("PUT", "api/v1/listings/<slug:slug>/tiers"): Row(owner(409), body=[TIER]),
    ("PUT", "api/v1/listings/<slug:slug>/splits"): Row(owner(409), body=[]),
    ("POST", "api/v1/listings/<slug:slug>/versions"): Row(
        owner(201),
        body=lambda world: {
            "tag": "v2",
            "files": [{"path": "m.bin", "cid": world.values["release_cid"]}],
        },
    ),
    # The creator still owns the world's listing (no handover), so the platform attests its
    # releases: the owner reaches the service and is told so (409), everyone else 404.
    ("POST", "api/v1/listings/<slug:slug>/versions/<str:tag>/release-signature/prepare"): Row(
        owner(409), kwargs={"tag": "v1"}
    ),
    ("POST", "api/v1/listings/<slug:slug>/versions/<str:tag>/release-signature"): Row(
        owner(400), kwargs={"tag": "v1"}, body={}
    ),
    ("POST", "api/v1/listings/<slug:slug>/status"): Row(
        staff(200), body={"status": "paused", "reason": "matrix"}, note="pausing is moderation"
    ),
    ("GET", "api/v1/license-terms/"): Row(public(200)),
    ("POST", "api/v1/license-terms/"): Row(signed_in(201), body={"name": "Mine"}),
    # --- payments: offers, purchase, access, downloads --------------------------------------
    ("GET", "api/v1/listings/<slug:slug>/offer"): Row(public(200)),
    ("POST", "api/v1/listings/<slug:slug>/offer"): Row(owner(400), body={}),
    # Published and unsold: its creator renews the short-lived offer (same terms).
    ("POST", "api/v1/listings/<slug:slug>/offer/prepare"): Row(owner(200), note="renewal"),
    ("GET", "api/v1/listings/<slug:slug>/purchase/quote"): Row(public(200), query={"tier": 0}),
    ("POST", "api/v1/listings/<slug:slug>/purchase/prepare"): Row(
        public(200), body={"tier": 0, "buyer": FUNDED}
    ),
    # Gasless purchases (payments/relay): the world's tiers are priced in ETH, which takes none.
    ("POST", "api/v1/listings/<slug:slug>/gasless/prepare"): Row(
        public(409), body={"tier": 0, "buyer": FUNDED}, note="ETH tiers: gasless_unsupported"
    ),
    ("POST", "api/v1/listings/<slug:slug>/gasless/submit"): Row(
        public(400), body={}, note="the buyer's signatures are the auth"
    ),
    # x402 (payments/apis_x402.py, compute/apis_x402.py): headers say who pays or holds; no
    # tier of the world's listing can be paid with x402 (ETH), the file asked for is missing.
    ("GET", "api/v1/x402/listings/<slug:slug>/licence"): Row(
        public(403), note="no tier payable with x402"
    ),
    ("GET", "api/v1/x402/listings/<slug:slug>/files/<path:path>"): Row(
        public(404), kwargs={"path": "missing.bin"}
    ),
    ("GET", "api/v1/listings/<slug:slug>/access"): Row(
        signed_in(200, anonymous=400), note="anonymous: give ?address="
    ),
    ("GET", "api/v1/listings/<slug:slug>/downloads"): Row(
        expect(403, buyer_with_licence=200, creator=200)
    ),
    ("POST", "api/v1/downloads"): Row(public(400), body={}, note="the signature is the auth"),
    ("GET", "api/v1/downloads/request"): Row(
        public(200), query={"holder": ADDRESS, "cid": "bafkreiaaaa"}
    ),
    # --- listings: reports and moderation (h8) ------------------------------------------------
    ("POST", "api/v1/listings/<slug:slug>/reports"): Row(signed_in(400), body={}),
    ("GET", "api/v1/moderation/queue"): Row(staff(200)),
    ("GET", "api/v1/moderation/listings/<slug:slug>"): Row(staff(200)),
    ("POST", "api/v1/moderation/listings/<slug:slug>/actions"): Row(staff(400), body={}),
    # The world's files were never scanned: a moderator queues their scans.
    ("POST", "api/v1/moderation/listings/<slug:slug>/rescan"): Row(staff(202)),
    ("GET", "api/v1/moderation/reports"): Row(staff(200)),
    ("POST", "api/v1/moderation/reports/<int:pk>/resolve"): Row(
        staff(404), body={}, kwargs={"pk": 0}, note="no such report"
    ),
    # The deny-list and the audit log are the admins' (moderators 403).
    ("GET", "api/v1/moderation/denied-addresses"): Row(staff(200, moderator=403)),
    ("POST", "api/v1/moderation/denied-addresses"): Row(staff(400, moderator=403), body={}),
    ("POST", "api/v1/moderation/denied-addresses/<str:address>/lift"): Row(
        staff(404, moderator=403), body={}, note="not denied"
    ),
    ("GET", "api/v1/moderation/audit"): Row(staff(200, moderator=403)),
    # --- payments: dashboards, on-chain changes, platform (h6) -----------------------------------
    ("GET", "api/v1/dashboard/"): Row(signed_in(200)),
    ("GET", "api/v1/dashboard/listings/<slug:slug>"): Row(owner(200)),
    ("GET", "api/v1/dashboard/balances"): Row(signed_in(200)),
    ("POST", "api/v1/dashboard/withdraw/prepare"): Row(signed_in(400), body={}),
    ("GET", "api/v1/dashboard/export/<str:kind>.csv"): Row(
        signed_in(200), kwargs={"kind": "sales"}
    ),
    ("POST", "api/v1/listings/<slug:slug>/splits/prepare"): Row(owner(400), body={}),
    ("POST", "api/v1/listings/<slug:slug>/splits/relay"): Row(owner(400), body={}),
    ("POST", "api/v1/listings/<slug:slug>/tiers/<int:position>/price/prepare"): Row(
        owner(400), body={}
    ),
    ("GET", "api/v1/listings/<slug:slug>/changes"): Row(owner(200)),
    ("POST", "api/v1/listings/<slug:slug>/ownership/transfer/prepare"): Row(owner(400), body={}),
    ("GET", "api/v1/platform/fee"): Row(staff(200, moderator=403)),
    ("POST", "api/v1/platform/fee/prepare"): Row(staff(400, moderator=403), body={}),
    ("GET", "api/v1/platform/revenue"): Row(staff(200, moderator=403)),
    # --- compute (h7) ---------------------------------------------------------------------------
    ("GET", "api/v1/compute/environments"): Row(public(200)),
    ("GET", "api/v1/compute/jobs"): Row(signed_in(200)),
    ("POST", "api/v1/compute/jobs"): Row(signed_in(400), body={}),
    ("POST", "api/v1/compute/x402/listings/<slug:slug>/jobs"): Row(
        public(400), body={}, note="x402: the payment or SIGN-IN-WITH-X is the auth"
    ),
    # A queued job of the licence holder's: only they see it or cancel it (others: 404).
    ("GET", "api/v1/compute/jobs/<uuid:uuid>"): Row(JOB_OWNER(200), kwargs={"uuid": _job}),
    ("POST", "api/v1/compute/jobs/<uuid:uuid>/cancel"): Row(JOB_OWNER(200), kwargs={"uuid": _job}),
    ("GET", "api/v1/compute/jobs/<uuid:uuid>/log"): Row(JOB_OWNER(200), kwargs={"uuid": _job}),
    # The listing's creator reviews held outputs (issue 15); this queued job has none waiting.
    ("GET", "api/v1/compute/jobs/<uuid:uuid>/outputs-review"): Row(
        owner(200), kwargs={"uuid": _job}
    ),
    ("POST", "api/v1/compute/jobs/<uuid:uuid>/outputs-review"): Row(
        owner(409), kwargs={"uuid": _job}, body={"approve": True}
    ),
    # Outputs over the API (bearer or session): this queued job has none yet, so even its
    # owner gets 404; test_outputs_api.py covers a finished one.
    ("GET", "api/v1/compute/jobs/<uuid:uuid>/outputs/<path:path>"): Row(
        expect(404, anonymous=403), kwargs={"uuid": _job, "path": "result.txt"}
    ),
    ("GET", "api/v1/compute/jobs/<uuid:uuid>/manifest"): Row(
        expect(404, anonymous=403), kwargs={"uuid": _job}
    ),
    ("GET", "api/v1/compute/listings/<slug:slug>/compute"): Row(public(200)),
    ("GET", "api/v1/compute/receipts/<str:uid>"): Row(
        public(404), kwargs={"uid": "0x" + "00" * 32}
    ),
    ("GET", "api/v1/compute/listings/<slug:slug>/compute-policy"): Row(owner(200)),
    ("PUT", "api/v1/compute/listings/<slug:slug>/compute-policy"): Row(owner(400), body={}),
    ("POST", "api/v1/compute/listings/<slug:slug>/compute-policy/algorithms"): Row(
        owner(400), body={}
    ),
    ("DELETE", "api/v1/compute/listings/<slug:slug>/compute-policy/algorithms/<int:pk>"): Row(
        owner(204), kwargs={"pk": 0}, note="idempotent: deleting an absent entry is fine"
    ),
}
