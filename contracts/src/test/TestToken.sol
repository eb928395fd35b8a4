// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A test ERC-20 without permit: anyone can mint, and transfers to a `blocked` address
/// fail (like a stablecoin's blocklist), to test crediting in an ERC-20 sale.
contract TestToken is ERC20 {
    mapping(address => bool) public blocked;

    error Blocked(address account);

    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool value) external {
        blocked[account] = value;
    }

    function _update(address from, address to, uint256 value) internal virtual override {
        if (blocked[to]) revert Blocked(to);
        super._update(from, to, value);
    }
}
