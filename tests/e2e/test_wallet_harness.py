"""The injected test wallet itself: what later browser tests (purchases, offers) rely on."""

from eth_account import Account
from eth_account.messages import encode_typed_data

REQUEST = "([method, params]) => window.ethereum.request({ method, params })"

TYPED = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "chainId", "type": "uint256"},
        ],
        "Offer": [{"name": "listing", "type": "uint256"}, {"name": "price", "type": "uint256"}],
    },
    "primaryType": "Offer",
    "domain": {"name": "Marketplace", "chainId": 31337},
    "message": {"listing": 7, "price": 1000},
}


def request(page, method, params=()):
    return page.evaluate(REQUEST, [method, list(params)])


def test_signs_typed_data_v4_with_its_key(page, wallet):
    page.goto("/")
    request(page, "eth_requestAccounts")
    signature = request(page, "eth_signTypedData_v4", [wallet.address, TYPED])
    signer = Account.recover_message(encode_typed_data(full_message=TYPED), signature=signature)
    assert signer == wallet.address


def test_sends_signed_transactions_to_anvil_and_forwards_reads(page, wallet, w3):
    page.goto("/")
    request(page, "eth_requestAccounts")
    recipient = Account.create().address
    tx_hash = request(
        page,
        "eth_sendTransaction",
        [{"from": wallet.address, "to": recipient, "value": hex(10**18)}],
    )
    assert w3.eth.wait_for_transaction_receipt(tx_hash).status == 1
    assert request(page, "eth_getBalance", [recipient, "latest"]) == hex(10**18)
    assert wallet.sent_transactions == [tx_hash]


def test_rejections_and_unsupported_methods_are_provider_errors(page, wallet):
    wallet.reject_transactions = True
    page.goto("/")
    request(page, "eth_requestAccounts")
    code = page.evaluate(
        """(from) => window.ethereum.request({ method: "eth_sendTransaction",
               params: [{ from, to: from, value: "0x1" }] }).catch((e) => e.code)""",
        wallet.address,
    )
    assert code == 4001
    unsupported = page.evaluate(
        "() => window.ethereum.request({ method: 'eth_sign', params: [] }).catch((e) => e.code)"
    )
    assert unsupported == 4200
