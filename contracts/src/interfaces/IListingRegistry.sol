// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What the licence and ownership tokens ask of the Marketplace, which holds every
/// listing's terms. Keeping the terms in one place means the tokens never disagree with it.
interface IListingRegistry {
    /// @notice Whether licence tokens of `tokenId` may move between holders (false = soulbound),
    /// and how many seats a time-limited tier has (0 = uncapped, or a perpetual tier).
    function transferTerms(uint256 tokenId) external view returns (bool transferable, uint32 seatCap);

    /// @notice ERC-2981 terms of a listing: the current owner and the royalty in basis points.
    function royaltyOf(uint256 listingId) external view returns (address receiver, uint16 bps);

    /// @notice Who owns a listing, i.e. holds its ownership token (0: not registered). The one
    /// copy: the ownership token reads it from here.
    function listingOwner(uint256 listingId) external view returns (address);

    /// @notice Called by the ownership token when a listing changes hands (not on mint).
    function onOwnershipTransferred(uint256 listingId, address to) external;
}
