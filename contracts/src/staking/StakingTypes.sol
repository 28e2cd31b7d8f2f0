// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The two roles a node can register for.
enum Role {
    Miner,
    Coordinator
}

/// @notice A node's life cycle. `None` means the operator address was never registered.
enum Status {
    None,
    Active,
    Jailed,
    Deregistered
}

/// @notice Storage of one node, keyed by its operator address. A stake writes slots 0-2 only;
///         see the gas figures in bench/RESULTS.md.
/// @dev Token amounts are uint96 (7.9e28 wei, 79x the CAI supply); shares are uint128 because
///      each slash raises the number of shares per token. Stake and unbonding stake are two share
///      pools, so a slash is two multiplications whatever the number of stakers and locks.
struct Node {
    // slot 0: status, commission and the active stake, read by every action
    Role role;
    Status status;
    uint16 commissionBps;
    uint16 pendingCommissionBps;
    uint40 commissionEffectiveAt;
    uint40 jailedUntil;
    uint32 index; // position in the role's node list
    uint96 activeTokens;
    // slot 1: active shares and the rewards per share of this node
    uint128 activeShares;
    uint128 accRewardPerShare;
    // slot 2: the global reward per token this node has seen, and the owner's unclaimed
    // commission; the first is non-zero once emission starts, so claiming the commission does
    // not make the next staker pay for a fresh slot (20,000 gas)
    uint128 rewardPerTokenPaid;
    uint96 commissionAccrued;
    // slot 3: unbonding pool (stake that stays slashable until withdrawn), and its generation:
    // a pool slashed to zero tokens starts again with no shares when a lock is next added to it,
    // and the locks of earlier generations are worth 0 (see Staking._lock)
    uint96 unbondingTokens;
    uint128 unbondingShares;
    uint32 unbondingEpoch;
    // slot 4
    address owner;
    string metadataURI;
    string endpoint;
}

/// @notice One staker's stake on one node. `rewardDebt` follows the MasterChef-v2 scheme, so that
///         unclaimed rewards survive stake changes without a second storage slot.
struct Position {
    uint128 shares;
    int128 rewardDebt;
}

/// @notice An unbonding lock: shares of the node's unbonding pool, withdrawable after `unlockAt`.
///         The shares belong to generation `epoch` of the pool; a lock of an earlier generation
///         than the node's `unbondingEpoch` was slashed to nothing and is worth 0.
struct Lock {
    uint128 shares;
    uint40 unlockAt;
    Role role;
    uint32 nodeIndex;
    uint32 epoch;
}

/// @notice A node as the views return it.
struct NodeView {
    address operator;
    address owner;
    Role role;
    Status status;
    uint256 totalStake;
    uint256 selfStake;
    uint256 unbondingStake;
    uint16 commissionBps;
    uint16 pendingCommissionBps;
    uint40 commissionEffectiveAt;
    uint40 jailedUntil;
    string metadataURI;
    string endpoint;
}

/// @notice One staker's position on one node as the views return it.
struct PositionView {
    address operator;
    Role role;
    Status status;
    uint256 stake;
    uint256 pendingRewards;
}

/// @notice An unbonding lock as the views return it; `amount` is its current (post-slash) value.
struct LockView {
    uint256 id;
    address operator;
    uint256 amount;
    uint40 unlockAt;
    bool withdrawn;
}

/// @notice Parameters fixed at deploy; all of them can be changed later by the admin.
struct StakingParams {
    uint256 minMinerStake;
    uint256 minCoordinatorStake;
    uint256 unbondingPeriod;
    uint256 commissionDelay;
    uint256 jailPeriod;
}
