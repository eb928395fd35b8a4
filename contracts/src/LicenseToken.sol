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
contract LicenseToken is ERC1155, IERC2981 {
    /// @notice The Marketplace: sole minter, and the source of tier terms and roles.
    IListingRegistry public immutable marketplace;

    mapping(uint256 tokenId => mapping(address holder => uint64)) private _expiresAt;

    /// @notice A holder's expiry changed by a transfer (purchases report it in `Purchased`).
    event ExpiryUpdated(address indexed holder, uint256 indexed tokenId, uint64 expiresAt);

    error NotMarketplace();
    error NotAdmin();
    error Soulbound(uint256 tokenId);

    constructor(string memory uri_) ERC1155(uri_) {
        marketplace = IListingRegistry(msg.sender);
    }

    /// @notice Mint `quantity` licences to `to`. For a time-limited tier (`duration` seconds > 0)
    /// the holder's expiry moves to max(now, current expiry) + duration * quantity.
    /// @return expiry The holder's new expiry (0 for a perpetual tier).
    function mint(address to, uint256 tokenId, uint256 quantity, uint256 duration)
        external
        returns (uint64 expiry)
    {
        if (msg.sender != address(marketplace)) revert NotMarketplace();
        if (duration != 0) {
            uint256 current = _expiresAt[tokenId][to];
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

    /// @dev Transfers (not mints) check the tier is transferable and carry the sender's expiry
    /// over: the receiver keeps whichever of the two expiries is later.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values) internal override {
        if (from != address(0) && to != address(0)) {
            for (uint256 i = 0; i < ids.length; ++i) {
                uint256 id = ids[i];
                if (!marketplace.isTransferable(id)) revert Soulbound(id);
                uint64 fromExpiry = _expiresAt[id][from];
                if (fromExpiry > _expiresAt[id][to]) {
                    _expiresAt[id][to] = fromExpiry;
                    emit ExpiryUpdated(to, id, fromExpiry);
                }
            }
        }
        super._update(from, to, ids, values);
    }
}
