// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Test payee that, when paid ETH, applies a due platform fee change on the Marketplace:
/// lean enough to do it within the 30,000 gas a payout gets, to show the Marketplace refuses to
/// credit the ETH fee while a sale is still paying out.
contract FeeApplier {
    address private immutable _market;

    constructor(address market) {
        _market = market;
    }

    receive() external payable {
        (bool ok, bytes memory reply) = _market.call(abi.encodeWithSignature("applyPlatformFee()"));
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reply, 32), mload(reply))
            }
        }
    }
}
