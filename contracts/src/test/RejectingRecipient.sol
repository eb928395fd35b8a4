// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A split recipient that cannot take ETH: it reverts, or (`burnGas`) spins until its
/// gas runs out. It can still collect its credit by withdrawing to another address.
contract RejectingRecipient {
    bool public burnGas;

    error NoThanks();

    function setBurnGas(bool value) external {
        burnGas = value;
    }

    /// @notice Call `target` with `data` (e.g. `withdraw(currency, to)`), bubbling a revert.
    function execute(address target, bytes calldata data) external {
        (bool ok, bytes memory reply) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reply, 32), mload(reply))
            }
        }
    }

    receive() external payable {
        if (burnGas) {
            while (true) {}
        }
        revert NoThanks();
    }
}
