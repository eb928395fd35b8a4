// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

interface ITokenReceiver {
    function tokensReceived(address from, uint256 amount) external;
}

/// @notice A test ERC-20 with a transfer hook (like ERC-777 or ERC-1363): a transfer to a
/// contract calls its `tokensReceived`, forwarding whatever gas the transfer was given.
contract HookToken is ERC20 {
    constructor() ERC20("Hook Token", "HOOK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && to.code.length != 0) ITokenReceiver(to).tokensReceived(from, value);
    }
}

/// @notice A hostile split recipient: its token hook burns every bit of gas it is given.
contract GasHogRecipient {
    function tokensReceived(address, uint256) external pure {
        while (true) {}
    }
}
