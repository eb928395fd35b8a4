// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC2981} from "@openzeppelin/contracts/interfaces/IERC2981.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IListingRegistry} from "./interfaces/IListingRegistry.sol";

/// @title LicenseToken
/// @notice ERC-1155 licences: one token id per (listing, tier), `tokenId = listingId << 8 | tierId`.
/// Only the Marketplace that deployed this contract mints. A time-limited tier gives each holder
/// an expiry that every purchase extends; a soulbound tier cannot be transferred.
/// Resales pay an ERC-2981 royalty to the listing's current owner.
///
/// Licence time is conserved: a holder's remaining time (expiry - now) is shared equally by the
/// tokens they hold, and moving `k` of their `b` tokens moves `remaining * k / b` seconds (rounded
/// down) from the sender's expiry to the receiver's. No transfer (single, batch, zero-value or
/// by an operator) creates time; the total in force never exceeds the time sold.
///
/// Seats: on a capped time-limited tier the cap counts holders, not periods. An address takes a
/// seat the first time it holds the licence (bought or received) and keeps it after expiry, so
/// renewing never needs a new seat; a transfer that would seat one holder too many reverts.
contract LicenseToken is ERC1155, IERC2981 {
    /// @notice The Marketplace: sole minter, and the source of tier terms and roles.
    IListingRegistry public immutable marketplace;

    mapping(uint256 tokenId => mapping(address holder => uint64)) private _expiresAt;

    /// @notice Seats taken on a capped time-limited tier: addresses that have ever held it.
    mapping(uint256 tokenId => uint256) public seats;

    /// @notice A holder's expiry changed by a transfer (purchases report it in `Purchased`).
    event ExpiryUpdated(address indexed holder, uint256 indexed tokenId, uint64 expiresAt);

    error NotMarketplace();
    error NotAdmin();
    error Soulbound(uint256 tokenId);
    error SupplyCapExceeded(uint256 tokenId, uint256 remaining);

    constructor(string memory uri_) ERC1155(uri_) {
        marketplace = IListingRegistry(msg.sender);
    }

    /// @notice Mint `quantity` licences to `to`. For a time-limited tier (`duration` seconds > 0)
    /// the holder's expiry moves to max(now, current expiry) + duration * quantity, and a holder
    /// new to the tier takes one of its `seatCap` seats (0 = uncapped). Marketplace only.
    /// @dev Named `issue`, not `mint`, for its selector: this contract's dispatcher finds it after
    /// four others instead of last (~200 gas less per sale).
    /// @return expiry The holder's new expiry (0 for a perpetual tier).
    function issue(address to, uint256 tokenId, uint256 quantity, uint256 duration, uint256 seatCap)
        external
        returns (uint64 expiry)
    {
        if (msg.sender != address(marketplace)) revert NotMarketplace();
        if (duration != 0) {
            uint256 current = _expiresAt[tokenId][to];
            if (current == 0) _takeSeat(tokenId, seatCap);
            uint256 start = current > block.timestamp ? current : block.timestamp;
            expiry = SafeCast.toUint64(start + duration * quantity);
            _expiresAt[tokenId][to] = expiry;
        }
        _mint(to, tokenId, quantity, "");
    }

    /// @notice When `holder`'s licence of `tokenId` expires; 0 when it never does (or none held).
    function expiresAt(uint256 tokenId, address holder) external view returns (uint64) {
        return _expiresAt[tokenId][holder];
    }

    /// @notice Point metadata at a new URL template (ERC-1155 `{id}` substitution). Admin only.
    function setURI(string calldata uri_) external {
        if (!IAccessControl(address(marketplace)).hasRole(0x00, msg.sender)) revert NotAdmin();
        _setURI(uri_);
    }

    /// @inheritdoc IERC2981
    function royaltyInfo(uint256 tokenId, uint256 salePrice)
        external
        view
        returns (address receiver, uint256 royaltyAmount)
    {
        uint16 bps;
        (receiver, bps) = marketplace.royaltyOf(tokenId >> 8);
        royaltyAmount = (salePrice * bps) / 10_000;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC1155, IERC165) returns (bool) {
        return interfaceId == type(IERC2981).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev Transfers (not mints or burns) check the tier is transferable, then move licence time
    /// with the tokens, after the balances changed (so a batch naming an id twice is handled as
    /// the sum of its parts).
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values) internal override {
        super._update(from, to, ids, values);
        if (from == address(0) || to == address(0)) return;
        for (uint256 i = 0; i < ids.length; ++i) {
            (bool transferable, uint32 seatCap) = marketplace.transferTerms(ids[i]);
            if (!transferable) revert Soulbound(ids[i]);
            if (values[i] != 0 && from != to) _moveTime(from, to, ids[i], values[i], seatCap);
        }
    }

    /// @dev Move `value`'s pro-rata part of `from`'s remaining time to `to`. A sender without an
    /// expiry holds a perpetual tier: nothing to move.
    function _moveTime(address from, address to, uint256 id, uint256 value, uint256 seatCap) private {
        uint256 fromExpiry = _expiresAt[id][from];
        if (fromExpiry == 0) return;
        uint256 moved = 0;
        if (fromExpiry > block.timestamp) {
            // `balanceOf` is already the sender's balance after this transfer.
            moved = ((fromExpiry - block.timestamp) * value) / (balanceOf(from, id) + value);
            if (moved != 0) {
                fromExpiry -= moved;
                _expiresAt[id][from] = uint64(fromExpiry);
                emit ExpiryUpdated(from, id, uint64(fromExpiry));
            }
        }
        uint256 toExpiry = _expiresAt[id][to];
        if (toExpiry == 0) _takeSeat(id, seatCap);
        uint256 start = toExpiry > block.timestamp ? toExpiry : block.timestamp;
        uint64 newExpiry = uint64(start + moved);
        _expiresAt[id][to] = newExpiry;
        emit ExpiryUpdated(to, id, newExpiry);
    }

    function _takeSeat(uint256 id, uint256 seatCap) private {
        if (seatCap == 0) return; // uncapped: no count to keep
        uint256 taken = seats[id] + 1;
        if (seatCap != 0 && taken > seatCap) revert SupplyCapExceeded(id, 0);
        seats[id] = taken;
    }
}
