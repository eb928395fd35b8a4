from datetime import timedelta

import pytest
from django.utils import timezone
from eth_account import Account
from siwe import siwe as siwe_lib

from accounts import services, siwe
from accounts.models import SiweNonce, User
from accounts.tasks import nonce_purge
from accounts.tests.factories import (
    HOST,
    SCHEME,
    erc1271_wallet_deploy,
    iso,
    sign_text,
    siwe_message,
    user_create,
)
from chain.anvil import free_port
from core.errors import ApiError

pytestmark = pytest.mark.django_db


def issue(address: str) -> services.IssuedNonce:
    return services.siwe_nonce_issue(address=address, scheme=SCHEME, host=HOST)


def sign_in(message: str, signature: str) -> User:
    return services.siwe_sign_in(message=message, signature=signature, scheme=SCHEME, host=HOST)


def rejected(message: str, signature: str) -> ApiError:
    with pytest.raises(ApiError) as caught:
        sign_in(message, signature)
    assert 400 <= caught.value.status_code < 500
    return caught.value


def test_nonce_issue_builds_a_message_for_this_site(account, settings):
    issued = issue(account.address.lower())
    parsed = siwe_lib.SiweMessage.from_message(issued.message)
    assert (parsed.domain, parsed.uri, parsed.scheme) == (HOST, "http://testserver", "http")
    assert parsed.address == account.address  # checksummed
    assert parsed.chain_id == settings.CHAIN_ID
    assert parsed.statement == settings.SIWE_STATEMENT
    assert parsed.nonce == issued.nonce and len(issued.nonce) >= 8
    row = SiweNonce.objects.get(nonce=issued.nonce)
    assert row.address == account.address and row.used_at is None
    ttl = (row.expires_at - row.issued_at).total_seconds()
    assert ttl == settings.SIWE_NONCE_TTL_SECONDS
    assert parsed.expiration_time == iso(row.expires_at)


def test_nonce_issue_leaves_the_scheme_implicit_for_https(account):
    issued = services.siwe_nonce_issue(address=account.address, scheme="https", host="example.com")
    assert issued.message.startswith("example.com wants you to sign in")
    assert "URI: https://example.com\n" in issued.message


@pytest.mark.parametrize(
    "address",
    ["", "0x123", "not an address", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267X",
     "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"],  # the last: a bad EIP-55 checksum
)  # fmt: skip
def test_nonce_issue_refuses_what_is_not_an_address(address):
    with pytest.raises(ApiError) as caught:
        issue(address)
    assert caught.value.get_codes() == "address_invalid"
    assert not SiweNonce.objects.exists()


def test_valid_sign_in_creates_the_user_and_consumes_the_nonce(account):
    issued = issue(account.address)
    user = sign_in(issued.message, sign_text(account, issued.message))
    assert user.address == account.address
    assert not user.has_usable_password()
    assert SiweNonce.objects.get(nonce=issued.nonce).used_at is not None
    again = issue(account.address)
    assert sign_in(again.message, sign_text(account, again.message)) == user


def test_a_client_built_message_with_a_server_nonce_signs_in(account):
    nonce = issue(account.address).nonce
    message = siwe_message(address=account.address, nonce=nonce, resources=["https://x.test/a"])
    assert sign_in(message, sign_text(account, message)).address == account.address


def test_replayed_nonce_is_refused(account):
    issued = issue(account.address)
    signature = sign_text(account, issued.message)
    sign_in(issued.message, signature)
    assert rejected(issued.message, signature).get_codes() == "nonce_used"


def test_nonce_is_single_use_even_when_a_concurrent_request_wins(account, monkeypatch):
    """Two requests with one message pass every check; the conditional UPDATE lets one win."""
    issued = issue(account.address)
    real_verify = siwe.message_verify

    def verify_while_another_request_consumes(*args, **kwargs):
        real_verify(*args, **kwargs)
        SiweNonce.objects.filter(nonce=issued.nonce).update(used_at=timezone.now())

    monkeypatch.setattr(siwe, "message_verify", verify_while_another_request_consumes)
    error = rejected(issued.message, sign_text(account, issued.message))
    assert error.get_codes() == "nonce_used"
    assert not User.objects.filter(address=account.address).exists()


def test_expired_message_is_refused(account):
    nonce = issue(account.address).nonce
    past = timezone.now() - timedelta(minutes=1)
    message = siwe_message(
        address=account.address,
        nonce=nonce,
        issued_at=iso(past - timedelta(minutes=5)),
        expiration_time=iso(past),
    )
    error = rejected(message, sign_text(account, message))
    assert error.get_codes() == "message_expired"
    assert "expired" in str(error.detail)
    assert SiweNonce.objects.get(nonce=nonce).used_at is None


def test_message_not_yet_valid_is_refused(account):
    nonce = issue(account.address).nonce
    later = iso(timezone.now() + timedelta(minutes=2))
    message = siwe_message(address=account.address, nonce=nonce, not_before=later)
    assert rejected(message, sign_text(account, message)).get_codes() == "message_not_yet_valid"


def test_message_issued_in_the_future_is_refused(account):
    nonce = issue(account.address).nonce
    future = timezone.now() + timedelta(hours=1)
    message = siwe_message(
        address=account.address,
        nonce=nonce,
        issued_at=iso(future),
        expiration_time=iso(future + timedelta(minutes=5)),
    )
    assert rejected(message, sign_text(account, message)).get_codes() == "issued_in_future"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"domain": "evil.example"}, "domain_mismatch"),
        ({"domain": "testserver:8000"}, "domain_mismatch"),
        ({"uri": "http://evil.example/login"}, "uri_mismatch"),
        ({"scheme": "https", "uri": "https://testserver"}, "uri_mismatch"),
        ({"scheme": None}, "uri_mismatch"),  # no scheme means https, and this site is http
        ({"chain_id": 1}, "chain_mismatch"),
    ],
)
def test_message_for_another_site_or_chain_is_refused(account, overrides, code):
    nonce = issue(account.address).nonce
    message = siwe_message(address=account.address, nonce=nonce, **overrides)
    error = rejected(message, sign_text(account, message))
    assert error.get_codes() == code
    assert SiweNonce.objects.get(nonce=nonce).used_at is None


def test_wrong_chain_message_says_which_chain(account, settings):
    nonce = issue(account.address).nonce
    message = siwe_message(address=account.address, nonce=nonce, chain_id=1)
    error = rejected(message, sign_text(account, message))
    assert f"chain id {settings.CHAIN_ID}" in str(error.detail)


def test_wrong_signer_is_refused(account, anvil):
    issued = issue(account.address)
    error = rejected(issued.message, sign_text(Account.create(), issued.message))
    assert error.get_codes() == "signature_invalid"
    assert error.status_code == 401
    assert account.address in str(error.detail)


def test_message_for_another_address_than_the_nonce_is_refused(account):
    nonce = issue(account.address).nonce
    other = Account.create()
    message = siwe_message(address=other.address, nonce=nonce)
    assert rejected(message, sign_text(other, message)).get_codes() == "address_mismatch"


def test_unknown_nonce_is_refused(account):
    message = siwe_message(address=account.address, nonce="neverIssued12345")
    assert rejected(message, sign_text(account, message)).get_codes() == "nonce_unknown"


def test_nonce_expired_server_side_is_refused(account):
    issued = issue(account.address)
    SiweNonce.objects.filter(nonce=issued.nonce).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    error = rejected(issued.message, sign_text(account, issued.message))
    assert error.get_codes() == "nonce_expired"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda m: "",
        lambda m: "hello",
        lambda m: m.replace("Version: 1", "Version: 2"),
        lambda m: m.replace("Chain ID: ", "Chain: "),
        lambda m: m + "\n",  # not canonical: the signature would cover different bytes
        lambda m: m.replace("\n", "\r\n"),
        lambda m: m.replace("Nonce: ", "Nonce: !"),
        lambda m: m.replace("Issued At: ", "Issued At: yesterday "),
        lambda m: m + "\nResources:\n- " + "x" * 2000,
        lambda m: m.split("\n", 1)[1],  # no header line
    ],
)
def test_malformed_message_is_refused(account, mangle):
    issued = issue(account.address)
    message = mangle(issued.message)
    error = rejected(message, sign_text(account, message))
    assert error.get_codes() == "siwe_malformed"
    assert "EIP-4361" in str(error.detail)


@pytest.mark.parametrize("signature", ["", "0x12345", "zz", "0xzz", "12" * 65])
def test_malformed_signature_is_refused(account, signature):
    issued = issue(account.address)
    assert rejected(issued.message, signature).get_codes() == "signature_malformed"


def test_disabled_account_cannot_sign_in(account):
    user_create(address=account.address, is_active=False)
    issued = issue(account.address)
    error = rejected(issued.message, sign_text(account, issued.message))
    assert (error.get_codes(), error.status_code) == ("account_disabled", 403)


def test_eoa_sign_in_does_not_need_the_chain(account, settings):
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    issued = issue(account.address)
    assert sign_in(issued.message, sign_text(account, issued.message)).address == account.address


def test_contract_wallet_check_with_the_chain_down_is_a_503(account, settings):
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"
    issued = issue(account.address)
    with pytest.raises(ApiError) as caught:
        sign_in(issued.message, sign_text(Account.create(), issued.message))
    assert (caught.value.get_codes(), caught.value.status_code) == ("chain_unavailable", 503)


def test_erc1271_contract_wallet_signs_in_with_its_owner_key(w3):
    owner = Account.create()
    wallet = erc1271_wallet_deploy(w3, owner=owner.address)
    issued = issue(wallet)
    user = sign_in(issued.message, sign_text(owner, issued.message))
    assert user.address == wallet


def test_erc1271_contract_wallet_refuses_a_stranger(w3):
    wallet = erc1271_wallet_deploy(w3, owner=Account.create().address)
    issued = issue(wallet)
    error = rejected(issued.message, sign_text(Account.create(), issued.message))
    assert error.get_codes() == "signature_invalid"


def test_purge_deletes_expired_nonces_only(account):
    fresh = issue(account.address)
    used = issue(account.address)
    sign_in(used.message, sign_text(account, used.message))
    stale = issue(account.address)
    SiweNonce.objects.filter(nonce=stale.nonce).update(expires_at=timezone.now())
    assert nonce_purge() == 1
    assert set(SiweNonce.objects.values_list("nonce", flat=True)) == {fresh.nonce, used.nonce}
    later = timezone.now() + timedelta(days=1)
    assert services.siwe_nonce_purge_expired(now=later) == 2
