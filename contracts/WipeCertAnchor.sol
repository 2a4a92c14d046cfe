// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title WipeCert transparency-log anchor
/// @notice Records signed checkpoints of WipeCert's transparency log: for each
/// log (by the keccak-256 hash of its origin line) the largest tree size
/// anchored so far and its RFC 9162 root hash, and emits one event per anchor.
/// A tree size not larger than the last one of its log is refused, so a
/// replayed or stale submission changes nothing (and its sender pays only for
/// the refusal). Only the owner, the platform's chain account, may anchor:
/// anyone else could otherwise block the log with a huge bogus tree size.
contract WipeCertAnchor {
    struct Head {
        uint64 treeSize;
        uint64 blockNumber;
        bytes32 rootHash;
    }

    address public owner;
    mapping(bytes32 => Head) public heads;

    event Anchored(bytes32 indexed originHash, uint64 indexed treeSize, bytes32 rootHash);
    event OwnerChanged(address indexed previousOwner, address indexed newOwner);

    error NotOwner(address caller);
    error StaleTreeSize(bytes32 originHash, uint64 treeSize, uint64 lastTreeSize);

    constructor() {
        owner = msg.sender;
        emit OwnerChanged(address(0), msg.sender);
    }

    /// @notice Anchors the checkpoint (origin, treeSize, rootHash) of a log.
    function anchor(bytes32 originHash, uint64 treeSize, bytes32 rootHash) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        uint64 last = heads[originHash].treeSize;
        if (treeSize <= last) revert StaleTreeSize(originHash, treeSize, last);
        heads[originHash] = Head(treeSize, uint64(block.number), rootHash);
        emit Anchored(originHash, treeSize, rootHash);
    }

    /// @notice Hands anchoring to another account (a new chain key of the signer).
    function transferOwnership(address newOwner) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        emit OwnerChanged(owner, newOwner);
        owner = newOwner;
    }
}
