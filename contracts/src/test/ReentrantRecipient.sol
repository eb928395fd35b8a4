// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A hostile party for reentrancy tests. Armed with call data (a purchase, a
/// withdraw...), it calls back into `target` whenever it receives ETH or a licence token, and
/// passes any failure on, so a blocked re-entry makes the payment (or the mint) fail.
contract ReentrantRecipient {
    address public target;
    uint256 public attackValue;
    bytes public attack;

    function arm(address target_, bytes calldata attack_, uint256 attackValue_) external payable {
        (target, attack, attackValue) = (target_, attack_, attackValue_);
    }

    /// @notice Call `target` with `data` and `value` as this contract, bubbling a revert.
    function execute(bytes calldata data, uint256 value) external payable {
        _call(data, value);
    }

    receive() external payable {
        _attack();
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external returns (bytes4) {
        _attack();
        return this.onERC1155Received.selector;
    }

    function _attack() private {
        if (attack.length != 0) _call(attack, attackValue);
    }

    function _call(bytes memory data, uint256 value) private {
        (bool ok, bytes memory reply) = target.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reply, 32), mload(reply))
            }
        }
    }
}
