"""Sign-In with Ethereum (EIP-4361) messages: build, parse strictly, and check signatures.

No database here: services.py owns nonces and users. Every failure a user can cause is raised
as an ApiError with a stable code and a message that says what to do next."""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime
from typing import TYPE_CHECKING

from chain import client
from core.errors import ApiError

if TYPE_CHECKING:
    from siwe import siwe as siwe_lib

NONCE_LENGTH = 24  # ~142 bits; EIP-4361 asks for at least 8 alphanumerics
# The ABNF parser is quadratic in the input length (2,000 chars take ~0.8 s), so long input is
# refused before it reaches the parser. Our messages are ~400 characters.
MESSAGE_MAX_LENGTH = 1500
_ALPHANUMERICS = string.ascii_letters + string.digits
_HEX_SIGNATURE = re.compile(r"0x(?:[0-9a-fA-F]{2})*")


def nonce_generate() -> str:
    return "".join(secrets.choice(_ALPHANUMERICS) for _ in range(NONCE_LENGTH))


def iso8601(moment: datetime) -> str:
    from siwe import siwe as siwe_lib  # loaded with web3 on the sign-in path only

    return siwe_lib.ISO8601Datetime.from_datetime(moment)


def message_build(
    *,
    address: str,
    nonce: str,
    scheme: str,
    host: str,
    chain_id: int,
    statement: str,
    issued_at: datetime,
    expires_at: datetime,
) -> str:
    """The EIP-4361 text a wallet shows and signs. The scheme is written out only when it is not
    the https that EIP-4361 assumes, so wallets can warn about a message for another origin."""
    from siwe import siwe as siwe_lib  # loaded with web3 on the sign-in path only

    message = siwe_lib.SiweMessage(
        scheme=None if scheme == "https" else scheme,
        domain=host,
        address=address,
        uri=f"{scheme}://{host}",
        version="1",
        chain_id=chain_id,
        issued_at=iso8601(issued_at),
        expiration_time=iso8601(expires_at),
        nonce=nonce,
        statement=statement,
    )
    return message.prepare_message()


def message_parse(text: str) -> siwe_lib.SiweMessage:
    """Parse `text`, which must be a complete EIP-4361 message in canonical form."""
    from siwe import siwe as siwe_lib  # loaded with web3 on the sign-in path only
    from siwe.defs import REGEX_MESSAGE

    malformed = ApiError(
        "The sign-in message is not a valid Sign-In with Ethereum (EIP-4361) message.",
        code="siwe_malformed",
    )
    # The cheap regular expression first: it turns away garbage before the slow ABNF parser.
    if len(text) > MESSAGE_MAX_LENGTH or not re.match(REGEX_MESSAGE, text):
        raise malformed
    try:
        message = siwe_lib.SiweMessage.from_message(text, abnf=True)
        canonical = message.prepare_message()
        moments = [message.issued_at, message.expiration_time, message.not_before]
        aware = all(m is None or m._datetime.tzinfo is not None for m in moments)
    except Exception as exc:
        # The parser raises a grab bag (abnf.ParseError, pydantic.ValidationError, ValueError,
        # TypeError...); every one of them means the text is not a message we can check.
        raise malformed from exc
    # Signatures are checked over the re-serialized message, so it must be byte-identical to what
    # the wallet signed; naive datetimes would make the expiry comparison meaningless.
    if canonical != text or not aware:
        raise malformed
    return message


def signature_check_format(signature: str) -> None:
    if not _HEX_SIGNATURE.fullmatch(signature):
        raise ApiError("The signature must be 0x-prefixed hex.", code="signature_malformed")


def message_verify(message: siwe_lib.SiweMessage, *, signature: str, now: datetime) -> None:
    """Check times and the signature: an EOA's by recovery, a contract wallet's via ERC-1271.

    Recovery needs no chain, so plain wallets sign in even when the RPC node is down; only when
    recovery gives another address do we ask the chain whether the address is a contract."""
    from siwe import siwe as siwe_lib  # loaded with web3 on the sign-in path only

    try:
        # Domain, nonce and URI were checked against this site already (services.py).
        message.verify(signature, timestamp=now)
        return
    except siwe_lib.ExpiredMessage:
        raise ApiError(
            f"The sign-in message expired at {message.expiration_time}. Start again.",
            code="message_expired",
        ) from None
    except siwe_lib.NotYetValidMessage:
        raise ApiError(
            f"The sign-in message is not valid before {message.not_before}.",
            code="message_not_yet_valid",
        ) from None
    except siwe_lib.VerificationError:
        pass
    if not _contract_wallet_accepts(message, signature):
        raise ApiError(
            f"The signature was not made by {message.address}: sign with that account.",
            code="signature_invalid",
            status=401,
        )


def _contract_wallet_accepts(message: siwe_lib.SiweMessage, signature: str) -> bool:
    """ERC-1271: ask the contract at message.address whether it accepts the signature."""
    from eth_account.messages import encode_defunct
    from siwe import siwe as siwe_lib  # loaded with web3 on the sign-in path only

    w3 = client.get_web3()
    with client.chain_errors(
        "Could not reach the chain to check a contract-wallet signature. Try again shortly."
    ):
        if not w3.eth.get_code(message.address):
            return False  # an EOA: recovery already said no
        signable = encode_defunct(text=message.prepare_message())
        return siwe_lib.check_contract_wallet_signature(
            address=message.address, message=signable, signature=signature, w3=w3
        )
