// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {StakingTestBase} from "./Staking.t.sol";
import {IStaking} from "../src/interfaces/IStaking.sol";
import {NodeView, Status} from "../src/staking/StakingTypes.sol";

/// @notice Who slash proceeds go to, and `slashAmount`: a fixed amount taken from a node's active
///         and unbonding stake in proportion (the bps slashes are tested in StakingRewards.t.sol).
/// @dev op1 (owner alice, 10% commission) and op2 (owner dave) are registered at the miner minimum
///      in setUp; `escrow` is a second slasher, to tell "the caller" from "the fixture's slasher".
contract StakingSlashTest is StakingTestBase {
    bytes32 internal constant REASON = keccak256("shortfall");
    address internal escrow = makeAddr("escrow");
    address internal op3 = makeAddr("op3");

    function setUp() public override {
        super.setUp();
        bytes32 slasherRole = staking.SLASHER_ROLE();
        vm.prank(admin);
        staking.grantRole(slasherRole, escrow);
        _registerMiner(alice, op1, MINER_MIN, 1_000);
        _registerMiner(dave, op2, MINER_MIN, 0);
    }

    function _slashAmount(address operator, uint256 amount) internal returns (uint256) {
        vm.prank(slasher);
        return staking.slashAmount(operator, amount, REASON);
    }

    /// @dev op1: 50k active (alice 20k, bob 20k, carol 10k) and 10k unbonding (carol's lock 0).
    function _stakeAndUnbond() internal {
        _stake(bob, op1, 20_000 ether);
        _stake(carol, op1, 20_000 ether);
        _unstake(carol, op1, 10_000 ether);
    }

    /// @dev The value of `who`'s first lock (0 without one).
    function _lockValue(address who) internal view returns (uint256) {
        return staking.lockCount(who) == 0 ? 0 : _lockOf(who, 0).amount;
    }

    /// @dev The amounts of the one Slashed event among `logs` (bps must be 0: a slashAmount).
    function _slashedAmounts(Vm.Log[] memory logs)
        internal
        pure
        returns (uint256 fromActive, uint256 fromUnbonding)
    {
        uint256 found;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != IStaking.Slashed.selector) continue;
            uint16 bps;
            (bps, fromActive, fromUnbonding,) = abi.decode(logs[i].data, (uint16, uint256, uint256, bytes32));
            assertEq(bps, 0, "Slashed: bps");
            ++found;
        }
        assertEq(found, 1, "Slashed: one event");
    }

    // ================================================================= proceeds

    function test_Slash_PaysTheCallingSlasher() public {
        vm.prank(escrow);
        uint256 slashed = staking.slash(op1, 500, REASON);
        assertEq(slashed, 1_000 ether);
        assertEq(cai.balanceOf(escrow), 1_000 ether);
        assertEq(cai.balanceOf(slasher), 0);
        assertEq(cai.balanceOf(treasury), 0);
        assertEq(cai.balanceOf(address(staking)), 2 * MINER_MIN - 1_000 ether);
    }

    function test_SlashAmount_PaysTheCaller() public {
        _stakeAndUnbond();
        uint256 balance = cai.balanceOf(address(staking));
        vm.prank(escrow);
        uint256 slashed = staking.slashAmount(op1, 6_000 ether, REASON);
        assertEq(slashed, 6_000 ether);
        assertEq(cai.balanceOf(escrow), 6_000 ether);
        assertEq(cai.balanceOf(slasher), 0);
        assertEq(cai.balanceOf(treasury), 0);
        assertEq(cai.balanceOf(address(staking)), balance - 6_000 ether);
    }

    function test_SlashAmount_IgnoresTheTreasury() public {
        address newTreasury = makeAddr("newTreasury");
        vm.prank(admin);
        staking.setTreasury(newTreasury);
        assertEq(_slashAmount(op1, 300 ether), 300 ether);
        assertEq(cai.balanceOf(slasher), 300 ether);
        assertEq(cai.balanceOf(newTreasury), 0);
        assertEq(staking.treasury(), newTreasury);
    }

    // ================================================================= slashAmount: amounts

    function test_SlashAmount_SplitsInProportionToThePools() public {
        _stakeAndUnbond();
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(op1, slasher, 0, 5_000 ether, 1_000 ether, REASON);
        assertEq(_slashAmount(op1, 6_000 ether), 6_000 ether);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.totalStake, 45_000 ether);
        assertEq(v.unbondingStake, 9_000 ether);
    }

    /// @notice The active share is rounded down and the unbonding pool takes the remainder, so
    ///         the total is exactly the amount: 1,001 wei of 50k/10k is 834 + 167 (166.83 up).
    function test_SlashAmount_RoundsActiveDownUnbondingTakesTheRest() public {
        _stakeAndUnbond();
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(op1, slasher, 0, 834, 167, REASON);
        assertEq(_slashAmount(op1, 1_001), 1_001);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.totalStake, 50_000 ether - 834);
        assertEq(v.unbondingStake, 10_000 ether - 167);
    }

    function test_SlashAmount_OneWeiComesFromTheUnbondingPool() public {
        _stakeAndUnbond();
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(op1, slasher, 0, 0, 1, REASON); // floor(5/6) = 0 from active
        assertEq(_slashAmount(op1, 1), 1);
    }

    function test_SlashAmount_ExactlyTheTotalTakesEverything() public {
        _stakeAndUnbond();
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(op1, slasher, 0, 50_000 ether, 10_000 ether, REASON);
        assertEq(_slashAmount(op1, 60_000 ether), 60_000 ether);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.totalStake, 0);
        assertEq(v.unbondingStake, 0);
    }

    function test_SlashAmount_AboveTheTotalTakesOnlyTheTotal() public {
        _stakeAndUnbond();
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(op1, slasher, 0, 50_000 ether, 10_000 ether, REASON);
        assertEq(_slashAmount(op1, 60_000 ether + 1), 60_000 ether);
        assertEq(cai.balanceOf(slasher), 60_000 ether);
        assertEq(staking.stakeOf(op1, alice), 0);
        assertEq(staking.stakeOf(op1, bob), 0);
        assertEq(staking.stakeOf(op1, carol), 0);
        assertEq(_lockOf(carol, 0).amount, 0);
        // The largest amount does not overflow either.
        assertEq(_slashAmount(op2, type(uint256).max), MINER_MIN);
        assertEq(cai.balanceOf(slasher), 60_000 ether + MINER_MIN);
        assertEq(cai.balanceOf(address(staking)), 0);
    }

    /// @notice Taking the whole stake retires the node as a 100% slash does.
    function test_SlashAmount_WholeStakeRetiresTheNode() public {
        _stake(bob, op1, 20_000 ether);
        assertEq(_slashAmount(op1, type(uint256).max), 40_000 ether);
        _fund(alice, MINER_MIN);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodePoolDepleted.selector, op1));
        vm.prank(alice);
        staking.stake(op1, MINER_MIN);
        vm.expectRevert(abi.encodeWithSelector(IStaking.InsufficientStake.selector, 1, 0));
        _unstake(bob, op1, 1);
    }

    function test_SlashAmount_OnlyActiveStake() public {
        _stake(bob, op1, 20_000 ether);
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(op1, slasher, 0, 3_000 ether, 0, REASON);
        assertEq(_slashAmount(op1, 3_000 ether), 3_000 ether);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.totalStake, 37_000 ether);
        assertEq(v.unbondingStake, 0);
        assertApproxEqAbs(staking.stakeOf(op1, bob), 18_500 ether, 1);
    }

    function test_SlashAmount_OnlyUnbondingStake() public {
        vm.startPrank(alice);
        staking.deregister(op1);
        staking.unstake(op1, MINER_MIN);
        vm.stopPrank();
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(op1, slasher, 0, 0, 5_000 ether, REASON);
        assertEq(_slashAmount(op1, 5_000 ether), 5_000 ether);
        assertEq(staking.getNode(op1).totalStake, 0);
        assertEq(staking.getNode(op1).unbondingStake, 15_000 ether);
        assertEq(_lockOf(alice, 0).amount, 15_000 ether);
        skip(UNBONDING);
        assertEq(_withdraw(alice, _ids(0)), 15_000 ether);
        assertEq(cai.balanceOf(alice), 15_000 ether);
    }

    /// @notice A node whose stake has all been withdrawn: nothing to take, no transfer, a Slashed
    ///         event of zeros.
    function test_SlashAmount_NodeWithoutStakeReturnsZero() public {
        vm.startPrank(alice);
        staking.deregister(op1);
        staking.unstake(op1, MINER_MIN);
        vm.stopPrank();
        skip(UNBONDING);
        _withdraw(alice, _ids(0));
        uint256 balance = cai.balanceOf(address(staking));

        vm.recordLogs();
        assertEq(_slashAmount(op1, 1 ether), 0);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1); // no Transfer, no Jailed
        assertEq(logs[0].topics[0], IStaking.Slashed.selector);
        (uint256 fromActive, uint256 fromUnbonding) = _slashedAmounts(logs);
        assertEq(fromActive + fromUnbonding, 0);
        assertEq(cai.balanceOf(address(staking)), balance);
        assertEq(cai.balanceOf(slasher), 0);
    }

    /// @notice A node slashed to zero earlier: nothing left to take, but the jail is renewed.
    function test_SlashAmount_DepletedNodeReturnsZeroAndStaysJailed() public {
        assertEq(_slashAmount(op1, MINER_MIN), MINER_MIN);
        skip(12 hours);
        assertEq(_slashAmount(op1, 1 ether), 0);
        assertEq(cai.balanceOf(slasher), MINER_MIN);
        NodeView memory v = staking.getNode(op1);
        assertEq(uint8(v.status), uint8(Status.Jailed));
        assertEq(v.jailedUntil, block.timestamp + JAIL);
    }

    // ================================================================= slashAmount: reverts

    function test_SlashAmount_RevertsZeroAmount() public {
        vm.startPrank(slasher);
        vm.expectRevert(IStaking.ZeroAmount.selector);
        staking.slashAmount(op1, 0, REASON);
        // Checked before the node: an unknown node with 0 reverts the same way.
        vm.expectRevert(IStaking.ZeroAmount.selector);
        staking.slashAmount(op3, 0, REASON);
        vm.stopPrank();
        assertTrue(staking.isActive(op1));
        assertEq(staking.getNode(op1).totalStake, MINER_MIN);
    }

    function test_SlashAmount_RevertsNodeNotFound() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotFound.selector, op3));
        _slashAmount(op3, 1 ether);
        assertEq(cai.balanceOf(slasher), 0);
    }

    function test_SlashAmount_RevertsUnauthorized() public {
        bytes32 role = staking.SLASHER_ROLE();
        address[4] memory callers = [bob, admin, guardian, distributor];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(_unauthorized(callers[i], role));
            vm.prank(callers[i]);
            staking.slashAmount(op1, 1 ether, REASON);
        }
        // A revoked slasher loses the right.
        vm.prank(admin);
        staking.revokeRole(role, escrow);
        vm.expectRevert(_unauthorized(escrow, role));
        vm.prank(escrow);
        staking.slashAmount(op1, 1 ether, REASON);

        assertTrue(staking.isActive(op1));
        assertEq(staking.getNode(op1).totalStake, MINER_MIN);
        assertEq(cai.balanceOf(address(staking)), 2 * MINER_MIN);
    }

    // ================================================================= slashAmount: jail and events

    function test_SlashAmount_JailsTheNode() public {
        _stake(bob, op1, 20_000 ether);
        assertEq(_totalRewardable(), 2 * MINER_MIN + 20_000 ether);
        vm.expectEmit(address(staking));
        emit IStaking.Jailed(op1, block.timestamp + JAIL);
        _slashAmount(op1, 1 ether);

        NodeView memory v = staking.getNode(op1);
        assertEq(uint8(v.status), uint8(Status.Jailed));
        assertEq(v.jailedUntil, block.timestamp + JAIL);
        assertFalse(staking.isActive(op1));
        assertEq(_totalRewardable(), MINER_MIN); // all of op1's stake stopped earning, op2 only
        _fund(carol, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotActive.selector, op1, Status.Jailed));
        vm.prank(carol);
        staking.stake(op1, 1 ether);
    }

    function test_SlashAmount_JailedNodeAgainExtendsJail() public {
        _slashAmount(op1, 1 ether);
        skip(12 hours);
        uint256 rewardable = _totalRewardable();
        vm.expectEmit(address(staking));
        emit IStaking.Jailed(op1, block.timestamp + JAIL);
        _slashAmount(op1, 1 ether);
        assertEq(staking.getNode(op1).jailedUntil, block.timestamp + JAIL);
        assertEq(_totalRewardable(), rewardable); // a jailed node is not subtracted twice
        assertEq(staking.getNode(op1).totalStake, MINER_MIN - 2 ether);
    }

    function test_SlashAmount_DeregisteredNodeIsNotJailed() public {
        _stake(bob, op1, 20_000 ether);
        vm.prank(alice);
        staking.deregister(op1);
        vm.recordLogs();
        assertEq(_slashAmount(op1, 4_000 ether), 4_000 ether);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 2); // Transfer and Slashed
        for (uint256 i; i < logs.length; ++i) {
            assertNotEq(logs[i].topics[0], IStaking.Jailed.selector);
        }
        NodeView memory v = staking.getNode(op1);
        assertEq(uint8(v.status), uint8(Status.Deregistered));
        assertEq(v.jailedUntil, 0);
        assertEq(_totalRewardable(), MINER_MIN); // unchanged: op2 only
        assertApproxEqAbs(staking.stakeOf(op1, bob), 18_000 ether, 1);
    }

    /// @notice The exact logs, in order: Jailed, the token transfer to the caller, Slashed (bps 0,
    ///         operator and slasher indexed).
    function test_SlashAmount_EmitsJailedTransferAndSlashed() public {
        _stakeAndUnbond();
        vm.recordLogs();
        vm.prank(escrow);
        uint256 slashed = staking.slashAmount(op1, 6_000 ether, REASON);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 3);

        assertEq(logs[0].emitter, address(staking));
        assertEq(logs[0].topics[0], IStaking.Jailed.selector);
        assertEq(logs[0].topics[1], bytes32(uint256(uint160(op1))));
        assertEq(abi.decode(logs[0].data, (uint256)), block.timestamp + JAIL);

        assertEq(logs[1].emitter, address(cai));
        assertEq(logs[1].topics[0], IERC20.Transfer.selector);
        assertEq(logs[1].topics[1], bytes32(uint256(uint160(address(staking)))));
        assertEq(logs[1].topics[2], bytes32(uint256(uint160(escrow))));
        assertEq(abi.decode(logs[1].data, (uint256)), slashed);

        Vm.Log memory s = logs[2];
        assertEq(s.emitter, address(staking));
        assertEq(s.topics.length, 3);
        assertEq(s.topics[0], IStaking.Slashed.selector);
        assertEq(s.topics[1], bytes32(uint256(uint160(op1))));
        assertEq(s.topics[2], bytes32(uint256(uint160(escrow))));
        (uint16 bps, uint256 fromActive, uint256 fromUnbonding, bytes32 reason) =
            abi.decode(s.data, (uint16, uint256, uint256, bytes32));
        assertEq(bps, 0);
        assertEq(fromActive, 5_000 ether);
        assertEq(fromUnbonding, 1_000 ether);
        assertEq(reason, REASON);
        assertEq(slashed, fromActive + fromUnbonding);
    }

    // ================================================================= slashAmount: holders

    function test_SlashAmount_StakesAndLocksShrinkProRata() public {
        _stakeAndUnbond();
        _slashAmount(op1, 6_000 ether); // 10% of 60k: every position and lock loses 10%
        assertApproxEqAbs(staking.stakeOf(op1, alice), 18_000 ether, 1);
        assertApproxEqAbs(staking.stakeOf(op1, bob), 18_000 ether, 1);
        assertApproxEqAbs(staking.stakeOf(op1, carol), 9_000 ether, 1);
        assertApproxEqAbs(_lockOf(carol, 0).amount, 9_000 ether, 1);
        assertLe(staking.stakeOf(op1, bob), 18_000 ether);
        assertEq(staking.getNode(op1).selfStake, staking.stakeOf(op1, alice));
        // Another node is untouched.
        assertEq(staking.stakeOf(op2, dave), MINER_MIN);
        skip(UNBONDING);
        assertApproxEqAbs(_withdraw(carol, _ids(0)), 9_000 ether, 1);
    }

    /// @notice Emission earned up to the slash is credited before the node is jailed, and kept.
    function test_SlashAmount_KeepsRewardsEarnedBeforeTheJail() public {
        _stake(bob, op1, 20_000 ether); // op1 40k of 60k rewardable
        _notify(6_000 ether, 6_000);
        skip(3_000);
        uint256 bobPending = staking.pendingRewards(op1, bob);
        uint256 alicePending = staking.pendingRewards(op1, alice);
        assertApproxEqAbs(bobPending + alicePending, 2_000 ether, 1e6);

        _slashAmount(op1, 1_000 ether);
        assertEq(staking.pendingRewards(op1, bob), bobPending);
        assertEq(staking.pendingRewards(op1, alice), alicePending);
        skip(3_000);
        assertEq(staking.pendingRewards(op1, bob), bobPending); // jailed: earns nothing more
        assertApproxEqAbs(staking.pendingRewards(op2, dave), 1_000 ether + 3_000 ether, 1e6);
        assertEq(_claim(bob, op1), bobPending);
    }

    // ================================================================= fuzz

    /// @notice slashAmount takes exactly min(amount, stake), split as floor(amount * active / total)
    ///         and the rest, never more than a pool holds, and pays exactly that to the caller.
    function testFuzz_SlashAmount_TakesExactlyMinOfAmountAndStake(
        uint256 bobStake,
        uint256 unbond,
        uint256 amount,
        bool byEscrow
    ) public {
        bobStake = bound(bobStake, 1, 50_000_000 ether);
        unbond = bound(unbond, 0, bobStake);
        _stake(bob, op1, bobStake);
        if (unbond != 0) _unstake(bob, op1, unbond);
        uint256 active = MINER_MIN + bobStake - unbond;
        uint256 total = active + unbond;
        amount = bound(amount, 1, 2 * total);
        address caller = byEscrow ? escrow : slasher;
        uint256 balance = cai.balanceOf(address(staking));

        vm.recordLogs();
        vm.prank(caller);
        uint256 slashed = staking.slashAmount(op1, amount, REASON);
        (uint256 fromActive, uint256 fromUnbonding) = _slashedAmounts(vm.getRecordedLogs());

        assertEq(slashed, Math.min(amount, total), "slashed != min(amount, total)");
        assertEq(fromActive + fromUnbonding, slashed, "event amounts != slashed");
        assertEq(fromActive, amount >= total ? active : amount * active / total, "active part");
        assertLe(fromActive, active, "more than the active pool");
        assertLe(fromUnbonding, unbond, "more than the unbonding pool");
        NodeView memory v = staking.getNode(op1);
        assertEq(v.totalStake, active - fromActive, "active pool");
        assertEq(v.unbondingStake, unbond - fromUnbonding, "unbonding pool");
        assertEq(cai.balanceOf(address(staking)), balance - slashed, "Staking balance");
        assertEq(cai.balanceOf(caller), slashed, "caller paid");
        assertEq(cai.balanceOf(byEscrow ? slasher : escrow), 0, "other slasher paid");
        assertEq(cai.balanceOf(treasury), 0, "treasury paid");
    }

    /// @notice Through successive slashAmounts, what stakers and locks are worth never exceeds
    ///         what the node holds, each of them shrinks by its pool's fraction (up to rounding),
    ///         and the tokens taken are exactly the tokens the slasher received.
    function testFuzz_SlashAmount_HoldersNeverExceedNodeTokens(
        uint256 a,
        uint256 b,
        uint256 unbondA,
        uint256 unbondB,
        uint256[3] memory amounts
    ) public {
        a = bound(a, 1, 50_000_000 ether);
        b = bound(b, 1, 50_000_000 ether);
        unbondA = bound(unbondA, 0, a);
        unbondB = bound(unbondB, 0, b);
        _stake(bob, op1, a);
        _stake(carol, op1, b);
        if (unbondA != 0) _unstake(bob, op1, unbondA);
        if (unbondB != 0) _unstake(carol, op1, unbondB);
        uint256 balance = cai.balanceOf(address(staking));
        uint256 paid;

        for (uint256 i; i < amounts.length; ++i) {
            NodeView memory v = staking.getNode(op1);
            uint256[5] memory before = _holdings();
            uint256 total = v.totalStake + v.unbondingStake;
            uint256 amount = bound(amounts[i], 1, total + total / 2 + 1);
            uint256 slashed = _slashAmount(op1, amount);
            paid += slashed;
            assertEq(slashed, Math.min(amount, total), "slashed != min(amount, total)");

            NodeView memory w = staking.getNode(op1);
            uint256[5] memory held = _holdings();
            assertLe(held[0] + held[1] + held[2], w.totalStake, "stakes exceed the active pool");
            assertLe(held[3] + held[4], w.unbondingStake, "locks exceed the unbonding pool");
            assertLe(
                held[0] + held[1] + held[2] + held[3] + held[4],
                w.totalStake + w.unbondingStake,
                "holders exceed the node's tokens"
            );
            for (uint256 k; k < 5; ++k) {
                assertLe(held[k], before[k], "a holder gained from a slash");
                uint256 poolBefore = k < 3 ? v.totalStake : v.unbondingStake;
                uint256 poolAfter = k < 3 ? w.totalStake : w.unbondingStake;
                if (poolBefore != 0) {
                    assertApproxEqAbs(held[k], before[k] * poolAfter / poolBefore, 2, "not pro rata");
                }
            }
        }
        assertEq(cai.balanceOf(slasher), paid, "slasher received != slashed");
        assertEq(cai.balanceOf(address(staking)), balance - paid, "Staking balance");
    }

    /// @dev alice's, bob's and carol's stake on op1, then bob's and carol's lock values.
    function _holdings() internal view returns (uint256[5] memory h) {
        h[0] = staking.stakeOf(op1, alice);
        h[1] = staking.stakeOf(op1, bob);
        h[2] = staking.stakeOf(op1, carol);
        h[3] = _lockValue(bob);
        h[4] = _lockValue(carol);
    }
}
