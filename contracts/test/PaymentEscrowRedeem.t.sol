// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EscrowFixture} from "./utils/EscrowFixture.sol";
import {PaymentEscrow} from "../src/PaymentEscrow.sol";
import {IPaymentEscrow, Receipt as EscrowReceipt} from "../src/interfaces/IPaymentEscrow.sol";
import {IStaking} from "../src/interfaces/IStaking.sol";
import {NodeView, Status} from "../src/staking/StakingTypes.sol";

/// @notice Unit tests of PaymentEscrow's redemption: redeem (payment, commission split, replays,
///         shortfalls covered from the coordinator owner's own stake only, the H-1 regression,
///         payees, signatures), hashReceipt and redeemBatch.
contract PaymentEscrowRedeemTest is EscrowFixture {
    // ================================================================= redeem

    function test_Redeem_PaysTheMinerNodeFromTheDeposit() public {
        _deposit(app, coordinator, 1_000 ether);
        uint256 stakingBefore = cai.balanceOf(address(staking));
        vm.prank(stranger); // anyone may redeem
        assertEq(_redeem(coordinatorKey, coordinator, miner, 300 ether), 300 ether);
        assertEq(escrow.redeemed(coordinator, miner), 300 ether);
        assertEq(_balanceOf(coordinator), 700 ether);
        assertEq(cai.balanceOf(address(escrow)), 700 ether);
        assertEq(cai.balanceOf(address(staking)), stakingBefore + 300 ether);
        assertEq(cai.balanceOf(stranger), 0);
    }

    function test_Redeem_EmitsRedeemedAndDistributesFees() public {
        _deposit(app, coordinator, 1_000 ether);
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, miner, 300 ether);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.Redeemed(coordinator, miner, 300 ether, 300 ether);
        vm.expectEmit(address(staking));
        emit IStaking.FeesDistributed(miner, address(escrow), 300 ether, 30 ether);
        escrow.redeem(r, sig);
    }

    function test_Redeem_SplitsCommissionAndStakersShare() public {
        address bob = makeAddr("bob");
        _stake(bob, miner, 30_000 ether); // pool: owner 20k + bob 30k
        _deposit(app, coordinator, 1_000 ether);
        _redeem(coordinatorKey, coordinator, miner, 1_000 ether);
        uint256 commission = 1_000 ether * uint256(MINER_COMMISSION) / 10_000;
        uint256 ownerShare = (1_000 ether - commission) * 20_000 / 50_000;
        uint256 bobShare = (1_000 ether - commission) * 30_000 / 50_000;
        assertEq(staking.pendingRewards(miner, minerOwner), commission + ownerShare);
        assertEq(staking.pendingRewards(miner, bob), bobShare);
        assertEq(commission + ownerShare + bobShare, 1_000 ether);
        vm.prank(minerOwner);
        assertEq(staking.claim(miner), commission + ownerShare);
        vm.prank(bob);
        assertEq(staking.claim(miner), bobShare);
        assertEq(cai.balanceOf(minerOwner) + cai.balanceOf(bob), 1_000 ether);
    }

    function test_Redeem_PaysOnlyTheIncrease() public {
        _deposit(app, coordinator, 1_000 ether);
        _redeem(coordinatorKey, coordinator, miner, 300 ether);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.Redeemed(coordinator, miner, 450 ether, 150 ether);
        assertEq(_redeem(coordinatorKey, coordinator, miner, 450 ether), 150 ether);
        assertEq(escrow.redeemed(coordinator, miner), 450 ether);
        assertEq(_balanceOf(coordinator), 550 ether);
    }

    function test_Redeem_ReplayPaysZeroAndChangesNothing() public {
        _deposit(app, coordinator, 1_000 ether);
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, miner, 300 ether);
        escrow.redeem(r, sig);
        uint256 stakingBefore = cai.balanceOf(address(staking));
        vm.recordLogs();
        assertEq(escrow.redeem(r, sig), 0);
        assertEq(vm.getRecordedLogs().length, 0);
        assertEq(escrow.redeemed(coordinator, miner), 300 ether);
        assertEq(_balanceOf(coordinator), 700 ether);
        assertEq(cai.balanceOf(address(staking)), stakingBefore);
    }

    function test_Redeem_OlderReceiptPaysZero() public {
        _deposit(app, coordinator, 1_000 ether);
        (EscrowReceipt memory older, bytes memory olderSig) =
            _receipt(coordinatorKey, coordinator, miner, 200 ether);
        _redeem(coordinatorKey, coordinator, miner, 300 ether);
        assertEq(escrow.redeem(older, olderSig), 0);
        assertEq(escrow.redeemed(coordinator, miner), 300 ether);
        assertEq(_balanceOf(coordinator), 700 ether);
    }

    function test_Redeem_ZeroReceiptPaysZero() public {
        assertEq(_redeem(coordinatorKey, coordinator, miner, 0), 0);
        assertEq(escrow.redeemed(coordinator, miner), 0);
    }

    function test_Redeem_KeepsPairsApart() public {
        _deposit(app, coordinator, 1_000 ether);
        _deposit(app, coordinator2, 1_000 ether);
        _redeem(coordinatorKey, coordinator, miner, 100 ether);
        _redeem(coordinatorKey, coordinator, miner2, 200 ether);
        _redeem(coordinator2Key, coordinator2, miner, 300 ether);
        assertEq(escrow.redeemed(coordinator, miner), 100 ether);
        assertEq(escrow.redeemed(coordinator, miner2), 200 ether);
        assertEq(escrow.redeemed(coordinator2, miner), 300 ether);
        assertEq(escrow.redeemed(coordinator2, miner2), 0);
        assertEq(_balanceOf(coordinator), 700 ether);
        assertEq(_balanceOf(coordinator2), 700 ether);
    }

    function test_Redeem_UsesUnlockingFunds() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 1_000 ether);
        skip(UNLOCK_PERIOD); // still redeemable until withdrawn
        assertEq(_redeem(coordinatorKey, coordinator, miner, 1_000 ether), 1_000 ether);
        assertEq(_stakeOf(coordinator), COORDINATOR_MIN); // no shortfall
    }

    function test_Redeem_DeregisteredCoordinatorsReceiptsStillPay() public {
        _deposit(app, coordinator, 1_000 ether);
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, miner, 400 ether);
        vm.prank(coordOwner);
        staking.deregister(coordinator);
        assertEq(escrow.redeem(r, sig), 400 ether);
        assertEq(_balanceOf(coordinator), 600 ether);
    }

    function test_Redeem_PaysAJailedMiner() public {
        _deposit(app, coordinator, 1_000 ether);
        vm.prank(slasher);
        staking.slash(miner, 100, "evidence");
        assertEq(_redeem(coordinatorKey, coordinator, miner, 100 ether), 100 ether);
    }

    // ----------------------------------------------------------------- shortfall

    /// (b) The deposit pays first; the owner's own stake pays exactly the rest, delegators keep
    /// theirs, and the coordinator is jailed.
    function test_Redeem_ShortfallCoveredFromOwnerStake() public {
        address bob = makeAddr("bob");
        _delegate(bob, coordinator, 1_000_000 ether, 0);
        _deposit(app, coordinator, 100 ether);
        uint256 stakingBefore = cai.balanceOf(address(staking));
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, miner, 300 ether);
        vm.expectEmit(address(staking));
        emit IStaking.Jailed(coordinator, block.timestamp + JAIL);
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(coordinator, address(escrow), 0, 200 ether, 0, escrow.SHORTFALL_REASON());
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.ShortfallCovered(coordinator, miner, 200 ether, 200 ether);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.Redeemed(coordinator, miner, 300 ether, 300 ether);
        vm.expectEmit(address(staking));
        emit IStaking.FeesDistributed(miner, address(escrow), 300 ether, 30 ether);
        assertEq(escrow.redeem(r, sig), 300 ether);

        assertEq(escrow.redeemed(coordinator, miner), 300 ether);
        assertEq(_balanceOf(coordinator), 0);
        assertEq(cai.balanceOf(address(escrow)), 0);
        assertEq(staking.stakeOf(coordinator, coordOwner), COORDINATOR_MIN - 200 ether);
        assertEq(staking.stakeOf(coordinator, bob), 1_000_000 ether);
        NodeView memory v = staking.getNode(coordinator);
        assertEq(v.totalStake, COORDINATOR_MIN + 1_000_000 ether - 200 ether);
        assertEq(uint8(v.status), uint8(Status.Jailed));
        assertEq(v.jailedUntil, block.timestamp + JAIL);
        // the slash left Staking and came back as fees: net +100 (the deposit part)
        assertEq(cai.balanceOf(address(staking)), stakingBefore + 100 ether);
    }

    function test_Redeem_ShortfallNeverTakesUnbondingStake() public {
        address bob = makeAddr("bob");
        uint256 bobLock = _delegate(bob, coordinator, 1_000_000 ether, 500_000 ether);
        uint256 ownerLock = _delegate(coordOwner, coordinator, 100_000 ether, 100_000 ether);
        _redeem(coordinatorKey, coordinator, miner, 300 ether);
        assertEq(staking.stakeOf(coordinator, coordOwner), COORDINATOR_MIN - 300 ether);
        assertEq(_lockAmount(coordOwner, ownerLock), 100_000 ether); // not even the owner's own
        assertEq(staking.stakeOf(coordinator, bob), 500_000 ether);
        assertEq(_lockAmount(bob, bobLock), 500_000 ether);
        assertEq(staking.getNode(coordinator).unbondingStake, 600_000 ether);
        assertEq(escrow.redeemed(coordinator, miner), 300 ether);
    }

    /// (c) The owner's stake runs out while delegators remain: it covers what it can, the
    /// delegators' stake stays, and a later deposit pays the rest without another slash.
    function test_Redeem_ShortfallBeyondOwnerStakeStaysRedeemable() public {
        address bob = makeAddr("bob");
        _delegate(bob, coordinator, 3_000_000 ether, 0);
        uint256 owed = COORDINATOR_MIN + 1_000 ether;
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, miner, owed);
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(coordinator, address(escrow), 0, COORDINATOR_MIN, 0, escrow.SHORTFALL_REASON());
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.ShortfallCovered(coordinator, miner, owed, COORDINATOR_MIN);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.Redeemed(coordinator, miner, owed, COORDINATOR_MIN);
        assertEq(escrow.redeem(r, sig), COORDINATOR_MIN);
        assertEq(escrow.redeemed(coordinator, miner), COORDINATOR_MIN);
        assertEq(staking.stakeOf(coordinator, coordOwner), 0);
        assertEq(staking.stakeOf(coordinator, bob), 3_000_000 ether);
        assertEq(staking.getNode(coordinator).totalStake, 3_000_000 ether);
        assertEq(uint8(_status(coordinator)), uint8(Status.Jailed));

        _deposit(app, coordinator, 1_500 ether);
        vm.recordLogs();
        assertEq(escrow.redeem(r, sig), 1_000 ether);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(_shortfalls(logs), 0);
        assertEq(_stakingEvents(logs, SLASHED), 0);
        assertEq(_stakingEvents(logs, JAILED), 0);
        assertEq(escrow.redeemed(coordinator, miner), owed);
        assertEq(_balanceOf(coordinator), 500 ether);
        assertEq(staking.stakeOf(coordinator, bob), 3_000_000 ether);
    }

    /// (a) Security finding H-1. A coordinator holds 2M of its owner's stake and 3M of
    /// delegators' (plus 0.5M unbonding); its operator key signs the owner's own miner a receipt
    /// for the deposit + 5M. The miner gets the deposit + the owner's 2M, not a wei of the
    /// delegators' stake or locks; the owner ends with exactly what it had; the 3M left stays
    /// owed (booked only as it is paid) for a later deposit.
    function test_Redeem_H1_OperatorCannotPayDelegatedStakeToItsOwnersMiner() public {
        address alice = makeAddr("alice");
        address bob = makeAddr("bob");
        _delegate(alice, coordinator, 2_000_000 ether, 0);
        uint256 bobLock = _delegate(bob, coordinator, 1_500_000 ether, 500_000 ether);
        address ownersMiner = makeAddr("ownersMinerOperator");
        _registerMiner(coordOwner, ownersMiner, MINER_MIN, 10_000); // 100% commission
        uint256 dep = 100_000 ether;
        _deposit(coordOwner, coordinator, dep);
        uint256 ownerWealth = _wealthOf(coordOwner, coordinator, ownersMiner);
        uint256 owed = dep + 5_000_000 ether;

        vm.recordLogs();
        assertEq(_redeem(coordinatorKey, coordinator, ownersMiner, owed), dep + COORDINATOR_MIN);
        (uint256 toMiner,) = _feesTo(vm.getRecordedLogs(), ownersMiner);
        assertEq(toMiner, dep + COORDINATOR_MIN);
        assertEq(escrow.redeemed(coordinator, ownersMiner), dep + COORDINATOR_MIN);
        // the delegators lost nothing, active or unbonding
        assertEq(staking.stakeOf(coordinator, alice), 2_000_000 ether);
        assertEq(staking.stakeOf(coordinator, bob), 1_000_000 ether);
        assertEq(_lockAmount(bob, bobLock), 500_000 ether);
        NodeView memory v = staking.getNode(coordinator);
        assertEq(v.totalStake, 3_000_000 ether);
        assertEq(v.unbondingStake, 500_000 ether);
        // the owner swapped its deposit and stake for as many fees: it gained nothing
        assertEq(staking.stakeOf(coordinator, coordOwner), 0);
        assertEq(_wealthOf(coordOwner, coordinator, ownersMiner), ownerWealth);

        // replaying takes nothing more from anyone
        assertEq(_redeem(coordinatorKey, coordinator, ownersMiner, owed), 0);
        assertEq(staking.getNode(coordinator).totalStake, 3_000_000 ether);
        // the 3M left is paid from the next deposit
        _deposit(app, coordinator, 3_000_000 ether);
        assertEq(_redeem(coordinatorKey, coordinator, ownersMiner, owed), 3_000_000 ether);
        assertEq(escrow.redeemed(coordinator, ownersMiner), owed);
        assertEq(staking.getNode(coordinator).totalStake, 3_000_000 ether);
    }

    /// H-1, continued: after the attack the delegators take all of their stake back.
    function test_Redeem_H1_DelegatorsWithdrawInFullAfterTheAttack() public {
        address alice = makeAddr("alice");
        address bob = makeAddr("bob");
        _delegate(alice, coordinator, 2_000_000 ether, 0);
        uint256 bobLock = _delegate(bob, coordinator, 1_500_000 ether, 500_000 ether);
        _redeem(coordinatorKey, coordinator, miner2, 5_000_000 ether);
        uint256[] memory ids = new uint256[](1);
        vm.prank(alice);
        ids[0] = staking.unstake(coordinator, 2_000_000 ether);
        skip(UNBONDING);
        vm.prank(alice);
        assertEq(staking.withdraw(ids), 2_000_000 ether);
        vm.prank(bob);
        ids[0] = staking.unstake(coordinator, 1_000_000 ether);
        skip(UNBONDING);
        uint256[] memory bobIds = new uint256[](2);
        (bobIds[0], bobIds[1]) = (bobLock, ids[0]);
        vm.prank(bob);
        assertEq(staking.withdraw(bobIds), 1_500_000 ether);
        assertEq(cai.balanceOf(alice), 2_000_000 ether);
        assertEq(cai.balanceOf(bob), 1_500_000 ether);
    }

    /// The coordinator is jailed (its jail restarted) even when the owner has nothing left to take.
    function test_Redeem_ShortfallWithNoOwnerStakeLeftPaysZeroAndRestartsTheJail() public {
        address bob = makeAddr("bob");
        _delegate(bob, coordinator, 1_000_000 ether, 0);
        _redeem(coordinatorKey, coordinator, miner, COORDINATOR_MIN); // takes all of the owner's
        skip(JAIL / 2);
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, miner2, 10 ether);
        vm.expectEmit(address(staking));
        emit IStaking.Jailed(coordinator, block.timestamp + JAIL);
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(coordinator, address(escrow), 0, 0, 0, escrow.SHORTFALL_REASON());
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.ShortfallCovered(coordinator, miner2, 10 ether, 0);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.Redeemed(coordinator, miner2, 10 ether, 0);
        vm.recordLogs();
        assertEq(escrow.redeem(r, sig), 0);
        (, uint256 distributions) = _feesTo(vm.getRecordedLogs(), miner2);
        assertEq(distributions, 0);
        assertEq(escrow.redeemed(coordinator, miner2), 0);
        assertEq(staking.stakeOf(coordinator, bob), 1_000_000 ether);
        assertEq(staking.getNode(coordinator).jailedUntil, block.timestamp + JAIL);
    }

    function test_Redeem_ShortfallAfterADisputeSlashTakesWhatTheOwnerHasLeft() public {
        vm.prank(slasher);
        staking.slash(coordinator, 1_000, "evidence"); // 10%: 1.8M left, jailed
        skip(1 hours);
        uint256 left = COORDINATOR_MIN * 9 / 10;
        assertEq(_redeem(coordinatorKey, coordinator, miner, COORDINATOR_MIN), left);
        assertEq(escrow.redeemed(coordinator, miner), left);
        assertEq(staking.stakeOf(coordinator, coordOwner), 0);
        assertEq(staking.getNode(coordinator).jailedUntil, block.timestamp + JAIL);
    }

    function test_Redeem_ShortfallOfDeregisteredCoordinatorTakesOwnerStakeWithoutJail() public {
        vm.prank(coordOwner);
        staking.deregister(coordinator); // the owner's stake is still active
        vm.recordLogs();
        assertEq(_redeem(coordinatorKey, coordinator, miner, 100 ether), 100 ether);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(_stakingEvents(logs, SLASHED), 1);
        assertEq(_stakingEvents(logs, JAILED), 0);
        assertEq(staking.stakeOf(coordinator, coordOwner), COORDINATOR_MIN - 100 ether);
        assertEq(uint8(_status(coordinator)), uint8(Status.Deregistered));
    }

    /// (d) Known limit: once the owner has deregistered and unstaked, its stake is unbonding and
    /// out of the escrow's reach (as the delegators' is): the receipt pays 0 and stays owed, and
    /// the owner withdraws its stake after the unbonding period.
    function test_Redeem_ShortfallCannotReachOwnerStakeUnbondingAfterDeregistration() public {
        address bob = makeAddr("bob");
        _delegate(bob, coordinator, 1_000_000 ether, 0);
        vm.startPrank(coordOwner);
        staking.deregister(coordinator);
        uint256 lockId = staking.unstake(coordinator, COORDINATOR_MIN);
        vm.stopPrank();
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, miner, 100 ether);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.ShortfallCovered(coordinator, miner, 100 ether, 0);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.Redeemed(coordinator, miner, 100 ether, 0);
        assertEq(escrow.redeem(r, sig), 0);
        assertEq(escrow.redeemed(coordinator, miner), 0);
        assertEq(_lockAmount(coordOwner, lockId), COORDINATOR_MIN);
        assertEq(staking.stakeOf(coordinator, bob), 1_000_000 ether);
        assertEq(staking.getNode(coordinator).unbondingStake, COORDINATOR_MIN);
        assertEq(uint8(_status(coordinator)), uint8(Status.Deregistered));

        skip(UNBONDING);
        uint256[] memory ids = new uint256[](1);
        ids[0] = lockId;
        vm.prank(coordOwner);
        assertEq(staking.withdraw(ids), COORDINATOR_MIN);
    }

    function test_Redeem_RevertsWhenAMinerKeySignsAsCoordinator() public {
        uint256 minerStake = _stakeOf(miner);
        (EscrowReceipt memory r, bytes memory sig) = _receipt(minerKey, miner, miner2, 100 ether);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NotACoordinator.selector, miner));
        escrow.redeem(r, sig);
        assertEq(_stakeOf(miner), minerStake);
        assertEq(uint8(_status(miner)), uint8(Status.Active));
        assertEq(escrow.redeemed(miner, miner2), 0);
    }

    function test_Redeem_RevertsWhenAnUnknownKeySignsAsCoordinator() public {
        (address rogue, uint256 rogueKey) = makeAddrAndKey("rogue");
        (EscrowReceipt memory r, bytes memory sig) = _receipt(rogueKey, rogue, miner, 100 ether);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NotACoordinator.selector, rogue));
        escrow.redeem(r, sig);
    }

    // ----------------------------------------------------------------- payee

    function test_Redeem_RevertsWhenThePayeeIsACoordinator() public {
        _deposit(app, coordinator, 1_000 ether);
        (EscrowReceipt memory r, bytes memory sig) =
            _receipt(coordinatorKey, coordinator, coordinator2, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NotAMiner.selector, coordinator2));
        escrow.redeem(r, sig);
    }

    /// (e) An address that is no node at all.
    function test_Redeem_UnknownMinerRevertsNotAMinerAndBooksNothing() public {
        _deposit(app, coordinator, 1_000 ether);
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, stranger, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NotAMiner.selector, stranger));
        escrow.redeem(r, sig);
        assertEq(escrow.redeemed(coordinator, stranger), 0);
        assertEq(_balanceOf(coordinator), 1_000 ether);
        assertEq(cai.balanceOf(address(escrow)), 1_000 ether);
    }

    function test_Redeem_UnknownMinerWithAShortfallRevertsAndSlashesNothing() public {
        _deposit(app, coordinator, 100 ether);
        (EscrowReceipt memory r, bytes memory sig) =
            _receipt(coordinatorKey, coordinator, stranger, 300 ether);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NotAMiner.selector, stranger));
        escrow.redeem(r, sig);
        assertEq(escrow.redeemed(coordinator, stranger), 0);
        assertEq(_balanceOf(coordinator), 100 ether);
        assertEq(staking.stakeOf(coordinator, coordOwner), COORDINATOR_MIN);
        assertEq(uint8(_status(coordinator)), uint8(Status.Active));
    }

    /// A receipt that pays nothing reaches no payee, so it is not checked: one to an unknown
    /// address from a coordinator with neither deposit nor owner stake only books the shortfall
    /// (0 covered) and the jail, which its own key could cause with any receipt anyway.
    function test_Redeem_UnpayableReceiptToAnUnknownAddressReachesNoPayee() public {
        _redeem(coordinatorKey, coordinator, miner, COORDINATOR_MIN); // no deposit, no owner stake left
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, stranger, 1 ether);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.ShortfallCovered(coordinator, stranger, 1 ether, 0);
        assertEq(escrow.redeem(r, sig), 0);
        assertEq(escrow.redeemed(coordinator, stranger), 0);
    }

    function test_Redeem_PaysADeregisteredMiner() public {
        _deposit(app, coordinator, 1_000 ether);
        vm.prank(miner2Owner);
        staking.deregister(miner2);
        assertEq(_redeem(coordinatorKey, coordinator, miner2, 100 ether), 100 ether);
        assertEq(staking.pendingRewards(miner2, miner2Owner), 100 ether);
    }

    // ----------------------------------------------------------------- signatures

    function test_Redeem_RevertsOnWrongKey() public {
        _deposit(app, coordinator, 1_000 ether);
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinator2Key, coordinator, miner, 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.InvalidSigner.selector, coordinator2, coordinator)
        );
        escrow.redeem(r, sig);
    }

    function test_Redeem_RevertsOnTamperedAmount() public {
        _deposit(app, coordinator, 1_000 ether);
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, miner, 1 ether);
        r.cumulativeAmount = 2 ether;
        _expectInvalidSigner(r, sig);
        escrow.redeem(r, sig);
    }

    function test_Redeem_RevertsOnTamperedMiner() public {
        _deposit(app, coordinator, 1_000 ether);
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, miner, 1 ether);
        r.miner = miner2;
        _expectInvalidSigner(r, sig);
        escrow.redeem(r, sig);
    }

    function test_Redeem_RevertsOnTamperedCoordinator() public {
        _deposit(app, coordinator2, 1_000 ether);
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, miner, 1 ether);
        r.coordinator = coordinator2;
        _expectInvalidSigner(r, sig);
        escrow.redeem(r, sig);
    }

    function test_Redeem_RevertsOnSignatureForAnotherChain() public {
        _deposit(app, coordinator, 1_000 ether);
        uint256 home = block.chainid;
        EscrowReceipt memory r = EscrowReceipt(coordinator, miner, 1 ether);
        vm.chainId(home + 1);
        bytes memory sig = _sign(coordinatorKey, escrow.hashReceipt(r));
        vm.chainId(home);
        _expectInvalidSigner(r, sig);
        escrow.redeem(r, sig);
    }

    function test_Redeem_RevertsOnSignatureForAnotherEscrow() public {
        _deposit(app, coordinator, 1_000 ether);
        PaymentEscrow other = new PaymentEscrow(staking, admin, UNLOCK_PERIOD);
        EscrowReceipt memory r = EscrowReceipt(coordinator, miner, 1 ether);
        bytes memory sig = _sign(coordinatorKey, other.hashReceipt(r));
        _expectInvalidSigner(r, sig);
        escrow.redeem(r, sig);
    }

    function test_Redeem_RevertsOnHighS() public {
        _deposit(app, coordinator, 1_000 ether);
        EscrowReceipt memory r = EscrowReceipt(coordinator, miner, 1 ether);
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(coordinatorKey, escrow.hashReceipt(r));
        bytes32 highS = bytes32(SECP256K1_N - uint256(s)); // the same signature, malleated
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, highS));
        escrow.redeem(r, abi.encodePacked(rr, highS, v == 27 ? uint8(28) : uint8(27)));
    }

    function test_Redeem_RevertsOnCompactSignature() public {
        EscrowReceipt memory r = EscrowReceipt(coordinator, miner, 1 ether);
        (bytes32 rr, bytes32 vs) = vm.signCompact(coordinatorKey, escrow.hashReceipt(r));
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, 64));
        escrow.redeem(r, abi.encodePacked(rr, vs));
    }

    function test_Redeem_RevertsOnEmptySignature() public {
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, 0));
        escrow.redeem(EscrowReceipt(coordinator, miner, 1 ether), "");
    }

    function test_Redeem_RevertsOnInvalidV() public {
        EscrowReceipt memory r = EscrowReceipt(coordinator, miner, 1 ether);
        (, bytes32 rr, bytes32 s) = vm.sign(coordinatorKey, escrow.hashReceipt(r));
        vm.expectRevert(ECDSA.ECDSAInvalidSignature.selector);
        escrow.redeem(r, abi.encodePacked(rr, s, uint8(29)));
    }

    function test_Redeem_RevertsOnZeroR() public {
        EscrowReceipt memory r = EscrowReceipt(coordinator, miner, 1 ether);
        (uint8 v,, bytes32 s) = vm.sign(coordinatorKey, escrow.hashReceipt(r));
        vm.expectRevert(ECDSA.ECDSAInvalidSignature.selector);
        escrow.redeem(r, abi.encodePacked(bytes32(0), s, v));
    }

    function test_Redeem_ChecksTheSignatureOfOldReceiptsToo() public {
        _deposit(app, coordinator, 1_000 ether);
        _redeem(coordinatorKey, coordinator, miner, 300 ether);
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinator2Key, coordinator, miner, 100 ether);
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.InvalidSigner.selector, coordinator2, coordinator)
        );
        escrow.redeem(r, sig);
    }

    function test_HashReceipt_IsTheEIP712Digest() public view {
        EscrowReceipt memory r = EscrowReceipt(coordinator, miner, 123 ether);
        bytes32 domain = _roostDomainSeparator(address(escrow));
        bytes32 structHash = keccak256(abi.encode(escrow.RECEIPT_TYPEHASH(), coordinator, miner, 123 ether));
        assertEq(escrow.hashReceipt(r), keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
    }

    // ================================================================= redeemBatch

    function test_RedeemBatch_PaysEveryReceipt() public {
        _deposit(app, coordinator, 1_000 ether);
        _deposit(app, coordinator2, 1_000 ether);
        EscrowReceipt[] memory rs = new EscrowReceipt[](3);
        bytes[] memory sigs = new bytes[](3);
        (rs[0], sigs[0]) = _receipt(coordinatorKey, coordinator, miner, 100 ether);
        (rs[1], sigs[1]) = _receipt(coordinator2Key, coordinator2, miner, 200 ether);
        (rs[2], sigs[2]) = _receipt(coordinatorKey, coordinator, miner2, 300 ether);
        vm.prank(stranger);
        assertEq(escrow.redeemBatch(rs, sigs), 600 ether);
        assertEq(escrow.redeemed(coordinator, miner), 100 ether);
        assertEq(escrow.redeemed(coordinator2, miner), 200 ether);
        assertEq(escrow.redeemed(coordinator, miner2), 300 ether);
        assertEq(_balanceOf(coordinator), 600 ether);
        assertEq(_balanceOf(coordinator2), 800 ether);
    }

    function test_RedeemBatch_DistributesOncePerRunOfOneMiner() public {
        _deposit(app, coordinator, 1_000 ether);
        _deposit(app, coordinator2, 1_000 ether);
        EscrowReceipt[] memory rs = new EscrowReceipt[](4);
        bytes[] memory sigs = new bytes[](4);
        (rs[0], sigs[0]) = _receipt(coordinatorKey, coordinator, miner, 100 ether);
        (rs[1], sigs[1]) = _receipt(coordinator2Key, coordinator2, miner, 200 ether);
        (rs[2], sigs[2]) = _receipt(coordinatorKey, coordinator, miner2, 300 ether);
        (rs[3], sigs[3]) = _receipt(coordinator2Key, coordinator2, miner, 250 ether);
        vm.recordLogs();
        vm.expectEmit(address(staking));
        emit IStaking.FeesDistributed(miner, address(escrow), 300 ether, 30 ether);
        vm.expectEmit(address(staking));
        emit IStaking.FeesDistributed(miner2, address(escrow), 300 ether, 0);
        vm.expectEmit(address(staking));
        emit IStaking.FeesDistributed(miner, address(escrow), 50 ether, 5 ether);
        assertEq(escrow.redeemBatch(rs, sigs), 650 ether);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        (uint256 toMiner, uint256 n) = _feesTo(logs, miner);
        (uint256 toMiner2, uint256 n2) = _feesTo(logs, miner2);
        assertEq(toMiner, 350 ether);
        assertEq(n, 2);
        assertEq(toMiner2, 300 ether);
        assertEq(n2, 1);
        assertEq(escrow.redeemed(coordinator2, miner), 250 ether);
    }

    function test_RedeemBatch_SamePairTwicePaysTheIncrease() public {
        _deposit(app, coordinator, 1_000 ether);
        EscrowReceipt[] memory rs = new EscrowReceipt[](3);
        bytes[] memory sigs = new bytes[](3);
        (rs[0], sigs[0]) = _receipt(coordinatorKey, coordinator, miner, 100 ether);
        (rs[1], sigs[1]) = _receipt(coordinatorKey, coordinator, miner, 400 ether);
        (rs[2], sigs[2]) = (rs[0], sigs[0]); // replayed within the batch
        assertEq(escrow.redeemBatch(rs, sigs), 400 ether);
        assertEq(escrow.redeemed(coordinator, miner), 400 ether);
    }

    function test_RedeemBatch_EmptyPaysZero() public {
        vm.recordLogs();
        assertEq(escrow.redeemBatch(new EscrowReceipt[](0), new bytes[](0)), 0);
        assertEq(vm.getRecordedLogs().length, 0);
    }

    function test_RedeemBatch_CoversShortfallsFromOwnerStake() public {
        address bob = makeAddr("bob");
        _delegate(bob, coordinator, 1_000_000 ether, 0);
        _deposit(app, coordinator, 100 ether);
        EscrowReceipt[] memory rs = new EscrowReceipt[](2);
        bytes[] memory sigs = new bytes[](2);
        (rs[0], sigs[0]) = _receipt(coordinatorKey, coordinator, miner, 80 ether);
        (rs[1], sigs[1]) = _receipt(coordinatorKey, coordinator, miner2, 70 ether);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.ShortfallCovered(coordinator, miner2, 50 ether, 50 ether);
        assertEq(escrow.redeemBatch(rs, sigs), 150 ether);
        assertEq(staking.stakeOf(coordinator, coordOwner), COORDINATOR_MIN - 50 ether);
        assertEq(staking.stakeOf(coordinator, bob), 1_000_000 ether);
        assertEq(cai.balanceOf(address(escrow)), 0);
    }

    /// Shortfalls of one coordinator in one batch draw on the same owner stake, in order.
    function test_RedeemBatch_ShortfallsShareTheOwnerStake() public {
        address bob = makeAddr("bob");
        _delegate(bob, coordinator, 1_000_000 ether, 0);
        EscrowReceipt[] memory rs = new EscrowReceipt[](2);
        bytes[] memory sigs = new bytes[](2);
        (rs[0], sigs[0]) = _receipt(coordinatorKey, coordinator, miner, 1_500_000 ether);
        (rs[1], sigs[1]) = _receipt(coordinatorKey, coordinator, miner2, 1_000_000 ether);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.ShortfallCovered(coordinator, miner, 1_500_000 ether, 1_500_000 ether);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.ShortfallCovered(coordinator, miner2, 1_000_000 ether, 500_000 ether);
        assertEq(escrow.redeemBatch(rs, sigs), COORDINATOR_MIN);
        assertEq(escrow.redeemed(coordinator, miner), 1_500_000 ether);
        assertEq(escrow.redeemed(coordinator, miner2), 500_000 ether);
        assertEq(staking.stakeOf(coordinator, coordOwner), 0);
        assertEq(staking.stakeOf(coordinator, bob), 1_000_000 ether);
    }

    function test_RedeemBatch_RevertsOnLengthMismatch() public {
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, miner, 1 ether);
        (EscrowReceipt[] memory rs,) = _one(r, sig);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.LengthMismatch.selector, 1, 2));
        escrow.redeemBatch(rs, new bytes[](2));
    }

    function test_RedeemBatch_RevertsWholeOnOneBadSignature() public {
        _deposit(app, coordinator, 1_000 ether);
        EscrowReceipt[] memory rs = new EscrowReceipt[](2);
        bytes[] memory sigs = new bytes[](2);
        (rs[0], sigs[0]) = _receipt(coordinatorKey, coordinator, miner, 100 ether);
        (rs[1], sigs[1]) = _receipt(minerKey, coordinator, miner2, 100 ether);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.InvalidSigner.selector, miner, coordinator));
        escrow.redeemBatch(rs, sigs);
        assertEq(escrow.redeemed(coordinator, miner), 0);
        assertEq(_balanceOf(coordinator), 1_000 ether);
    }

    function test_RedeemBatch_RevertsWhenAPayeeIsNotAMiner() public {
        _deposit(app, coordinator, 1_000 ether);
        EscrowReceipt[] memory rs = new EscrowReceipt[](2);
        bytes[] memory sigs = new bytes[](2);
        (rs[0], sigs[0]) = _receipt(coordinatorKey, coordinator, miner, 100 ether);
        (rs[1], sigs[1]) = _receipt(coordinatorKey, coordinator, coordinator2, 100 ether);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NotAMiner.selector, coordinator2));
        escrow.redeemBatch(rs, sigs);
    }

    function test_RedeemBatch_RevertsWholeOnAnUnknownMiner() public {
        _deposit(app, coordinator, 1_000 ether);
        EscrowReceipt[] memory rs = new EscrowReceipt[](2);
        bytes[] memory sigs = new bytes[](2);
        (rs[0], sigs[0]) = _receipt(coordinatorKey, coordinator, miner, 100 ether);
        (rs[1], sigs[1]) = _receipt(coordinatorKey, coordinator, stranger, 100 ether);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NotAMiner.selector, stranger));
        escrow.redeemBatch(rs, sigs);
        assertEq(escrow.redeemed(coordinator, miner), 0);
        assertEq(_balanceOf(coordinator), 1_000 ether);
    }

    /// All or none: a bad receipt after a shortfall undoes the slash and the jail too.
    function test_RedeemBatch_RevertsWholeUndoingAShortfallSlash() public {
        EscrowReceipt[] memory rs = new EscrowReceipt[](2);
        bytes[] memory sigs = new bytes[](2);
        (rs[0], sigs[0]) = _receipt(coordinatorKey, coordinator, miner, 100 ether);
        (rs[1], sigs[1]) = _receipt(coordinator2Key, coordinator, miner2, 100 ether);
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.InvalidSigner.selector, coordinator2, coordinator)
        );
        escrow.redeemBatch(rs, sigs);
        assertEq(escrow.redeemed(coordinator, miner), 0);
        assertEq(staking.stakeOf(coordinator, coordOwner), COORDINATOR_MIN);
        assertEq(uint8(_status(coordinator)), uint8(Status.Active));
    }

    function test_RedeemBatch_RevertsWhenAMinerKeySignsAsCoordinator() public {
        (EscrowReceipt memory r, bytes memory sig) = _receipt(minerKey, miner, miner2, 1 ether);
        (EscrowReceipt[] memory rs, bytes[] memory sigs) = _one(r, sig);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NotACoordinator.selector, miner));
        escrow.redeemBatch(rs, sigs);
    }

    // ================================================================= helpers

    /// @dev A tampered receipt recovers to some unrelated address: expect exactly that one.
    function _expectInvalidSigner(EscrowReceipt memory r, bytes memory sig) internal {
        address recovered = ECDSA.recover(escrow.hashReceipt(r), sig);
        assertTrue(recovered != r.coordinator);
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.InvalidSigner.selector, recovered, r.coordinator)
        );
    }
}
