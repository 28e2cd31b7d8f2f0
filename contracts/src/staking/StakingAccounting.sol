// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {Node, Position, Status} from "./StakingTypes.sol";

/// @title StakingAccounting
/// @notice The O(1) reward and share arithmetic behind Staking, kept apart from the user-facing
///         actions so that it can be read (and audited) on its own.
/// @dev Three levels of accumulators, each updated lazily in O(1):
///      1. global: emission per rewardable token (Synthetix StakingRewards), over the stake of
///         active nodes only (jailed and deregistered nodes earn no emission);
///      2. node: rewards per share of the node's pool, fed by emission and by fees, after the
///         owner's commission;
///      3. position: MasterChef-v2 reward debt, so a staker's unclaimed rewards need no extra slot.
///      Stake is held as shares of a per-node pool (and unbonding stake as shares of a second pool)
///      so that a slash only scales the two pools' token totals. Conversions use a virtual share
///      and token (OpenZeppelin ERC-4626 style): rounding always favours the pool and an emptied
///      pool cannot be captured by the next depositor.
abstract contract StakingAccounting is IStaking {
    using SafeCast for uint256;
    using SafeCast for int256;

    uint256 internal constant PRECISION = 1e18;
    uint256 internal constant BPS = 10_000;

    /// @dev One slot, written whenever the rewardable total changes.
    struct GlobalState {
        uint128 rewardPerTokenStored;
        uint32 lastUpdateTime;
        uint96 totalRewardable;
    }

    /// @dev One slot, read by every stake and unstake: the emission stream, and the two settings
    ///      those actions need, kept here to save a cold read each.
    struct Emission {
        uint128 rewardRate;
        uint40 periodFinish;
        bool paused;
        uint40 unbondingPeriod;
    }

    GlobalState internal _global;
    Emission internal _emission;

    /// @notice Emission that streamed while no stake was rewardable, plus rounding remainders of
    ///         `notifyRewardAmount`; it is added to the next notified amount instead of being lost.
    uint256 public unallocatedRewards;

    // ---------------------------------------------------------------- global emission

    /// @dev The global accumulator as of now, without writing it (for claims and views).
    function _rewardPerToken() internal view returns (uint256) {
        GlobalState memory g = _global;
        uint256 t = Math.min(block.timestamp, _emission.periodFinish);
        if (g.totalRewardable == 0 || t <= g.lastUpdateTime) return g.rewardPerTokenStored;
        return g.rewardPerTokenStored + (t - g.lastUpdateTime) * _emission.rewardRate * PRECISION
            / g.totalRewardable;
    }

    /// @dev Brings the global accumulator up to now in memory; the caller writes it back once,
    ///      after changing `totalRewardable`, so an action costs one global write.
    function _updateGlobal() internal returns (GlobalState memory g) {
        g = _global;
        Emission memory e = _emission;
        uint256 t = Math.min(block.timestamp, e.periodFinish);
        if (t > g.lastUpdateTime) {
            uint256 emitted = (t - g.lastUpdateTime) * e.rewardRate;
            if (g.totalRewardable == 0) {
                unallocatedRewards += emitted;
            } else {
                g.rewardPerTokenStored =
                    (g.rewardPerTokenStored + emitted * PRECISION / g.totalRewardable).toUint128();
            }
        }
        g.lastUpdateTime = uint32(block.timestamp);
    }

    // ---------------------------------------------------------------- node rewards

    /// @dev Credits the node with the emission it earned since it was last touched, and applies a
    ///      scheduled commission raise once due.
    function _accrue(address operator, Node storage n, uint256 rewardPerToken) internal {
        (uint256 earned, uint256 bps, bool raiseDue) = _unaccrued(n, rewardPerToken);
        if (earned != 0) _credit(n, earned, bps);
        if (rewardPerToken != n.rewardPerTokenPaid) n.rewardPerTokenPaid = rewardPerToken.toUint128();
        if (raiseDue) {
            uint16 oldBps = n.commissionBps;
            uint16 newBps = n.pendingCommissionBps;
            n.commissionBps = newBps;
            n.pendingCommissionBps = 0;
            n.commissionEffectiveAt = 0;
            emit CommissionChanged(operator, oldBps, newBps);
        }
    }

    /// @dev The emission an active node earned since it was last touched, and the commission rate
    ///      it is credited at. Across the interval that straddles a due raise the lower rate
    ///      applies: a staker never pays a raise early.
    function _unaccrued(Node storage n, uint256 rewardPerToken)
        internal
        view
        returns (uint256 earned, uint256 bps, bool raiseDue)
    {
        uint256 paid = n.rewardPerTokenPaid;
        if (n.status == Status.Active && rewardPerToken > paid) {
            earned = uint256(n.activeTokens) * (rewardPerToken - paid) / PRECISION;
        }
        bps = n.commissionBps;
        uint40 effectiveAt = n.commissionEffectiveAt;
        raiseDue = effectiveAt != 0 && block.timestamp >= effectiveAt;
        if (raiseDue) bps = Math.min(bps, n.pendingCommissionBps);
    }

    /// @dev Credits `amount` to the node: the owner's commission, the rest per share.
    function _credit(Node storage n, uint256 amount, uint256 commissionBps)
        internal
        returns (uint256 commission)
    {
        uint256 acc;
        (acc, commission) = _split(amount, commissionBps, n.activeShares, n.accRewardPerShare);
        if (amount != commission) n.accRewardPerShare = uint128(acc);
        if (commission != 0) n.commissionAccrued = (n.commissionAccrued + commission).toUint96();
    }

    /// @dev Splits `amount` between the owner's commission and `shares`, returning the new rewards
    ///      per share. With no shares left (everyone unstaked), or so few that the per-share amount
    ///      would overflow (dust left on a deregistered node), the owner takes all of it: paying
    ///      fees never reverts.
    function _split(uint256 amount, uint256 commissionBps, uint256 shares, uint256 acc)
        internal
        pure
        returns (uint256 newAcc, uint256 commission)
    {
        newAcc = acc;
        commission = shares == 0 ? amount : amount * commissionBps / BPS;
        if (amount != commission) {
            newAcc = acc + (amount - commission) * PRECISION / shares;
            if (newAcc > type(uint128).max) (newAcc, commission) = (acc, amount);
        }
    }

    // ---------------------------------------------------------------- shares

    /// @dev Amounts fit 96 bits and shares 128 bits, so these products cannot overflow 256 bits.

    /// @dev Shares for `amount` tokens of a pool, rounded down (against the depositor).
    function _toShares(uint256 amount, uint256 tokens, uint256 shares) internal pure returns (uint256) {
        return amount * (shares + 1) / (tokens + 1);
    }

    /// @dev Shares to burn for `amount` tokens of a pool, rounded up (against the withdrawer).
    function _toSharesUp(uint256 amount, uint256 tokens, uint256 shares) internal pure returns (uint256) {
        return Math.ceilDiv(amount * (shares + 1), tokens + 1);
    }

    /// @dev Tokens that `amount` shares of a pool are worth, rounded down.
    function _toTokens(uint256 amount, uint256 tokens, uint256 shares) internal pure returns (uint256) {
        return amount * (tokens + 1) / (shares + 1);
    }

    // ---------------------------------------------------------------- positions

    /// @dev Unclaimed rewards of a position. Debt rounds up on deposits, so this never exceeds what
    ///      the position earned; the clamp absorbs that one-wei rounding.
    function _pending(Position memory p, uint256 accRewardPerShare) internal pure returns (uint256) {
        int256 accrued = int256(uint256(p.shares) * accRewardPerShare / PRECISION);
        return accrued > p.rewardDebt ? uint256(accrued - p.rewardDebt) : 0;
    }

    function _addShares(Position storage p, uint256 shares, uint256 accRewardPerShare) internal {
        p.shares = (p.shares + shares).toUint128();
        p.rewardDebt += Math.ceilDiv(shares * accRewardPerShare, PRECISION).toInt256().toInt128();
    }

    function _removeShares(Position storage p, uint256 shares, uint256 accRewardPerShare) internal {
        p.shares -= shares.toUint128();
        p.rewardDebt -= (shares * accRewardPerShare / PRECISION).toInt256().toInt128();
    }
}
