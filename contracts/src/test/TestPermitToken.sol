// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

import {TestToken} from "./TestToken.sol";

/// @notice A test ERC-20 with ERC-2612 permit (OpenZeppelin's ERC20Permit).
contract TestPermitToken is TestToken, ERC20Permit {
    constructor(string memory name_, string memory symbol_) TestToken(name_, symbol_) ERC20Permit(name_) {}

    function _update(address from, address to, uint256 value) internal override(ERC20, TestToken) {
        TestToken._update(from, to, value);
    }
}
