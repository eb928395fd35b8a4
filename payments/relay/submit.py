"""Relay a signed gasless purchase. Everything that can be refused is refused before a
transaction is sent and before any gas is reserved: an intent for another listing, an amount
that is not the price, a lapsed deadline, a signature that is not the buyer's on this chain, an
intent already used, a purchase the chain would revert, a spent budget or API-token cap. Then
the relayer sends it and the real gas cost is recorded against the day's sponsorship."""

from __future__ import annotations

import datetime as dt
import threading
import time
from functools import cache

from django.conf import settings
from django.db import transaction
from hexbytes import HexBytes

from accounts.denylist import address_check_allowed
from chain import client, typed_data
from chain.gasless import PurchaseIntent, TransferWithAuthorization, checkout_domain
from chain.signatures import signer_accepts
from core.errors import ApiError
from core.eth import is_address, keccak, to_checksum_address
from listings.models import Listing
from payments.models import RelayedPurchase
from payments.purchase.sale import Sale, check_terms, insufficient, marketplace, read_sale
from payments.relay import budget
from payments.relay.prepare import checkout, signing_documents
from payments.relay.tokens import AUTHORIZATION, PERMIT, signing_facts
from payments.spending.services import spend_check

TRANSFER = RelayedPurchase.Method.TRANSFER
# A purchase that registers its listing first cannot be estimated before the registration is
# mined: it gets this limit (a registering purchase with ten splits stays far below).
PURCHASE_GAS_BOUND = 600_000
_send_lock = threading.Lock()  # one relayer nonce sequence per process (the DB lock spans them)


def _bad(message: str, code: str = "bad_intent", status: int = 400) -> ApiError:
    return ApiError(message, code=code, status=status)


def whole(value) -> int:
    """A JSON whole number, 0 or more: an int or a string of digits (never a float such as
    1e400, which JSON parsers read as infinity, nor a bool). ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 80:
        return int(value)
    raise ValueError(f"not a whole number: {value!r}"[:80])


def parse_intent(data) -> PurchaseIntent:
    """A PurchaseIntent from its JSON (decimal strings or ints), or a 400."""
    if not isinstance(data, dict):
        raise _bad("intent must be an object, as the prepare endpoint returned it.")
    try:
        numbers = {k: whole(data[k]) for k in ("listingId", "tierId", "quantity", "amount")}
        deadline = whole(data["deadline"])
        nonce = bytes(HexBytes(data["nonce"]))
        buyer, currency = data["buyer"], data["currency"]
    except (KeyError, TypeError, ValueError):
        raise _bad("intent is incomplete or malformed.") from None
    if len(nonce) != 32 or not (is_address(buyer) and is_address(currency)):
        raise _bad("intent has a malformed address or nonce.")
    # The Solidity types' ranges: uint256 listingId and amount, uint8 tier, uint32 quantity,
    # uint64 deadline (and nothing past them reaches the database or the chain).
    limits = {"listingId": 2**256, "tierId": 2**8, "quantity": 2**32, "amount": 2**256}
    if any(not 0 <= numbers[k] < limit for k, limit in limits.items()) or not (
        0 <= deadline < 2**64
    ):
        raise _bad("intent has a negative or oversized number.")
    return PurchaseIntent(
        buyer=to_checksum_address(buyer),
        listing_id=numbers["listingId"],
        tier_id=numbers["tierId"],
        quantity=numbers["quantity"],
        currency=to_checksum_address(currency),
        amount=numbers["amount"],
        nonce=nonce,
        deadline=deadline,
    )


def _signature(text) -> bytes:
    try:
        raw = bytes(HexBytes(text))
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != 65:
        raise _bad("A signature must be 65 bytes of 0x-hex.", code="signature_invalid")
    return raw


def check_intent(listing: Listing, intent: PurchaseIntent) -> Sale:
    """The sale the intent pays for, as the chain sees it now; 4xx if the intent does not pay
    exactly that, in time."""
    if intent.listing_id != listing.onchain_id:
        raise _bad("The intent is for another listing.", code="intent_mismatch")
    check_terms(listing, intent.tier_id, intent.quantity)
    address_check_allowed(address=intent.buyer)
    now = int(time.time())
    if intent.deadline <= now:
        raise _bad("The signed purchase has expired; prepare and sign again.", "intent_expired")
    if intent.deadline > now + settings.RELAY_INTENT_TTL_SECONDS + 60:
        # Bounded: a purchase sent and stuck is known dead (and its buyer free) soon after.
        raise _bad("The intent's deadline is too far ahead; prepare it again.")
    sale = read_sale(listing, intent.tier_id, intent.quantity, marketplace(), intent.buyer)
    if intent.currency != sale.currency or intent.amount != sale.total:
        raise ApiError(
            f"The payment is for {intent.amount} of {intent.currency}; this purchase costs "
            f"{sale.total} of {sale.currency}. Prepare and sign again.",
            code="wrong_amount",
            status=409,
        )
    return sale


def _check_signed(intent, method, domain, token, desk, signatures: list[bytes]) -> bytes:
    """The intent's digest, once the buyer's signatures check out on this chain."""
    digest = bytes(typed_data.digest(intent, checkout_domain(settings.CHAIN_ID, desk.address)))
    documents = signing_documents(intent, method, domain, token, desk.address)
    if len(signatures) != len(documents):
        raise _bad(
            f"Expected {len(documents)} signature(s) for this currency.", "signature_invalid"
        )
    from eth_account.messages import encode_typed_data

    for document, signature in zip(documents, signatures, strict=True):
        signable = encode_typed_data(full_message=document)
        hashed = keccak(b"\x19" + signable.version + signable.header + signable.body)
        if not signer_accepts(intent.buyer, hashed, signature):
            raise _bad(
                f"The {document['primaryType']} was not signed by {intent.buyer} for this "
                "purchase on this chain.",
                code="signature_invalid",
            )
    used = (
        token.functions.authorizationState(intent.buyer, digest).call()
        if method == AUTHORIZATION
        else desk.functions.usedIntents(digest).call()
    )
    if used:
        raise ApiError("This signed purchase was already used.", code="already_relayed", status=409)
    return digest


def purchase_calls(sale: Sale, desk, method: str, intent, signatures, valid_after: int = 0) -> list:
    calls = []
    if not sale.registered:
        offer = sale.offer
        calls.append(marketplace().functions.register(offer.message, HexBytes(offer.signature)))
    struct = intent.as_struct()
    if method == AUTHORIZATION:
        calls.append(desk.functions.buyWithAuthorization(struct, valid_after, signatures[0]))
    elif method == PERMIT:
        v, r, s = typed_data.split_signature(signatures[0])
        permit = (intent.deadline, v, r, s)
        calls.append(desk.functions.buyWithPermit(struct, permit, signatures[1]))
    else:
        calls.append(
            desk.functions.buyWithTransferAuthorization(struct, valid_after, signatures[0])
        )
    return calls


@cache
def _error_names() -> dict[str, str]:
    names = {}
    for artifact in ("Marketplace", "Checkout", "TestAuthToken"):
        for item in client.load_artifact(artifact)["abi"]:
            if item["type"] == "error":
                types = ",".join(i["type"] for i in item["inputs"])
                names["0x" + keccak(text=f"{item['name']}({types})")[:4].hex()] = item["name"]
    return names


def _estimates(calls: list, relayer: str) -> list[int]:
    from web3.exceptions import ContractCustomError, ContractLogicError

    limits = []
    for index, call in enumerate(calls):
        if index and len(calls) > 1:  # after a registration not yet mined
            limits.append(PURCHASE_GAS_BOUND)
            continue
        try:
            limits.append(int(call.estimate_gas({"from": relayer}) * 12 // 10))
        except (ContractCustomError, ContractLogicError) as exc:
            data = exc.data if isinstance(exc.data, str) else ""
            reason = _error_names().get(data[:10], str(exc)[:120])
            raise ApiError(
                f"The chain would refuse this purchase ({reason}); nothing was sent.",
                code="purchase_would_fail",
                status=409,
            ) from None
    return limits


def relayer_account():
    from eth_account import Account  # eth_account loads on first use, not at start

    return Account.from_key(settings.CHAIN_RELAYER_KEY or settings.CHAIN_DEPLOYER_KEY)


def _broadcast(relay, calls: list, limits: list[int], relayer, w3) -> Exception | None:
    """Sign the calls with consecutive nonces, record their hashes on the relay, then send
    them in order: the error that stopped the sending, if any. Hashes first: a send whose
    reply is lost may still have reached the node, and the relay must know what to look for."""
    with _send_lock, transaction.atomic():
        budget.day_lock(budget.today())  # the relayer's nonces, across processes
        try:
            nonce = w3.eth.get_transaction_count(relayer.address, "pending")
            signed = []
            for offset, (call, gas) in enumerate(zip(calls, limits, strict=True)):
                tx = call.build_transaction(
                    {"from": relayer.address, "nonce": nonce + offset, "gas": gas}
                )
                signed.append(relayer.sign_transaction(tx))
        except client.RPC_ERRORS as exc:
            return exc
        relay.tx_hashes = [HexBytes(s.hash).to_0x_hex() for s in signed]
        relay.save(update_fields=["tx_hashes"])
        try:
            for transaction_ in signed:
                w3.eth.send_raw_transaction(transaction_.raw_transaction)
        except client.RPC_ERRORS as exc:
            return exc  # caught inside the block: the hashes are kept (committed)
    return None


def _reached_the_node(relay, w3) -> bool:
    """Whether any of the relay's transactions is known to the node (pending or mined); True
    when the node cannot say (then the relay must be treated as perhaps sent)."""
    from web3.exceptions import TransactionNotFound

    try:
        for tx_hash in relay.tx_hashes:
            try:
                w3.eth.get_transaction(tx_hash)
                return True
            except TransactionNotFound:
                continue
    except client.RPC_ERRORS:
        return True
    return False


def relay_purchase(
    *, listing, sale, intent, method, digest, calls, source, api_token
) -> RelayedPurchase:
    """Reserve gas from the day's budget, send, record the real cost. The API token's spend
    controls are checked first, and again under the budget's lock."""
    budget.sponsorable(sale)
    spend_check(api_token=api_token, listing=listing, currency=sale.currency, amount=sale.total)
    w3 = client.get_web3()
    relayer = relayer_account()
    limits = _estimates(calls, relayer.address)
    reserve = sum(limits) * w3.eth.gas_price
    relay = budget.relay_reserve(
        reserve=reserve,
        listing=listing,
        tier_index=intent.tier_id,
        quantity=intent.quantity,
        buyer=intent.buyer,
        currency=intent.currency,
        amount=intent.amount,
        method=method,
        source=source,
        intent_digest=HexBytes(digest).to_0x_hex(),
        deadline=intent.deadline,
        api_token=api_token,
        relayer=relayer.address,
    )
    error = _broadcast(relay, calls, limits, relayer, w3)
    if error is not None and not _reached_the_node(relay, w3):
        budget.relay_settle(relay=relay, receipts=[], error=f"not sent: {error}")
        raise ApiError(
            "The chain is not reachable right now; nothing was sent.",
            code="chain_unavailable",
            status=503,
        ) from error
    try:
        if error is not None:
            raise error
        receipts = [w3.eth.wait_for_transaction_receipt(h) for h in relay.tx_hashes]
    except client.RPC_ERRORS as exc:
        # Sent, and perhaps mined later: left submitted (its buyer's next relay waits, its
        # reservation stands) until reconcile() reads the receipts or the deadline passes.
        raise ApiError(
            "Your purchase was sent but is not confirmed yet: check your access in a minute. "
            "Do not pay again.",
            code="relay_unconfirmed",
            status=503,
        ) from exc
    reverted = receipts[-1]["status"] != 1  # the purchase (a registration may precede it)
    budget.relay_settle(relay=relay, receipts=receipts, error="reverted" if reverted else "")
    if reverted and method == TRANSFER and _stranded(intent):
        raise ApiError(
            "Someone submitted your payment to the token before the marketplace could: it "
            f"reached the checkout without buying anything. {_refund(relay, intent)}",
            code="payment_stranded",
            status=409,
        )
    if reverted:
        raise ApiError(
            "The purchase transaction reverted; no money moved.", code="relay_failed", status=409
        )
    return relay


def _stranded(intent) -> bool:
    """Whether a plain transfer authorization (x402's, which names no purchase) was used on
    the token without our purchase: then its money sits in the Checkout."""
    token = client.get_contract("TestAuthToken", address=intent.currency)  # EIP-3009's ABI
    try:
        return bool(token.functions.authorizationState(intent.buyer, intent.nonce).call())
    except client.RPC_ERRORS:
        return False


def _refund(relay, intent) -> str:
    """Send a stranded payment back to its payer with the Checkout owner's `rescue` (the
    authorization is settled here once: one relay row, one refund). The sentence to tell."""
    from eth_account import Account

    owner = Account.from_key(settings.CHAIN_DEPLOYER_KEY)
    rescue = checkout().functions.rescue(intent.currency, intent.buyer, intent.amount)
    try:
        receipt = client.transact(rescue, account=owner)
    except (*client.RPC_ERRORS, ValueError) as exc:
        relay.error = f"stranded; refund failed: {exc}"[:300]
        relay.save(update_fields=["error"])
        return "It is held there and the marketplace's operator returns it to you."
    relay.error = f"stranded; refunded in {receipt['transactionHash'].to_0x_hex()}"
    relay.save(update_fields=["error"])
    return "It was sent back to you in the same minute; no licence was minted."


def reconcile(*, older_than: float = 60.0) -> int:
    """Settle relays left submitted when their receipt did not come in time (the request
    answered `relay_unconfirmed`): from the receipts once mined. One not mined once its signed
    payment's deadline has passed can never be (the Checkout and the token refuse it after
    that): failed, its reservation kept. For the beat; the number settled."""
    from django.utils import timezone
    from web3.exceptions import TransactionNotFound

    now = timezone.now()
    stale = RelayedPurchase.objects.filter(
        status=RelayedPurchase.Status.SUBMITTED,
        created_at__lt=now - dt.timedelta(seconds=older_than),
    ).exclude(tx_hashes=[])
    w3, settled = client.get_web3(), 0
    for relay in stale:
        try:
            receipts = [w3.eth.get_transaction_receipt(h) for h in relay.tx_hashes]
        except TransactionNotFound:
            latest = w3.eth.get_block("latest")["timestamp"]
            if relay.deadline is not None and latest > relay.deadline:
                relay.status, relay.error = RelayedPurchase.Status.FAILED, "never mined"
                relay.save(update_fields=["status", "error"])
                settled += 1
            continue
        reverted = receipts[-1]["status"] != 1
        budget.relay_settle(relay=relay, receipts=receipts, error="reverted" if reverted else "")
        settled += 1
    return settled


def gasless_submit(
    *,
    listing: Listing,
    intent: dict,
    signatures: list,
    api_token=None,
) -> RelayedPurchase:
    """Check the buyer's signed purchase and relay it (see the module's notes)."""
    parsed = parse_intent(intent)
    raw = [_signature(s) for s in signatures or []]
    desk = checkout()
    with client.chain_errors():
        sale = check_intent(listing, parsed)
        method, domain, token = signing_facts(sale.currency)
        digest = _check_signed(parsed, method, domain, token, desk, raw)
        if token.functions.balanceOf(parsed.buyer).call() < parsed.amount:
            raise insufficient("token")
        calls = purchase_calls(sale, desk, method, parsed, raw)
        return relay_purchase(
            listing=listing,
            sale=sale,
            intent=parsed,
            method=method,
            digest=digest,
            calls=calls,
            source=RelayedPurchase.Source.API,
            api_token=api_token,
        )


def transfer_authorization_check(
    intent: PurchaseIntent, valid_after: int, signature: bytes, domain
):
    """Whether `signature` is the buyer's TransferWithAuthorization of exactly the intent's
    amount to the Checkout (x402's `exact` payload)."""
    auth = TransferWithAuthorization(
        sender=intent.buyer,
        to=checkout().address,
        value=intent.amount,
        valid_after=valid_after,
        valid_before=intent.deadline,
        nonce=intent.nonce,
    )
    return signer_accepts(intent.buyer, bytes(typed_data.digest(auth, domain)), signature)
