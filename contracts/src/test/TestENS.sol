// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Minimal ENS for tests (accounts/ens.py): the registry, a resolver and the reverse
/// registrar, with the same function signatures as ENS's (registry `owner`/`resolver`/
/// `setSubnodeOwner`/`setResolver`, resolver `addr(bytes32)`/`name(bytes32)`, reverse
/// registrar `setName`), so the site reads them as it reads mainnet ENS. No expiry, no wrapper.
contract TestENSRegistry {
    struct Record {
        address owner;
        address resolver;
    }

    mapping(bytes32 => Record) private records;

    error NotOwner(bytes32 node);

    constructor() {
        records[bytes32(0)].owner = msg.sender;
    }

    modifier onlyOwner(bytes32 node) {
        if (records[node].owner != msg.sender) revert NotOwner(node);
        _;
    }

    function owner(bytes32 node) external view returns (address) {
        return records[node].owner;
    }

    function resolver(bytes32 node) external view returns (address) {
        return records[node].resolver;
    }

    function setSubnodeOwner(bytes32 node, bytes32 label, address newOwner)
        external
        onlyOwner(node)
        returns (bytes32 subnode)
    {
        subnode = keccak256(abi.encodePacked(node, label));
        records[subnode].owner = newOwner;
    }

    function setResolver(bytes32 node, address newResolver) external onlyOwner(node) {
        records[node].resolver = newResolver;
    }
}

/// @notice A resolver holding `addr` and `name` records; only a node's owner in the registry
/// (or the reverse registrar, for reverse nodes it owns) may set them.
contract TestENSResolver {
    TestENSRegistry public immutable ens;
    mapping(bytes32 => address) private addresses;
    mapping(bytes32 => string) private names;

    error NotAuthorised(bytes32 node);

    constructor(TestENSRegistry ens_) {
        ens = ens_;
    }

    modifier authorised(bytes32 node) {
        if (ens.owner(node) != msg.sender) revert NotAuthorised(node);
        _;
    }

    function setAddr(bytes32 node, address value) external authorised(node) {
        addresses[node] = value;
    }

    function addr(bytes32 node) external view returns (address payable) {
        return payable(addresses[node]);
    }

    function setName(bytes32 node, string calldata value) external authorised(node) {
        names[node] = value;
    }

    function name(bytes32 node) external view returns (string memory) {
        return names[node];
    }
}

/// @notice Owns `addr.reverse`: anyone sets the primary name of their own address, as with
/// ENS's ReverseRegistrar. The name is only a claim: a reader must check the name's `addr`.
contract TestReverseRegistrar {
    // namehash("addr.reverse")
    bytes32 public constant ADDR_REVERSE_NODE =
        0x91d1777781884d03a6757a803996e38de2a42967fb37eeaca72729271025a9e2;

    TestENSRegistry public immutable ens;
    TestENSResolver public immutable defaultResolver;

    constructor(TestENSRegistry ens_, TestENSResolver resolver_) {
        ens = ens_;
        defaultResolver = resolver_;
    }

    function setName(string calldata value) external returns (bytes32 reverseNode) {
        bytes32 label = sha3HexAddress(msg.sender);
        reverseNode = ens.setSubnodeOwner(ADDR_REVERSE_NODE, label, address(this));
        ens.setResolver(reverseNode, address(defaultResolver));
        defaultResolver.setName(reverseNode, value);
    }

    function node(address account) external pure returns (bytes32) {
        return keccak256(abi.encodePacked(ADDR_REVERSE_NODE, sha3HexAddress(account)));
    }

    /// keccak256 of the address as 40 lowercase hex digits (no 0x), ENS's reverse label.
    function sha3HexAddress(address account) public pure returns (bytes32) {
        bytes memory digits = "0123456789abcdef";
        bytes memory text = new bytes(40);
        uint160 value = uint160(account);
        for (uint256 i = 40; i > 0; i--) {
            text[i - 1] = digits[value & 0xf];
            value >>= 4;
        }
        return keccak256(text);
    }
}
