import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import denylist, selectors, services
from accounts.models import AuditEntry, DeniedAddress, User
from accounts.tests.test_siwe_api import ME, get_message, verify
from core.errors import ApiError

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return User.objects.create_superuser("0x" + "ad" * 20)


def test_a_denied_address_cannot_sign_in(api, account, admin_user):
    denylist.address_deny(address=account.address.lower(), reason="Phishing", actor=admin_user)
    reply = verify(api, account, get_message(api, account.address))
    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "address_denied"
    assert api.get(ME).status_code == 403
    assert not User.objects.filter(address=account.address).exists()  # no account was made


def test_denying_ends_existing_sessions_and_tokens(admin_user):
    user = User.objects.create_user("0x" + "12" * 20)
    client, api = Client(), APIClient()
    client.force_login(user)
    token = services.api_token_issue(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
    assert client.get("/accounts/profile").status_code == 200
    assert api.get(ME).status_code == 200
    denylist.address_deny(address=user.address, reason="Stolen models", actor=admin_user)
    assert client.get("/accounts/profile").status_code == 302  # signed out: to the sign-in page
    assert api.get(ME).status_code in (401, 403)


def test_lifting_restores_access_and_both_are_audited(admin_user):
    user = User.objects.create_user("0x" + "34" * 20)
    denylist.address_deny(address=user.address, reason="Spam", actor=admin_user)
    assert selectors.address_is_denied(address=user.address)
    with pytest.raises(ApiError) as error:
        denylist.address_deny(address=user.address, reason="Again", actor=admin_user)
    assert error.value.status_code == 409
    denylist.address_lift(address=user.address, reason="Appeal accepted", actor=admin_user)
    user.refresh_from_db()
    assert user.is_active and not selectors.address_is_denied(address=user.address)
    entries = list(AuditEntry.objects.order_by("id").values_list("action", "actor", "reason"))
    assert entries == [
        ("address.deny", admin_user.pk, "Spam"),
        ("address.lift", admin_user.pk, "Appeal accepted"),
    ]
    # Denied again later: a new active entry next to the lifted one.
    denylist.address_deny(address=user.address, reason="Spam again", actor=admin_user)
    assert DeniedAddress.objects.filter(address=user.address).count() == 2


def test_deny_needs_a_valid_address_and_a_reason(admin_user):
    with pytest.raises(ApiError):
        denylist.address_deny(address="0x123", reason="x", actor=admin_user)
    with pytest.raises(ApiError):
        denylist.address_deny(address="0x" + "56" * 20, reason=" ", actor=admin_user)
    with pytest.raises(ApiError) as error:
        denylist.address_lift(address="0x" + "56" * 20, reason="", actor=admin_user)
    assert error.value.status_code == 404


def test_deny_list_page_and_api_for_admins(admin_user):
    client = Client()
    client.force_login(admin_user)
    address = "0x" + "78" * 20
    reply = client.post("/moderation/deny-list/", {"address": address, "reason": "Fraud"})
    assert reply.status_code == 302
    page = client.get("/moderation/deny-list/").content.decode()
    assert "Fraud" in page
    listed = client.get("/api/v1/moderation/denied-addresses").json()["results"]
    assert [row["reason"] for row in listed] == ["Fraud"]
    checksummed = listed[0]["address"]
    reply = client.post(
        f"/api/v1/moderation/denied-addresses/{checksummed}/lift",
        {"reason": "ok"},
        content_type="application/json",
    )
    assert reply.status_code == 204
    audit = client.get("/api/v1/moderation/audit?action=address.").json()["results"]
    assert [row["action"] for row in audit] == ["address.lift", "address.deny"]
    csv = b"".join(client.get("/moderation/audit.csv").streaming_content).decode()
    assert csv.splitlines()[0].startswith("created_at,actor,action")
    assert "address.deny" in csv and "Fraud" in csv


def test_admin_changes_are_audited(admin_user):
    client = Client()
    client.force_login(admin_user)
    reply = client.post(
        "/admin/accounts/deniedaddress/add/", {"address": "0x" + "9a" * 20, "reason": "Bot"}
    )
    assert reply.status_code == 302, reply.content.decode()[:2000]
    assert selectors.address_is_denied(address="0x" + "9A" * 20) or DeniedAddress.objects.get()
    member = User.objects.create_user("0x" + "bc" * 20)
    reply = client.post(
        f"/admin/accounts/user/{member.pk}/change/",
        {"address": member.address, "display_name": "Renamed", "email": "", "is_active": "on"},
    )
    assert reply.status_code == 302, reply.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="admin.change")
    assert (entry.actor, entry.target_type, entry.target_id) == (
        admin_user,
        "accounts.user",
        str(member.pk),
    )
    assert "display_name" in entry.data["change"] or "Display name" in entry.data["change"]


def test_the_admin_csv_export_is_for_admins_and_defuses_formulas(admin_user):
    from django.contrib.auth.models import Permission

    AuditEntry.objects.create(action="report.create", reason='=HYPERLINK("http://evil","x")')
    ids = [str(pk) for pk in AuditEntry.objects.values_list("pk", flat=True)]
    form = {"action": "export_csv", "_selected_action": ids}
    client = Client()
    client.force_login(admin_user)
    reply = client.post("/admin/accounts/auditentry/", form)
    assert reply["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK" in reply.content.decode()

    staff = User.objects.create_user("0x" + "5f" * 20, is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    client.force_login(staff)
    assert client.get("/admin/accounts/auditentry/").status_code == 200  # may browse
    reply = client.post("/admin/accounts/auditentry/", form)
    assert not reply.get("Content-Type", "").startswith("text/csv")  # may not export
