"""Notifications (issue 17): who is told what, once per fact, by e-mail only when they gave an
address; the inbox and its badge; sales and credits from real chain events through the indexer."""

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import User
from compute.models import ComputeEnvironment, Job
from compute.services import job_set_status
from listings.models import Listing
from listings.moderation import services as moderation
from listings.tests import factories
from notifications.models import Notification
from notifications.services import Notice, notify, notify_many
from payments.access import gated
from payments.tests.access_helpers import entitle, published_listing, tier

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


def gated_listing():
    from listings.services import TierSpec

    tiers = [TierSpec(name="Research", price_wei=0, requires_approval=True)]
    return published_listing(tiers=tiers, files=[("a.csv", b"a,b\n1,2\n")])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_one_notice_per_fact_and_mail_only_with_an_address(django_capture_on_commit_callbacks):
    quiet, reachable = factories.user(), factories.user()
    User.objects.filter(pk=reachable.pk).update(email="me@example.org")
    reachable.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        for who in (quiet, reachable, quiet.address.lower(), "0x" + "12" * 20):
            notify(recipient=who, kind=Kind.SALE, title="Sold", key="sale:1")
        again = notify(recipient=reachable, kind=Kind.SALE, title="Sold", key="sale:1")
    assert again is None
    assert Notification.objects.filter(recipient=quiet).count() == 1  # by user or by address
    assert Notification.objects.filter(recipient=reachable).count() == 1
    assert [m.to for m in mail.outbox] == [["me@example.org"]]
    assert Notification.objects.get(recipient=reachable).emailed_at is not None


def test_access_request_decisions_and_my_licences(django_capture_on_commit_callbacks):
    listing = gated_listing()
    asker = factories.user()
    request = gated.access_request_create(
        listing=listing, tier=tier(listing, "Research"), requester=asker,
        intended_use="Research on tokenizers.", accepted_terms=True,
    )  # fmt: skip
    told = Notification.objects.get(recipient=listing.creator)
    assert told.kind == Kind.ACCESS_REQUEST and told.url == f"/listings/{listing.slug}/requests/"
    assert "Research on tokenizers." in told.body

    gated.access_request_set_status(
        access_request=request, to_status="approved", actor=listing.creator
    )
    decision = Notification.objects.get(recipient=asker)
    assert decision.title.endswith("was approved") and decision.url == "/licences/"
    page = signed_in(asker).get("/licences/")
    assert page.status_code == 200
    assert f'data-licence="{listing.slug}:0" data-grant' in page.content.decode()

    gated.access_request_set_status(
        access_request=request, to_status="revoked", actor=listing.creator, reason="Misuse."
    )
    revoked = Notification.objects.filter(recipient=asker).first()
    assert revoked.title.endswith("was revoked") and "Misuse." in revoked.body
    assert "revoked" in signed_in(asker).get("/licences/").content.decode()


def test_inbox_badge_and_mark_read():
    user = factories.user()
    for n in range(3):
        notify(recipient=user, kind=Kind.REPORT, title=f"Report {n}", key=f"r{n}")
    client = signed_in(user)
    page = client.get("/listings/").content.decode()
    assert 'data-testid="inbox-badge"' in page and ">3<" in page
    inbox = client.get("/notifications/")
    assert inbox.status_code == 200 and inbox.content.decode().count("is-unread") == 3
    assert client.get("/notifications/read").status_code == 405  # a change needs a POST
    assert client.post("/notifications/read").status_code == 302
    assert 'data-testid="inbox-badge"' not in client.get("/listings/").content.decode()
    assert Client().get("/notifications/").status_code == 302  # sign in first
    other = factories.user()
    assert "Report 0" not in signed_in(other).get("/notifications/").content.decode()


def test_moderation_outcomes_and_reports_reach_the_creator():
    listing = published_listing()
    moderator = factories.user(moderator=True)
    reporter = factories.user()
    moderation.report_create(
        listing=listing, reporter=reporter, category="spam", text="This looks like spam to me."
    )
    report = Notification.objects.get(recipient=listing.creator, kind=Kind.REPORT)
    assert reporter.address not in report.title + report.body  # reporters stay anonymous
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.PENDING_REVIEW)
    moderation.listing_moderate(
        listing=listing, action="reject", actor=moderator, reason="Card is empty."
    )
    outcome = Notification.objects.get(recipient=listing.creator, kind=Kind.MODERATION)
    assert "rejected" in outcome.title and outcome.body == "Card is empty."


def test_a_finished_job_tells_its_owner_but_not_when_they_cancel():
    listing = published_listing()
    owner = factories.user()
    entitlement = entitle(owner.address, tier(listing, "Compute"))
    host = ComputeEnvironment.objects.create(name="h1", last_seen_at=timezone.now())
    version = listing.versions.get()

    def job():
        return Job.objects.create(
            owner=owner, listing=listing, version=version, environment=host,
            entitlement=entitlement, algorithm=version.files.first().artifact,
            entry_point="main.py", time_limit_seconds=60,
        )  # fmt: skip

    job_set_status(job=job(), to_status="failed", reason="Host lost.")
    told = Notification.objects.get(recipient=owner)
    assert told.kind == Kind.JOB and told.title.endswith("failed") and told.body == "Host lost."
    job_set_status(job=job(), to_status="cancelled", actor=owner)
    assert Notification.objects.filter(recipient=owner).count() == 1


@pytest.mark.chain
def test_sales_and_credits_from_the_chain_are_told_once(contracts, w3):
    from payments.tests.dashboard_helpers import sell
    from payments.tests.indexing import index

    sales = sell()
    contributor = User.objects.create_user(sales.contributor.address)
    index()
    creator = User.objects.get(address=sales.creator.address)
    sold = Notification.objects.filter(recipient=creator, kind=Kind.SALE)
    assert sold.count() == 3  # one per purchase
    assert all(n.url == f"/dashboard/listings/{sales.listing.slug}/" for n in sold)
    credited = Notification.objects.filter(recipient=contributor, kind=Kind.PAYOUT)
    assert credited.count() >= 1
    assert all("credited to you" in n.title for n in credited)
    before = Notification.objects.count()
    from chain.models import ChainLog
    from payments.onchain import handlers

    logs = list(ChainLog.objects.filter(event="Purchased"))
    handlers.purchases_record(logs)  # the same facts again (a retry): nobody told twice
    assert Notification.objects.count() == before


def test_many_notices_at_once_are_told_once_each_like_notify(django_capture_on_commit_callbacks):
    quiet, reachable = factories.user(), factories.user()
    User.objects.filter(pk=reachable.pk).update(email="me@example.org")
    reachable.refresh_from_db()
    notices = [
        Notice(recipient=who, kind=Kind.SALE, title="Sold", key="sale:1")
        for who in (quiet, reachable, quiet.address.lower(), "0x" + "12" * 20)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_many(notices) == 2  # quiet by user and by address: one fact
        assert notify_many(notices) == 0  # told already
    assert Notification.objects.filter(recipient=quiet).count() == 1
    assert Notification.objects.filter(recipient=reachable).count() == 1
    assert [m.to for m in mail.outbox] == [["me@example.org"]]
    assert Notification.objects.get(recipient=reachable).emailed_at is not None


def test_many_notices_cost_the_same_queries_whatever_their_number():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count: int) -> int:
        users = [factories.user() for _ in range(count)]
        notices = [
            Notice(recipient=user.address, kind=Kind.PAYOUT, title="Credited", key=f"c:{i}")
            for i, user in enumerate(users)
        ] + [Notice(recipient=user, kind=Kind.SALE, title="Sold", key="s:1") for user in users]
        with CaptureQueriesContext(connection) as captured:
            assert notify_many(notices) == 2 * count
        return len(captured)

    assert queries_for(2) == queries_for(30)
