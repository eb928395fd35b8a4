// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

interface ITokenReceiver {
    function tokensReceived(address from, uint256 amount) external;
}

/// @notice A test ERC-20 with a transfer hook (like ERC-777's registered hooks): a transfer to a
/// recipient that registered calls its `tokensReceived`, forwarding whatever gas it was given.
contract HookToken is ERC20 {
    mapping(address => bool) public hooked;

    function setHooked(address account, bool value) external {
        hooked[account] = value;
    }

    constructor() ERC20("Hook Token", "HOOK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && hooked[to]) ITokenReceiver(to).tokensReceived(from, value);
    }
}

/// @notice A hostile split recipient: its token hook burns every bit of gas it is given.
contract GasHogRecipient {
    function tokensReceived(address, uint256) external pure {
        while (true) {}
    }
}
