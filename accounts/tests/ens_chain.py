"""A minimal ENS on the test chain (contracts/src/test/TestENS.sol): registry, resolver and
reverse registrar, deployed by a funded throwaway account that owns the root."""

from eth_account import Account
from eth_utils import keccak

from chain.client import load_artifact, transact
from chain.ens import namehash


class ChainENS:
    """The deployed ENS and who owns what in it; `claim` gives names to accounts."""

    def __init__(self, w3):
        self.w3 = w3
        self.root = self.funded()
        self.registry = self.deploy("TestENSRegistry")
        self.resolver = self.deploy("TestENSResolver", self.registry.address)
        self.reverse = self.deploy(
            "TestReverseRegistrar", self.registry.address, self.resolver.address
        )
        self.subnode(b"", "reverse", self.root.address)
        self.subnode(namehash("reverse"), "addr", self.reverse.address)
        self.subnode(b"", "eth", self.root.address)

    def funded(self):
        account = Account.create()
        self.w3.provider.make_request("anvil_setBalance", [account.address, hex(10**20)])
        return account

    def deploy(self, name: str, *args):
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        receipt = transact(factory.constructor(*args), account=self.root, w3=self.w3)
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])

    def subnode(self, parent: bytes, label: str, owner: str) -> None:
        call = self.registry.functions.setSubnodeOwner(
            parent or b"\x00" * 32, keccak(text=label), owner
        )
        transact(call, account=self.root, w3=self.w3)

    def register(self, label: str, *, points_to: str, owner=None) -> str:
        """`<label>.eth`, owned by `owner`, its addr() record set to `points_to`."""
        owner = owner or self.funded()
        self.subnode(namehash("eth"), label, owner.address)
        node = namehash(f"{label}.eth")
        transact(
            self.registry.functions.setResolver(node, self.resolver.address),
            account=owner,
            w3=self.w3,
        )
        call = self.resolver.functions.setAddr(node, points_to)
        transact(call, account=owner, w3=self.w3)
        return f"{label}.eth"

    def set_primary(self, account, name: str) -> None:
        transact(self.reverse.functions.setName(name), account=account, w3=self.w3)
