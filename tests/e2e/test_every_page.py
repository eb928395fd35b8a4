"""Every product page, as a person who is at once a creator, a buyer, a moderator and an admin:
  - no page is wider than the phone it is shown on (360, 390 and 430 px): long code lines and
    wide tables scroll inside their own boxes, the header folds into a menu;
  - axe-core (static/vendor/axe-core, pinned and copied from npm by tools/vendor-js) finds no
    serious or critical accessibility violation;
  - a screenshot of each page at desktop and phone size goes to test-artifacts/pages/.
The world holds the cases that broke phones before: a card with a long code line and a long
unbroken word, and listings with many tiers and files."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import MODERATORS_GROUP, User
from accounts.tokens import api_token_create
from artifacts.models import ArtifactScan
from chain import client
from compute.models import ComputeEnvironment, Job
from listings.models import LicenseTerms, Listing
from listings.tests import factories
from notifications.models import Notification
from notifications.services import notify
from payments.spending.services import spend_policy_set
from payments.tests.access_helpers import entitle, published_listing, tier
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e
PHONES = (360, 390, 430)
SHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "pages"
WEATHER = b"city,temperature\n" + b"".join(f"City {n},{n}\n".encode() for n in range(40))
WIDE_CSV = (
    ",".join(f"column_{n}" for n in range(30)) + "\n" + ",".join(["0.123456"] * 30)
).encode()
LONG_CARD = (
    "---\npipeline_tag: text-classification\nbase_model: bert-base-uncased\n---\n"
    "# Wide things\n\n```python\nmodel = AutoModelForSequenceClassification.from_pretrained("
    '"some-organisation/some-very-long-model-name-that-goes-on", num_labels=12, '
    "trust_remote_code=False)\n```\n\n"
    "Averyveryverylongwordwithoutanyspacesthatwouldpushthepagewiderthanaphonescreenifleftalone.\n\n"
    "| column one | column two | column three | column four | column five | column six |\n"
    "|---|---|---|---|---|---|\n| 0.123456 | 0.234567 | 0.345678 | 0.456789 | 0.567891 | 0.6789 |\n"
)


@pytest.fixture
def world(wallet, contracts, transactional_db, tmp_path, settings):
    settings.ARTIFACT_STORAGE = "local"
    settings.ARTIFACT_ROOT = tmp_path / "store"
    settings.UPLOAD_DIR = tmp_path / "store" / ".uploads"
    LicenseTerms.objects.get_or_create(owner=None, name="Open", defaults={"commercial_use": True})
    me, _ = User.objects.get_or_create(address=wallet.address)
    User.objects.filter(pk=me.pk).update(is_staff=True, is_superuser=True)
    me.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    mine = published_listing(creator=me, title="My wide model")
    Listing.objects.filter(pk=mine.pk).update(card=LONG_CARD)
    draft = factories.listing(creator=me, title="My draft", card=LONG_CARD)
    theirs = published_listing(title="Their dataset")
    Listing.objects.filter(pk=theirs.pk).update(kind=Listing.Kind.DATASET)
    pending = published_listing(title="Waiting for review", status=Listing.Status.PENDING_REVIEW)
    entitlement = entitle(me.address, tier(theirs, "Compute"), expires_in=timedelta(days=30))
    host = ComputeEnvironment.objects.create(
        name="local", status=ComputeEnvironment.Status.ONLINE, last_seen_at=timezone.now()
    )
    version = theirs.versions.get()
    job = Job.objects.create(
        owner=me,
        listing=theirs,
        version=version,
        environment=host,
        entitlement=entitlement,
        algorithm=version.files.first().artifact,
        entry_point="main.py",
        time_limit_seconds=60,
        status=Job.Status.SUCCEEDED,
        exit_code=0,
        finished_at=timezone.now(),
    )
    data = published_listing(
        title="Weather data",
        files=[("weather.csv", WEATHER), ("wide.csv", WIDE_CSV), ("README.md", b"# Weather\n")],
    )
    Listing.objects.filter(pk=data.pk).update(kind=Listing.Kind.DATASET, preview_rows=5)
    for f in data.versions.get().files.all():
        ArtifactScan.objects.update_or_create(
            artifact=f.artifact, scanner="test", defaults={"verdict": "clean"}
        )
    for n, kind in enumerate(Notification.Kind.values):
        notify(recipient=me, kind=kind, title=f"Something about {mine.title}", key=f"k{n}")
    # An API token with spend controls: the profile shows its spending (issue 18).
    agent_token = api_token_create(user=me, name="A shopping agent with a long name").token
    usdc = client.get_contract("TestAuthToken").address
    spend_policy_set(api_token=agent_token, currency=usdc, daily_cap=10**7, listings=[theirs])
    return {
        "me": me,
        "agent_token": agent_token,
        "data": data,
        "mine": mine,
        "draft": draft,
        "theirs": theirs,
        "pending": pending,
        "job": job,
    }


def pages(world) -> list[str]:
    mine, theirs, draft = world["mine"].slug, world["theirs"].slug, world["draft"].slug
    return [
        "/",
        "/listings/",
        "/listings/?q=model",
        f"/listings/{mine}/",
        f"/listings/{theirs}/",
        f"/listings/{world['data'].slug}/",
        f"/listings/{world['data'].slug}/?preview=wide.csv",
        f"/listings/{mine}/edit/",
        f"/listings/{draft}/edit/",
        "/listings/mine/",
        "/listings/new/",
        f"/listings/{theirs}/report",
        f"/listings/{mine}/requests/",
        "/licences/",
        "/compute/jobs/",
        f"/compute/jobs/{world['job'].uuid}/",
        f"/compute/jobs/{world['job'].uuid}/receipt",
        "/notifications/",
        f"/creators/{world['me'].address}/",
        f"/compute/listings/{mine}/policy",
        "/dashboard/",
        f"/dashboard/listings/{mine}/",
        "/dashboard/platform/",
        "/accounts/profile",
        "/accounts/tokens",
        f"/licences/tokens/{world['agent_token'].pk}/spending",
        "/moderation/",
        f"/moderation/listings/{world['pending'].slug}/",
        "/moderation/reports/",
        "/moderation/deny-list/",
        "/moderation/audit/",
    ]


def overflow(page) -> str:
    """'' when the page fits the window; else by how much, and the outermost elements that stick
    out (the ones to fix)."""
    return page.evaluate(
        """() => {
          const extra = document.documentElement.scrollWidth - window.innerWidth;
          if (extra <= 0) return "";
          const out = (el) => el.getBoundingClientRect().right > window.innerWidth + 0.5;
          const placed = (el) => getComputedStyle(el).position !== "static";
          const culprits = [...document.body.querySelectorAll("*")]
            .filter((el) => out(el) && (!out(el.parentElement) || placed(el)))
            .slice(0, 3)
            .map((el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
          return `${extra} px (${culprits.join(", ")})`;
        }"""
    )


def serious_axe_violations(page) -> list[str]:
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
             .filter((v) => ["serious", "critical"].includes(v.impact))
             .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target).join(", ")}`)"""
    )
    return found


def shot_name(path: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in path.strip("/")) or "home"


def test_every_page_fits_a_phone_and_passes_axe(page, wallet, world):
    sign_in(page, wallet)
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for path in pages(world):
        page.set_viewport_size({"width": 1280, "height": 800})
        response = page.goto(path)
        if response.status != 200:
            problems.append(f"{path}: HTTP {response.status}")
            continue
        page.screenshot(path=SHOTS / f"{shot_name(path)}-desktop.png", full_page=True)
        problems += [f"{path}: axe {v}" for v in serious_axe_violations(page)]
        for width in PHONES:
            page.set_viewport_size({"width": width, "height": 844})
            if wider := overflow(page):
                problems.append(f"{path}: {wider} wider than a {width} px screen")
        page.screenshot(path=SHOTS / f"{shot_name(path)}-phone.png", full_page=True)
    assert not problems, "\n".join(problems)


def test_phone_menu_search_and_buy_bar(page, wallet, world):
    sign_in(page, wallet)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/listings/")
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="My licences").click()
    expect(page).to_have_url(re.compile(r"/licences/$"))
    page.get_by_test_id("header-search").fill("wide")
    page.keyboard.press("Enter")
    expect(page.locator('[data-listing="my-wide-model"]')).to_be_visible()

    # A listing on a phone: the buy box is far below the card; the bar at the bottom leads there.
    page.goto(f"/listings/{world['theirs'].slug}/")
    bar = page.get_by_test_id("buy-bar")
    expect(bar).to_contain_text("from 0.01 ETH")
    expect(page.locator("[data-buy]")).not_to_be_in_viewport()
    bar.get_by_role("link", name="See licences").click()
    expect(page.locator("#buy-title")).to_be_in_viewport()
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(bar).to_be_hidden()


def test_a_creator_profile_page(page, wallet, world):
    """The creator writes a bio and links on their profile; a visitor follows the byline of a
    listing to the creator's page: name, avatar, bio, links, listings and sales."""
    sign_in(page, wallet)
    page.goto("/accounts/profile")
    page.get_by_label("Display name").fill("Wide Labs")
    page.get_by_label("Bio").fill("Models that fit on phones.")
    page.get_by_label("Links").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-invalid")).to_contain_text("is not an https:// address")
    page.get_by_label("Links").fill("https://wide.example.org")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[data-messages]")).to_contain_text("Profile saved.")

    page.goto(f"/listings/{world['mine'].slug}/")
    page.get_by_test_id("creator-link").click()
    expect(page.get_by_test_id("creator-name")).to_have_text("Wide Labs")
    expect(page.get_by_test_id("creator-bio")).to_have_text("Models that fit on phones.")
    expect(page.get_by_test_id("creator-links").get_by_role("link")).to_have_attribute(
        "href", "https://wide.example.org"
    )
    expect(page.get_by_test_id("creator-listings").locator("[data-listing]")).to_have_count(1)
    expect(page.get_by_test_id("creator-sales")).to_have_text("0")
    page.screenshot(path=SHOTS / "creator-profile-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert not overflow(page)
    page.screenshot(path=SHOTS / "creator-profile-phone.png", full_page=True)

    # A licence you hold is said on the listing.
    page.goto(f"/listings/{world['theirs'].slug}/")
    expect(page.get_by_test_id("you-hold")).to_contain_text("You hold this licence: Compute")


def test_a_dataset_preview(page, world):
    """A visitor (signed out) sees the first rows the creator chose, with column statistics,
    switches to another file, and nothing beyond the chosen rows."""
    page.goto(f"/listings/{world['data'].slug}/")
    preview = page.get_by_test_id("preview")
    expect(preview.get_by_test_id("preview-caption")).to_contain_text("The first 5 rows of")
    rows = preview.get_by_test_id("preview-rows").locator("tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("City 0")
    expect(preview).not_to_contain_text("City 5")
    stats = preview.get_by_test_id("preview-stats").locator('[data-column="temperature"]')
    expect(stats).to_contain_text("number")
    expect(stats.locator("td").nth(4)).to_have_text("2")  # the mean of 0..4
    preview.get_by_label("File").select_option("wide.csv")
    preview.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("preview-rows").locator("th")).to_have_count(30)
    page.screenshot(path=SHOTS / "dataset-preview-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert not overflow(page)
    page.screenshot(path=SHOTS / "dataset-preview-phone.png", full_page=True)
