// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {Marketplace} from "./Marketplace.sol";

/// @notice EIP-3009 (USDC's transfers by signed authorization), as far as the checkout uses it.
interface IERC3009 {
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;

    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;
}

/// @title Checkout
/// @notice Gasless purchases: anyone (the site's relayer) submits what the buyer signed, the
/// checkout pulls exactly the price from the buyer, and the Marketplace mints the licences to
/// the buyer and pays the split in the same transaction. The buyer needs no ETH.
///
/// Three ways in, by what the currency offers:
/// - `buyWithAuthorization`: one EIP-3009 `ReceiveWithAuthorization` whose nonce is the
///   EIP-712 digest of the purchase (`purchaseDigest`): the authorization can pay for this
///   purchase only, only through this contract (only the payee may submit it), once.
/// - `buyWithPermit`: an ERC-2612 permit to this contract plus a signed `PurchaseIntent`
///   (chain id and this contract in its domain, a deadline, a single-use nonce).
/// - `buyWithTransferAuthorization`: a plain EIP-3009 `TransferWithAuthorization` to this
///   contract with any nonce, as x402's `exact` scheme signs it. The authorization does not name
///   the purchase, so only a relayer the owner named (the site's facilitator, which read the
///   resource it was paid for) may submit it: anyone else could make it buy another listing at
///   the same price. Anyone may still submit the authorization to the token first; then the
///   funds wait here for `rescue`.
/// The contract holds nothing between calls: what it pulls it pays to the Marketplace at once.
contract Checkout is EIP712, ReentrancyGuardTransient, Ownable {
    using SafeERC20 for IERC20;

    /// @notice What a buyer agrees to buy. `amount` is the exact total (price x quantity) in
    /// `currency`; `nonce` is a random value that makes each intent single-use.
    struct PurchaseIntent {
        address buyer;
        uint256 listingId;
        uint8 tierId;
        uint32 quantity;
        address currency;
        uint256 amount;
        bytes32 nonce;
        uint64 deadline;
    }

    /// @notice An ERC-2612 permit's signature and deadline.
    struct Permit {
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    bytes32 private constant PURCHASE_INTENT_TYPEHASH = keccak256(
        "PurchaseIntent(address buyer,uint256 listingId,uint8 tierId,uint32 quantity,address currency,"
        "uint256 amount,bytes32 nonce,uint64 deadline)"
    );

    Marketplace public immutable market;

    /// @notice Intents already used (by their digest), for the permit path; EIP-3009 tokens
    /// keep their own record of used authorizations.
    mapping(bytes32 digest => bool) public usedIntents;

    /// @notice Who may settle plain transfer authorizations (x402), which name no purchase.
    mapping(address relayer => bool) public relayers;

    event GaslessPurchase(address indexed buyer, bytes32 indexed intent, address indexed relayer, uint8 method);
    event Rescued(address indexed token, address indexed to, uint256 amount);
    event RelayerSet(address indexed relayer, bool allowed);

    error IntentExpired(uint64 deadline);
    error IntentUsed(bytes32 digest);
    error InvalidSignature();
    error NoCurrency();
    error NotRelayer(address caller);
    error WrongAmountReceived(uint256 expected, uint256 received);

    constructor(Marketplace market_, address owner_) EIP712("AI Model Marketplace Checkout", "1") Ownable(owner_) {
        market = market_;
    }

    /// @notice Buy with one EIP-3009 `ReceiveWithAuthorization` from the buyer to this contract
    /// for `intent.amount`, valid until `intent.deadline`, whose nonce is `purchaseDigest(intent)`.
    function buyWithAuthorization(PurchaseIntent calldata intent, uint256 validAfter, bytes calldata signature)
        external
        nonReentrant
    {
        bytes32 digest = purchaseDigest(intent);
        _checkIntent(intent);
        uint256 before = _balance(intent.currency);
        IERC3009(intent.currency).receiveWithAuthorization(
            intent.buyer, address(this), intent.amount, validAfter, intent.deadline, digest, signature
        );
        _buy(intent, before, digest, 1);
    }

    /// @notice Buy with an ERC-2612 permit for `intent.amount` to this contract and the buyer's
    /// signature of `intent`. A permit someone already used is fine if the allowance is there.
    function buyWithPermit(PurchaseIntent calldata intent, Permit calldata permit, bytes calldata signature)
        external
        nonReentrant
    {
        bytes32 digest = purchaseDigest(intent);
        _checkIntent(intent);
        if (usedIntents[digest]) revert IntentUsed(digest);
        if (!SignatureChecker.isValidSignatureNowCalldata(intent.buyer, digest, signature)) revert InvalidSignature();
        usedIntents[digest] = true;
        try IERC20Permit(intent.currency).permit(
            intent.buyer, address(this), intent.amount, permit.deadline, permit.v, permit.r, permit.s
        ) {} catch {}
        uint256 before = _balance(intent.currency);
        IERC20(intent.currency).safeTransferFrom(intent.buyer, address(this), intent.amount);
        _buy(intent, before, digest, 2);
    }

    /// @notice Buy with a plain EIP-3009 `TransferWithAuthorization` to this contract (x402's
    /// `exact` scheme). `intent.nonce` is the authorization's nonce, `intent.deadline` its
    /// validBefore; the intent itself is not signed (see the contract's notes).
    function buyWithTransferAuthorization(
        PurchaseIntent calldata intent,
        uint256 validAfter,
        bytes calldata signature
    ) external nonReentrant {
        if (!relayers[msg.sender]) revert NotRelayer(msg.sender);
        _checkIntent(intent);
        uint256 before = _balance(intent.currency);
        IERC3009(intent.currency).transferWithAuthorization(
            intent.buyer, address(this), intent.amount, validAfter, intent.deadline, intent.nonce, signature
        );
        _buy(intent, before, intent.nonce, 3);
    }

    /// @notice Allow or stop `relayer` settling plain transfer authorizations. Owner only.
    function setRelayer(address relayer, bool allowed) external onlyOwner {
        relayers[relayer] = allowed;
        emit RelayerSet(relayer, allowed);
    }

    /// @notice Send `token` stranded here (an authorization submitted to the token directly, a
    /// mistaken transfer) to `to`. Owner only.
    function rescue(address token, address to, uint256 amount) external onlyOwner {
        IERC20(token).safeTransfer(to, amount);
        emit Rescued(token, to, amount);
    }

    /// @notice The EIP-712 digest of `intent` in this contract's domain: what the buyer signs on
    /// the permit path, and the EIP-3009 nonce on the authorization path.
    function purchaseDigest(PurchaseIntent calldata intent) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    PURCHASE_INTENT_TYPEHASH,
                    intent.buyer,
                    intent.listingId,
                    intent.tierId,
                    intent.quantity,
                    intent.currency,
                    intent.amount,
                    intent.nonce,
                    intent.deadline
                )
            )
        );
    }

    function _checkIntent(PurchaseIntent calldata intent) private view {
        if (intent.currency == address(0)) revert NoCurrency();
        if (block.timestamp >= intent.deadline) revert IntentExpired(intent.deadline);
    }

    function _balance(address token) private view returns (uint256) {
        return IERC20(token).balanceOf(address(this));
    }

    /// @dev Pay the Marketplace exactly what arrived, which must be the intent's amount; the
    /// Marketplace checks it is the tier's price x quantity and mints to the buyer.
    function _buy(PurchaseIntent calldata intent, uint256 before, bytes32 digest, uint8 method) private {
        uint256 received = _balance(intent.currency) - before;
        if (received != intent.amount) revert WrongAmountReceived(intent.amount, received);
        IERC20 token = IERC20(intent.currency);
        token.forceApprove(address(market), intent.amount);
        market.purchaseFor(
            intent.buyer, intent.listingId, intent.tierId, intent.quantity, intent.currency, intent.amount
        );
        emit GaslessPurchase(intent.buyer, digest, msg.sender, method);
    }
}
