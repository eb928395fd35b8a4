// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {LicenseToken} from "./LicenseToken.sol";
import {ListingOwnership} from "./ListingOwnership.sol";
import {IListingRegistry} from "./interfaces/IListingRegistry.sol";

/// @title Marketplace
/// @notice Sells licences for listings (AI models and datasets) and splits every payment.
///
/// A creator signs an EIP-712 `ListingOffer` off-chain; the first purchase (or anyone calling
/// `register`) stores it and mints the listing's ownership token to the creator, so listing costs
/// the creator no gas. Every purchase settles in the same transaction: the platform fee is
/// credited to the fee recipient (who withdraws it when it likes), each split recipient is paid
/// its basis points of the rest, and the listing's owner (the holder of its ownership token) is
/// paid what remains, rounding dust included, so paid + credited always equals what the buyer
/// paid, to the wei. A recipient that cannot take a payment is credited instead and can
/// `withdraw` later; it never blocks a sale.
///
/// Listing ids carry their creator: `listingId >> 88 == uint160(creator)`, so nobody can
/// register a listing id in someone else's range before them. Licence token ids are
/// `listingId << 8 | tierId`.
contract Marketplace is AccessControl, EIP712, ReentrancyGuardTransient, IListingRegistry {
    using SafeERC20 for IERC20;

    // ------------------------------------------------------------------------------- types

    /// @notice A licence tier. `currency` 0 = ETH; `duration` 0 = perpetual, else seconds of
    /// access per token bought; `maxSupply` 0 = uncapped; `kind` 1 download, 2 compute, 3 both.
    struct Tier {
        uint128 price;
        address currency;
        uint32 duration;
        uint32 maxSupply;
        uint8 kind;
        bool transferable;
    }

    /// @notice A share of each sale after the platform fee. `recipient` 0 = the listing's owner
    /// at the time of the sale, so the creator's share follows the ownership token.
    struct Split {
        address recipient;
        uint16 bps;
    }

    /// @notice What a creator signs to list. `counter` must equal `counters[creator]`.
    struct ListingOffer {
        address creator;
        uint256 listingId;
        bytes32 contentDigest;
        Tier[] tiers;
        Split[] splits;
        uint16 royaltyBps;
        uint64 validAfter;
        uint64 validUntil;
        uint256 counter;
    }

    /// @notice An owner's signed replacement of a listing's splits.
    struct SplitUpdate {
        uint256 listingId;
        Split[] splits;
        uint32 nonce;
        uint64 deadline;
    }

    /// @notice An owner's signed change of a tier's price and currency.
    struct TierUpdate {
        uint256 listingId;
        uint8 tierId;
        uint128 price;
        address currency;
        uint32 nonce;
        uint64 deadline;
    }

    /// @notice A registered listing, packed in one slot: a purchase reads it with one SLOAD.
    /// The owner's share (`ownerBps`) lives here; the stored splits hold only the other
    /// recipients. `nonce` makes signed updates single-use: every update and every ownership
    /// transfer bumps it.
    struct Listing {
        address owner;
        uint8 tierCount;
        uint8 splitCount;
        uint16 ownerBps;
        uint16 royaltyBps;
        uint32 nonce;
        bool paused;
    }

    /// @notice A tier as stored. The first slot holds everything an ETH sale needs; the second
    /// holds the ERC-20, read only when `erc20` says there is one. `minted` is counted only
    /// for capped tiers.
    struct StoredTier {
        uint128 price;
        uint32 duration;
        uint32 maxSupply;
        uint32 minted;
        uint8 kind;
        bool transferable;
        bool erc20;
        address currency;
    }

    // --------------------------------------------------------------------------- constants

    bytes32 public constant MODERATOR_ROLE = keccak256("MODERATOR_ROLE");
    uint16 public constant MAX_FEE_BPS = 1_000;
    uint16 public constant MAX_ROYALTY_BPS = 2_500;
    uint256 public constant MAX_TIERS = 16;
    uint256 public constant MAX_SPLITS = 10;
    /// @notice Gas given to an ETH recipient: enough for a smart-contract wallet's receive, too
    /// little to do harm; a recipient that runs out is credited instead.
    uint256 public constant PAYOUT_GAS = 30_000;

    bytes32 private constant TIER_TYPEHASH = keccak256(
        "Tier(uint128 price,address currency,uint32 duration,uint32 maxSupply,uint8 kind,bool transferable)"
    );
    bytes32 private constant SPLIT_TYPEHASH = keccak256("Split(address recipient,uint16 bps)");
    bytes32 private constant LISTING_OFFER_TYPEHASH = keccak256(
        "ListingOffer(address creator,uint256 listingId,bytes32 contentDigest,Tier[] tiers,Split[] splits,"
        "uint16 royaltyBps,uint64 validAfter,uint64 validUntil,uint256 counter)"
        "Split(address recipient,uint16 bps)"
        "Tier(uint128 price,address currency,uint32 duration,uint32 maxSupply,uint8 kind,bool transferable)"
    );
    bytes32 private constant SPLIT_UPDATE_TYPEHASH = keccak256(
        "SplitUpdate(uint256 listingId,Split[] splits,uint32 nonce,uint64 deadline)Split(address recipient,uint16 bps)"
    );
    bytes32 private constant TIER_UPDATE_TYPEHASH = keccak256(
        "TierUpdate(uint256 listingId,uint8 tierId,uint128 price,address currency,uint32 nonce,uint64 deadline)"
    );

    // ----------------------------------------------------------------------------- storage

    LicenseToken public immutable licenseToken;
    ListingOwnership public immutable ownership;

    /// @notice Receives the platform fee; one slot with `feeBps`.
    address public feeRecipient;
    uint16 public feeBps;

    mapping(uint256 listingId => Listing) private _listings;
    mapping(uint256 tokenId => StoredTier) private _tiers;
    // Fixed-size: no length slot to read; `Listing.splitCount` says how many are live.
    mapping(uint256 listingId => Split[MAX_SPLITS]) private _splits;

    /// @notice A creator's offers are valid only while they carry this counter.
    mapping(address creator => uint256) public counters;
    /// @notice Payments that could not be delivered, by account and currency (0 = ETH).
    mapping(address account => mapping(address currency => uint256)) public credits;

    // ------------------------------------------------------------------------------ events

    event ListingRegistered(
        uint256 indexed listingId, address indexed creator, bytes32 contentDigest, uint16 royaltyBps
    );
    event TierUpdated(
        uint256 indexed listingId,
        uint8 indexed tierId,
        uint256 indexed tokenId,
        uint128 price,
        address currency,
        uint32 duration,
        uint32 maxSupply,
        uint8 kind,
        bool transferable
    );
    event SplitUpdated(uint256 indexed listingId, address[] recipients, uint16[] bps);
    event Purchased(
        address indexed buyer,
        uint256 indexed listingId,
        uint256 indexed tokenId,
        uint8 tierId,
        uint256 quantity,
        address currency,
        uint256 amount,
        uint64 expiresAt
    );
    event Paid(uint256 indexed listingId, address indexed recipient, address currency, uint256 amount);
    event Credited(uint256 indexed listingId, address indexed recipient, address currency, uint256 amount);
    event Withdrawn(address indexed account, address indexed currency, address to, uint256 amount);
    event ListingPaused(uint256 indexed listingId, address indexed moderator);
    event ListingUnpaused(uint256 indexed listingId, address indexed moderator);
    event CounterIncremented(address indexed creator, uint256 counter);
    event PlatformFeeUpdated(address indexed recipient, uint16 bps);

    // ------------------------------------------------------------------------------ errors

    error ListingAlreadyRegistered(uint256 listingId);
    error ListingNotRegistered(uint256 listingId);
    error ListingIsPaused(uint256 listingId);
    error ForeignListingId(uint256 listingId, address creator);
    error OfferNotYetValid(uint64 validAfter);
    error OfferExpired(uint64 validUntil);
    error OfferCancelled(uint256 counter, uint256 current);
    error SignatureExpired(uint64 deadline);
    error BadNonce(uint32 expected, uint32 given);
    error InvalidSignature();
    error NotListingOwner(uint256 listingId, address caller);
    error InvalidTierCount(uint256 count);
    error InvalidTierKind(uint8 kind);
    error UnknownTier(uint256 listingId, uint8 tierId);
    error InvalidSplitCount(uint256 count);
    error SplitsMustTotal10000(uint256 total);
    error InvalidRecipient(address recipient);
    error RoyaltyAboveCap(uint16 bps, uint16 cap);
    error FeeAboveCap(uint16 bps, uint16 cap);
    error ZeroQuantity();
    error WrongCurrency(address expected, address given);
    error WrongPrice(uint256 expected, uint256 given);
    error UnexpectedValue();
    error PermitNeedsToken();
    error SupplyCapExceeded(uint256 tokenId, uint256 remaining);
    error NothingToWithdraw();
    error WithdrawFailed(address to);
    error NotOwnershipToken();

    /// @param admin Gets the admin and moderator roles.
    /// @param licenseURI ERC-1155 metadata URL template with `{id}` (hex token id).
    /// @param ownershipURI Base URL of the ownership tokens' metadata (+ decimal listing id).
    constructor(
        address admin,
        address feeRecipient_,
        uint16 feeBps_,
        string memory licenseURI,
        string memory ownershipURI
    ) EIP712("AI Model Marketplace", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MODERATOR_ROLE, admin);
        _setPlatformFee(feeRecipient_, feeBps_);
        // Deployed from here so each token knows its one minter without a setter or a role check.
        licenseToken = new LicenseToken(licenseURI);
        ownership = new ListingOwnership(ownershipURI);
    }

    // --------------------------------------------------------------------------- listing

    /// @notice Store a creator's signed offer and mint the listing's ownership token to them.
    /// Anyone may submit it. Reverts if the listing exists, the offer is outside its validity
    /// window, cancelled by `incrementCounter`, signed for another chain or by someone else.
    function register(ListingOffer calldata offer, bytes calldata signature) external nonReentrant {
        _register(offer, signature);
    }

    /// @notice Invalidate every offer the caller has signed so far.
    function incrementCounter() external returns (uint256 counter) {
        counter = ++counters[msg.sender];
        emit CounterIncremented(msg.sender, counter);
    }

    /// @notice Replace a listing's splits. Listing owner only.
    function setSplits(uint256 listingId, Split[] calldata splits) external nonReentrant {
        Listing storage l = _ownedBy(listingId, msg.sender);
        _storeSplits(listingId, l, splits);
        l.nonce += 1;
    }

    /// @notice Replace a listing's splits with an update its owner signed (anyone may relay it).
    function setSplitsBySig(SplitUpdate calldata update, bytes calldata signature) external nonReentrant {
        Listing storage l = _listings[update.listingId];
        _checkSignedUpdate(l, update.listingId, update.nonce, update.deadline, hashSplitUpdate(update), signature);
        _storeSplits(update.listingId, l, update.splits);
        l.nonce += 1;
    }

    /// @notice Change a tier's price and currency for future sales. Listing owner only.
    function setTierPrice(uint256 listingId, uint8 tierId, uint128 price, address currency) external nonReentrant {
        Listing storage l = _ownedBy(listingId, msg.sender);
        _setTierPrice(listingId, l, tierId, price, currency);
        l.nonce += 1;
    }

    /// @notice Change a tier's price with an update its owner signed (anyone may relay it).
    function setTierPriceBySig(TierUpdate calldata update, bytes calldata signature) external nonReentrant {
        Listing storage l = _listings[update.listingId];
        _checkSignedUpdate(l, update.listingId, update.nonce, update.deadline, hashTierUpdate(update), signature);
        _setTierPrice(update.listingId, l, update.tierId, update.price, update.currency);
        l.nonce += 1;
    }

    /// @notice Stop sales of a listing (registered or not yet). Moderator only.
    function pauseListing(uint256 listingId) external onlyRole(MODERATOR_ROLE) {
        _listings[listingId].paused = true;
        emit ListingPaused(listingId, msg.sender);
    }

    /// @notice Resume sales of a paused listing. Moderator only.
    function unpauseListing(uint256 listingId) external onlyRole(MODERATOR_ROLE) {
        _listings[listingId].paused = false;
        emit ListingUnpaused(listingId, msg.sender);
    }

    /// @notice Set who receives the platform fee and how much (at most `MAX_FEE_BPS`). Admin only.
    function setPlatformFee(address recipient, uint16 bps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setPlatformFee(recipient, bps);
    }

    /// @inheritdoc IListingRegistry
    function onOwnershipTransferred(uint256 listingId, address to) external nonReentrant {
        if (msg.sender != address(ownership)) revert NotOwnershipToken();
        Listing storage l = _listings[listingId];
        l.owner = to;
        l.nonce += 1; // the previous owner's signed updates must not apply
    }

    // --------------------------------------------------------------------------- buying

    /// @notice Buy `quantity` licences of a registered listing's tier. The buyer states the
    /// `currency` and exact `amount` (price x quantity) so a price change cannot surprise them;
    /// in ETH `msg.value` must equal `amount`, in an ERC-20 this contract must be approved for it.
    function purchase(uint256 listingId, uint8 tierId, uint32 quantity, address currency, uint256 amount)
        external
        payable
        nonReentrant
    {
        _purchase(listingId, tierId, quantity, currency, amount);
    }

    /// @notice Buy from a signed offer: registers it first if nobody has (lazy listing); once
    /// registered the stored listing applies and the offer is ignored.
    function purchaseWithOffer(
        ListingOffer calldata offer,
        bytes calldata signature,
        uint8 tierId,
        uint32 quantity,
        address currency,
        uint256 amount
    ) external payable nonReentrant {
        if (_listings[offer.listingId].tierCount == 0) _register(offer, signature);
        _purchase(offer.listingId, tierId, quantity, currency, amount);
    }

    /// @notice Buy with an ERC-2612 permit for `amount` instead of a prior approval.
    function purchaseWithPermit(
        uint256 listingId,
        uint8 tierId,
        uint32 quantity,
        address currency,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        if (currency == address(0)) revert PermitNeedsToken();
        // A failed permit is not fatal: someone may have submitted it first, and the transfer
        // below fails anyway when the allowance is missing.
        try IERC20Permit(currency).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _purchase(listingId, tierId, quantity, currency, amount);
    }

    /// @notice Send the caller's credited `currency` (0 = ETH) to `to`.
    function withdraw(address currency, address to) external nonReentrant {
        if (to == address(0)) revert InvalidRecipient(to);
        uint256 amount = credits[msg.sender][currency];
        if (amount == 0) revert NothingToWithdraw();
        credits[msg.sender][currency] = 0;
        if (currency == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert WithdrawFailed(to);
        } else {
            IERC20(currency).safeTransfer(to, amount);
        }
        emit Withdrawn(msg.sender, currency, to, amount);
    }

    // ---------------------------------------------------------------------------- views

    /// @notice A listing's header (owner, counts, owner's share, royalty, update nonce, paused).
    function listing(uint256 listingId) external view returns (Listing memory) {
        return _listings[listingId];
    }

    /// @notice A tier's stored terms, including how many have been minted if it is capped.
    function tier(uint256 listingId, uint8 tierId) external view returns (StoredTier memory) {
        return _tiers[tokenIdOf(listingId, tierId)];
    }

    /// @notice A listing's live splits: the owner's share first (recipient 0) if it has one.
    function splitsOf(uint256 listingId) external view returns (Split[] memory splits) {
        Listing storage l = _listings[listingId];
        uint256 first = l.ownerBps == 0 ? 0 : 1;
        splits = new Split[](first + l.splitCount);
        if (first == 1) splits[0] = Split(address(0), l.ownerBps);
        for (uint256 i = first; i < splits.length; ++i) {
            splits[i] = _splits[listingId][i - first];
        }
    }

    /// @notice The licence token id of a listing's tier.
    function tokenIdOf(uint256 listingId, uint8 tierId) public pure returns (uint256) {
        return (listingId << 8) | tierId;
    }

    /// @inheritdoc IListingRegistry
    function isTransferable(uint256 tokenId) external view returns (bool) {
        return _tiers[tokenId].transferable;
    }

    /// @inheritdoc IListingRegistry
    function royaltyOf(uint256 listingId) external view returns (address receiver, uint16 bps) {
        Listing storage l = _listings[listingId];
        return (l.owner, l.royaltyBps);
    }

    /// @notice The EIP-712 digest a creator signs for `offer`.
    function hashListingOffer(ListingOffer calldata offer) public view returns (bytes32) {
        bytes memory encoded = abi.encode(
            LISTING_OFFER_TYPEHASH,
            offer.creator,
            offer.listingId,
            offer.contentDigest,
            _hashTiers(offer.tiers),
            _hashSplits(offer.splits),
            offer.royaltyBps,
            offer.validAfter,
            offer.validUntil,
            offer.counter
        );
        return _hashTypedDataV4(keccak256(encoded));
    }

    /// @notice The EIP-712 digest an owner signs for a split update.
    function hashSplitUpdate(SplitUpdate calldata u) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(SPLIT_UPDATE_TYPEHASH, u.listingId, _hashSplits(u.splits), u.nonce, u.deadline))
        );
    }

    /// @notice The EIP-712 digest an owner signs for a tier price update.
    function hashTierUpdate(TierUpdate calldata u) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(TIER_UPDATE_TYPEHASH, u.listingId, u.tierId, u.price, u.currency, u.nonce, u.deadline)
            )
        );
    }

    // ------------------------------------------------------------------------- internals

    function _register(ListingOffer calldata offer, bytes calldata signature) private {
        uint256 listingId = offer.listingId;
        Listing storage l = _listings[listingId];
        if (l.tierCount != 0) revert ListingAlreadyRegistered(listingId);
        if (listingId >> 88 != uint160(offer.creator)) revert ForeignListingId(listingId, offer.creator);
        if (block.timestamp < offer.validAfter) revert OfferNotYetValid(offer.validAfter);
        if (block.timestamp > offer.validUntil) revert OfferExpired(offer.validUntil);
        uint256 current = counters[offer.creator];
        if (offer.counter != current) revert OfferCancelled(offer.counter, current);
        _checkSignature(offer.creator, hashListingOffer(offer), signature);
        if (offer.royaltyBps > MAX_ROYALTY_BPS) revert RoyaltyAboveCap(offer.royaltyBps, MAX_ROYALTY_BPS);

        uint256 tierCount = offer.tiers.length;
        if (tierCount == 0 || tierCount > MAX_TIERS) revert InvalidTierCount(tierCount);
        for (uint256 i = 0; i < tierCount; ++i) {
            _storeTier(listingId, uint8(i), offer.tiers[i]);
        }
        // `paused` is kept: a moderator may stop a listing before its first sale.
        l.owner = offer.creator;
        l.tierCount = uint8(tierCount);
        l.royaltyBps = offer.royaltyBps;
        _storeSplits(listingId, l, offer.splits);
        ownership.mint(offer.creator, listingId);
        emit ListingRegistered(listingId, offer.creator, offer.contentDigest, offer.royaltyBps);
    }

    function _storeTier(uint256 listingId, uint8 tierId, Tier calldata t) private {
        if (t.kind == 0 || t.kind > 3) revert InvalidTierKind(t.kind);
        uint256 tokenId = tokenIdOf(listingId, tierId);
        _tiers[tokenId] = StoredTier({
            price: t.price,
            duration: t.duration,
            maxSupply: t.maxSupply,
            minted: 0,
            kind: t.kind,
            transferable: t.transferable,
            erc20: t.currency != address(0),
            currency: t.currency
        });
        emit TierUpdated(
            listingId, tierId, tokenId, t.price, t.currency, t.duration, t.maxSupply, t.kind, t.transferable
        );
    }

    function _storeSplits(uint256 listingId, Listing storage l, Split[] calldata splits) private {
        uint256 count = splits.length;
        if (count == 0 || count > MAX_SPLITS) revert InvalidSplitCount(count);
        Split[MAX_SPLITS] storage stored = _splits[listingId];
        address[] memory recipients = new address[](count);
        uint16[] memory bps = new uint16[](count);
        uint256 total;
        uint256 ownerBps;
        uint256 others;
        for (uint256 i = 0; i < count; ++i) {
            Split calldata s = splits[i];
            if (s.recipient == address(this)) revert InvalidRecipient(s.recipient);
            total += s.bps;
            (recipients[i], bps[i]) = (s.recipient, s.bps);
            if (s.recipient == address(0)) {
                ownerBps += s.bps; // kept in the listing's slot, not read from a split slot
            } else {
                stored[others++] = s;
            }
        }
        if (total != 10_000) revert SplitsMustTotal10000(total);
        (l.splitCount, l.ownerBps) = (uint8(others), uint16(ownerBps));
        emit SplitUpdated(listingId, recipients, bps);
    }

    function _setTierPrice(uint256 listingId, Listing storage l, uint8 tierId, uint128 price, address currency)
        private
    {
        if (tierId >= l.tierCount) revert UnknownTier(listingId, tierId);
        uint256 tokenId = tokenIdOf(listingId, tierId);
        StoredTier storage t = _tiers[tokenId];
        (t.price, t.erc20, t.currency) = (price, currency != address(0), currency);
        emit TierUpdated(listingId, tierId, tokenId, price, currency, t.duration, t.maxSupply, t.kind, t.transferable);
    }

    function _purchase(uint256 listingId, uint8 tierId, uint32 quantity, address currency, uint256 amount) private {
        Listing memory l = _listings[listingId];
        if (l.tierCount == 0) revert ListingNotRegistered(listingId);
        if (l.paused) revert ListingIsPaused(listingId);
        if (tierId >= l.tierCount) revert UnknownTier(listingId, tierId);
        if (quantity == 0) revert ZeroQuantity();
        uint256 tokenId = tokenIdOf(listingId, tierId);
        StoredTier storage t = _tiers[tokenId];
        address tierCurrency = t.erc20 ? t.currency : address(0);
        if (tierCurrency != currency) revert WrongCurrency(tierCurrency, currency);
        uint256 total = uint256(t.price) * quantity;
        if (amount != total) revert WrongPrice(total, amount);
        uint256 maxSupply = t.maxSupply;
        if (maxSupply != 0) {
            uint256 minted = uint256(t.minted) + quantity;
            if (minted > maxSupply) revert SupplyCapExceeded(tokenId, maxSupply - t.minted);
            t.minted = uint32(minted);
        }
        _collect(currency, total);
        uint64 expiresAt = licenseToken.mint(msg.sender, tokenId, quantity, t.duration);
        emit Purchased(msg.sender, listingId, tokenId, tierId, quantity, currency, total, expiresAt);
        _distribute(listingId, l.owner, l.splitCount, currency, total);
    }

    function _collect(address currency, uint256 total) private {
        if (currency == address(0)) {
            if (msg.value != total) revert WrongPrice(total, msg.value);
        } else {
            if (msg.value != 0) revert UnexpectedValue();
            IERC20(currency).safeTransferFrom(msg.sender, address(this), total);
        }
    }

    /// @dev The platform fee first, credited: the platform collects from every sale, so one
    /// storage write beats a transfer each time. Then each recipient's share of the rest; the
    /// owner gets whatever is left, its own share plus the rounding dust, so nothing stays behind.
    function _distribute(uint256 listingId, address owner, uint256 splitCount, address currency, uint256 total)
        private
    {
        uint256 fee = (total * feeBps) / 10_000;
        if (fee != 0) _credit(listingId, feeRecipient, currency, fee);
        uint256 net = total - fee;
        uint256 toOwner = net;
        Split[MAX_SPLITS] storage splits = _splits[listingId];
        for (uint256 i = 0; i < splitCount; ++i) {
            Split memory s = splits[i];
            uint256 share = (net * s.bps) / 10_000;
            toOwner -= share;
            _pay(listingId, s.recipient, currency, share);
        }
        _pay(listingId, owner, currency, toOwner);
    }

    function _pay(uint256 listingId, address to, address currency, uint256 amount) private {
        if (amount == 0) return;
        bool ok;
        if (currency == address(0)) {
            // Gas-limited, and the return data is never copied: a hostile recipient can neither
            // re-enter with much gas nor make the buyer pay for a huge reply.
            assembly ("memory-safe") {
                ok := call(PAYOUT_GAS, to, amount, 0, 0, 0, 0)
            }
        } else {
            ok = IERC20(currency).trySafeTransfer(to, amount);
        }
        if (ok) {
            emit Paid(listingId, to, currency, amount);
        } else {
            _credit(listingId, to, currency, amount);
        }
    }

    function _credit(uint256 listingId, address to, address currency, uint256 amount) private {
        credits[to][currency] += amount;
        emit Credited(listingId, to, currency, amount);
    }

    function _ownedBy(uint256 listingId, address caller) private view returns (Listing storage l) {
        l = _listings[listingId];
        if (l.tierCount == 0) revert ListingNotRegistered(listingId);
        if (l.owner != caller) revert NotListingOwner(listingId, caller);
    }

    function _checkSignedUpdate(
        Listing storage l,
        uint256 listingId,
        uint32 nonce,
        uint64 deadline,
        bytes32 digest,
        bytes calldata signature
    ) private view {
        if (l.tierCount == 0) revert ListingNotRegistered(listingId);
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        if (nonce != l.nonce) revert BadNonce(l.nonce, nonce);
        _checkSignature(l.owner, digest, signature);
    }

    /// @dev EOAs by ECDSA, contract wallets by ERC-1271.
    function _checkSignature(address signer, bytes32 digest, bytes calldata signature) private view {
        if (!SignatureChecker.isValidSignatureNowCalldata(signer, digest, signature)) revert InvalidSignature();
    }

    function _setPlatformFee(address recipient, uint16 bps) private {
        if (bps > MAX_FEE_BPS) revert FeeAboveCap(bps, MAX_FEE_BPS);
        if (recipient == address(0) && bps != 0) revert InvalidRecipient(recipient);
        (feeRecipient, feeBps) = (recipient, bps);
        emit PlatformFeeUpdated(recipient, bps);
    }

    function _hashTiers(Tier[] calldata tiers) private pure returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](tiers.length);
        for (uint256 i = 0; i < tiers.length; ++i) {
            Tier calldata t = tiers[i];
            hashes[i] = keccak256(
                abi.encode(TIER_TYPEHASH, t.price, t.currency, t.duration, t.maxSupply, t.kind, t.transferable)
            );
        }
        return keccak256(abi.encodePacked(hashes));
    }

    function _hashSplits(Split[] calldata splits) private pure returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](splits.length);
        for (uint256 i = 0; i < splits.length; ++i) {
            hashes[i] = keccak256(abi.encode(SPLIT_TYPEHASH, splits[i].recipient, splits[i].bps));
        }
        return keccak256(abi.encodePacked(hashes));
    }
}
