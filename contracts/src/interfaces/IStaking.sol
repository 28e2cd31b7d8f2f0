// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
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
    /// @notice The unbonding pool of `operator`, slashed to zero tokens, starts again empty as
    ///         generation `epoch` (with the lock that follows in the same transaction): its earlier
    ///         locks were worth 0 and stay so; withdrawing them pays 0.
    event UnbondingPoolReset(address indexed operator, uint256 epoch);
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
    /// @notice A slasher took `bps` of the node's stake (0: an amount of the owner's own stake, see
    ///         slashOwnerStake): `activeAmount` + `unbondingAmount`, paid to the slasher.
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
    /// @notice The network treasury is now `treasury`.
    event TreasurySet(address treasury);

    // ---------------------------------------------------------------- errors

    /// @notice An address argument (operator, admin, token, treasury) is zero.
    error ZeroAddress();
    /// @notice An amount argument is zero.
    error ZeroAmount();
    /// @notice New stake and registration are paused by the guardian.
    error Paused();
    /// @notice The operator address is (or was) registered to a node; operators are never reused.
    error OperatorTaken(address operator);
    /// @notice The operator key has not approved this owner: call approveOwner(owner) from it.
    error OperatorNotApproved(address operator, address owner);
    /// @notice No node was ever registered with this operator.
    error NodeNotFound(address operator);
    /// @notice Only the node's owner may do this.
    error NotNodeOwner(address operator, address caller);
    /// @notice The node is jailed or deregistered (or, for updateNode, deregistered).
    error NodeNotActive(address operator, Status status);
    /// @notice The owner's own stake would be (or is) below the role's minimum.
    error SelfStakeBelowMinimum(uint256 selfStake, uint256 minimum);
    /// @notice A coordinator must give the endpoint its miners and apps reach it at.
    error EndpointRequired();
    /// @notice The metadata URI or the endpoint is too long.
    error StringTooLong(uint256 length, uint256 maxLength);
    /// @notice Commission is in basis points, at most 10,000.
    error CommissionTooHigh(uint256 bps);
    /// @notice The caller's stake on the node is smaller than the amount to unstake.
    error InsufficientStake(uint256 requested, uint256 available);
    /// @notice The amount is worth zero shares of the pool.
    error AmountTooSmall(uint256 amount);
    /// @notice The node's stake was slashed to zero: it cannot take stake again. Its owner
    ///         deregisters it and registers a new operator.
    error NodePoolDepleted(address operator);
    /// @notice The caller has no such lock, or it was already withdrawn.
    error LockNotFound(uint256 lockId);
    /// @notice The lock is still unbonding until `unlockAt`.
    error LockNotMatured(uint256 lockId, uint256 unlockAt);
    /// @notice The jail period has not ended yet.
    error StillJailed(uint256 until);
    /// @notice The node is not jailed.
    error NotJailed(address operator);
    /// @notice A slash must be between 1 and 10,000 basis points.
    error InvalidBps(uint256 bps);
    /// @notice An emission stream lasts between 1 second and MAX_PERIOD.
    error InvalidDuration(uint256 duration);
    /// @notice The amount is too small to stream at least 1 wei per second.
    error RewardTooSmall(uint256 amount, uint256 duration);
    /// @notice The commission delay must be at least the unbonding period, so stakers can leave first.
    error CommissionDelayBelowUnbonding(uint256 commissionDelay, uint256 unbondingPeriod);
    /// @notice A period parameter exceeds MAX_PERIOD.
    error PeriodTooLong(uint256 period, uint256 maximum);
    /// @notice A minimum self-stake must be at least MIN_SELF_STAKE_FLOOR.
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
    function slashOwnerStake(address operator, uint256 amount, bytes32 reason)
        external
        returns (uint256 slashed);

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
    function nodeState(address operator) external view returns (Role role, Status status);
    function token() external view returns (IERC20);
    function treasury() external view returns (address);
    function unbondingPeriod() external view returns (uint256);
}
