// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {StakingTestBase} from "./Staking.t.sol";
import {IStaking} from "../src/interfaces/IStaking.sol";
import {NodeView, Status} from "../src/staking/StakingTypes.sol";

/// @notice Who slash proceeds go to, and `slashOwnerStake`: up to an amount of the node OWNER's own
///         active stake, never its stakers' stake nor any unbonding lock (the bps slashes are
///         tested in StakingRewards.t.sol).
/// @dev op1 (owner alice, 10% commission) and op2 (owner dave) are registered at the miner minimum
///      in setUp; `escrow` is a second slasher, to tell "the caller" from "the fixture's slasher".
contract StakingSlashTest is StakingTestBase {
    bytes32 internal constant REASON = keccak256("shortfall");
    address internal escrow = makeAddr("escrow");
    address internal op3 = makeAddr("op3");
    address internal payer = makeAddr("payer");

    /// @dev What slashOwnerStake must leave alone on op1: the other stakers' stake and rewards,
    ///      every lock (the owner's too) and the unbonding pool.
    struct Others {
        uint256 bobStake;
        uint256 carolStake;
        uint256 bobPending;
        uint256 carolPending;
        uint256 aliceLock;
        uint256 bobLock;
        uint256 carolLock;
        uint256 unbondingStake;
    }

    function setUp() public override {
        super.setUp();
        bytes32 slasherRole = staking.SLASHER_ROLE();
        vm.prank(admin);
        staking.grantRole(slasherRole, escrow);
        _registerMiner(alice, op1, MINER_MIN, 1_000);
        _registerMiner(dave, op2, MINER_MIN, 0);
    }

    function _slashOwner(address operator, uint256 amount) internal returns (uint256) {
        vm.prank(slasher);
        return staking.slashOwnerStake(operator, amount, REASON);
    }

    /// @dev op1: 56k active (alice 26k, bob 20k, carol 10k) and 14k unbonding (alice's lock 0 of
    ///      4k, carol's lock 0 of 10k). The pool is still at 1:1, so every figure is exact.
    function _populate() internal {
        _stake(alice, op1, 10_000 ether);
        _unstake(alice, op1, 4_000 ether);
        _stake(bob, op1, 20_000 ether);
        _stake(carol, op1, 20_000 ether);
        _unstake(carol, op1, 10_000 ether);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.totalStake, 56_000 ether);
        assertEq(v.selfStake, 26_000 ether);
        assertEq(v.unbondingStake, 14_000 ether);
    }

    function _fees(address operator, uint256 amount) internal {
        _fund(payer, amount);
        vm.prank(payer);
        staking.distributeFees(operator, amount);
    }

    /// @dev The value of `who`'s first lock (0 without one).
    function _lockValue(address who) internal view returns (uint256) {
        return staking.lockCount(who) == 0 ? 0 : _lockOf(who, 0).amount;
    }

    function _others() internal view returns (Others memory o) {
        o.bobStake = staking.stakeOf(op1, bob);
        o.carolStake = staking.stakeOf(op1, carol);
        o.bobPending = staking.pendingRewards(op1, bob);
        o.carolPending = staking.pendingRewards(op1, carol);
        o.aliceLock = _lockValue(alice);
        o.bobLock = _lockValue(bob);
        o.carolLock = _lockValue(carol);
        o.unbondingStake = staking.getNode(op1).unbondingStake;
    }

    function _assertOthersUnchanged(Others memory b) internal view {
        _assertOthersUnchanged(b, 0);
    }

    /// @dev Rewards, locks and the unbonding pool exactly as before; the other stakers' stake
    ///      never lower and at most `gain` wei higher (the rounded-up burn of the owner's shares
    ///      leaves its dust to the remaining holders).
    function _assertOthersUnchanged(Others memory b, uint256 gain) internal view {
        Others memory a = _others();
        assertGe(a.bobStake, b.bobStake, "bob's stake fell");
        assertLe(a.bobStake, b.bobStake + gain, "bob's stake rose beyond rounding");
        assertGe(a.carolStake, b.carolStake, "carol's stake fell");
        assertLe(a.carolStake, b.carolStake + gain, "carol's stake rose beyond rounding");
        assertEq(a.bobPending, b.bobPending, "bob's rewards moved");
        assertEq(a.carolPending, b.carolPending, "carol's rewards moved");
        assertEq(a.aliceLock, b.aliceLock, "the owner's lock moved");
        assertEq(a.bobLock, b.bobLock, "bob's lock moved");
        assertEq(a.carolLock, b.carolLock, "carol's lock moved");
        assertEq(a.unbondingStake, b.unbondingStake, "the unbonding pool moved");
    }

    /// @dev The amounts of the one Slashed event among `logs` (bps must be 0: a slashOwnerStake).
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

    /// @dev alice claims op1; returns the RewardsClaimed and CommissionClaimed amounts (0 if absent).
    function _claimOwner() internal returns (uint256 rewards, uint256 commission) {
        vm.recordLogs();
        uint256 paid = _claim(alice, op1);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IStaking.RewardsClaimed.selector) {
                rewards = abi.decode(logs[i].data, (uint256));
            } else if (logs[i].topics[0] == IStaking.CommissionClaimed.selector) {
                commission = abi.decode(logs[i].data, (uint256));
            }
        }
        assertEq(paid, rewards + commission, "claim: paid != rewards + commission");
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

    function test_SlashOwnerStake_PaysTheCaller() public {
        _populate();
        uint256 balance = cai.balanceOf(address(staking));
        vm.prank(escrow);
        uint256 slashed = staking.slashOwnerStake(op1, 6_000 ether, REASON);
        assertEq(slashed, 6_000 ether);
        assertEq(cai.balanceOf(escrow), 6_000 ether);
        assertEq(cai.balanceOf(slasher), 0);
        assertEq(cai.balanceOf(treasury), 0);
        assertEq(cai.balanceOf(alice), 0); // nothing refunded to anyone
        assertEq(cai.balanceOf(address(staking)), balance - 6_000 ether);
    }

    function test_SlashOwnerStake_IgnoresTheTreasury() public {
        address newTreasury = makeAddr("newTreasury");
        vm.prank(admin);
        staking.setTreasury(newTreasury);
        assertEq(_slashOwner(op1, 300 ether), 300 ether);
        assertEq(cai.balanceOf(slasher), 300 ether);
        assertEq(cai.balanceOf(newTreasury), 0);
        assertEq(cai.balanceOf(treasury), 0);
        assertEq(staking.treasury(), newTreasury);
    }

    // ================================================================= amounts

    function test_SlashOwnerStake_TakesTheAmountFromTheOwnerOnly() public {
        _populate();
        Others memory before = _others();
        assertEq(before.bobStake, 20_000 ether);
        assertEq(before.carolStake, 10_000 ether);
        assertEq(before.aliceLock, 4_000 ether);
        assertEq(before.carolLock, 10_000 ether);

        vm.expectEmit(address(staking));
        emit IStaking.Slashed(op1, slasher, 0, 6_000 ether, 0, REASON);
        assertEq(_slashOwner(op1, 6_000 ether), 6_000 ether);

        assertEq(staking.stakeOf(op1, alice), 20_000 ether);
        _assertOthersUnchanged(before);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.totalStake, 50_000 ether);
        assertEq(v.selfStake, 20_000 ether);
        assertEq(v.unbondingStake, 14_000 ether);
        // Another node, of another owner, is untouched.
        assertEq(staking.stakeOf(op2, dave), MINER_MIN);
        assertTrue(staking.isActive(op2));
    }

    function test_SlashOwnerStake_OneWei() public {
        _populate();
        Others memory before = _others();
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(op1, slasher, 0, 1, 0, REASON);
        assertEq(_slashOwner(op1, 1), 1);
        assertEq(staking.stakeOf(op1, alice), 26_000 ether - 1);
        assertEq(staking.getNode(op1).totalStake, 56_000 ether - 1);
        _assertOthersUnchanged(before);
        assertEq(cai.balanceOf(slasher), 1);
    }

    /// @notice Unlike the owner's own unstake, a slash may take the owner below the minimum.
    function test_SlashOwnerStake_MayTakeTheOwnerBelowTheMinimum() public {
        assertEq(_slashOwner(op1, 1), 1);
        assertEq(staking.getNode(op1).selfStake, MINER_MIN - 1);
    }

    function test_SlashOwnerStake_CappedAtTheOwnersStake() public {
        _populate();
        Others memory before = _others();
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(op1, slasher, 0, 26_000 ether, 0, REASON);
        assertEq(_slashOwner(op1, 26_000 ether + 1), 26_000 ether);
        assertEq(staking.stakeOf(op1, alice), 0);
        assertEq(cai.balanceOf(slasher), 26_000 ether);
        _assertOthersUnchanged(before);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.totalStake, 30_000 ether);
        assertEq(v.selfStake, 0);
        assertEq(v.unbondingStake, 14_000 ether);
        assertEq(staking.positionsOf(alice, v.role, 0, 10).length, 0); // no shares left at all

        // The largest amount does not overflow either.
        assertEq(_slashOwner(op2, type(uint256).max), MINER_MIN);
        assertEq(cai.balanceOf(slasher), 26_000 ether + MINER_MIN);
        // What is left in Staking is exactly the other stakers' stake and the locks.
        assertEq(cai.balanceOf(address(staking)), 30_000 ether + 14_000 ether);
    }

    function test_SlashOwnerStake_ExactlyTheOwnersStake() public {
        _populate();
        Others memory before = _others();
        assertEq(_slashOwner(op1, 26_000 ether), 26_000 ether);
        assertEq(staking.stakeOf(op1, alice), 0);
        assertEq(staking.getNode(op1).totalStake, 30_000 ether);
        _assertOthersUnchanged(before);
    }

    /// @notice The owner's lock is not stake the owner still has at risk for its operator: a
    ///         deregistered owner that unstaked everything has nothing left to take.
    function test_SlashOwnerStake_NeverTakesTheOwnersLock() public {
        _stake(bob, op1, 20_000 ether);
        vm.startPrank(alice);
        staking.deregister(op1);
        staking.unstake(op1, MINER_MIN);
        vm.stopPrank();
        uint256 balance = cai.balanceOf(address(staking));

        vm.recordLogs();
        assertEq(_slashOwner(op1, 1 ether), 0);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1); // no Transfer, no Jailed: only Slashed, of zeros
        (uint256 fromActive, uint256 fromUnbonding) = _slashedAmounts(logs);
        assertEq(fromActive + fromUnbonding, 0);

        assertEq(_lockOf(alice, 0).amount, MINER_MIN);
        assertEq(staking.getNode(op1).unbondingStake, MINER_MIN);
        assertEq(staking.stakeOf(op1, bob), 20_000 ether);
        assertEq(cai.balanceOf(address(staking)), balance);
        assertEq(cai.balanceOf(slasher), 0);
        skip(UNBONDING);
        assertEq(_withdraw(alice, _ids(0)), MINER_MIN);
    }

    // ================================================================= rewards

    /// @notice Rewards and commission earned before the slash are kept by everyone, the owner
    ///         included: the owner's claim pays the same with or without the slash.
    function test_SlashOwnerStake_EveryoneKeepsRewardsAndCommissionEarnedBefore() public {
        _populate();
        _notify(5_600 ether, 5_600); // 1 CAI/s over 76k rewardable (op1 56k, op2 20k)
        skip(2_000);
        _fees(op1, 1_000 ether);
        Others memory before = _others();
        uint256 alicePending = staking.pendingRewards(op1, alice);
        assertGt(before.bobPending, 0);

        // Without the slash: what alice's claim pays.
        uint256 snap = vm.snapshotState();
        (uint256 rewards, uint256 commission) = _claimOwner();
        assertEq(rewards + commission, alicePending);
        assertGe(commission, 100 ether); // 10% of the fees, plus 10% of op1's emission
        assertGt(rewards, 0);
        vm.revertToState(snap);

        _slashOwner(op1, 6_000 ether);
        _assertOthersUnchanged(before);
        assertEq(staking.pendingRewards(op1, alice), alicePending, "owner's pending moved");
        skip(2_000); // jailed: no one on op1 earns more
        _assertOthersUnchanged(before);
        (uint256 rewardsAfter, uint256 commissionAfter) = _claimOwner();
        assertEq(rewardsAfter, rewards, "owner's rewards changed");
        assertEq(commissionAfter, commission, "commission changed");
        assertEq(_claim(bob, op1), before.bobPending);
        assertEq(_claim(carol, op1), before.carolPending);
    }

    /// @notice The owner's whole stake taken: its rewards stay claimable although it holds no
    ///         shares any more.
    function test_SlashOwnerStake_OwnerWithNoStakeLeftStillClaims() public {
        _populate();
        _fees(op1, 1_000 ether);
        uint256 alicePending = staking.pendingRewards(op1, alice);
        // 100 commission + 900 * 26/56 for alice's 26k shares of 56k (acc rounded down)
        uint256 acc = uint256(900 ether) * 1e18 / 56_000 ether;
        assertEq(alicePending, 100 ether + 26_000 * acc);
        _slashOwner(op1, type(uint256).max);
        assertEq(staking.stakeOf(op1, alice), 0);
        assertEq(staking.pendingRewards(op1, alice), alicePending);
        (uint256 rewards, uint256 commission) = _claimOwner();
        assertEq(rewards, 26_000 * acc);
        assertEq(commission, 100 ether);
        assertEq(staking.pendingRewards(op1, alice), 0);
    }

    // ================================================================= jail and events

    function test_SlashOwnerStake_JailsTheNode() public {
        _stake(bob, op1, 20_000 ether);
        assertEq(_totalRewardable(), 2 * MINER_MIN + 20_000 ether);
        vm.expectEmit(address(staking));
        emit IStaking.Jailed(op1, block.timestamp + JAIL);
        _slashOwner(op1, 1 ether);

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

    /// @notice Nothing left to take still jails (and renews the jail): the logs are Jailed and a
    ///         Slashed of zeros, no transfer.
    function test_SlashOwnerStake_JailsEvenWhenNothingIsTaken() public {
        _stake(bob, op1, 20_000 ether);
        assertEq(_slashOwner(op1, MINER_MIN), MINER_MIN);
        skip(12 hours);
        uint256 balance = cai.balanceOf(address(staking));
        uint256 rewardable = _totalRewardable();

        vm.recordLogs();
        assertEq(_slashOwner(op1, 1 ether), 0);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 2);
        assertEq(logs[0].topics[0], IStaking.Jailed.selector);
        assertEq(abi.decode(logs[0].data, (uint256)), block.timestamp + JAIL);
        (uint256 fromActive, uint256 fromUnbonding) = _slashedAmounts(logs);
        assertEq(fromActive + fromUnbonding, 0);

        NodeView memory v = staking.getNode(op1);
        assertEq(uint8(v.status), uint8(Status.Jailed));
        assertEq(v.jailedUntil, block.timestamp + JAIL);
        assertEq(v.totalStake, 20_000 ether);
        assertEq(staking.stakeOf(op1, bob), 20_000 ether);
        assertEq(_totalRewardable(), rewardable);
        assertEq(cai.balanceOf(address(staking)), balance);
        assertEq(cai.balanceOf(slasher), MINER_MIN);
    }

    function test_SlashOwnerStake_JailedNodeAgainExtendsJail() public {
        _slashOwner(op1, 1 ether);
        skip(12 hours);
        uint256 rewardable = _totalRewardable();
        vm.expectEmit(address(staking));
        emit IStaking.Jailed(op1, block.timestamp + JAIL);
        _slashOwner(op1, 1 ether);
        assertEq(staking.getNode(op1).jailedUntil, block.timestamp + JAIL);
        assertEq(_totalRewardable(), rewardable); // a jailed node is not subtracted twice
        assertEq(staking.getNode(op1).selfStake, MINER_MIN - 2 ether);
    }

    function test_SlashOwnerStake_DeregisteredNodeIsNotJailed() public {
        _stake(bob, op1, 20_000 ether);
        vm.prank(alice);
        staking.deregister(op1);
        vm.recordLogs();
        assertEq(_slashOwner(op1, 4_000 ether), 4_000 ether);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 2); // Transfer and Slashed
        for (uint256 i; i < logs.length; ++i) {
            assertNotEq(logs[i].topics[0], IStaking.Jailed.selector);
        }
        NodeView memory v = staking.getNode(op1);
        assertEq(uint8(v.status), uint8(Status.Deregistered));
        assertEq(v.jailedUntil, 0);
        assertEq(_totalRewardable(), MINER_MIN); // unchanged: op2 only
        assertEq(staking.stakeOf(op1, alice), 16_000 ether);
        assertEq(staking.stakeOf(op1, bob), 20_000 ether);
    }

    /// @notice The exact logs, in order: Jailed, the token transfer to the caller, Slashed (bps 0,
    ///         operator and slasher indexed, everything from the active pool).
    function test_SlashOwnerStake_EmitsJailedTransferAndSlashed() public {
        _populate();
        vm.recordLogs();
        vm.prank(escrow);
        uint256 slashed = staking.slashOwnerStake(op1, 6_000 ether, REASON);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 3);

        assertEq(logs[0].emitter, address(staking));
        assertEq(logs[0].topics.length, 2);
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
        assertEq(fromActive, 6_000 ether);
        assertEq(fromUnbonding, 0);
        assertEq(reason, REASON);
        assertEq(slashed, fromActive);
    }

    // ================================================================= reverts

    function test_SlashOwnerStake_RevertsZeroAmount() public {
        vm.startPrank(slasher);
        vm.expectRevert(IStaking.ZeroAmount.selector);
        staking.slashOwnerStake(op1, 0, REASON);
        // Checked before the node: an unknown node with 0 reverts the same way.
        vm.expectRevert(IStaking.ZeroAmount.selector);
        staking.slashOwnerStake(op3, 0, REASON);
        vm.stopPrank();
        assertTrue(staking.isActive(op1));
        assertEq(staking.getNode(op1).totalStake, MINER_MIN);
    }

    function test_SlashOwnerStake_RevertsNodeNotFound() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotFound.selector, op3));
        _slashOwner(op3, 1 ether);
        assertEq(cai.balanceOf(slasher), 0);
    }

    /// @notice Only a SLASHER: not the owner, not the operator key, not the other roles.
    function test_SlashOwnerStake_RevertsUnauthorized() public {
        bytes32 role = staking.SLASHER_ROLE();
        address[6] memory callers = [bob, alice, op1, admin, guardian, distributor];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(_unauthorized(callers[i], role));
            vm.prank(callers[i]);
            staking.slashOwnerStake(op1, 1 ether, REASON);
        }
        // A revoked slasher loses the right.
        vm.prank(admin);
        staking.revokeRole(role, escrow);
        vm.expectRevert(_unauthorized(escrow, role));
        vm.prank(escrow);
        staking.slashOwnerStake(op1, 1 ether, REASON);

        assertTrue(staking.isActive(op1));
        assertEq(staking.getNode(op1).totalStake, MINER_MIN);
        assertEq(cai.balanceOf(address(staking)), 2 * MINER_MIN);
    }

    // ================================================================= the owner's stake all taken

    /// @notice With the owner's stake gone the node keeps working for its stakers: they claim,
    ///         unstake and withdraw in full.
    function test_SlashOwnerStake_OwnerStakeGone_StakersStillClaimAndLeave() public {
        _populate();
        _notify(5_600 ether, 5_600);
        skip(1_000);
        uint256 bobPending = staking.pendingRewards(op1, bob);
        uint256 carolPending = staking.pendingRewards(op1, carol);
        assertGt(bobPending, 0);

        assertEq(_slashOwner(op1, type(uint256).max), 26_000 ether);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.selfStake, 0);
        assertEq(v.totalStake, 30_000 ether);
        assertEq(uint8(v.status), uint8(Status.Jailed));

        assertEq(_claim(bob, op1), bobPending);
        assertEq(_claim(carol, op1), carolPending);
        assertEq(_unstake(bob, op1, 20_000 ether), 0);
        assertEq(_unstake(carol, op1, 10_000 ether), 1);
        assertEq(staking.getNode(op1).totalStake, 0);
        skip(UNBONDING);
        assertEq(_withdraw(bob, _ids(0)), 20_000 ether);
        assertEq(_withdraw(carol, _ids(0, 1)), 20_000 ether);
        assertEq(_withdraw(alice, _ids(0)), 4_000 ether);
        assertEq(staking.getNode(op1).unbondingStake, 0);
    }

    /// @notice To unjail, the owner must first stake its minimum again (a jailed node takes stake
    ///         from its owner only); then the node is back with its stakers' stake intact.
    function test_SlashOwnerStake_OwnerStakeGone_OwnerMustTopUpToUnjail() public {
        _stake(bob, op1, 20_000 ether);
        assertEq(_slashOwner(op1, MINER_MIN), MINER_MIN);
        skip(JAIL);
        vm.expectRevert(abi.encodeWithSelector(IStaking.SelfStakeBelowMinimum.selector, 0, MINER_MIN));
        vm.prank(alice);
        staking.unjail(op1);

        _fund(alice, MINER_MIN);
        vm.prank(alice);
        staking.stake(op1, MINER_MIN - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.SelfStakeBelowMinimum.selector, MINER_MIN - 1, MINER_MIN)
        );
        vm.prank(alice);
        staking.unjail(op1);

        vm.startPrank(alice);
        staking.stake(op1, 1);
        staking.unjail(op1);
        vm.stopPrank();
        assertTrue(staking.isActive(op1));
        assertEq(staking.stakeOf(op1, alice), MINER_MIN);
        assertEq(staking.stakeOf(op1, bob), 20_000 ether);
        assertEq(_totalRewardable(), 2 * MINER_MIN + 20_000 ether);
        _stake(carol, op1, 1 ether); // open to stakers again
        assertEq(staking.stakeOf(op1, carol), 1 ether);
    }

    /// @notice The owner's whole stake taken where the other stakers hold only dust shares, worth
    ///         0 wei together (bob's 1,000 wei after a 99.99% slash): by the pool's rounding the
    ///         owner's stakeOf is the whole pool, so taking it leaves 0 tokens for bob's shares. The
    ///         pool is then depleted, not empty: the owner cannot top up and unjail, it has to
    ///         register a new operator. Bob loses nothing he could have withdrawn (0 wei).
    function test_SlashOwnerStake_OwnerStakeGone_DustSharesDepleteThePool() public {
        _stake(bob, op1, 1_000);
        _slash(op1, 9_999); // active: 20,000 ether + 1,000 wei -> 2 ether + 1 wei
        uint256 pool = 2 ether + 1;
        assertEq(staking.getNode(op1).totalStake, pool);
        assertEq(staking.stakeOf(op1, bob), 0); // floor(1,000 * 0.0001)
        assertEq(staking.stakeOf(op1, alice), pool); // the virtual share's rounding: all of it

        assertEq(_slashOwner(op1, type(uint256).max), pool);
        assertEq(staking.getNode(op1).totalStake, 0);
        assertEq(staking.stakeOf(op1, bob), 0);
        _fund(alice, MINER_MIN);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodePoolDepleted.selector, op1));
        vm.prank(alice);
        staking.stake(op1, MINER_MIN);
        vm.expectRevert(abi.encodeWithSelector(IStaking.InsufficientStake.selector, 1, 0));
        _unstake(bob, op1, 1);
    }

    /// @notice A node whose only stake was its owner's, all taken: its shares are burnt with the
    ///         tokens, so the pool is left empty (0 tokens, 0 shares), not depleted. The owner's
    ///         top-up is a fresh 1:1 deposit and it can unjail; nobody else may stake meanwhile.
    ///         Contrast: after a 100% bps slash the old shares remain and the pool is depleted.
    function test_SlashOwnerStake_OnlyOwnerStakeTaken_OwnerMayRestake() public {
        assertEq(_slashOwner(op1, type(uint256).max), MINER_MIN);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.totalStake, 0);
        assertEq(v.selfStake, 0);
        assertEq(uint8(v.status), uint8(Status.Jailed));

        _fund(bob, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotActive.selector, op1, Status.Jailed));
        vm.prank(bob);
        staking.stake(op1, 1 ether);

        _fund(alice, MINER_MIN);
        vm.prank(alice);
        staking.stake(op1, MINER_MIN);
        assertEq(staking.stakeOf(op1, alice), MINER_MIN);
        skip(JAIL);
        vm.prank(alice);
        staking.unjail(op1);
        assertTrue(staking.isActive(op1));
        assertEq(_totalRewardable(), 2 * MINER_MIN);

        // op2 slashed 100% by bps: dave's shares are worth nothing, there is nothing to take, and
        // the node can never take stake again.
        assertEq(_slash(op2, 10_000), MINER_MIN);
        assertEq(_slashOwner(op2, 1 ether), 0);
        _fund(dave, MINER_MIN);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodePoolDepleted.selector, op2));
        vm.prank(dave);
        staking.stake(op2, MINER_MIN);
    }

    // ================================================================= fuzz

    /// @notice slashOwnerStake takes exactly min(amount, the owner's stakeOf), all from the active
    ///         pool, whatever the pool's rate (an earlier bps slash), and pays exactly that to the
    ///         caller. Nobody else's rewards or lock moves; the other stakers' stake never falls
    ///         (exactly unchanged at 1:1, up to 1 wei higher off 1:1: the burn rounds up).
    function testFuzz_SlashOwnerStake_TakesMinOfAmountAndOwnerStake(
        uint256 ownerExtra,
        uint256 bobStake,
        uint256 carolStake,
        uint256 unbond,
        uint16 priorBps,
        uint256 amount,
        bool byEscrow
    ) public {
        ownerExtra = bound(ownerExtra, 0, 50_000_000 ether);
        bobStake = bound(bobStake, 1, 50_000_000 ether);
        carolStake = bound(carolStake, 0, 50_000_000 ether);
        unbond = bound(unbond, 0, bobStake);
        if (ownerExtra != 0) _stake(alice, op1, ownerExtra);
        if (ownerExtra > 1) _unstake(alice, op1, ownerExtra / 2); // the owner's own lock
        _stake(bob, op1, bobStake);
        if (carolStake != 0) _stake(carol, op1, carolStake);
        if (unbond != 0) _unstake(bob, op1, unbond);
        _notify(1_000 ether, 1_000);
        skip(500);
        _fees(op1, 777 ether);
        priorBps = uint16(bound(priorBps, 0, 9_999));
        if (priorBps != 0) _slash(op1, priorBps); // moves the pool off 1:1

        uint256 own = staking.stakeOf(op1, alice);
        amount = bound(amount, 1, 2 * own + 2);
        address caller = byEscrow ? escrow : slasher;
        Others memory before = _others();
        NodeView memory v = staking.getNode(op1);
        uint256 balance = cai.balanceOf(address(staking));
        uint256 callerBefore = cai.balanceOf(caller);
        uint256 alicePending = staking.pendingRewards(op1, alice);

        vm.recordLogs();
        vm.prank(caller);
        uint256 slashed = staking.slashOwnerStake(op1, amount, REASON);
        (uint256 fromActive, uint256 fromUnbonding) = _slashedAmounts(vm.getRecordedLogs());

        assertEq(slashed, Math.min(amount, own), "slashed != min(amount, owner's stake)");
        assertEq(fromActive, slashed, "event: active part");
        assertEq(fromUnbonding, 0, "event: unbonding part");
        // Off 1:1 (after a bps slash) the others may gain 1 wei of the burn's rounding, never lose.
        _assertOthersUnchanged(before, priorBps == 0 ? 0 : 1);
        NodeView memory w = staking.getNode(op1);
        assertEq(w.totalStake, v.totalStake - slashed, "active pool");
        assertEq(w.unbondingStake, v.unbondingStake, "unbonding pool");
        // The owner's shares are burnt rounded up: what it keeps may be 1 wei under own - slashed.
        uint256 left = staking.stakeOf(op1, alice);
        assertLe(left, own - slashed, "owner kept more than own - slashed");
        assertGe(left + 1, own - slashed, "owner lost more than 1 wei to rounding");
        // The burnt shares' reward debt is removed rounded down: the owner may lose 1 wei of its
        // earned rewards to rounding (as with an unstake), never gain.
        uint256 alicePendingAfter = staking.pendingRewards(op1, alice);
        assertLe(alicePendingAfter, alicePending, "owner's rewards rose");
        assertGe(alicePendingAfter + 1, alicePending, "owner lost more than 1 wei of rewards");
        assertEq(cai.balanceOf(address(staking)), balance - slashed, "Staking balance");
        assertEq(cai.balanceOf(caller) - callerBefore, slashed, "caller paid");
        assertEq(cai.balanceOf(treasury), 0, "treasury paid");
        assertEq(cai.balanceOf(alice), 0, "owner paid");
        assertLe(
            left + staking.stakeOf(op1, bob) + staking.stakeOf(op1, carol),
            w.totalStake,
            "stakes exceed the active pool"
        );
        assertLe(
            before.aliceLock + before.bobLock + before.carolLock, w.unbondingStake, "locks exceed unbonding"
        );
    }

    /// @notice Through successive slashOwnerStakes (and owner top-ups in between), what stakers and
    ///         locks are worth never exceeds what the node holds, only the owner's stake moves, and
    ///         the tokens taken are exactly the tokens the slasher received.
    function testFuzz_SlashOwnerStake_HoldersNeverExceedNodeTokens(
        uint256 b,
        uint256 c,
        uint256 unbondB,
        uint16 priorBps,
        uint256[3] memory amounts,
        uint256[3] memory topUps
    ) public {
        b = bound(b, 1, 50_000_000 ether);
        c = bound(c, 1, 50_000_000 ether);
        unbondB = bound(unbondB, 0, b);
        _stake(bob, op1, b);
        _stake(carol, op1, c);
        if (unbondB != 0) _unstake(bob, op1, unbondB);
        priorBps = uint16(bound(priorBps, 0, 9_999));
        if (priorBps != 0) _slash(op1, priorBps);
        uint256 balance = cai.balanceOf(address(staking));
        uint256 slasherBefore = cai.balanceOf(slasher);
        uint256 paid;
        uint256 toppedUp;

        for (uint256 i; i < amounts.length; ++i) {
            Others memory before = _others();
            NodeView memory v = staking.getNode(op1);
            uint256 own = staking.stakeOf(op1, alice);
            uint256 amount = bound(amounts[i], 1, own + own / 2 + 1);
            uint256 slashed = _slashOwner(op1, amount);
            paid += slashed;
            assertEq(slashed, Math.min(amount, own), "slashed != min(amount, owner's stake)");
            _assertOthersUnchanged(before, 1);

            NodeView memory w = staking.getNode(op1);
            uint256 left = staking.stakeOf(op1, alice);
            assertEq(w.totalStake, v.totalStake - slashed, "active pool");
            assertLe(left, own - slashed, "owner kept more than own - slashed");
            assertGe(left + 1, own - slashed, "owner lost more than 1 wei to rounding");
            uint256 stakes = left + staking.stakeOf(op1, bob) + staking.stakeOf(op1, carol);
            assertLe(stakes, w.totalStake, "stakes exceed the active pool");
            assertLe(_lockValue(bob), w.unbondingStake, "locks exceed the unbonding pool");
            assertLe(
                stakes + _lockValue(bob), w.totalStake + w.unbondingStake, "holders exceed the node's tokens"
            );

            // The owner restores some stake (a jailed node takes it from its owner only), unless
            // its whole stake went and only the others' dust shares, worth 0 wei, are left: then
            // the pool is depleted (see test_SlashOwnerStake_OwnerStakeGone_DustSharesDepleteThePool).
            uint256 topUp = bound(topUps[i], 0, 2 * MINER_MIN);
            if (topUp != 0) {
                _fund(alice, topUp);
                vm.prank(alice);
                try staking.stake(op1, topUp) {
                    toppedUp += topUp;
                } catch (bytes memory err) {
                    assertEq(err, abi.encodeWithSelector(IStaking.NodePoolDepleted.selector, op1));
                    assertEq(w.totalStake, 0, "depleted with tokens left");
                    assertEq(before.bobStake + before.carolStake, 0, "depleted while others held value");
                    vm.prank(alice);
                    cai.transfer(address(this), topUp);
                }
            }
        }
        assertEq(cai.balanceOf(slasher) - slasherBefore, paid, "slasher received != slashed");
        assertEq(cai.balanceOf(address(staking)), balance + toppedUp - paid, "Staking balance");
    }
}
