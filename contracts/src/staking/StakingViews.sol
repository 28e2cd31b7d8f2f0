// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StakingAccounting} from "./StakingAccounting.sol";
import {Lock, LockView, Node, NodeView, Position, PositionView, Role, Status} from "./StakingTypes.sol";

/// @title StakingViews
/// @notice Staking's storage and its read-only, paginated views for nodes, the portal and CLIs.
abstract contract StakingViews is StakingAccounting {
    mapping(address operator => Node) internal _nodes;
    mapping(address operator => mapping(address staker => Position)) internal _positions;
    mapping(address staker => Lock[]) internal _locks;
    /// @dev Operators by role, in registration order; a node never leaves its list.
    address[][2] internal _operators;

    /// @notice The owner each operator key has consented to be registered by (until it registers).
    mapping(address operator => address owner) public approvedOwner;

    /// @notice The minimum self-stake of a node of each role.
    mapping(Role role => uint256) public minSelfStake;

    /// @notice One node; reverts with NodeNotFound for an unknown operator.
    function getNode(address operator) public view returns (NodeView memory v) {
        Node storage n = _nodes[operator];
        if (n.status == Status.None) revert NodeNotFound(operator);
        v.operator = operator;
        v.owner = n.owner;
        v.role = n.role;
        v.status = n.status;
        v.totalStake = n.activeTokens;
        v.selfStake = _stakeOf(n, _positions[operator][n.owner]);
        v.unbondingStake = n.unbondingTokens;
        v.commissionBps = n.commissionBps;
        v.pendingCommissionBps = n.pendingCommissionBps;
        v.commissionEffectiveAt = n.commissionEffectiveAt;
        v.jailedUntil = n.jailedUntil;
        v.metadataURI = n.metadataURI;
        v.endpoint = n.endpoint;
        // A raise that is due but not yet written applies in the view already.
        if (v.commissionEffectiveAt != 0 && block.timestamp >= v.commissionEffectiveAt) {
            v.commissionBps = v.pendingCommissionBps;
            v.pendingCommissionBps = 0;
            v.commissionEffectiveAt = 0;
        }
    }

    /// @notice Nodes of `role` in registration order, `limit` at most from `offset`.
    function getNodes(Role role, uint256 offset, uint256 limit)
        external
        view
        returns (NodeView[] memory page)
    {
        address[] storage list = _operators[uint8(role)];
        uint256 end = _end(offset, limit, list.length);
        page = new NodeView[](end > offset ? end - offset : 0);
        for (uint256 i = offset; i < end; ++i) {
            page[i - offset] = getNode(list[i]);
        }
    }

    /// @notice A node's role and status in one storage read (no strings, no stake maths), for the
    ///         escrow and the disputes contract. Status None: the operator never registered.
    function nodeState(address operator) external view returns (Role role, Status status) {
        Node storage n = _nodes[operator];
        return (n.role, n.status);
    }

    /// @notice How many nodes of `role` ever registered (deregistered ones included).
    function nodeCount(Role role) external view returns (uint256) {
        return _operators[uint8(role)].length;
    }

    /// @notice True when the node is registered, not jailed and not deregistered.
    function isActive(address operator) external view returns (bool) {
        return _nodes[operator].status == Status.Active;
    }

    /// @notice The current token value of `staker`'s active stake on `operator`.
    function stakeOf(address operator, address staker) external view returns (uint256) {
        return _stakeOf(_nodes[operator], _positions[operator][staker]);
    }

    /// @notice What `claim(operator)` would pay `staker` now, commission included for the owner.
    function pendingRewards(address operator, address staker) external view returns (uint256) {
        return _pendingRewards(operator, staker, _rewardPerToken());
    }

    /// @notice `staker`'s positions among the nodes of `role` at indexes [offset, offset+limit):
    ///         only nodes where it has stake or unclaimed rewards are returned.
    function positionsOf(address staker, Role role, uint256 offset, uint256 limit)
        external
        view
        returns (PositionView[] memory page)
    {
        address[] storage list = _operators[uint8(role)];
        uint256 end = _end(offset, limit, list.length);
        page = new PositionView[](end > offset ? end - offset : 0);
        uint256 rewardPerToken = _rewardPerToken();
        uint256 found;
        for (uint256 i = offset; i < end; ++i) {
            PositionView memory v = _positionView(list[i], staker, rewardPerToken);
            if (v.stake != 0 || v.pendingRewards != 0) page[found++] = v;
        }
        assembly ("memory-safe") {
            mstore(page, found) // shrink to the positions found
        }
    }

    /// @notice `staker`'s unbonding locks with ids in [offset, offset+limit), withdrawn ones included.
    function locksOf(address staker, uint256 offset, uint256 limit)
        external
        view
        returns (LockView[] memory page)
    {
        Lock[] storage locks = _locks[staker];
        uint256 end = _end(offset, limit, locks.length);
        page = new LockView[](end > offset ? end - offset : 0);
        for (uint256 i = offset; i < end; ++i) {
            Lock memory l = locks[i];
            if (l.shares == 0) {
                page[i - offset] = LockView(i, address(0), 0, 0, true);
                continue;
            }
            (address operator, uint256 amount) = _lockValue(l);
            page[i - offset] = LockView(i, operator, amount, l.unlockAt, false);
        }
    }

    /// @notice How many locks `staker` ever created (ids are 0 .. lockCount-1).
    function lockCount(address staker) external view returns (uint256) {
        return _locks[staker].length;
    }

    /// @notice The global emission state.
    function rewardState()
        external
        view
        returns (
            uint256 rewardPerToken,
            uint256 totalRewardable,
            uint256 rewardRate,
            uint256 periodFinish,
            bool paused
        )
    {
        Emission memory e = _emission;
        return (_rewardPerToken(), _global.totalRewardable, e.rewardRate, e.periodFinish, e.paused);
    }

    function _positionView(address operator, address staker, uint256 rewardPerToken)
        private
        view
        returns (PositionView memory)
    {
        Node storage n = _nodes[operator];
        return PositionView(
            operator,
            n.role,
            n.status,
            _stakeOf(n, _positions[operator][staker]),
            _pendingRewards(operator, staker, rewardPerToken)
        );
    }

    /// @dev `claim`'s amount, computed with the same accrual as `_accrue` without writing it.
    function _pendingRewards(address operator, address staker, uint256 rewardPerToken)
        internal
        view
        returns (uint256 amount)
    {
        Node storage n = _nodes[operator];
        (uint256 earned, uint256 bps,) = _unaccrued(n, rewardPerToken);
        (uint256 acc, uint256 commission) = _split(earned, bps, n.activeShares, n.accRewardPerShare);
        amount = _pending(_positions[operator][staker], acc);
        if (staker == n.owner) amount += n.commissionAccrued + commission;
    }

    /// @dev The node of a live lock and what `withdraw` would pay for it now: its share of the
    ///      node's unbonding pool, or 0 when the pool has started a new generation since (it had
    ///      been slashed to zero tokens, see Staking._lock).
    function _lockValue(Lock memory l) internal view returns (address operator, uint256 value) {
        operator = _operators[uint8(l.role)][l.nodeIndex];
        Node storage n = _nodes[operator];
        if (l.epoch == n.unbondingEpoch) value = _toTokens(l.shares, n.unbondingTokens, n.unbondingShares);
    }

    function _stakeOf(Node storage n, Position storage p) internal view returns (uint256) {
        return _toTokens(p.shares, n.activeTokens, n.activeShares);
    }

    function _end(uint256 offset, uint256 limit, uint256 length) private pure returns (uint256) {
        if (offset >= length) return offset;
        return length - offset < limit ? length : offset + limit;
    }
}
