// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

import {IListingRegistry} from "./interfaces/IListingRegistry.sol";

/// @title ListingOwnership
/// @notice One ERC-721 per registered listing (token id = listing id), minted to the creator when
/// the listing is registered. Its holder owns the listing: receives the owner's share of every
/// sale, updates tiers and splits, and signs updates. Transferring it hands the listing over;
/// licences already sold stay valid.
contract ListingOwnership is ERC721 {
    /// @notice The Marketplace: sole minter, told of every transfer.
    IListingRegistry public immutable marketplace;

    string private _base;

    error NotMarketplace();
    error NotAdmin();

    constructor(string memory baseURI_) ERC721("Marketplace Listing Ownership", "LISTING") {
        marketplace = IListingRegistry(msg.sender);
        _base = baseURI_;
    }

    /// @notice Mint the ownership token of a newly registered listing. Marketplace only.
    function mint(address to, uint256 listingId) external {
        if (msg.sender != address(marketplace)) revert NotMarketplace();
        // Not _safeMint: a creator's contract wallet need not implement onERC721Received.
        _mint(to, listingId);
    }

    /// @notice Change the metadata base URL (token URI = base + decimal listing id). Admin only.
    function setBaseURI(string calldata baseURI_) external {
        if (!IAccessControl(address(marketplace)).hasRole(0x00, msg.sender)) revert NotAdmin();
        _base = baseURI_;
    }

    function _baseURI() internal view override returns (string memory) {
        return _base;
    }

    /// @dev The Marketplace keeps the owner next to the listing's terms so a purchase reads both
    /// in one storage slot; this hook is what keeps that copy true.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != address(0)) marketplace.onOwnershipTransferred(tokenId, to);
    }
}
