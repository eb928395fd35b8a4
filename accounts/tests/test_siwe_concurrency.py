"""Single use under real concurrency: many threads, one signed message, one winner."""

import threading

import pytest
from django.db import connection
from eth_account import Account

from accounts import services
from accounts.models import SiweNonce
from accounts.tests.factories import HOST, SCHEME, sign_text
from core.errors import ApiError

THREADS = 6


@pytest.mark.django_db(transaction=True)
def test_one_message_signs_in_once_under_concurrent_requests():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:"):
        pytest.skip("in-memory SQLite has table locks, not the row behaviour this checks")
    account = Account.create()
    issued = services.siwe_nonce_issue(address=account.address, scheme=SCHEME, host=HOST)
    signature = sign_text(account, issued.message)
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def attempt():
        start.wait()
        try:
            services.siwe_sign_in(
                message=issued.message, signature=signature, scheme=SCHEME, host=HOST
            )
            outcomes.append("signed in")
        except ApiError as exc:
            outcomes.append(exc.get_codes())
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["nonce_used"] * (THREADS - 1) + ["signed in"]
    assert SiweNonce.objects.get(nonce=issued.nonce).used_at is not None
