// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Staking} from "../../src/Staking.sol";
import {Lock, Node, Position, Role, StakingParams, Status} from "../../src/staking/StakingTypes.sol";

/// @notice The raw state of one node (Staking's views expose no share counts or accumulators).
struct Pool {
    address owner;
    Role role;
    Status status;
    uint16 commissionBps;
    uint16 pendingCommissionBps;
    uint40 commissionEffectiveAt;
    uint256 activeTokens;
    uint256 activeShares;
    uint256 accRewardPerShare;
    uint256 rewardPerTokenPaid;
    uint256 unbondingTokens;
    uint256 unbondingShares;
    uint256 unbondingEpoch;
    uint256 commissionAccrued;
    uint40 jailedUntil;
}

/// @notice Staking plus read-only accessors for its internal state (shares, accumulators, reward
///         debts, lock shares). It inherits Staking and declares no storage, so its layout is
///         Staking's whatever field order the Node struct has. The suite etches this runtime code
///         over the fixture's Staking (same `token` immutable): state and behaviour are unchanged,
///         the accessors are only used by the handler's preconditions and by the invariants.
///         (forge does not apply the 24 KB code-size limit in tests, so the lens need not fit.)
contract StakingLens is Staking {
    constructor(IERC20 token_, StakingParams memory params) Staking(token_, msg.sender, msg.sender, params) {}

    function rawNode(address operator) external view returns (Pool memory p) {
        Node storage n = _nodes[operator];
        p.owner = n.owner;
        p.role = n.role;
        p.status = n.status;
        p.commissionBps = n.commissionBps;
        p.pendingCommissionBps = n.pendingCommissionBps;
        p.commissionEffectiveAt = n.commissionEffectiveAt;
        p.activeTokens = n.activeTokens;
        p.activeShares = n.activeShares;
        p.accRewardPerShare = n.accRewardPerShare;
        p.rewardPerTokenPaid = n.rewardPerTokenPaid;
        p.unbondingTokens = n.unbondingTokens;
        p.unbondingShares = n.unbondingShares;
        p.unbondingEpoch = n.unbondingEpoch;
        p.commissionAccrued = n.commissionAccrued;
        p.jailedUntil = n.jailedUntil;
    }

    function rawPosition(address operator, address staker) external view returns (uint256, int256) {
        return (_positions[operator][staker].shares, _positions[operator][staker].rewardDebt);
    }

    /// @notice A lock's raw shares and the generation of its node's unbonding pool they belong to.
    function rawLock(address staker, uint256 id) external view returns (uint256 shares, uint256 epoch) {
        Lock storage l = _locks[staker][id];
        return (l.shares, l.epoch);
    }

    // Aggregates for the invariants, so that a check is a few calls instead of hundreds. They use
    // the same internal functions as the public views (stakeOf is _stakeOf, pendingRewards is
    // _pendingRewards, a lock's value is computed as in locksOf).

    /// @notice Over `stakers`: the sum of stakeOf(operator, s), of their raw shares, and how many
    ///         hold shares.
    function positionTotals(address operator, address[] calldata stakers)
        external
        view
        returns (uint256 stakeSum, uint256 sharesSum, uint256 holders)
    {
        Node storage n = _nodes[operator];
        for (uint256 i; i < stakers.length; ++i) {
            Position storage p = _positions[operator][stakers[i]];
            if (p.shares == 0) continue;
            ++holders;
            sharesSum += p.shares;
            stakeSum += _stakeOf(n, p);
        }
    }

    /// @notice The sum of stakeOf(o, staker) over `operators`.
    function stakeTotal(address staker, address[] calldata operators) external view returns (uint256 sum) {
        for (uint256 i; i < operators.length; ++i) {
            sum += _stakeOf(_nodes[operators[i]], _positions[operators[i]][staker]);
        }
    }

    /// @notice The sum of pendingRewards(o, s) over all pairs.
    function pendingTotal(address[] calldata operators, address[] calldata stakers)
        external
        view
        returns (uint256 sum)
    {
        uint256 rewardPerToken = _rewardPerToken();
        for (uint256 i; i < operators.length; ++i) {
            for (uint256 j; j < stakers.length; ++j) {
                sum += _pendingRewards(operators[i], stakers[j], rewardPerToken);
            }
        }
    }

    /// @notice Per operator of `operators`, the live locks of `stakers` on it: their value (0 for a
    ///         lock of an earlier generation of the pool), and the raw shares and number of those of
    ///         the pool's current generation (the only ones its share count includes).
    function lockTotals(address[] calldata operators, address[] calldata stakers)
        external
        view
        returns (uint256[] memory value, uint256[] memory shares, uint256[] memory count)
    {
        value = new uint256[](operators.length);
        shares = new uint256[](operators.length);
        count = new uint256[](operators.length);
        for (uint256 i; i < stakers.length; ++i) {
            Lock[] storage locks = _locks[stakers[i]];
            for (uint256 id; id < locks.length; ++id) {
                Lock memory l = locks[id];
                if (l.shares == 0) continue;
                (address operator, uint256 v) = _lockValue(l);
                uint256 k;
                while (operators[k] != operator) ++k; // reverts (out of bounds) on an unknown node
                value[k] += v;
                if (l.epoch != _nodes[operator].unbondingEpoch) continue;
                shares[k] += l.shares;
                ++count[k];
            }
        }
    }

    /// @notice The value of all live locks of `staker`.
    function lockValue(address staker) external view returns (uint256 value) {
        Lock[] storage locks = _locks[staker];
        for (uint256 id; id < locks.length; ++id) {
            Lock memory l = locks[id];
            if (l.shares == 0) continue;
            (, uint256 v) = _lockValue(l);
            value += v;
        }
    }
}
