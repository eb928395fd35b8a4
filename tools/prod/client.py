"""A marketplace API client for the production check: wallet keys that sign in (SIWE), sign
offers (EIP-712) and send the transactions the server builds, all over HTTP through nginx."""

from __future__ import annotations

import base64
import hashlib
import time

import requests
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount
from web3 import Web3

MiB = 1024**2


class ApiFailure(AssertionError):
    pass


class Client:
    """One person: a key and a session with their API token."""

    def __init__(self, base: str, account: LocalAccount | None = None):
        self.base = base.rstrip("/")
        self.account = account or Account.create()
        self.address = self.account.address
        self.http = requests.Session()

    def call(self, method: str, path: str, expect: int | tuple = (200, 201), **kwargs):
        reply = self.http.request(method, self.base + path, timeout=60, **kwargs)
        expected = expect if isinstance(expect, tuple) else (expect,)
        if reply.status_code not in expected:
            raise ApiFailure(f"{method} {path} → {reply.status_code}: {reply.text[:500]}")
        return reply

    def json(self, method: str, path: str, body=None, expect=(200, 201)):
        return self.call(method, path, expect, json=body).json()

    def sign_in(self) -> dict:
        """SIWE: the server writes the message, the key signs it, the server returns a token."""
        issued = self.json("POST", "/api/v1/auth/nonce", {"address": self.address})
        signature = self.account.sign_message(encode_defunct(text=issued["message"])).signature
        user = self.json(
            "POST",
            "/api/v1/auth/verify",
            {"message": issued["message"], "signature": signature.to_0x_hex(), "token": True},
        )
        self.http.headers["Authorization"] = f"Token {user['token']}"
        return user

    def browser_sign_in(self) -> requests.Session:
        """A second, cookie-based session, as the browser signs in (CSRF cookie from the nonce
        call, then verify without "token"): for the pages. Kept apart from the API session,
        since DRF checks CSRF on every API write made with a session cookie."""
        pages = requests.Session()
        issued = pages.post(self.base + "/api/v1/auth/nonce", json={"address": self.address},
                            timeout=30).json()  # fmt: skip
        signature = self.account.sign_message(encode_defunct(text=issued["message"])).signature
        reply = pages.post(
            self.base + "/api/v1/auth/verify",
            json={"message": issued["message"], "signature": signature.to_0x_hex()},
            headers={"X-CSRFToken": pages.cookies.get("csrftoken", ""), "Referer": self.base},
            timeout=30,
        )
        if reply.status_code != 200:
            raise ApiFailure(f"browser sign-in → {reply.status_code}: {reply.text[:300]}")
        return pages

    def sign_typed(self, document: dict) -> str:
        return self.account.sign_message(
            encode_typed_data(full_message=document)
        ).signature.to_0x_hex()

    def upload(self, name: str, data: bytes, chunk: int = 8 * MiB) -> dict:
        """The resumable upload API, as upload.js drives it: create, chunks with checksums,
        finish with the whole file's sha256. Returns the artifact {cid, sha256, size}."""
        sha256 = hashlib.sha256(data).hexdigest()
        upload = self.json(
            "POST",
            "/api/v1/artifacts/uploads/",
            {"filename": name, "size": len(data), "sha256": sha256},
        )
        for offset in range(0, len(data), chunk):
            piece = data[offset : offset + chunk]
            digest = base64.b64encode(hashlib.sha256(piece).digest()).decode()
            self.call(
                "PATCH",
                upload["urls"]["chunk"],
                data=piece,
                headers={
                    "Content-Type": "application/offset+octet-stream",
                    "Upload-Offset": str(offset),
                    "Upload-Checksum": f"sha256 {digest}",
                },
            )
        done = self.json("POST", upload["urls"]["finish"], {"sha256": sha256})
        return done["artifact"]


class Wallet:
    """What a browser wallet does for the buyer: sign and send a prepared transaction."""

    def __init__(self, rpc_url: str):
        self.w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))

    def send(self, step: dict, account: LocalAccount, timeout: float = 60):
        tx = {
            "from": account.address,
            "to": Web3.to_checksum_address(step["to"]),
            "data": step["data"],
            "value": int(step["value"]),
            "nonce": self.w3.eth.get_transaction_count(account.address, "pending"),
            "chainId": self.w3.eth.chain_id,
        }
        tx["gas"] = self.w3.eth.estimate_gas(tx)
        tx["maxPriorityFeePerGas"] = self.w3.eth.max_priority_fee
        base_fee = self.w3.eth.get_block("latest")["baseFeePerGas"]
        tx["maxFeePerGas"] = 2 * base_fee + tx["maxPriorityFeePerGas"]
        signed = account.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
        if receipt["status"] != 1:
            raise ApiFailure(f"transaction {tx_hash.to_0x_hex()} reverted")
        return receipt


def poll(check, timeout: float, what: str, every: float = 0.2):
    """Call `check` until it returns something truthy; that value, or ApiFailure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise ApiFailure(f"{what}: not after {timeout:.0f} s")
