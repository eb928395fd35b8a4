// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
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
/// Version 2 (issue 14) makes the rights hard to game: an offer binds once its listing is
/// registered (a purchase carrying another offer reverts) and one offer can be cancelled by
/// signature; only allow-listed ERC-20s are accepted and the amount actually received is
/// checked; ERC-20 payouts are gas-capped like ETH ones; anyone can push a credit to its owner
/// (`withdrawFor`); a contributor's share is lowered only with their consent or after a notice
/// period (or never, if the creator locked the split); the admin role moves in two steps with a
/// delay, fee rises are announced ahead, and moderators can pause every purchase.
///
/// Listing ids carry their creator: `listingId >> 88 == uint160(creator)`, so nobody can
/// register a listing id in someone else's range before them. Licence token ids are
/// `listingId << 8 | tierId`.
contract Marketplace is AccessControlDefaultAdminRules, EIP712, ReentrancyGuardTransient, IListingRegistry {
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
        bool lockSplits;
    }

    /// @notice An owner's signed replacement of a listing's splits.
    struct SplitUpdate {
        uint256 listingId;
        Split[] splits;
        uint32 nonce;
        uint64 deadline;
    }

    /// @notice A creator's cancellation of one signed offer, by its EIP-712 digest.
    struct OfferCancel {
        address creator;
        bytes32 offerDigest;
        uint64 deadline;
    }

    /// @notice A contributor's signed consent to splits that lower their share. The signature
    /// covers (listingId, contributor, splits, the listing's nonce, deadline).
    struct Consent {
        address contributor;
        uint64 deadline;
        bytes signature;
    }

    /// @notice An allow-listed currency (ETH needs no entry).
    struct Currency {
        bool allowed;
        uint8 decimals;
    }

    /// @notice A change announced ahead: splits lowering a contributor (by their hash), or a fee.
    struct PendingSplits {
        bytes32 splitsHash;
        uint64 effectiveAt;
    }

    struct PendingFee {
        address recipient;
        uint16 bps;
        uint64 effectiveAt;
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
        bool splitsLocked;
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
    /// @notice Gas given to an ERC-20 transfer that pays a recipient: a plain transfer to a new
    /// holder needs about 30,000; a token whose hooks want more credits the recipient instead.
    uint256 public constant ERC20_PAYOUT_GAS = 100_000;
    /// @notice How long a lowered contributor share is announced before it applies.
    uint64 public constant SPLIT_NOTICE = 14 days;
    /// @notice How long a fee rise is announced before it applies.
    uint64 public constant FEE_NOTICE = 7 days;
    /// @notice Delay of a default-admin hand-over (two steps: begin, then accept after it).
    uint48 public constant ADMIN_DELAY = 2 days;

    bytes32 private constant TIER_TYPEHASH = keccak256(
        "Tier(uint128 price,address currency,uint32 duration,uint32 maxSupply,uint8 kind,bool transferable)"
    );
    bytes32 private constant SPLIT_TYPEHASH = keccak256("Split(address recipient,uint16 bps)");
    bytes32 private constant LISTING_OFFER_TYPEHASH = keccak256(
        "ListingOffer(address creator,uint256 listingId,bytes32 contentDigest,Tier[] tiers,Split[] splits,"
        "uint16 royaltyBps,uint64 validAfter,uint64 validUntil,uint256 counter,bool lockSplits)"
        "Split(address recipient,uint16 bps)"
        "Tier(uint128 price,address currency,uint32 duration,uint32 maxSupply,uint8 kind,bool transferable)"
    );
    bytes32 private constant SPLIT_UPDATE_TYPEHASH = keccak256(
        "SplitUpdate(uint256 listingId,Split[] splits,uint32 nonce,uint64 deadline)Split(address recipient,uint16 bps)"
    );
    bytes32 private constant OFFER_CANCEL_TYPEHASH =
        keccak256("OfferCancel(address creator,bytes32 offerDigest,uint64 deadline)");
    bytes32 private constant SPLIT_CONSENT_TYPEHASH = keccak256(
        "SplitConsent(uint256 listingId,address contributor,Split[] splits,uint32 nonce,uint64 deadline)"
        "Split(address recipient,uint16 bps)"
    );
    bytes32 private constant TIER_UPDATE_TYPEHASH = keccak256(
        "TierUpdate(uint256 listingId,uint8 tierId,uint128 price,address currency,uint32 nonce,uint64 deadline)"
    );

    // ----------------------------------------------------------------------------- storage

    LicenseToken public immutable licenseToken;
    ListingOwnership public immutable ownership;

    /// @notice Receives the platform fee; one slot with `feeBps` and the global pause, so a
    /// purchase reads all three with one SLOAD.
    address public feeRecipient;
    uint16 public feeBps;
    bool public purchasesPaused;
    /// @dev The ETH this contract owes in credits. Between purchases its ETH balance is exactly
    /// this plus the ETH fees not yet credited, so an ETH sale writes nothing for its fee: what
    /// stays behind is the fee. It is credited to the fee recipient when that recipient withdraws
    /// or changes (`_creditEthFee`), never while a purchase runs (every such path is
    /// `nonReentrant`). `credits` reports it.
    uint256 private _ethOwed;

    mapping(uint256 listingId => Listing) private _listings;
    mapping(uint256 tokenId => StoredTier) private _tiers;
    // Fixed-size: no length slot to read; `Listing.splitCount` says how many are live.
    mapping(uint256 listingId => Split[MAX_SPLITS]) private _splits;

    /// @notice A creator's offers are valid only while they carry this counter.
    mapping(address creator => uint256) public counters;
    /// @dev Payments that could not be delivered and fees, by account and currency (0 = ETH);
    /// read through `credits`, which adds the ETH fee not yet credited (see `_ethOwed`).
    mapping(address account => mapping(address currency => uint256)) private _credits;
    /// @notice The digest of the offer each listing was registered from.
    mapping(uint256 listingId => bytes32) public registeredOffer;
    /// @notice Offers their creator cancelled one by one.
    mapping(address creator => mapping(bytes32 offerDigest => bool)) public cancelledOffers;
    /// @notice The ERC-20s a tier may be priced in.
    mapping(address token => Currency) public currencies;
    mapping(uint256 listingId => PendingSplits) public pendingSplits;
    PendingFee public pendingFee;

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
    /// @notice A sale. The listing and tier are in `tokenId` (`listingId << 8 | tierId`). Who
    /// got what follows exactly from the fee and split in force (`PlatformFeeUpdated`,
    /// `SplitUpdated`, the ownership token's `Transfer`): the fee is credited to the fee
    /// recipient, each payee is paid its share, and only a payee that could not take its
    /// payment gets an event, `Credited`, after this one.
    event Purchased(
        address indexed buyer,
        uint256 indexed tokenId,
        uint256 quantity,
        address currency,
        uint256 amount,
        uint64 expiresAt
    );
    /// @notice A sale's payment a payee refused (or ran out of gas taking), kept for them.
    event Credited(uint256 indexed listingId, address indexed recipient, address currency, uint256 amount);
    event Withdrawn(address indexed account, address indexed currency, address to, uint256 amount);
    event ListingPaused(uint256 indexed listingId, address indexed moderator);
    event ListingUnpaused(uint256 indexed listingId, address indexed moderator);
    event CounterIncremented(address indexed creator, uint256 counter);
    event PlatformFeeUpdated(address indexed recipient, uint16 bps);
    event PlatformFeeScheduled(address indexed recipient, uint16 bps, uint64 effectiveAt);
    event OfferRevoked(address indexed creator, bytes32 indexed offerDigest);
    event CurrencySet(address indexed token, bool allowed, uint8 decimals);
    event SplitsScheduled(uint256 indexed listingId, address[] recipients, uint16[] bps, uint64 effectiveAt);
    event AllPurchasesPaused(address indexed moderator);
    event AllPurchasesResumed(address indexed moderator);

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
    error OfferMismatch(uint256 listingId);
    error RevokedOffer(bytes32 offerDigest);
    error CurrencyNotAllowed(address currency);
    error FeeOnTransferToken(address currency, uint256 expected, uint256 received);
    error SplitsLocked(uint256 listingId);
    error SplitsNotScheduled(uint256 listingId);
    error SplitsNotDue(uint64 effectiveAt);
    error MissingConsent(address contributor);
    error NoFeeScheduled();
    error FeeNotDue(uint64 effectiveAt);
    error PurchasingPaused();

    /// @param admin Gets the admin role (handed over in two steps, `ADMIN_DELAY` apart) and the
    /// moderator role.
    /// @param licenseURI ERC-1155 metadata URL template with `{id}` (hex token id).
    /// @param ownershipURI Base URL of the ownership tokens' metadata (+ decimal listing id).
    constructor(
        address admin,
        address feeRecipient_,
        uint16 feeBps_,
        string memory licenseURI,
        string memory ownershipURI
    ) AccessControlDefaultAdminRules(ADMIN_DELAY, admin) EIP712("AI Model Marketplace", "1") {
        _grantRole(MODERATOR_ROLE, admin);
        // Deployed from here so each token knows its one minter without a setter or a role check.
        licenseToken = new LicenseToken(licenseURI);
        ownership = new ListingOwnership(ownershipURI);
        _setPlatformFee(feeRecipient_, feeBps_);
    }

    // --------------------------------------------------------------------------- listing

    /// @notice Store a creator's signed offer and mint the listing's ownership token to them.
    /// Anyone may submit it. Reverts if the listing exists, the offer is outside its validity
    /// window, cancelled by `incrementCounter`, signed for another chain or by someone else.
    function register(ListingOffer calldata offer, bytes calldata signature) external nonReentrant {
        _register(offer, signature);
    }

    /// @notice Cancel one offer the caller signed (by its EIP-712 digest, `hashListingOffer`).
    function cancelOffer(bytes32 offerDigest) external {
        _revokeOffer(msg.sender, offerDigest);
    }

    /// @notice Cancel one offer with a cancellation its creator signed (anyone may relay it).
    function cancelOfferBySig(OfferCancel calldata cancel, bytes calldata signature) external {
        if (block.timestamp > cancel.deadline) revert SignatureExpired(cancel.deadline);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(OFFER_CANCEL_TYPEHASH, cancel.creator, cancel.offerDigest, cancel.deadline))
        );
        _checkSignature(cancel.creator, digest, signature);
        _revokeOffer(cancel.creator, cancel.offerDigest);
    }

    /// @notice Invalidate every offer the caller has signed so far.
    function incrementCounter() external returns (uint256 counter) {
        counter = ++counters[msg.sender];
        emit CounterIncremented(msg.sender, counter);
    }

    /// @notice Replace a listing's splits. Listing owner only. Splits that lower a contributor's
    /// share are only announced (`SplitsScheduled`) and apply after `SPLIT_NOTICE`.
    function setSplits(uint256 listingId, Split[] calldata splits) external nonReentrant {
        Listing storage l = _ownedBy(listingId, msg.sender);
        _changeSplits(listingId, l, splits, new Consent[](0));
    }

    /// @notice Replace a listing's splits at once, lowering contributors who signed their consent.
    function setSplitsWithConsent(uint256 listingId, Split[] calldata splits, Consent[] calldata consents)
        external
        nonReentrant
    {
        Listing storage l = _ownedBy(listingId, msg.sender);
        _changeSplits(listingId, l, splits, consents);
    }

    /// @notice Replace a listing's splits with an update its owner signed (anyone may relay it);
    /// lowering a contributor is announced, as in `setSplits`.
    function setSplitsBySig(SplitUpdate calldata update, bytes calldata signature) external nonReentrant {
        Listing storage l = _listings[update.listingId];
        _checkSignedUpdate(l, update.listingId, update.nonce, update.deadline, hashSplitUpdate(update), signature);
        _changeSplits(update.listingId, l, update.splits, new Consent[](0));
    }

    /// @notice Apply announced splits once their notice period is over. Anyone may call it.
    function applySplits(uint256 listingId, Split[] calldata splits) external nonReentrant {
        PendingSplits memory pending = pendingSplits[listingId];
        if (pending.effectiveAt == 0 || pending.splitsHash != _hashSplits(splits)) {
            revert SplitsNotScheduled(listingId);
        }
        if (block.timestamp < pending.effectiveAt) revert SplitsNotDue(pending.effectiveAt);
        Listing storage l = _listings[listingId];
        if (l.splitsLocked) revert SplitsLocked(listingId);
        delete pendingSplits[listingId];
        _storeSplits(listingId, l, splits);
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

    /// @notice Stop every purchase (an incident: a bad currency, a bug). Moderator only.
    function pausePurchases() external onlyRole(MODERATOR_ROLE) {
        purchasesPaused = true;
        emit AllPurchasesPaused(msg.sender);
    }

    /// @notice Resume purchases after `pausePurchases`. Moderator only.
    function unpausePurchases() external onlyRole(MODERATOR_ROLE) {
        purchasesPaused = false;
        emit AllPurchasesResumed(msg.sender);
    }

    /// @notice Set who receives the platform fee and how much (at most `MAX_FEE_BPS`). Admin only.
    /// A lower or equal fee applies at once; a higher one is announced (`PlatformFeeScheduled`)
    /// and applies after `FEE_NOTICE`, so sales already under way keep today's fee.
    function setPlatformFee(address recipient, uint16 bps) external nonReentrant onlyRole(DEFAULT_ADMIN_ROLE) {
        if (bps <= feeBps) {
            delete pendingFee;
            _setPlatformFee(recipient, bps);
            return;
        }
        _checkFee(recipient, bps);
        uint64 effectiveAt = uint64(block.timestamp) + FEE_NOTICE;
        pendingFee = PendingFee(recipient, bps, effectiveAt);
        emit PlatformFeeScheduled(recipient, bps, effectiveAt);
    }

    /// @notice Apply an announced fee once its notice period is over. Anyone may call it.
    function applyPlatformFee() external nonReentrant {
        PendingFee memory pending = pendingFee;
        if (pending.effectiveAt == 0) revert NoFeeScheduled();
        if (block.timestamp < pending.effectiveAt) revert FeeNotDue(pending.effectiveAt);
        delete pendingFee;
        _setPlatformFee(pending.recipient, pending.bps);
    }

    /// @notice Allow (or stop) an ERC-20 as a tier currency; its decimals are read from the
    /// token, kept and announced (wallets and the site read its symbol from the token). Admin only. Only plain tokens belong here: a rebasing token
    /// would change balances behind the contract's back (fee-on-transfer ones are refused at
    /// purchase anyway).
    function setCurrency(address token, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0) || token.code.length == 0) revert CurrencyNotAllowed(token);
        uint8 decimals = IERC20Metadata(token).decimals();
        currencies[token] = Currency(allowed, decimals);
        emit CurrencySet(token, allowed, decimals);
    }

    /// @inheritdoc IListingRegistry
    function onOwnershipTransferred(uint256 listingId, address to) external nonReentrant {
        if (msg.sender != address(ownership)) revert NotOwnershipToken();
        _checkRecipient(to); // the owner's share would be credited to a contract that cannot take it
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
        _purchase(msg.sender, listingId, tierId, quantity, currency, amount);
    }

    /// @notice `purchase` under a selector the dispatcher tries third (0x07957ca1) instead of
    /// seventieth: ~1.4k gas less per sale, what the site sends. `purchase` stays for
    /// integrations that already call it.
    function purchaseLicense(uint256 listingId, uint8 tierId, uint32 quantity, address currency, uint256 amount)
        external
        payable
        nonReentrant
    {
        _purchase(msg.sender, listingId, tierId, quantity, currency, amount);
    }

    /// @notice Buy licences for `buyer`, paid by the caller (a gift, or a checkout contract that
    /// collected the buyer's signed payment and pays from it): as `purchase`, except the
    /// licences are minted to `buyer` and `Purchased` names them.
    function purchaseFor(
        address buyer,
        uint256 listingId,
        uint8 tierId,
        uint32 quantity,
        address currency,
        uint256 amount
    ) external payable nonReentrant {
        _purchase(buyer, listingId, tierId, quantity, currency, amount);
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
        if (_listings[offer.listingId].tierCount == 0) {
            _register(offer, signature);
        } else if (registeredOffer[offer.listingId] != hashListingOffer(offer)) {
            // The buyer saw other terms than the ones registered: refuse rather than surprise.
            revert OfferMismatch(offer.listingId);
        }
        _purchase(msg.sender, offer.listingId, tierId, quantity, currency, amount);
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
        _purchase(msg.sender, listingId, tierId, quantity, currency, amount);
    }

    /// @notice Send the caller's credited `currency` (0 = ETH) to `to`.
    function withdraw(address currency, address to) external nonReentrant {
        _withdraw(msg.sender, currency, to);
    }

    /// @notice Send `account`'s credited `currency` to `account` itself. Anyone may call it, so a
    /// credit is never stranded at a contract that cannot call `withdraw`.
    function withdrawFor(address account, address currency) external nonReentrant {
        _withdraw(account, currency, account);
    }

    // ---------------------------------------------------------------------------- views

    /// @notice What `account` may withdraw in `currency` (0 = ETH): payments it could not take
    /// and, for the fee recipient, the platform fee. Reverts when read during a purchase: the
    /// balance then still holds shares not yet paid, which would read as fee.
    function credits(address account, address currency) external view returns (uint256 amount) {
        if (_reentrancyGuardEntered()) revert ReentrancyGuardReentrantCall();
        amount = _credits[account][currency];
        if (currency == address(0) && account == feeRecipient) amount += address(this).balance - _ethOwed;
    }

    /// @notice A listing's header (owner, counts, owner's share, royalty, update nonce, paused).
    function listing(uint256 listingId) external view returns (Listing memory) {
        return _listings[listingId];
    }

    /// @notice A tier's stored terms. `minted` counts what the cap counts: tokens on a capped
    /// perpetual tier, seats (holders) on a capped time-limited one.
    function tier(uint256 listingId, uint8 tierId) external view returns (StoredTier memory t) {
        uint256 tokenId = tokenIdOf(listingId, tierId);
        t = _tiers[tokenId];
        if (t.duration != 0 && t.maxSupply != 0) t.minted = uint32(licenseToken.seats(tokenId));
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
    function transferTerms(uint256 tokenId) external view returns (bool transferable, uint32 seatCap) {
        StoredTier storage t = _tiers[tokenId];
        return (t.transferable, t.duration == 0 ? 0 : t.maxSupply);
    }

    /// @inheritdoc IListingRegistry
    function listingOwner(uint256 listingId) external view returns (address) {
        return _listings[listingId].owner;
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
            offer.counter,
            offer.lockSplits
        );
        return _hashTypedDataV4(keccak256(encoded));
    }

    /// @notice The EIP-712 digest an owner signs for a split update.
    function hashSplitUpdate(SplitUpdate calldata u) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(SPLIT_UPDATE_TYPEHASH, u.listingId, _hashSplits(u.splits), u.nonce, u.deadline))
        );
    }

    /// @dev The EIP-712 digest a contributor signs to consent to `splits` (SplitConsent).
    function _hashSplitConsent(
        uint256 listingId,
        address contributor,
        Split[] calldata splits,
        uint32 nonce,
        uint64 deadline
    )
        private
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(SPLIT_CONSENT_TYPEHASH, listingId, contributor, _hashSplits(splits), nonce, deadline))
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
        bytes32 digest = hashListingOffer(offer);
        if (cancelledOffers[offer.creator][digest]) revert RevokedOffer(digest);
        _checkSignature(offer.creator, digest, signature);
        registeredOffer[listingId] = digest;
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
        l.splitsLocked = offer.lockSplits;
        _storeSplits(listingId, l, offer.splits);
        ownership.mint(offer.creator, listingId);
        emit ListingRegistered(listingId, offer.creator, offer.contentDigest, offer.royaltyBps);
    }

    function _storeTier(uint256 listingId, uint8 tierId, Tier calldata t) private {
        if (t.kind == 0 || t.kind > 3) revert InvalidTierKind(t.kind);
        _checkCurrency(t.currency);
        uint256 tokenId = tokenIdOf(listingId, tierId);
        StoredTier storage stored = _tiers[tokenId];
        (stored.price, stored.duration, stored.maxSupply, stored.kind, stored.transferable, stored.erc20) =
            (t.price, t.duration, t.maxSupply, t.kind, t.transferable, t.currency != address(0));
        // A new tier's slots are empty: an ETH tier leaves its currency slot alone (2.2k).
        if (t.currency != address(0)) stored.currency = t.currency;
        emit TierUpdated(
            listingId, tierId, tokenId, t.price, t.currency, t.duration, t.maxSupply, t.kind, t.transferable
        );
    }

    function _storeSplits(uint256 listingId, Listing storage l, Split[] calldata splits) private {
        (address[] memory recipients, uint16[] memory bps) = _validateSplits(splits);
        Split[MAX_SPLITS] storage stored = _splits[listingId];
        uint256 ownerBps = 0;
        uint256 others = 0;
        for (uint256 i = 0; i < splits.length; ++i) {
            Split calldata s = splits[i];
            if (s.recipient == address(0)) {
                ownerBps += s.bps; // kept in the listing's slot, not read from a split slot
            } else {
                stored[others++] = s;
            }
        }
        (l.splitCount, l.ownerBps) = (uint8(others), uint16(ownerBps));
        emit SplitUpdated(listingId, recipients, bps);
    }

    /// @dev Check a split list (count, recipients, total) and return it as two arrays.
    function _validateSplits(Split[] calldata splits)
        private
        view
        returns (address[] memory recipients, uint16[] memory bps)
    {
        uint256 count = splits.length;
        if (count == 0 || count > MAX_SPLITS) revert InvalidSplitCount(count);
        recipients = new address[](count);
        bps = new uint16[](count);
        uint256 total = 0;
        for (uint256 i = 0; i < count; ++i) {
            Split calldata s = splits[i];
            _checkRecipient(s.recipient);
            total += s.bps;
            (recipients[i], bps[i]) = (s.recipient, s.bps);
        }
        if (total != 10_000) revert SplitsMustTotal10000(total);
    }

    function _setTierPrice(uint256 listingId, Listing storage l, uint8 tierId, uint128 price, address currency)
        private
    {
        if (tierId >= l.tierCount) revert UnknownTier(listingId, tierId);
        _checkCurrency(currency);
        uint256 tokenId = tokenIdOf(listingId, tierId);
        StoredTier storage t = _tiers[tokenId];
        (t.price, t.erc20, t.currency) = (price, currency != address(0), currency);
        emit TierUpdated(listingId, tierId, tokenId, price, currency, t.duration, t.maxSupply, t.kind, t.transferable);
    }

    function _purchase(address buyer, uint256 listingId, uint8 tierId, uint32 quantity, address currency, uint256 amount)
        private
    {
        // One read of the fee slot for both (the fee cannot change mid-sale: nonReentrant).
        (bool paused, uint256 bps) = (purchasesPaused, feeBps);
        if (paused) revert PurchasingPaused();
        // The four fields a sale needs, from the listing's one slot (not a copy of all eight).
        Listing storage l = _listings[listingId];
        (address owner, uint256 tierCount, uint256 splitCount, bool listingPaused) =
            (l.owner, l.tierCount, l.splitCount, l.paused);
        if (tierCount == 0) revert ListingNotRegistered(listingId);
        if (listingPaused) revert ListingIsPaused(listingId);
        if (tierId >= tierCount) revert UnknownTier(listingId, tierId);
        if (quantity == 0) revert ZeroQuantity();
        uint256 tokenId = tokenIdOf(listingId, tierId);
        StoredTier storage t = _tiers[tokenId];
        address tierCurrency = t.erc20 ? t.currency : address(0);
        if (tierCurrency != currency) revert WrongCurrency(tierCurrency, currency);
        uint256 total = uint256(t.price) * quantity;
        if (amount != total) revert WrongPrice(total, amount);
        uint256 maxSupply = t.maxSupply;
        uint256 duration = t.duration;
        // A perpetual tier's cap counts tokens here; a time-limited tier's counts seats, kept by
        // the licence token (which also sees transfers to new holders).
        if (maxSupply != 0 && duration == 0) {
            uint256 minted = uint256(t.minted) + quantity;
            if (minted > maxSupply) revert SupplyCapExceeded(tokenId, maxSupply - t.minted);
            t.minted = uint32(minted);
        }
        _collect(currency, total);
        uint64 expiresAt =
            licenseToken.issue(buyer, tokenId, quantity, duration, duration == 0 ? 0 : maxSupply);
        emit Purchased(buyer, tokenId, quantity, currency, total, expiresAt);
        _distribute(listingId, owner, splitCount, currency, total, bps);
    }

    function _collect(address currency, uint256 total) private {
        if (currency == address(0)) {
            if (msg.value != total) revert WrongPrice(total, msg.value);
        } else {
            if (msg.value != 0) revert UnexpectedValue();
            // Checked at every sale, not only when listed: the admin may stop a currency.
            if (!currencies[currency].allowed) revert CurrencyNotAllowed(currency);
            // What arrives is what gets paid out: a token that takes a cut in transit (or any
            // other surprise) would leave the contract owing more than it holds.
            uint256 before = IERC20(currency).balanceOf(address(this));
            IERC20(currency).safeTransferFrom(msg.sender, address(this), total);
            uint256 received = IERC20(currency).balanceOf(address(this)) - before;
            if (received != total) revert FeeOnTransferToken(currency, total, received);
        }
    }

    /// @dev The platform fee first, kept rather than sent (the platform collects from every
    /// sale): an ETH fee simply stays in the balance, an ERC-20 fee is credited. Then each
    /// recipient's share of the rest; the owner gets whatever is left, its own share plus the
    /// rounding dust, so nothing else stays behind. No event on success: `Purchased` and the
    /// terms in force say it all (see there).
    function _distribute(
        uint256 listingId,
        address owner,
        uint256 splitCount,
        address currency,
        uint256 total,
        uint256 bps
    ) private {
        uint256 fee = (total * bps) / 10_000;
        // An ETH fee simply stays in the contract's balance (see `_ethOwed`).
        if (fee != 0 && currency != address(0)) _credits[feeRecipient][currency] += fee;
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
            ok = _tryTransfer(currency, to, amount);
        }
        if (!ok) {
            _credits[to][currency] += amount;
            if (currency == address(0)) _ethOwed += amount;
            emit Credited(listingId, to, currency, amount);
        }
    }

    /// @dev Credit the ETH fees earned since the last time to the current fee recipient (before
    /// it withdraws or changes). Only outside a purchase: mid-sale the balance still holds shares
    /// not yet paid.
    function _creditEthFee() private {
        uint256 owed = _ethOwed;
        uint256 fee = address(this).balance - owed;
        if (fee == 0) return;
        _ethOwed = owed + fee;
        _credits[feeRecipient][address(0)] += fee;
    }

    /// @dev An ERC-20 transfer with `ERC20_PAYOUT_GAS` and at most 32 bytes of reply copied:
    /// success is a call that did not revert and returned nothing (with code at the token) or
    /// `true`, as in SafeERC20.
    function _tryTransfer(address token, address to, uint256 amount) private returns (bool ok) {
        bytes memory data = abi.encodeCall(IERC20.transfer, (to, amount));
        uint256 size;
        uint256 word;
        assembly ("memory-safe") {
            ok := call(ERC20_PAYOUT_GAS, token, 0, add(data, 0x20), mload(data), 0, 0x20)
            size := returndatasize()
            word := mload(0)
        }
        if (!ok) return false;
        return size == 0 ? token.code.length != 0 : (size >= 32 && word == 1);
    }

    function _withdraw(address account, address currency, address to) private {
        if (to == address(0)) revert InvalidRecipient(to);
        _checkRecipient(to);
        uint256 credited = _credits[account][currency];
        uint256 amount = credited;
        // The fee recipient also takes the ETH fees not yet credited (the balance beyond `_ethOwed`).
        if (currency == address(0) && account == feeRecipient) amount += address(this).balance - _ethOwed;
        if (amount == 0) revert NothingToWithdraw();
        if (credited != 0) _credits[account][currency] = 0;
        if (currency == address(0)) {
            if (credited != 0) _ethOwed -= credited;
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert WithdrawFailed(to);
        } else {
            IERC20(currency).safeTransfer(to, amount);
        }
        emit Withdrawn(account, currency, to, amount);
    }

    function _revokeOffer(address creator, bytes32 offerDigest) private {
        cancelledOffers[creator][offerDigest] = true;
        emit OfferRevoked(creator, offerDigest);
    }

    /// @dev Store `splits` at once unless they lower a contributor who has not consented: those
    /// are announced and wait for `applySplits`. A locked split never changes.
    function _changeSplits(uint256 listingId, Listing storage l, Split[] calldata splits, Consent[] memory consents)
        private
    {
        if (l.splitsLocked) revert SplitsLocked(listingId);
        if (_lowersUnconsented(listingId, l, splits, consents)) {
            uint64 effectiveAt = uint64(block.timestamp) + SPLIT_NOTICE;
            pendingSplits[listingId] = PendingSplits(_hashSplits(splits), effectiveAt);
            (address[] memory recipients, uint16[] memory bps) = _validateSplits(splits);
            emit SplitsScheduled(listingId, recipients, bps, effectiveAt);
            return;
        }
        delete pendingSplits[listingId];
        _storeSplits(listingId, l, splits);
        l.nonce += 1;
    }

    /// @dev Whether `splits` give some current contributor (not the owner) less than now,
    /// without that contributor's valid consent among `consents`.
    function _lowersUnconsented(uint256 listingId, Listing storage l, Split[] calldata splits, Consent[] memory consents)
        private
        view
        returns (bool)
    {
        Split[MAX_SPLITS] storage stored = _splits[listingId];
        for (uint256 i = 0; i < l.splitCount; ++i) {
            Split memory old = stored[i];
            uint256 after_ = 0;
            for (uint256 j = 0; j < splits.length; ++j) {
                if (splits[j].recipient == old.recipient) after_ += splits[j].bps;
            }
            if (after_ < old.bps && !_consented(listingId, l.nonce, old.recipient, splits, consents)) return true;
        }
        return false;
    }

    function _consented(
        uint256 listingId,
        uint32 nonce,
        address contributor,
        Split[] calldata splits,
        Consent[] memory consents
    ) private view returns (bool) {
        for (uint256 k = 0; k < consents.length; ++k) {
            Consent memory c = consents[k];
            if (c.contributor != contributor) continue;
            if (block.timestamp > c.deadline) revert SignatureExpired(c.deadline);
            bytes32 digest = _hashSplitConsent(listingId, contributor, splits, nonce, c.deadline);
            if (!SignatureChecker.isValidSignatureNow(contributor, digest, c.signature)) revert InvalidSignature();
            return true;
        }
        if (consents.length != 0) revert MissingConsent(contributor);
        return false;
    }

    /// @dev Refuse our own contracts as payees: they could never withdraw a credit.
    function _checkRecipient(address to) private view {
        if (to == address(this) || to == address(licenseToken) || to == address(ownership)) {
            revert InvalidRecipient(to);
        }
    }

    function _checkCurrency(address currency) private view {
        if (currency != address(0) && !currencies[currency].allowed) revert CurrencyNotAllowed(currency);
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
        _checkFee(recipient, bps);
        _creditEthFee(); // fees earned so far belong to the recipient in force when earned
        (feeRecipient, feeBps) = (recipient, bps);
        emit PlatformFeeUpdated(recipient, bps);
    }

    function _checkFee(address recipient, uint16 bps) private view {
        if (bps > MAX_FEE_BPS) revert FeeAboveCap(bps, MAX_FEE_BPS);
        if (recipient == address(0) && bps != 0) revert InvalidRecipient(recipient);
        _checkRecipient(recipient);
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
