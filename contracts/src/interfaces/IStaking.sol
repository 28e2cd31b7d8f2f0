// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Role, Status, NodeView, PositionView, LockView} from "../staking/StakingTypes.sol";

/// @title IStaking
/// @notice The Roost registry of miners and coordinators, their stake (the vote), rewards and
///         slashing. Other contracts (the payment escrow, disputes) depend on this interface only.
interface IStaking {
    // ---------------------------------------------------------------- events

    /// @notice A node was registered by `owner` with `selfStake` of its own.
    event NodeRegistered(
        address indexed operator,
        address indexed owner,
        Role role,
        uint256 selfStake,
        uint16 commissionBps,
        string metadataURI,
        string endpoint
    );
    /// @notice `operator` consented to be registered by `owner` (a key cannot be claimed by others).
    event OwnerApproved(address indexed operator, address indexed owner);
    /// @notice A node's metadata or endpoint changed.
    event NodeUpdated(address indexed operator, string metadataURI, string endpoint);
    /// @notice A commission raise was scheduled; it applies from `effectiveAt`.
    event CommissionChangeScheduled(address indexed operator, uint16 commissionBps, uint256 effectiveAt);
    /// @notice A node's commission changed (a cut applies at once, a raise once its delay has passed).
    event CommissionChanged(address indexed operator, uint16 oldBps, uint16 newBps);
    /// @notice The owner deregistered the node; its stakers can unstake, it earns no more emission.
    event NodeDeregistered(address indexed operator);
    /// @notice `staker` staked `amount` on `operator`, receiving `shares` of the node's pool.
    event Staked(address indexed operator, address indexed staker, uint256 amount, uint256 shares);
    /// @notice `staker` unstaked `amount`; it is withdrawable from lock `lockId` at `unlockAt`.
    event Unstaked(
        address indexed operator, address indexed staker, uint256 amount, uint256 lockId, uint256 unlockAt
    );
    /// @notice Lock `lockId` of `staker` paid out `amount`.
    event Withdrawn(address indexed staker, uint256 indexed lockId, address indexed operator, uint256 amount);
    /// @notice `staker` claimed `amount` of rewards earned on `operator`.
    event RewardsClaimed(address indexed operator, address indexed staker, uint256 amount);
    /// @notice The owner of `operator` claimed `amount` of commission.
    event CommissionClaimed(address indexed operator, address indexed owner, uint256 amount);
    /// @notice A distributor added `amount` of emission, streamed until `periodFinish`.
    event RewardAdded(uint256 amount, uint256 duration, uint256 rewardRate, uint256 periodFinish);
    /// @notice `from` paid `amount` of fees to `operator`; the owner's `commission` is part of it.
    event FeesDistributed(address indexed operator, address indexed from, uint256 amount, uint256 commission);
    /// @notice A slasher took `bps` of the node's stake: `activeAmount` + `unbondingAmount`.
    event Slashed(
        address indexed operator,
        address indexed slasher,
        uint16 bps,
        uint256 activeAmount,
        uint256 unbondingAmount,
        bytes32 reason
    );
    /// @notice The node is jailed until `until`; it earns no emission and takes no new stake.
    event Jailed(address indexed operator, uint256 until);
    /// @notice The owner unjailed the node.
    event Unjailed(address indexed operator);
    /// @notice The guardian paused or resumed new stake and registration.
    event PausedSet(bool paused);
    /// @notice A minimum self-stake changed.
    event MinSelfStakeSet(Role role, uint256 amount);
    /// @notice The unbonding period changed (for new locks only).
    event UnbondingPeriodSet(uint256 period);
    /// @notice The commission delay changed (for new schedules only).
    event CommissionDelaySet(uint256 delay);
    /// @notice The jail period changed (for new jailings only).
    event JailPeriodSet(uint256 period);
    /// @notice Slashed tokens now go to `treasury`.
    event TreasurySet(address treasury);

    // ---------------------------------------------------------------- errors

    error ZeroAddress();
    error ZeroAmount();
    error Paused();
    error OperatorTaken(address operator);
    /// @notice The operator key has not approved this owner: call approveOwner(owner) from it.
    error OperatorNotApproved(address operator, address owner);
    error NodeNotFound(address operator);
    error NotNodeOwner(address operator, address caller);
    error NodeNotActive(address operator, Status status);
    error SelfStakeBelowMinimum(uint256 selfStake, uint256 minimum);
    error EndpointRequired();
    error StringTooLong(uint256 length, uint256 maxLength);
    error CommissionTooHigh(uint256 bps);
    error InsufficientStake(uint256 requested, uint256 available);
    error AmountTooSmall(uint256 amount);
    /// @notice The node's stake was slashed to zero: it cannot take stake again. Its owner
    ///         deregisters it and registers a new operator.
    error NodePoolDepleted(address operator);
    error LockNotFound(uint256 lockId);
    error LockNotMatured(uint256 lockId, uint256 unlockAt);
    error StillJailed(uint256 until);
    error NotJailed(address operator);
    error InvalidBps(uint256 bps);
    error InvalidDuration(uint256 duration);
    error RewardTooSmall(uint256 amount, uint256 duration);
    error CommissionDelayBelowUnbonding(uint256 commissionDelay, uint256 unbondingPeriod);
    error PeriodTooLong(uint256 period, uint256 maximum);
    error MinSelfStakeTooLow(uint256 amount, uint256 floor);

    // ---------------------------------------------------------------- actions

    function register(
        Role role,
        address operator,
        uint256 selfStake,
        uint16 commissionBps,
        string calldata metadataURI,
        string calldata endpoint
    ) external;
    function updateNode(
        address operator,
        uint16 commissionBps,
        string calldata metadataURI,
        string calldata endpoint
    ) external;
    function deregister(address operator) external;
    function unjail(address operator) external;
    function stake(address operator, uint256 amount) external;
    function stakeWithPermit(
        address operator,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;
    function unstake(address operator, uint256 amount) external returns (uint256 lockId);
    function withdraw(uint256[] calldata lockIds) external returns (uint256 amount);
    function claim(address operator) external returns (uint256 amount);
    function claimMany(address[] calldata operators) external returns (uint256 amount);
    function notifyRewardAmount(uint256 amount, uint256 duration) external;
    function distributeFees(address operator, uint256 amount) external;
    function slash(address operator, uint16 bps, bytes32 reason) external returns (uint256 slashed);

    // ---------------------------------------------------------------- views

    function getNode(address operator) external view returns (NodeView memory);
    function getNodes(Role role, uint256 offset, uint256 limit) external view returns (NodeView[] memory);
    function nodeCount(Role role) external view returns (uint256);
    function stakeOf(address operator, address staker) external view returns (uint256);
    function pendingRewards(address operator, address staker) external view returns (uint256);
    function positionsOf(address staker, Role role, uint256 offset, uint256 limit)
        external
        view
        returns (PositionView[] memory);
    function locksOf(address staker, uint256 offset, uint256 limit) external view returns (LockView[] memory);
    function lockCount(address staker) external view returns (uint256);
    function isActive(address operator) external view returns (bool);
}
