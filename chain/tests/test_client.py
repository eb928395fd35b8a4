from eth_account import Account
from eth_account.messages import encode_defunct

from chain.client import load_artifact


def test_deploys_a_compiled_contract_on_anvil(w3):
    artifact = load_artifact("TestERC1271Wallet")
    owner = Account.create()
    deployer = w3.eth.accounts[0]
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(owner.address).transact({"from": deployer})
    )
    wallet = w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"])
    message = encode_defunct(text="hello")
    signed = owner.sign_message(message)
    digest = w3.keccak(b"\x19Ethereum Signed Message:\n5hello")
    assert wallet.functions.isValidSignature(digest, signed.signature).call() == bytes.fromhex(
        "1626ba7e"
    )
    stranger = Account.create().sign_message(message)
    assert wallet.functions.isValidSignature(digest, stranger.signature).call() != bytes.fromhex(
        "1626ba7e"
    )
