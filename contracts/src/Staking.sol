// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {StakingAccounting} from "./staking/StakingAccounting.sol";
import {StakingViews} from "./staking/StakingViews.sol";
import {Lock, Node, Position, Role, StakingParams, Status} from "./staking/StakingTypes.sol";

/// @title Staking
/// @notice The registry of Roost miners and coordinators and the stake behind them. Owners
///         register a node (an operator hot key) with a self-stake of at least the role's minimum;
///         anyone stakes on (votes for) any active node; stake earns streamed emission and the
///         node's fees after its owner's commission; unstaking goes through an unbonding period
///         during which the stake stays slashable; a SLASHER (the Disputes contract) slashes and
///         jails cheaters. Every action is O(1) whatever the number of stakers.
/// @dev Parameters are set by DEFAULT_ADMIN (a timelock in production). The GUARDIAN can pause new
///      stake and registration, never withdrawals, unstaking or claims.
contract Staking is StakingViews, AccessControl {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SafeCast for int256;

    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    bytes32 public constant REWARD_DISTRIBUTOR_ROLE = keccak256("REWARD_DISTRIBUTOR_ROLE");

    /// @notice Upper bound for every period parameter, so that funds can never be locked forever.
    uint256 public constant MAX_PERIOD = 365 days;
    uint256 public constant MAX_METADATA_LENGTH = 2048;
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;
    /// @notice The lowest minimum self-stake the admin may set. Every active node holds at least
    ///         the minimum, so the rewardable total never gets small enough for the reward-per-token
    ///         accumulator (uint128) to overflow and freeze the contract.
    uint256 public constant MIN_SELF_STAKE_FLOOR = 1e12;

    /// @notice The staked token (CAI, or any ERC-20 such as a wrapped native token).
    IERC20 public immutable token;

    address public treasury;
    uint64 public commissionDelay;
    uint64 public jailPeriod;

    /// @param token_ the staked and rewarded ERC-20.
    /// @param admin receives DEFAULT_ADMIN_ROLE (and may grant the other roles).
    /// @param treasury_ the network treasury: slasher contracts send it the part of a slash they do
    ///        not pay out as finder's fees or compensation.
    constructor(IERC20 token_, address admin, address treasury_, StakingParams memory params) {
        if (address(token_) == address(0) || admin == address(0)) revert ZeroAddress();
        token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setTreasury(treasury_);
        _setMinSelfStake(Role.Miner, params.minMinerStake);
        _setMinSelfStake(Role.Coordinator, params.minCoordinatorStake);
        _setCommissionDelay(params.commissionDelay);
        _setUnbondingPeriod(params.unbondingPeriod);
        _setJailPeriod(params.jailPeriod);
    }

    /// @notice How long unstaked tokens stay locked (and slashable) before `withdraw`.
    function unbondingPeriod() external view returns (uint256) {
        return _emission.unbondingPeriod;
    }

    // ================================================================= registry

    /// @notice Called by an operator key before its owner registers it: consents to be registered
    ///         by `owner` (address(0) withdraws the consent). Not needed when owner and operator are
    ///         the same address.
    function approveOwner(address owner) external {
        approvedOwner[msg.sender] = owner;
        emit OwnerApproved(msg.sender, owner);
    }

    /// @notice Registers `operator` (the node's hot key, which must have approved the caller with
    ///         `approveOwner`) for `role` with `selfStake` of the caller's tokens. Coordinators
    ///         must give the endpoint miners and apps reach them at.
    function register(
        Role role,
        address operator,
        uint256 selfStake,
        uint16 commissionBps,
        string calldata metadataURI,
        string calldata endpoint
    ) external whenNotPaused {
        if (operator == address(0)) revert ZeroAddress();
        Node storage n = _nodes[operator];
        if (n.status != Status.None) revert OperatorTaken(operator);
        if (selfStake < minSelfStake[role]) revert SelfStakeBelowMinimum(selfStake, minSelfStake[role]);
        if (commissionBps > BPS) revert CommissionTooHigh(commissionBps);
        _checkStrings(role, metadataURI, endpoint);
        // The operator key must consent, or anyone could claim (and burn) another miner's key.
        if (operator != msg.sender) {
            if (approvedOwner[operator] != msg.sender) revert OperatorNotApproved(operator, msg.sender);
            delete approvedOwner[operator];
        }

        GlobalState memory g = _updateGlobal();
        n.owner = msg.sender;
        n.role = role;
        n.status = Status.Active;
        n.commissionBps = commissionBps;
        n.index = _operators[uint8(role)].length.toUint32();
        n.rewardPerTokenPaid = g.rewardPerTokenStored;
        n.activeTokens = selfStake.toUint96();
        n.activeShares = selfStake.toUint128(); // a new pool converts 1:1
        n.metadataURI = metadataURI;
        n.endpoint = endpoint;
        _operators[uint8(role)].push(operator);
        _positions[operator][msg.sender].shares = selfStake.toUint128();
        g.totalRewardable = (g.totalRewardable + selfStake).toUint96();
        _global = g;

        token.safeTransferFrom(msg.sender, address(this), selfStake);
        emit NodeRegistered(operator, msg.sender, role, selfStake, commissionBps, metadataURI, endpoint);
        emit Staked(operator, msg.sender, selfStake, selfStake);
    }

    /// @notice Changes a node's commission, metadata and endpoint. A lower commission applies at
    ///         once; a higher one only after `commissionDelay`, so stakers can leave first.
    function updateNode(
        address operator,
        uint16 commissionBps,
        string calldata metadataURI,
        string calldata endpoint
    ) external {
        Node storage n = _ownedNode(operator);
        if (n.status == Status.Deregistered) revert NodeNotActive(operator, n.status);
        if (commissionBps > BPS) revert CommissionTooHigh(commissionBps);
        _checkStrings(n.role, metadataURI, endpoint);

        _accrue(operator, n, _rewardPerToken());
        uint16 current = n.commissionBps;
        if (commissionBps > current) {
            uint256 effectiveAt = block.timestamp + commissionDelay;
            n.pendingCommissionBps = commissionBps;
            n.commissionEffectiveAt = uint40(effectiveAt);
            emit CommissionChangeScheduled(operator, commissionBps, effectiveAt);
        } else {
            n.pendingCommissionBps = 0;
            n.commissionEffectiveAt = 0;
            if (commissionBps < current) {
                n.commissionBps = commissionBps;
                emit CommissionChanged(operator, current, commissionBps);
            }
        }
        n.metadataURI = metadataURI;
        n.endpoint = endpoint;
        emit NodeUpdated(operator, metadataURI, endpoint);
    }

    /// @notice Retires a node: it earns no more emission, takes no new stake, and its owner may
    ///         unstake all of its self-stake. Its stake stays slashable while unbonding.
    function deregister(address operator) external {
        Node storage n = _ownedNode(operator);
        Status status = n.status;
        if (status == Status.Deregistered) revert NodeNotActive(operator, status);
        GlobalState memory g = _updateGlobal();
        _accrue(operator, n, g.rewardPerTokenStored);
        if (status == Status.Active) g.totalRewardable -= n.activeTokens;
        _global = g;
        n.status = Status.Deregistered;
        emit NodeDeregistered(operator);
    }

    /// @notice Ends a node's jail once `jailPeriod` has passed and its self-stake is back at the
    ///         minimum (the owner may top it up with `stake` while jailed).
    function unjail(address operator) external {
        Node storage n = _ownedNode(operator);
        if (n.status != Status.Jailed) revert NotJailed(operator);
        if (block.timestamp < n.jailedUntil) revert StillJailed(n.jailedUntil);
        uint256 own = _stakeOf(n, _positions[operator][msg.sender]);
        if (own < minSelfStake[n.role]) revert SelfStakeBelowMinimum(own, minSelfStake[n.role]);
        GlobalState memory g = _updateGlobal();
        _accrue(operator, n, g.rewardPerTokenStored); // a jailed node earned nothing: this only resets its mark
        g.totalRewardable += n.activeTokens;
        _global = g;
        n.status = Status.Active;
        emit Unjailed(operator);
    }

    // ================================================================= stake

    /// @notice Stakes `amount` on (votes for) an active node. A jailed node's owner may stake on it
    ///         to restore its self-stake, even while staking is paused.
    function stake(address operator, uint256 amount) public {
        Node storage n = _nodes[operator];
        Status status = n.status;
        // Pause stops new votes, not an owner restoring its jailed node's self-stake.
        if (_emission.paused && (status != Status.Jailed || msg.sender != n.owner)) revert Paused();
        if (amount == 0) revert ZeroAmount();
        if (status != Status.Active && (status != Status.Jailed || msg.sender != n.owner)) {
            revert NodeNotActive(operator, status);
        }
        // A pool slashed to zero still has its old shares; a new stake would buy them back.
        if (n.activeTokens == 0 && n.activeShares != 0) revert NodePoolDepleted(operator);
        GlobalState memory g = _updateGlobal();
        _accrue(operator, n, g.rewardPerTokenStored);

        uint256 shares = _toShares(amount, n.activeTokens, n.activeShares);
        if (shares == 0) revert AmountTooSmall(amount);
        n.activeTokens = (n.activeTokens + amount).toUint96();
        n.activeShares = (n.activeShares + shares).toUint128();
        _addShares(_positions[operator][msg.sender], shares, n.accRewardPerShare);
        if (status == Status.Active) g.totalRewardable = (g.totalRewardable + amount).toUint96();
        _global = g;

        token.safeTransferFrom(msg.sender, address(this), amount);
        emit Staked(operator, msg.sender, amount, shares);
    }

    /// @notice `stake` with an ERC-2612 permit instead of a prior approval. A permit that was
    ///         front-run (already used) does not make the stake fail if the allowance is there.
    function stakeWithPermit(
        address operator,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        try IERC20Permit(address(token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {}
            catch {}
        stake(operator, amount);
    }

    /// @notice Starts unbonding `amount` of the caller's stake on `operator`. The tokens stop
    ///         earning at once and can be withdrawn after `unbondingPeriod`; until withdrawn they
    ///         are slashed with the node. A registered node's owner cannot go below the minimum.
    /// @return lockId the caller's lock to pass to `withdraw`.
    function unstake(address operator, uint256 amount) external returns (uint256 lockId) {
        if (amount == 0) revert ZeroAmount();
        Node storage n = _nodes[operator];
        Status status = n.status;
        if (status == Status.None) revert NodeNotFound(operator);
        GlobalState memory g = _updateGlobal();
        _accrue(operator, n, g.rewardPerTokenStored);
        _leavePool(
            n,
            _positions[operator][msg.sender],
            amount,
            msg.sender == n.owner && status != Status.Deregistered
        );
        if (status == Status.Active) g.totalRewardable -= amount.toUint96();
        _global = g;
        uint256 unlockAt;
        (lockId, unlockAt) = _lock(operator, n, amount);
        emit Unstaked(operator, msg.sender, amount, lockId, unlockAt);
    }

    /// @notice Pays out matured unbonding locks (their value after any slash). Never paused. A lock
    ///         whose pool was slashed to zero and has since started a new generation pays 0.
    function withdraw(uint256[] calldata lockIds) external returns (uint256 amount) {
        Lock[] storage locks = _locks[msg.sender];
        for (uint256 i; i < lockIds.length; ++i) {
            uint256 id = lockIds[i];
            if (id >= locks.length || locks[id].shares == 0) revert LockNotFound(id);
            Lock memory l = locks[id];
            if (block.timestamp < l.unlockAt) revert LockNotMatured(id, l.unlockAt);
            address operator = _operators[uint8(l.role)][l.nodeIndex];
            Node storage n = _nodes[operator];
            uint256 value;
            // An earlier generation's shares are no longer part of the pool (see _lock).
            if (l.epoch == n.unbondingEpoch) {
                uint256 tokens = n.unbondingTokens;
                uint256 shares = n.unbondingShares;
                value = _toTokens(l.shares, tokens, shares);
                // checked differences, each at most the field it came from: the casts are safe
                n.unbondingTokens = uint96(tokens - value);
                n.unbondingShares = uint128(shares - l.shares);
            }
            delete locks[id];
            amount += value;
            emit Withdrawn(msg.sender, id, operator, value);
        }
        if (amount != 0) token.safeTransfer(msg.sender, amount);
    }

    // ================================================================= rewards

    /// @notice Claims the caller's rewards on `operator`, and the node's commission if the caller
    ///         owns it. Never paused.
    function claim(address operator) external returns (uint256 amount) {
        amount = _claim(operator, _rewardPerToken());
        if (amount != 0) token.safeTransfer(msg.sender, amount);
    }

    /// @notice `claim` on several nodes with one transfer.
    function claimMany(address[] calldata operators) external returns (uint256 amount) {
        uint256 rewardPerToken = _rewardPerToken();
        for (uint256 i; i < operators.length; ++i) {
            amount += _claim(operators[i], rewardPerToken);
        }
        if (amount != 0) token.safeTransfer(msg.sender, amount);
    }

    /// @notice Streams `amount` of emission (plus what is left of the current stream, plus any
    ///         unallocated remainder) over `duration` seconds to all rewardable stake.
    function notifyRewardAmount(uint256 amount, uint256 duration) external onlyRole(REWARD_DISTRIBUTOR_ROLE) {
        if (duration == 0 || duration > MAX_PERIOD) revert InvalidDuration(duration);
        GlobalState memory g = _updateGlobal();
        _global = g;
        Emission memory e = _emission;
        uint256 total = amount + unallocatedRewards;
        if (block.timestamp < e.periodFinish) total += (e.periodFinish - block.timestamp) * e.rewardRate;
        uint256 rate = total / duration;
        if (rate == 0) revert RewardTooSmall(amount, duration);
        unallocatedRewards = total - rate * duration;
        uint256 finish = block.timestamp + duration;
        _emission = Emission(rate.toUint128(), uint40(finish), e.paused, e.unbondingPeriod);

        token.safeTransferFrom(msg.sender, address(this), amount);
        emit RewardAdded(amount, duration, rate, finish);
    }

    /// @notice Adds `amount` of fees to a node (the escrow calls it for each paid receipt; anyone
    ///         may). The owner takes its commission, the node's stakers share the rest.
    function distributeFees(address operator, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Node storage n = _nodes[operator];
        if (n.status == Status.None) revert NodeNotFound(operator);
        _accrue(operator, n, _rewardPerToken());
        uint256 commission = _credit(n, amount, n.commissionBps);
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit FeesDistributed(operator, msg.sender, amount, commission);
    }

    // ================================================================= slashing

    /// @notice Takes `bps` of a node's active and unbonding stake and jails it. The proceeds go to
    ///         the caller, a slasher contract that routes them: Disputes pays the finder and the
    ///         treasury, PaymentEscrow the unpaid miner. O(1): both share pools lose the same
    ///         fraction, so every staker and lock does too. A slash that leaves no active stake
    ///         retires the node for good (see NodePoolDepleted).
    /// @param reason a short tag or the hash of the evidence, for indexers.
    function slash(address operator, uint16 bps, bytes32 reason)
        external
        onlyRole(SLASHER_ROLE)
        returns (uint256 slashed)
    {
        if (bps == 0 || bps > BPS) revert InvalidBps(bps);
        return _slash(operator, bps, 0, reason);
    }

    /// @notice Takes up to `amount` from the owner's own active stake only (never its stakers'
    ///         stake or anyone's unbonding locks), pays it to the caller and jails the node. The
    ///         escrow uses it to cover what a coordinator's deposit lacks: the owner underwrites
    ///         its operator's receipts, its voters do not. The Slashed event reports bps 0.
    function slashOwnerStake(address operator, uint256 amount, bytes32 reason)
        external
        onlyRole(SLASHER_ROLE)
        returns (uint256 slashed)
    {
        if (amount == 0) revert ZeroAmount();
        return _slash(operator, 0, amount, reason);
    }

    /// @dev Slashes `bps` of both pools, or up to `ownerAmount` of the owner's position when
    ///      `bps` is zero.
    function _slash(address operator, uint256 bps, uint256 ownerAmount, bytes32 reason)
        private
        returns (uint256 slashed)
    {
        Node storage n = _nodes[operator];
        Status status = n.status;
        if (status == Status.None) revert NodeNotFound(operator);
        GlobalState memory g = _updateGlobal();
        _accrue(operator, n, g.rewardPerTokenStored);

        uint256 active = n.activeTokens;
        uint256 fromActive;
        uint256 fromUnbonding;
        if (bps != 0) {
            fromActive = active * bps / BPS;
            fromUnbonding = uint256(n.unbondingTokens) * bps / BPS;
            n.activeTokens = uint96(active - fromActive);
            n.unbondingTokens -= uint96(fromUnbonding);
        } else {
            Position storage p = _positions[operator][n.owner];
            uint256 own = _toTokens(p.shares, active, n.activeShares);
            fromActive = ownerAmount < own ? ownerAmount : own;
            if (fromActive != 0) _leavePool(n, p, fromActive, false);
        }
        if (status == Status.Active) g.totalRewardable -= uint96(active);
        _global = g;
        if (status != Status.Deregistered) {
            uint256 until = block.timestamp + jailPeriod;
            n.status = Status.Jailed;
            n.jailedUntil = uint40(until);
            emit Jailed(operator, until);
        }
        slashed = fromActive + fromUnbonding;
        if (slashed != 0) token.safeTransfer(msg.sender, slashed);
        emit Slashed(operator, msg.sender, uint16(bps), fromActive, fromUnbonding, reason);
    }

    // ================================================================= guardian and admin

    /// @notice Pauses or resumes new stake and registration.
    function setPaused(bool paused_) external onlyRole(GUARDIAN_ROLE) {
        _emission.paused = paused_;
        emit PausedSet(paused_);
    }

    /// @notice Sets the minimum self-stake of `role`; it binds registrations, owners' unstakes
    ///         and unjails from now on (registered nodes keep running).
    function setMinSelfStake(Role role, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinSelfStake(role, amount);
    }

    function _setMinSelfStake(Role role, uint256 amount) private {
        if (amount < MIN_SELF_STAKE_FLOOR) revert MinSelfStakeTooLow(amount, MIN_SELF_STAKE_FLOOR);
        minSelfStake[role] = amount;
        emit MinSelfStakeSet(role, amount);
    }

    /// @notice Applies to new locks. Must not exceed `commissionDelay`.
    function setUnbondingPeriod(uint256 period) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUnbondingPeriod(period);
    }

    function _setUnbondingPeriod(uint256 period) private {
        if (period > MAX_PERIOD) revert PeriodTooLong(period, MAX_PERIOD);
        if (commissionDelay < period) revert CommissionDelayBelowUnbonding(commissionDelay, period);
        _emission.unbondingPeriod = uint40(period);
        emit UnbondingPeriodSet(period);
    }

    /// @notice Applies to raises scheduled from now on. Must be at least `unbondingPeriod`.
    function setCommissionDelay(uint256 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setCommissionDelay(delay);
    }

    function _setCommissionDelay(uint256 delay) private {
        if (delay > MAX_PERIOD) revert PeriodTooLong(delay, MAX_PERIOD);
        uint256 unbonding = _emission.unbondingPeriod;
        if (delay < unbonding) revert CommissionDelayBelowUnbonding(delay, unbonding);
        commissionDelay = uint64(delay);
        emit CommissionDelaySet(delay);
    }

    /// @notice Applies to nodes jailed from now on.
    function setJailPeriod(uint256 period) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setJailPeriod(period);
    }

    function _setJailPeriod(uint256 period) private {
        if (period > MAX_PERIOD) revert PeriodTooLong(period, MAX_PERIOD);
        jailPeriod = uint64(period);
        emit JailPeriodSet(period);
    }

    /// @notice The network treasury, where slasher contracts send what they do not pay out.
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(treasury_);
    }

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    // ================================================================= internals

    modifier whenNotPaused() {
        if (_emission.paused) revert Paused();
        _;
    }

    function _ownedNode(address operator) private view returns (Node storage n) {
        n = _nodes[operator];
        if (n.status == Status.None) revert NodeNotFound(operator);
        if (n.owner != msg.sender) revert NotNodeOwner(operator, msg.sender);
    }

    /// @dev Burns the shares worth `amount` from a position (all of them when `amount` is the
    ///      whole stake). A registered owner must keep the role's minimum.
    function _leavePool(Node storage n, Position storage p, uint256 amount, bool keepMinimum) private {
        uint256 tokens = n.activeTokens;
        uint256 shares = n.activeShares;
        uint256 held = p.shares;
        uint256 available = _toTokens(held, tokens, shares);
        if (amount > available) revert InsufficientStake(amount, available);
        uint256 burn = amount == available ? held : _toSharesUp(amount, tokens, shares);
        if (keepMinimum) {
            uint256 left = _toTokens(held - burn, tokens - amount, shares - burn);
            if (left < minSelfStake[n.role]) revert SelfStakeBelowMinimum(left, minSelfStake[n.role]);
        }
        _removeShares(p, burn, n.accRewardPerShare);
        n.activeTokens = uint96(tokens - amount);
        n.activeShares = uint128(shares - burn);
    }

    /// @dev Moves `amount` into the node's unbonding pool as a new lock of the caller. A pool
    ///      slashed to zero tokens that still has S shares values each of its locks at
    ///      floor(l / (S+1)) = 0 for good, and would mint amount * (S+1) shares for the new lock,
    ///      which can overflow uint128 and keep the stake from ever leaving. So the pool starts a
    ///      new generation instead: no shares, epoch + 1. The earlier locks lose nothing and are
    ///      withdrawn for 0 without touching the pool.
    function _lock(address operator, Node storage n, uint256 amount)
        private
        returns (uint256 lockId, uint256 unlockAt)
    {
        uint256 tokens = n.unbondingTokens;
        uint256 shares = n.unbondingShares;
        uint32 epoch = n.unbondingEpoch;
        if (tokens == 0 && shares != 0) {
            shares = 0;
            n.unbondingEpoch = ++epoch;
            emit UnbondingPoolReset(operator, epoch);
        }
        uint256 lockShares = _toShares(amount, tokens, shares);
        if (lockShares == 0) revert AmountTooSmall(amount);
        n.unbondingTokens = (tokens + amount).toUint96();
        n.unbondingShares = (shares + lockShares).toUint128();
        unlockAt = block.timestamp + _emission.unbondingPeriod;
        Lock[] storage locks = _locks[msg.sender];
        lockId = locks.length;
        locks.push(Lock(lockShares.toUint128(), uint40(unlockAt), n.role, n.index, epoch));
    }

    function _claim(address operator, uint256 rewardPerToken) private returns (uint256 amount) {
        Node storage n = _nodes[operator];
        if (n.status == Status.None) revert NodeNotFound(operator);
        _accrue(operator, n, rewardPerToken);
        Position storage p = _positions[operator][msg.sender];
        uint256 acc = n.accRewardPerShare;
        Position memory pm = p;
        amount = _pending(pm, acc);
        if (amount != 0) {
            p.rewardDebt = (uint256(pm.shares) * acc / PRECISION).toInt256().toInt128();
            emit RewardsClaimed(operator, msg.sender, amount);
        }
        if (msg.sender == n.owner) {
            uint256 commission = n.commissionAccrued;
            if (commission != 0) {
                n.commissionAccrued = 0;
                amount += commission;
                emit CommissionClaimed(operator, msg.sender, commission);
            }
        }
    }

    function _checkStrings(Role role, string calldata metadataURI, string calldata endpoint) private pure {
        if (bytes(metadataURI).length > MAX_METADATA_LENGTH) {
            revert StringTooLong(bytes(metadataURI).length, MAX_METADATA_LENGTH);
        }
        if (bytes(endpoint).length > MAX_ENDPOINT_LENGTH) {
            revert StringTooLong(bytes(endpoint).length, MAX_ENDPOINT_LENGTH);
        }
        if (role == Role.Coordinator && bytes(endpoint).length == 0) revert EndpointRequired();
    }
}
