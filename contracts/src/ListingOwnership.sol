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
///
/// Who holds a token is kept once, by the Marketplace, in the listing's slot a purchase reads
/// anyway (`IListingRegistry.listingOwner` answers it): a registration writes the owner once, not
/// also here (22.1k gas less per listing). This contract keeps balances and approvals, and tells
/// the Marketplace of every transfer, which is what moves the owner.
contract ListingOwnership is ERC721 {
    /// @notice The Marketplace: sole minter, keeper of owners, told of every transfer.
    IListingRegistry public immutable marketplace;

    string private _base;
    /// @dev Tokens held per address (ERC721's own `_balances` stays unused: `_update` is ours).
    mapping(address holder => uint256) private _held;

    error NotMarketplace();
    error NotAdmin();

    constructor(string memory baseURI_) ERC721("Marketplace Listing Ownership", "LISTING") {
        marketplace = IListingRegistry(msg.sender);
        _base = baseURI_;
    }

    /// @notice Mint the ownership token of a newly registered listing. Marketplace only, once
    /// per listing (it registers a listing once), after it stored `to` as the listing's owner.
    function mint(address to, uint256 listingId) external {
        if (msg.sender != address(marketplace)) revert NotMarketplace();
        // Not _safeMint: a creator's contract wallet need not implement onERC721Received.
        unchecked {
            _held[to] += 1;
        }
        emit Transfer(address(0), to, listingId);
    }

    /// @notice Change the metadata base URL (token URI = base + decimal listing id). Admin only.
    function setBaseURI(string calldata baseURI_) external {
        if (!IAccessControl(address(marketplace)).hasRole(0x00, msg.sender)) revert NotAdmin();
        _base = baseURI_;
    }

    /// @inheritdoc ERC721
    function balanceOf(address holder) public view override returns (uint256) {
        if (holder == address(0)) revert ERC721InvalidOwner(address(0));
        return _held[holder];
    }

    function _baseURI() internal view override returns (string memory) {
        return _base;
    }

    /// @dev The listing's owner as the Marketplace keeps it (0 = not registered: no token).
    function _ownerOf(uint256 tokenId) internal view override returns (address) {
        return marketplace.listingOwner(tokenId);
    }

    /// @dev A transfer (mints go through `mint`; there is no burn): ERC721's checks and approval
    /// clearing, then the Marketplace moves the listing to `to`.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = _ownerOf(tokenId);
        if (auth != address(0)) _checkAuthorized(from, auth, tokenId);
        if (from == address(0)) revert ERC721NonexistentToken(tokenId);
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        _approve(address(0), tokenId, address(0), false);
        unchecked {
            _held[from] -= 1;
            _held[to] += 1;
        }
        marketplace.onOwnershipTransferred(tokenId, to);
        emit Transfer(from, to, tokenId);
    }
}
