// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";
import {StakingFixture} from "../utils/StakingFixture.sol";
import {LockView, NodeView, StakingParams, Status} from "../../src/staking/StakingTypes.sol";
import {StakingHandler} from "./StakingHandler.sol";
import {Pool, StakingLens} from "./StakingLens.sol";

/// @notice Stateful fuzzing of Staking through StakingHandler (6 stakers, 4 owners with 3 operator
///         keys each, slasher, distributor, guardian, time). After every handler call:
///         1. solvency: the balance covers all stake (active + unbonding), all pending rewards and
///            commission, and the emission still committed (unallocated + rest of the stream);
///         2. per node, the stakers' stakes add up to the node's stake up to rounding dust, shares
///            add up exactly, and likewise for the unbonding pool and its locks;
///         3. rewards paid out (plus those still pending) never exceed rewards funded;
///         4. nobody gets back more principal than they put in; total out <= in + funded - slashed;
///         5. exact token conservation against the ghost ledger: what Staking holds plus what it
///            paid the slasher (slash and slashOwnerStake) is what came in minus what left, and the
///            treasury receives nothing from Staking;
///         6. totalRewardable == sum of the stake of Active nodes.
///         After each run everyone exits (afterInvariant): every exit must succeed and all the
///         above must still hold, with no stake left behind.
/// @dev Each invariant was checked to fail on a mutant of Staking (in a scratch copy):
///      solvency - a slash pays the slasher in full but takes only half from the active pool;
///      stake sums - a stake gives the position one share more than the pool (shares), the
///      value conversion rounds up (stakes > node stake), stakeOf under-reports 2 wei (dust bound);
///      rewards - stakers credited 10% more than earned (accrual and view alike);
///      principal - an unbonding lock gets shares for twice its amount;
///      conservation - unstake leaks 1 wei to an untracked address;
///      totalRewardable - deregister forgets to remove the node's stake.
///      Run: 6 campaigns of [invariant] runs x depth handler calls (foundry.toml).
contract StakingInvariantsTest is StakingFixture {
    StakingHandler internal handler;
    StakingLens internal lens; // the fixture's Staking, seen with the lens's extra accessors

    function setUp() public override {
        super.setUp();
        // Give the fixture's Staking the lens's code: Staking + read-only accessors, same storage
        // layout (the lens declares none) and the same `token` immutable.
        StakingLens code = new StakingLens(
            cai,
            StakingParams({
                minMinerStake: MINER_MIN,
                minCoordinatorStake: COORDINATOR_MIN,
                unbondingPeriod: UNBONDING,
                commissionDelay: COMMISSION_DELAY,
                jailPeriod: JAIL
            })
        );
        vm.etch(address(staking), address(code).code);
        lens = StakingLens(address(staking));
        handler = new StakingHandler(cai, lens, slasher, guardian, distributor, treasury);
        cai.transfer(address(handler), cai.balanceOf(address(this)));
        handler.bootstrap();

        // Weights by repetition (the fuzzer picks uniformly among these entries): staking,
        // unstaking, withdrawals, registrations and time matter most for the accounting.
        bytes4[] memory selectors = new bytes4[](21);
        selectors[0] = StakingHandler.register.selector;
        selectors[1] = StakingHandler.register.selector;
        selectors[2] = StakingHandler.stake.selector;
        selectors[3] = StakingHandler.stake.selector;
        selectors[4] = StakingHandler.stake.selector;
        selectors[5] = StakingHandler.unstake.selector;
        selectors[6] = StakingHandler.unstake.selector;
        selectors[7] = StakingHandler.withdraw.selector;
        selectors[8] = StakingHandler.withdraw.selector;
        selectors[9] = StakingHandler.claim.selector;
        selectors[10] = StakingHandler.claimMany.selector;
        selectors[11] = StakingHandler.notifyRewardAmount.selector;
        selectors[12] = StakingHandler.distributeFees.selector;
        selectors[13] = StakingHandler.slash.selector;
        selectors[14] = StakingHandler.slashOwnerStake.selector;
        selectors[15] = StakingHandler.unjail.selector;
        selectors[16] = StakingHandler.deregister.selector;
        selectors[17] = StakingHandler.updateNode.selector;
        selectors[18] = StakingHandler.setPaused.selector;
        selectors[19] = StakingHandler.warp.selector;
        selectors[20] = StakingHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    // ================================================================= invariants

    /// 1. The contract can always pay what it owes.
    function invariant_solvency() public view {
        _checkSolvency();
    }

    /// 2. Per node: stakes and shares add up, for the active and the unbonding pool.
    function invariant_stakeSumsMatchNodes() public view {
        _checkPools();
    }

    /// 3. Rewards paid never exceed rewards funded (notified emission + fees).
    function invariant_rewardsPaidBoundedByFunded() public view {
        _checkRewards();
    }

    /// 4. Principal: per actor and in total.
    function invariant_noPrincipalCreated() public view {
        _checkPrincipal();
    }

    /// 5. Exact conservation of the Staking balance.
    function invariant_conservation() public view {
        _checkConservation();
    }

    /// 6. The global rewardable total is the stake of the Active nodes.
    function invariant_totalRewardable() public view {
        _checkRewardable();
    }

    /// @dev After each run: the call summary, the rounding dust observed, then everyone exits.
    function afterInvariant() public {
        handler.callSummary();
        _logDust();
        uint256 stuck = handler.exitAll();
        assertEq(stuck, 0, "exit: positions worth something could not unstake");
        _checkSolvency();
        _checkPools();
        _checkRewards();
        _checkPrincipal();
        _checkConservation();
        _checkRewardable();
        address[] memory ops = handler.registered();
        uint256 n = handler.actorCount();
        for (uint256 i; i < ops.length; ++i) {
            assertEq(uint8(staking.getNode(ops[i]).status), uint8(Status.Deregistered), "exit: node left");
            for (uint256 a; a < n; ++a) {
                address actor = handler.actors(a);
                assertEq(staking.stakeOf(ops[i], actor), 0, "exit: stake left");
                assertEq(staking.pendingRewards(ops[i], actor), 0, "exit: rewards left");
            }
        }
        for (uint256 a; a < n; ++a) {
            address actor = handler.actors(a);
            uint256 count = staking.lockCount(actor);
            if (count != 0) {
                LockView[] memory locks = staking.locksOf(actor, 0, count);
                for (uint256 i; i < count; ++i) {
                    assertTrue(locks[i].withdrawn, "exit: lock left");
                }
            }
        }
        (, uint256 rewardable,,,) = staking.rewardState();
        assertEq(rewardable, 0, "exit: rewardable left");
        console.log(
            string.concat(
                "after exit: staking balance ",
                vm.toString(cai.balanceOf(address(staking))),
                " wei, unallocated ",
                vm.toString(staking.unallocatedRewards()),
                " wei"
            )
        );
    }

    // ================================================================= checks

    function _checkSolvency() internal view {
        address[] memory ops = handler.registered();
        uint256 principal;
        for (uint256 i; i < ops.length; ++i) {
            NodeView memory v = staking.getNode(ops[i]);
            principal += v.totalStake + v.unbondingStake;
        }
        uint256 pending = _pendingSum(ops);
        uint256 balance = cai.balanceOf(address(staking));
        assertGe(balance, principal + pending, "insolvent: stake + pending rewards");
        (,, uint256 rate, uint256 finish,) = staking.rewardState();
        uint256 streaming = block.timestamp < finish ? (finish - block.timestamp) * rate : 0;
        assertGe(
            balance,
            principal + pending + staking.unallocatedRewards() + streaming,
            "insolvent: stake + pending + committed emission"
        );
    }

    /// @dev Honest rounding bound. A pool of T tokens and S shares values s shares at
    ///      floor(s * (T+1) / (S+1)); the positions' shares add up to S exactly, so the stakes add
    ///      up to at most S(T+1)/(S+1) = T - (T-S)/(S+1) < T + 1, hence <= T. The shortfall is the
    ///      h floors (h = holders, < 1 wei each) plus the value of the virtual share,
    ///      (T+1)/(S+1) - 1: T - sum < h + (T+1)/(S+1) - 1 < h + floor((T+1)/(S+1)).
    ///      The same holds for the unbonding pool with h = live locks.
    function _checkPools() internal view {
        address[] memory ops = handler.registered();
        address[] memory actors = handler.allActors();
        (uint256[] memory lockValue, uint256[] memory lockShares, uint256[] memory locks) =
            lens.lockTotals(ops, actors);
        for (uint256 i; i < ops.length; ++i) {
            address op = ops[i];
            NodeView memory v = staking.getNode(op);
            Pool memory p = lens.rawNode(op);
            // the raw state the handler relies on agrees with the views
            assertEq(p.activeTokens, v.totalStake, "lens: activeTokens");
            assertEq(p.unbondingTokens, v.unbondingStake, "lens: unbondingTokens");
            assertEq(p.owner, v.owner, "lens: owner");
            assertEq(uint8(p.status), uint8(v.status), "lens: status");

            (uint256 stakeSum, uint256 sharesSum, uint256 holders) = lens.positionTotals(op, actors);
            assertEq(sharesSum, p.activeShares, "active shares do not add up");
            assertLe(stakeSum, v.totalStake, "stakes exceed node stake");
            assertLt(
                v.totalStake - stakeSum,
                holders + (p.activeTokens + 1) / (p.activeShares + 1),
                "node stake dust above rounding bound"
            );

            assertEq(lockShares[i], p.unbondingShares, "unbonding shares do not add up");
            assertLe(lockValue[i], v.unbondingStake, "locks exceed unbonding stake");
            assertLt(
                v.unbondingStake - lockValue[i],
                locks[i] + (p.unbondingTokens + 1) / (p.unbondingShares + 1),
                "unbonding dust above rounding bound"
            );
        }
    }

    function _checkRewards() internal view {
        uint256 funded = handler.ghostFunded();
        uint256 claimed = handler.ghostTotalClaimed();
        assertLe(claimed, funded, "rewards paid exceed rewards funded");
        assertLe(claimed + _pendingSum(handler.registered()), funded, "paid + pending rewards exceed funded");
    }

    /// @dev Per actor, principal out (withdrawn) and principal still held (stake + lock values)
    ///      never exceed principal in, up to rounding dust: every pool operation (stake, unstake,
    ///      lock withdrawal) rounds in the pool's favour and leaves less than one share's worth
    ///      (< 1 wei while a pool has at least as many shares as tokens, which slashing only
    ///      increases) to the pool's remaining holders. So an actor may gain at most about one wei
    ///      per pool operation of the run; the total over all actors cannot gain anything (the
    ///      aggregate check is exact).
    function _checkPrincipal() internal view {
        address[] memory ops = handler.registered();
        address[] memory actors = handler.allActors();
        uint256 dust = handler.ghostPoolOps();
        for (uint256 a; a < actors.length; ++a) {
            address actor = actors[a];
            uint256 deposited = handler.ghostDeposited(actor);
            uint256 withdrawn = handler.ghostWithdrawn(actor);
            assertLe(
                withdrawn, deposited + dust, "actor withdrew more principal than deposited (beyond dust)"
            );
            uint256 held = lens.stakeTotal(actor, ops) + lens.lockValue(actor);
            assertLe(
                withdrawn + held,
                deposited + dust,
                "actor's principal (withdrawn + stake + locks) above deposits"
            );
        }
        assertLe(
            handler.ghostTotalWithdrawn() + handler.ghostTotalClaimed() + handler.ghostSlashed(),
            handler.ghostTotalDeposited() + handler.ghostFunded(),
            "paid out more than paid in, net of slashing"
        );
    }

    /// @dev Staking balance + paid to the slasher == deposited + funded - withdrawn - claimed.
    function _checkConservation() internal view {
        uint256 slashed = handler.ghostSlashed();
        assertEq(
            cai.balanceOf(slasher) - handler.slasherStart(), slashed, "slasher received != ghost slashed"
        );
        assertEq(handler.ghostSlashedReturned(), slashed, "slash return values != slasher delta");
        assertEq(cai.balanceOf(treasury), handler.treasuryStart(), "treasury received slash proceeds");
        assertEq(
            cai.balanceOf(address(staking)) + slashed,
            handler.ghostTotalDeposited() + handler.ghostFunded() - handler.ghostTotalWithdrawn()
                - handler.ghostTotalClaimed(),
            "balance + slashed != deposited + funded - withdrawn - claimed"
        );
    }

    function _checkRewardable() internal view {
        address[] memory ops = handler.registered();
        uint256 sum;
        for (uint256 i; i < ops.length; ++i) {
            NodeView memory v = staking.getNode(ops[i]);
            if (v.status == Status.Active) sum += v.totalStake;
        }
        (, uint256 rewardable,,,) = staking.rewardState();
        assertEq(rewardable, sum, "totalRewardable != stake of Active nodes");
    }

    // ================================================================= helpers

    /// @dev pendingRewards over every (node, actor) pair, the owners' commission included.
    function _pendingSum(address[] memory ops) internal view returns (uint256) {
        return lens.pendingTotal(ops, handler.allActors());
    }

    function _logDust() internal view {
        address[] memory ops = handler.registered();
        uint256 n = handler.actorCount();
        uint256 maxDust;
        for (uint256 i; i < ops.length; ++i) {
            uint256 sum;
            for (uint256 a; a < n; ++a) {
                sum += staking.stakeOf(ops[i], handler.actors(a));
            }
            uint256 dust = staking.getNode(ops[i]).totalStake - sum;
            if (dust > maxDust) maxDust = dust;
        }
        console.log(string.concat("largest node-stake rounding dust: ", vm.toString(maxDust), " wei"));
    }
}
