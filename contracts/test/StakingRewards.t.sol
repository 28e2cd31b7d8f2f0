// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {StakingTestBase} from "./Staking.t.sol";
import {IStaking} from "../src/interfaces/IStaking.sol";
import {NodeView, Role, Status} from "../src/staking/StakingTypes.sol";

/// @notice Emission, fees, commission, slashing and jail of Staking.
/// @dev op1 (owner alice, 10% commission) and op2 (owner dave, no commission) are registered at
///      the miner minimum in setUp.
contract StakingRewardsTest is StakingTestBase {
    address internal payer = makeAddr("payer");
    bytes32 internal constant REASON = keccak256("evidence");

    function setUp() public override {
        super.setUp();
        _registerMiner(alice, op1, MINER_MIN, 1_000);
        _registerMiner(dave, op2, MINER_MIN, 0);
    }

    function _fees(address operator, uint256 amount) internal {
        _fund(payer, amount);
        vm.prank(payer);
        staking.distributeFees(operator, amount);
    }

    function _pending(address operator, address staker) internal view returns (uint256) {
        return staking.pendingRewards(operator, staker);
    }

    // ================================================================= notifyRewardAmount

    function test_Notify_StartsStream() public {
        cai.transfer(distributor, 1_000 ether);
        vm.startPrank(distributor);
        cai.approve(address(staking), 1_000 ether);
        vm.expectEmit(address(staking));
        emit IStaking.RewardAdded(1_000 ether, 1_000, 1 ether, block.timestamp + 1_000);
        staking.notifyRewardAmount(1_000 ether, 1_000);
        vm.stopPrank();

        (uint256 rpt, uint256 total, uint256 rate, uint256 finish,) = staking.rewardState();
        assertEq(rpt, 0);
        assertEq(total, 2 * MINER_MIN);
        assertEq(rate, 1 ether);
        assertEq(finish, block.timestamp + 1_000);
        assertEq(cai.balanceOf(address(staking)), 2 * MINER_MIN + 1_000 ether);
        assertEq(staking.unallocatedRewards(), 0);

        skip(100);
        (rpt,,,,) = staking.rewardState();
        assertEq(rpt, 100 ether * 1e18 / (2 * MINER_MIN));
    }

    function test_Notify_RevertsInvalidDuration() public {
        vm.startPrank(distributor);
        vm.expectRevert(abi.encodeWithSelector(IStaking.InvalidDuration.selector, 0));
        staking.notifyRewardAmount(1 ether, 0);
        vm.expectRevert(abi.encodeWithSelector(IStaking.InvalidDuration.selector, 365 days + 1));
        staking.notifyRewardAmount(1 ether, 365 days + 1);
        vm.stopPrank();
        _notify(365 ether, 365 days); // the maximum is allowed
        (,,, uint256 finish,) = staking.rewardState();
        assertEq(finish, block.timestamp + 365 days);
    }

    function test_Notify_RevertsRewardTooSmall() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.RewardTooSmall.selector, 999, 1_000));
        vm.prank(distributor);
        staking.notifyRewardAmount(999, 1_000);
    }

    function test_Notify_RoundingRemainderIsKept() public {
        _notify(1_000, 3); // rate 333, 1 wei left over
        (,, uint256 rate,,) = staking.rewardState();
        assertEq(rate, 333);
        assertEq(staking.unallocatedRewards(), 1);
        skip(3);
        _notify(2_999, 3); // 2,999 + the 1 wei = 1,000 per second
        (,, rate,,) = staking.rewardState();
        assertEq(rate, 1_000);
        assertEq(staking.unallocatedRewards(), 0);
    }

    function test_Notify_LeftoverRolledIntoNewStream() public {
        _notify(1_000 ether, 1_000);
        skip(400);
        cai.transfer(distributor, 600 ether);
        vm.startPrank(distributor);
        cai.approve(address(staking), 600 ether);
        // 600 new + 600 not yet streamed, over 1,000 s.
        vm.expectEmit(address(staking));
        emit IStaking.RewardAdded(600 ether, 1_000, 1.2 ether, block.timestamp + 1_000);
        staking.notifyRewardAmount(600 ether, 1_000);
        vm.stopPrank();

        skip(2_000);
        uint256 paid = _pending(op1, alice) + _pending(op2, dave);
        assertApproxEqAbs(paid, 1_600 ether, 1e6);
        assertLe(paid, 1_600 ether);
    }

    function test_Notify_UnallocatedWhileNothingRewardableIsCarried() public {
        // Both nodes jailed: no stake earns emission.
        _slash(op1, 1);
        _slash(op2, 1);
        assertEq(_totalRewardable(), 0);
        _notify(1_000 ether, 1_000);
        skip(1_000);
        assertEq(_pending(op1, alice), 0);
        assertEq(_pending(op2, dave), 0);

        // The next write of the global state books what streamed to nobody.
        skip(JAIL);
        _stake(alice, op1, MINER_MIN - staking.stakeOf(op1, alice));
        vm.prank(alice);
        staking.unjail(op1);
        assertEq(staking.unallocatedRewards(), 1_000 ether);

        cai.transfer(distributor, 500 ether);
        vm.startPrank(distributor);
        cai.approve(address(staking), 500 ether);
        vm.expectEmit(address(staking));
        emit IStaking.RewardAdded(500 ether, 1_000, 1.5 ether, block.timestamp + 1_000);
        staking.notifyRewardAmount(500 ether, 1_000);
        vm.stopPrank();
        assertEq(staking.unallocatedRewards(), 0);

        skip(1_000);
        // op1 was the only rewardable node: its owner has all of it (commission included).
        assertApproxEqAbs(_pending(op1, alice), 1_500 ether, 1e6);
        assertEq(_pending(op2, dave), 0);
    }

    function test_Notify_BeforeAnyStakeIsCarried() public {
        vm.prank(alice);
        staking.deregister(op1);
        vm.prank(dave);
        staking.deregister(op2);
        _notify(100 ether, 100);
        skip(50);
        address op3 = makeAddr("op3");
        _registerMiner(carol, op3, MINER_MIN, 0);
        assertEq(staking.unallocatedRewards(), 50 ether);
        skip(50);
        assertApproxEqAbs(_pending(op3, carol), 50 ether, 1e6);
    }

    // ================================================================= emission to stakers

    function test_Rewards_StreamProRataAcrossNodes() public {
        _stake(bob, op1, 20_000 ether); // op1: 40k
        _stake(carol, op2, 60_000 ether); // op2: 80k
        _notify(12_000 ether, 12_000); // 1 CAI per second

        skip(6_000);
        // op1 earns 1/3 (2,000), 10% of it to alice; op2 earns 2/3 (4,000), no commission.
        assertApproxEqAbs(_pending(op1, alice), 200 ether + 900 ether, 1e6);
        assertApproxEqAbs(_pending(op1, bob), 900 ether, 1e6);
        assertApproxEqAbs(_pending(op2, dave), 1_000 ether, 1e6);
        assertApproxEqAbs(_pending(op2, carol), 3_000 ether, 1e6);

        skip(6_000 + 1 days); // the stream ended: nothing more
        assertApproxEqAbs(_pending(op1, alice), 400 ether + 1_800 ether, 1e6);
        assertApproxEqAbs(_pending(op1, bob), 1_800 ether, 1e6);
        assertApproxEqAbs(_pending(op2, dave), 2_000 ether, 1e6);
        assertApproxEqAbs(_pending(op2, carol), 6_000 ether, 1e6);
        uint256 total = _pending(op1, alice) + _pending(op1, bob) + _pending(op2, dave) + _pending(op2, carol);
        assertLe(total, 12_000 ether);
    }

    function test_Claim_PaysAndEmits() public {
        _stake(bob, op1, 20_000 ether);
        _notify(6_000 ether, 6_000); // op1 earns 4,000 of it
        skip(6_000);

        uint256 bobPending = _pending(op1, bob);
        assertApproxEqAbs(bobPending, 1_800 ether, 1e6);
        vm.expectEmit(address(staking));
        emit IStaking.RewardsClaimed(op1, bob, bobPending);
        assertEq(_claim(bob, op1), bobPending);
        assertEq(cai.balanceOf(bob), bobPending);
        assertEq(_pending(op1, bob), 0);
        assertEq(_claim(bob, op1), 0); // nothing twice
        assertEq(cai.balanceOf(bob), bobPending);

        // The owner gets its share and the commission, with one event each.
        uint256 alicePending = _pending(op1, alice);
        assertApproxEqAbs(alicePending, 1_800 ether + 400 ether, 1e6);
        uint256 staked = staking.stakeOf(op1, alice);
        vm.expectEmit(address(staking));
        emit IStaking.RewardsClaimed(op1, alice, alicePending - 400 ether);
        vm.expectEmit(address(staking));
        emit IStaking.CommissionClaimed(op1, alice, 400 ether);
        assertEq(_claim(alice, op1), alicePending);
        assertEq(cai.balanceOf(alice), alicePending);
        assertEq(staking.stakeOf(op1, alice), staked); // claiming does not touch the stake
    }

    function test_Claim_RevertsNodeNotFound() public {
        address op3 = makeAddr("op3");
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotFound.selector, op3));
        _claim(bob, op3);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotFound.selector, op3));
        vm.prank(bob);
        staking.claimMany(_ops(op1, op3));
    }

    function test_ClaimMany_OneTransferForSeveralNodes() public {
        _stake(bob, op1, 20_000 ether);
        _stake(bob, op2, 20_000 ether);
        _notify(8_000 ether, 8_000);
        skip(5_000);
        uint256 p1 = _pending(op1, bob);
        uint256 p2 = _pending(op2, bob);
        assertGt(p1, 0);
        assertGt(p2, p1); // op2 takes no commission
        vm.prank(bob);
        assertEq(staking.claimMany(_ops(op1, op2)), p1 + p2);
        assertEq(cai.balanceOf(bob), p1 + p2);
        assertEq(_pending(op1, bob), 0);
        assertEq(_pending(op2, bob), 0);
        // A node listed twice pays once.
        skip(1_000);
        uint256 again = _pending(op1, bob);
        vm.prank(bob);
        assertEq(staking.claimMany(_ops(op1, op1)), again);
    }

    function test_Claim_WorksWhilePaused() public {
        _stake(bob, op1, 20_000 ether);
        _notify(4_000 ether, 4_000);
        skip(1_000);
        vm.prank(guardian);
        staking.setPaused(true);
        uint256 pending = _pending(op1, bob);
        assertGt(pending, 0);
        assertEq(_claim(bob, op1), pending);
        vm.prank(bob);
        assertEq(staking.claimMany(_ops(op1, op2)), 0);
        assertEq(cai.balanceOf(bob), pending);
    }

    function test_PendingRewards_MatchesClaim() public {
        _stake(bob, op1, 7_777 ether);
        _stake(carol, op2, 3_333 ether);
        _notify(10_000 ether, 10 days);
        vm.prank(alice);
        staking.updateNode(op1, 3_000, "", ""); // a raise, due in 8 days
        uint256[4] memory steps = [uint256(1 days), 3 days + 17, 4 days + 5 hours, 10 days];
        for (uint256 i; i < steps.length; ++i) {
            skip(steps[i]);
            uint256 expected = _pending(op1, bob);
            assertEq(_claim(bob, op1), expected);
            expected = _pending(op1, alice);
            assertEq(_claim(alice, op1), expected);
            expected = _pending(op2, carol);
            assertEq(_claim(carol, op2), expected);
            _stake(bob, op1, 1 ether); // and a stake between claims
        }
        assertGt(cai.balanceOf(carol), 0);
    }

    function test_Rewards_StopAtUnstake_PendingKept() public {
        _stake(bob, op1, 20_000 ether);
        _notify(4_000 ether, 4_000);
        skip(2_000);
        _unstake(bob, op1, 20_000 ether);
        // op1 had 40k of 60k rewardable: 1,333.33 CAI, bob's half of 90% is 600.
        uint256 pending = _pending(op1, bob);
        assertApproxEqAbs(pending, 600 ether, 1e6);
        skip(2_000);
        assertEq(_pending(op1, bob), pending); // unbonding stake earns nothing
        assertEq(_claim(bob, op1), pending);
        // Then half of the second half (20k of 40k rewardable), all alice's.
        assertApproxEqAbs(_pending(op1, alice), uint256(4_000 ether) / 30 + 600 ether + 1_000 ether, 1e6);
    }

    function test_Rewards_StopForJailedNode() public {
        _stake(bob, op1, 20_000 ether); // op1 40k, op2 20k
        _notify(6_000 ether, 6_000);
        skip(3_000);
        _slash(op1, 1_000);
        uint256 alicePending = _pending(op1, alice);
        uint256 bobPending = _pending(op1, bob);
        assertApproxEqAbs(alicePending + bobPending, 2_000 ether, 1e6);
        assertApproxEqAbs(_pending(op2, dave), 1_000 ether, 1e6);

        skip(3_000);
        assertEq(_pending(op1, alice), alicePending);
        assertEq(_pending(op1, bob), bobPending);
        assertApproxEqAbs(_pending(op2, dave), 4_000 ether, 1e6); // all of the second half
        // Rewards earned before the jail can still be claimed.
        assertEq(_claim(bob, op1), bobPending);
    }

    function test_Rewards_StopForDeregisteredNode() public {
        _stake(bob, op1, 20_000 ether);
        _notify(6_000 ether, 6_000);
        skip(3_000);
        vm.prank(alice);
        staking.deregister(op1);
        uint256 alicePending = _pending(op1, alice);
        uint256 bobPending = _pending(op1, bob);
        assertApproxEqAbs(alicePending + bobPending, 2_000 ether, 1e6);

        skip(3_000);
        assertEq(_pending(op1, alice), alicePending);
        assertEq(_pending(op1, bob), bobPending);
        assertApproxEqAbs(_pending(op2, dave), 4_000 ether, 1e6);
        assertEq(_claim(alice, op1), alicePending);
        assertEq(_claim(bob, op1), bobPending);
    }

    function test_Rewards_ResumeAfterUnjail() public {
        _slash(op1, 1_000);
        _notify(2_000 ether, 2_000);
        skip(JAIL);
        _stake(alice, op1, MINER_MIN); // back above the minimum
        vm.prank(alice);
        staking.unjail(op1);
        assertEq(_pending(op1, alice), 0);
        _notify(3_000 ether, 1_000); // op1 now ~38k of ~58k rewardable
        skip(1_000);
        uint256 op1Stake = staking.getNode(op1).totalStake;
        uint256 expected = 3_000 ether * op1Stake / (op1Stake + MINER_MIN);
        assertApproxEqAbs(_pending(op1, alice), expected, 1e6);
    }

    // ================================================================= fees

    function test_DistributeFees_CommissionAndProRata() public {
        _stake(bob, op1, 20_000 ether);
        _fund(payer, 1_000 ether);
        vm.expectEmit(address(staking));
        emit IStaking.FeesDistributed(op1, payer, 1_000 ether, 100 ether);
        vm.prank(payer);
        staking.distributeFees(op1, 1_000 ether);

        assertEq(_pending(op1, alice), 100 ether + 450 ether);
        assertEq(_pending(op1, bob), 450 ether);
        assertEq(cai.balanceOf(payer), 0);
        assertEq(cai.balanceOf(address(staking)), 2 * MINER_MIN + 20_000 ether + 1_000 ether);
        assertEq(_claim(bob, op1), 450 ether);
        assertEq(_claim(alice, op1), 550 ether);
        // Fees of one node are not shared with another.
        assertEq(_pending(op2, dave), 0);
    }

    function test_DistributeFees_Reverts() public {
        address op3 = makeAddr("op3");
        _fund(payer, 1 ether);
        vm.startPrank(payer);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotFound.selector, op3));
        staking.distributeFees(op3, 1 ether);
        vm.expectRevert(IStaking.ZeroAmount.selector);
        staking.distributeFees(op1, 0);
        vm.stopPrank();
        assertEq(cai.balanceOf(payer), 1 ether);
    }

    function test_DistributeFees_JailedNodeStillPaysStakers() public {
        _stake(bob, op1, 20_000 ether);
        _slash(op1, 5_000);
        _fees(op1, 1_000 ether);
        assertApproxEqAbs(_pending(op1, bob), 450 ether, 1);
        assertApproxEqAbs(_pending(op1, alice), 550 ether, 1);
    }

    function test_DistributeFees_EmptyPoolGoesToOwner() public {
        vm.startPrank(alice);
        staking.deregister(op1);
        staking.unstake(op1, MINER_MIN);
        vm.stopPrank();
        _fund(payer, 10 ether);
        vm.expectEmit(address(staking));
        emit IStaking.FeesDistributed(op1, payer, 10 ether, 10 ether);
        vm.prank(payer);
        staking.distributeFees(op1, 10 ether);
        assertEq(_pending(op1, alice), 10 ether);
        assertEq(_claim(alice, op1), 10 ether);
    }

    /// @notice Fees to a retired node with only dust shares left would overflow the per-share
    ///         accumulator: the owner takes them instead, and paying never reverts.
    function test_DistributeFees_DustSharesGoToOwner() public {
        _stake(bob, op1, 1);
        vm.startPrank(alice);
        staking.deregister(op1);
        staking.unstake(op1, MINER_MIN);
        vm.stopPrank();
        uint256 fee = 1_000_000 ether;
        _fund(payer, fee);
        vm.expectEmit(address(staking));
        emit IStaking.FeesDistributed(op1, payer, fee, fee);
        vm.prank(payer);
        staking.distributeFees(op1, fee);
        assertEq(_pending(op1, alice), fee);
        assertEq(_pending(op1, bob), 0);
    }

    // ================================================================= commission

    function test_Commission_RaiseIsScheduled() public {
        uint256 effectiveAt = block.timestamp + COMMISSION_DELAY;
        vm.expectEmit(address(staking));
        emit IStaking.CommissionChangeScheduled(op1, 2_000, effectiveAt);
        vm.prank(alice);
        staking.updateNode(op1, 2_000, "ipfs://m", "");

        NodeView memory v = staking.getNode(op1);
        assertEq(v.commissionBps, 1_000);
        assertEq(v.pendingCommissionBps, 2_000);
        assertEq(v.commissionEffectiveAt, effectiveAt);

        _stake(bob, op1, 20_000 ether);
        _fund(payer, 1_000 ether);
        vm.expectEmit(address(staking));
        emit IStaking.FeesDistributed(op1, payer, 1_000 ether, 100 ether); // still 10%
        vm.prank(payer);
        staking.distributeFees(op1, 1_000 ether);

        vm.warp(effectiveAt - 1);
        assertEq(staking.getNode(op1).commissionBps, 1_000);
        vm.warp(effectiveAt);
        v = staking.getNode(op1); // the view applies a due raise
        assertEq(v.commissionBps, 2_000);
        assertEq(v.pendingCommissionBps, 0);
        assertEq(v.commissionEffectiveAt, 0);

        _fund(payer, 1_000 ether);
        vm.expectEmit(address(staking));
        emit IStaking.CommissionChanged(op1, 1_000, 2_000);
        vm.expectEmit(address(staking));
        emit IStaking.FeesDistributed(op1, payer, 1_000 ether, 200 ether);
        vm.prank(payer);
        staking.distributeFees(op1, 1_000 ether);
        assertEq(_pending(op1, bob), 450 ether + 400 ether);
    }

    function test_Commission_RaiseAppliesToEmissionOnlyAfterDelay() public {
        vm.prank(dave);
        staking.deregister(op2); // op1 is the only rewardable node
        _stake(bob, op1, 20_000 ether);
        _notify(30 days * 1 ether, 30 days); // 1 CAI per second
        vm.prank(alice);
        staking.updateNode(op1, 5_000, "", "");

        // Before the raise: bob earns half of 90%.
        skip(COMMISSION_DELAY - 1);
        uint256 before = _pending(op1, bob);
        assertApproxEqAbs(before, (COMMISSION_DELAY - 1) * 1 ether * 45 / 100, 1e6);
        skip(1);
        vm.expectEmit(address(staking));
        emit IStaking.CommissionChanged(op1, 1_000, 5_000);
        uint256 claimed = _claim(bob, op1); // writes the raise
        assertApproxEqAbs(claimed, COMMISSION_DELAY * 1 ether * 45 / 100, 1e6);
        assertEq(staking.getNode(op1).commissionBps, 5_000);

        // After it: half of 50%.
        skip(1 days);
        assertApproxEqAbs(_pending(op1, bob), 1 days * 1 ether * 25 / 100, 1e6);
    }

    function test_Commission_CutAppliesAtOnce() public {
        _stake(bob, op1, 20_000 ether);
        vm.prank(alice);
        staking.updateNode(op1, 3_000, "", ""); // scheduled raise...
        vm.expectEmit(address(staking));
        emit IStaking.CommissionChanged(op1, 1_000, 500);
        vm.prank(alice);
        staking.updateNode(op1, 500, "", ""); // ...cancelled by a cut

        NodeView memory v = staking.getNode(op1);
        assertEq(v.commissionBps, 500);
        assertEq(v.pendingCommissionBps, 0);
        assertEq(v.commissionEffectiveAt, 0);
        _fund(payer, 1_000 ether);
        vm.expectEmit(address(staking));
        emit IStaking.FeesDistributed(op1, payer, 1_000 ether, 50 ether);
        vm.prank(payer);
        staking.distributeFees(op1, 1_000 ether);
        assertEq(_pending(op1, bob), 475 ether);

        skip(COMMISSION_DELAY);
        assertEq(staking.getNode(op1).commissionBps, 500); // the cancelled raise never applies
    }

    function test_Commission_SameRateCancelsRaise() public {
        vm.startPrank(alice);
        staking.updateNode(op1, 2_000, "", "");
        staking.updateNode(op1, 1_000, "", "");
        vm.stopPrank();
        skip(COMMISSION_DELAY);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.commissionBps, 1_000);
        assertEq(v.pendingCommissionBps, 0);
    }

    function test_Commission_RevertsNotNodeOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.NotNodeOwner.selector, op1, dave));
        vm.prank(dave);
        staking.updateNode(op1, 0, "", "");
        assertEq(staking.getNode(op1).commissionBps, 1_000);
    }

    // ================================================================= slash

    function test_Slash_ProportionalOnActiveAndUnbonding() public {
        _stake(bob, op1, 20_000 ether);
        _stake(carol, op1, 20_000 ether);
        _unstake(carol, op1, 10_000 ether); // active 50k, unbonding 10k
        uint256 balance = cai.balanceOf(address(staking));

        vm.expectEmit(address(staking));
        emit IStaking.Jailed(op1, block.timestamp + JAIL);
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(op1, slasher, 2_500, 12_500 ether, 2_500 ether, REASON);
        vm.prank(slasher);
        uint256 slashed = staking.slash(op1, 2_500, REASON);

        assertEq(slashed, 15_000 ether);
        assertEq(cai.balanceOf(slasher), 15_000 ether);
        assertEq(cai.balanceOf(treasury), 0);
        assertEq(cai.balanceOf(address(staking)), balance - 15_000 ether);
        assertApproxEqAbs(staking.stakeOf(op1, alice), 15_000 ether, 1);
        assertApproxEqAbs(staking.stakeOf(op1, bob), 15_000 ether, 1);
        assertApproxEqAbs(staking.stakeOf(op1, carol), 7_500 ether, 1);
        assertApproxEqAbs(_lockOf(carol, 0).amount, 7_500 ether, 1);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.totalStake, 37_500 ether);
        assertEq(v.unbondingStake, 7_500 ether);
        assertEq(uint8(v.status), uint8(Status.Jailed));
        assertEq(v.jailedUntil, block.timestamp + JAIL);
        assertFalse(staking.isActive(op1));
        assertEq(_totalRewardable(), MINER_MIN); // op2 only
    }

    function test_Slash_Reverts() public {
        address op3 = makeAddr("op3");
        vm.startPrank(slasher);
        vm.expectRevert(abi.encodeWithSelector(IStaking.InvalidBps.selector, 0));
        staking.slash(op1, 0, REASON);
        vm.expectRevert(abi.encodeWithSelector(IStaking.InvalidBps.selector, 10_001));
        staking.slash(op1, 10_001, REASON);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotFound.selector, op3));
        staking.slash(op3, 100, REASON);
        vm.stopPrank();
        assertTrue(staking.isActive(op1));
        assertEq(cai.balanceOf(slasher), 0);
    }

    /// @notice The proceeds go to the slasher contract that called (it routes them), never to the
    ///         treasury, whichever treasury is set.
    function test_Slash_PaysTheCallerNotTheTreasury() public {
        address newTreasury = makeAddr("newTreasury");
        vm.prank(admin);
        staking.setTreasury(newTreasury);
        assertEq(_slash(op1, 100), 200 ether);
        assertEq(cai.balanceOf(slasher), 200 ether);
        assertEq(cai.balanceOf(newTreasury), 0);
        assertEq(cai.balanceOf(treasury), 0);
    }

    function test_Slash_JailedNodeAgainExtendsJail() public {
        _slash(op1, 1_000);
        skip(12 hours);
        uint256 rewardable = _totalRewardable();
        vm.expectEmit(address(staking));
        emit IStaking.Jailed(op1, block.timestamp + JAIL);
        _slash(op1, 1_000);
        assertEq(staking.getNode(op1).jailedUntil, block.timestamp + JAIL);
        assertEq(_totalRewardable(), rewardable);
        assertApproxEqAbs(staking.stakeOf(op1, alice), 16_200 ether, 1);
    }

    function test_Slash_DeregisteredNodeStaysDeregistered() public {
        vm.startPrank(alice);
        staking.deregister(op1);
        staking.unstake(op1, MINER_MIN);
        vm.stopPrank();
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(op1, slasher, 5_000, 0, 10_000 ether, REASON);
        vm.recordLogs();
        _slash(op1, 5_000);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 2); // Transfer and Slashed
        for (uint256 i; i < logs.length; ++i) {
            assertNotEq(logs[i].topics[0], IStaking.Jailed.selector);
        }
        NodeView memory v = staking.getNode(op1);
        assertEq(uint8(v.status), uint8(Status.Deregistered));
        assertEq(v.jailedUntil, 0);
        assertEq(_lockOf(alice, 0).amount, 10_000 ether);
        skip(UNBONDING);
        assertEq(_withdraw(alice, _ids(0)), 10_000 ether);
    }

    /// @notice A 100% slash retires the node: no one can buy the worthless old shares back, and
    ///         its owner can leave and register a new operator.
    function test_Slash_Full_RetiresTheNode() public {
        _stake(bob, op1, 20_000 ether);
        assertEq(_slash(op1, 10_000), 40_000 ether);
        assertEq(staking.stakeOf(op1, alice), 0);
        assertEq(staking.stakeOf(op1, bob), 0);
        assertEq(staking.getNode(op1).totalStake, 0);
        assertEq(cai.balanceOf(slasher), 40_000 ether);

        _fund(alice, MINER_MIN);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodePoolDepleted.selector, op1));
        vm.prank(alice);
        staking.stake(op1, MINER_MIN);
        vm.expectRevert(abi.encodeWithSelector(IStaking.InsufficientStake.selector, 1, 0));
        _unstake(bob, op1, 1);

        vm.prank(alice);
        staking.deregister(op1);
        address fresh = makeAddr("freshOperator");
        _approveOwner(fresh, alice);
        vm.prank(alice);
        staking.register(Role.Miner, fresh, MINER_MIN, 1_000, "ipfs://again", "");
        assertTrue(staking.isActive(fresh));
    }

    function test_Slash_OwnerOfJailedNodeKeepsMinimum_OthersMayLeave() public {
        _stake(bob, op1, 20_000 ether);
        _slash(op1, 1_000);
        // Pool: 36k tokens for 40k shares, alice holds 20k shares. Unstaking 1 wei burns its
        // shares rounded up; what is left is valued rounded down.
        uint256 tokens = 36_000 ether;
        uint256 shares = 40_000 ether;
        uint256 burn = Math.mulDiv(1, shares + 1, tokens + 1, Math.Rounding.Ceil);
        uint256 left = Math.mulDiv(MINER_MIN - burn, tokens - 1 + 1, shares - burn + 1);
        assertEq(staking.getNode(op1).totalStake, tokens);
        vm.expectRevert(abi.encodeWithSelector(IStaking.SelfStakeBelowMinimum.selector, left, MINER_MIN));
        _unstake(alice, op1, 1);
        uint256 rewardable = _totalRewardable();
        _unstake(bob, op1, staking.stakeOf(op1, bob));
        assertEq(staking.stakeOf(op1, bob), 0);
        assertEq(_totalRewardable(), rewardable); // a jailed node's stake was not rewardable
    }

    // ================================================================= unjail

    function test_Unjail_AfterJailPeriod() public {
        address op3 = makeAddr("op3");
        _registerMiner(carol, op3, 2 * MINER_MIN, 0); // stays above the minimum after a 10% slash
        _slash(op3, 1_000);
        uint256 until = block.timestamp + JAIL;
        uint256 rewardable = _totalRewardable();

        vm.warp(until - 1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StillJailed.selector, until));
        vm.prank(carol);
        staking.unjail(op3);

        vm.warp(until);
        vm.expectEmit(address(staking));
        emit IStaking.Unjailed(op3);
        vm.prank(carol);
        staking.unjail(op3);
        assertTrue(staking.isActive(op3));
        assertEq(_totalRewardable(), rewardable + 36_000 ether);
    }

    function test_Unjail_RequiresSelfStakeTopUp() public {
        _slash(op1, 1_000);
        skip(JAIL);
        uint256 own = staking.stakeOf(op1, alice);
        assertApproxEqAbs(own, 18_000 ether, 1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.SelfStakeBelowMinimum.selector, own, MINER_MIN));
        vm.prank(alice);
        staking.unjail(op1);

        // Topping up exactly the shortfall is enough.
        _stake(alice, op1, MINER_MIN - own);
        assertGe(staking.stakeOf(op1, alice), MINER_MIN);
        vm.prank(alice);
        staking.unjail(op1);
        assertTrue(staking.isActive(op1));
        assertEq(_totalRewardable(), MINER_MIN + staking.getNode(op1).totalStake);
    }

    function test_Unjail_Reverts() public {
        address op3 = makeAddr("op3");
        vm.expectRevert(abi.encodeWithSelector(IStaking.NotJailed.selector, op1));
        vm.prank(alice);
        staking.unjail(op1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotFound.selector, op3));
        vm.prank(alice);
        staking.unjail(op3);

        _slash(op1, 100);
        skip(JAIL);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NotNodeOwner.selector, op1, bob));
        vm.prank(bob);
        staking.unjail(op1);

        vm.prank(alice);
        staking.deregister(op1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NotJailed.selector, op1));
        vm.prank(alice);
        staking.unjail(op1);
        assertEq(_status(op1), uint8(Status.Deregistered));
    }

    // ================================================================= fuzz

    /// @notice Two stakers of one node share its emission in proportion to their stakes.
    function testFuzz_RewardsProportionalToStake(
        uint256 a,
        uint256 b,
        uint256 rate,
        uint256 duration,
        uint256 elapsed
    ) public {
        a = bound(a, 1 ether, 50_000_000 ether);
        b = bound(b, 1 ether, 50_000_000 ether);
        duration = bound(duration, 1 hours, 365 days);
        rate = bound(rate, 1e6, 1e18);
        elapsed = bound(elapsed, 1, 2 * duration);
        vm.prank(alice);
        staking.deregister(op1); // op2 (no commission) is the only rewardable node
        _stake(bob, op2, a);
        _stake(carol, op2, b);
        _notify(rate * duration, duration);
        skip(elapsed);

        uint256 emitted = rate * (elapsed < duration ? elapsed : duration);
        uint256 total = MINER_MIN + a + b;
        uint256 bobReward = _claim(bob, op2);
        uint256 carolReward = _claim(carol, op2);
        assertApproxEqAbs(bobReward, emitted * a / total, 1e9);
        assertApproxEqAbs(carolReward, emitted * b / total, 1e9);
        assertLe(bobReward + carolReward + _pending(op2, dave), emitted);
    }

    /// @notice A slash takes the same fraction of every position and every lock.
    function testFuzz_SlashTakesSameFractionOfEveryPosition(uint256 a, uint256 b, uint256 unbond, uint16 bps)
        public
    {
        a = bound(a, 1, 50_000_000 ether);
        b = bound(b, 2, 50_000_000 ether);
        unbond = bound(unbond, 1, b - 1);
        bps = uint16(bound(bps, 1, 10_000));
        _stake(bob, op1, a);
        _stake(carol, op1, b);
        _unstake(carol, op1, unbond);

        uint256[4] memory before = [MINER_MIN, a, b - unbond, unbond];
        uint256 slashed = _slash(op1, bps);
        uint256[4] memory afterSlash = [
            staking.stakeOf(op1, alice),
            staking.stakeOf(op1, bob),
            staking.stakeOf(op1, carol),
            _lockOf(carol, 0).amount
        ];
        for (uint256 i; i < 4; ++i) {
            uint256 expected = before[i] * (10_000 - bps) / 10_000;
            assertApproxEqAbs(afterSlash[i], expected, 2);
            assertLe(afterSlash[i], before[i]);
        }
        uint256 active = MINER_MIN + a + b - unbond;
        assertEq(slashed, active * bps / 10_000 + unbond * bps / 10_000);
        assertEq(cai.balanceOf(slasher), slashed);
        assertEq(cai.balanceOf(treasury), 0);
    }
}
