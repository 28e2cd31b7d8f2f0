// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {EscrowFixture} from "./utils/EscrowFixture.sol";
import {PaymentEscrow} from "../src/PaymentEscrow.sol";
import {IPaymentEscrow} from "../src/interfaces/IPaymentEscrow.sol";
import {IStaking} from "../src/interfaces/IStaking.sol";
import {Status} from "../src/staking/StakingTypes.sol";

/// @notice Unit tests of PaymentEscrow's deposits: constructor, deposit, unlock, withdraw and the
///         admin's setUnlockPeriod. Redemption is in PaymentEscrowRedeem.t.sol.
contract PaymentEscrowTest is EscrowFixture {
    // ================================================================= constructor

    function test_Constructor_SetsState() public view {
        assertEq(address(escrow.staking()), address(staking));
        assertEq(address(escrow.token()), address(cai));
        assertEq(escrow.unlockPeriod(), UNLOCK_PERIOD);
        assertTrue(escrow.hasRole(escrow.DEFAULT_ADMIN_ROLE(), admin));
        assertFalse(escrow.hasRole(escrow.DEFAULT_ADMIN_ROLE(), address(this)));
        assertEq(cai.allowance(address(escrow), address(staking)), type(uint256).max);
        assertEq(
            escrow.RECEIPT_TYPEHASH(),
            keccak256("Receipt(address coordinator,address miner,uint256 cumulativeAmount)")
        );
        assertEq(escrow.SHORTFALL_REASON(), bytes32("escrow-shortfall"));
        assertEq(escrow.MAX_PERIOD(), 365 days);
        (, string memory name, string memory version, uint256 chainId, address verifying,,) =
            escrow.eip712Domain();
        assertEq(name, "Roost");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifying, address(escrow));
    }

    function test_Constructor_EmitsUnlockPeriodSet() public {
        vm.expectEmit(true, true, true, true);
        emit IPaymentEscrow.UnlockPeriodSet(3 days);
        new PaymentEscrow(staking, admin, 3 days);
    }

    function test_Constructor_RevertsOnZeroStaking() public {
        vm.expectRevert(IPaymentEscrow.ZeroAddress.selector);
        new PaymentEscrow(IStaking(address(0)), admin, UNLOCK_PERIOD);
    }

    function test_Constructor_RevertsOnZeroAdmin() public {
        vm.expectRevert(IPaymentEscrow.ZeroAddress.selector);
        new PaymentEscrow(staking, address(0), UNLOCK_PERIOD);
    }

    function test_Constructor_RevertsOnPeriodTooLong() public {
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.PeriodTooLong.selector, 365 days + 1, 365 days));
        new PaymentEscrow(staking, admin, 365 days + 1);
    }

    // ================================================================= deposit

    function test_Deposit_CreditsAccountAndPullsTokens() public {
        _deposit(app, coordinator, 1_000 ether);
        (uint256 balance, uint256 unlocking, uint256 unlockAt) = escrow.accountOf(coordinator);
        assertEq(balance, 1_000 ether);
        assertEq(unlocking + unlockAt, 0);
        assertEq(cai.balanceOf(address(escrow)), 1_000 ether);
        assertEq(cai.balanceOf(app), 0);
    }

    function test_Deposit_EmitsDeposited() public {
        cai.transfer(app, 1_000 ether);
        vm.startPrank(app);
        cai.approve(address(escrow), 1_000 ether);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.Deposited(coordinator, app, 1_000 ether);
        escrow.deposit(coordinator, 1_000 ether);
        vm.stopPrank();
    }

    function test_Deposit_AddsUpFromSeveralDepositors() public {
        _deposit(app, coordinator, 1_000 ether);
        _deposit(coordOwner, coordinator, 500 ether);
        _deposit(app, coordinator2, 7 ether);
        assertEq(_balanceOf(coordinator), 1_500 ether);
        assertEq(_balanceOf(coordinator2), 7 ether);
        assertEq(cai.balanceOf(address(escrow)), 1_507 ether);
    }

    function test_Deposit_AcceptsJailedCoordinator() public {
        vm.prank(slasher);
        staking.slash(coordinator, 100, "evidence");
        assertEq(uint8(_status(coordinator)), uint8(Status.Jailed));
        _deposit(app, coordinator, 1 ether);
        assertEq(_balanceOf(coordinator), 1 ether);
    }

    /// A shortfall jails the coordinator; a new deposit for it is what pays the rest it owes.
    function test_Deposit_AcceptsCoordinatorJailedByAShortfall() public {
        _redeem(coordinatorKey, coordinator, miner, COORDINATOR_MIN + 1 ether); // owner stake runs out
        assertEq(uint8(_status(coordinator)), uint8(Status.Jailed));
        _deposit(app, coordinator, 1 ether);
        assertEq(_balanceOf(coordinator), 1 ether);
    }

    function test_Deposit_AcceptsDeregisteredCoordinator() public {
        vm.prank(coordOwner);
        staking.deregister(coordinator);
        _deposit(app, coordinator, 1 ether);
        assertEq(_balanceOf(coordinator), 1 ether);
    }

    function test_Deposit_RevertsOnZeroAmount() public {
        vm.expectRevert(IPaymentEscrow.ZeroAmount.selector);
        escrow.deposit(coordinator, 0);
    }

    function test_Deposit_RevertsForMiner() public {
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NotACoordinator.selector, miner));
        escrow.deposit(miner, 1 ether);
    }

    function test_Deposit_RevertsForUnknownOperator() public {
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NotACoordinator.selector, stranger));
        escrow.deposit(stranger, 1 ether);
    }

    // ================================================================= unlock

    function test_Unlock_StartsTheClock() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 400 ether);
        (uint256 balance, uint256 unlocking, uint256 unlockAt) = escrow.accountOf(coordinator);
        assertEq(balance, 1_000 ether); // unlocking funds stay in the deposit
        assertEq(unlocking, 400 ether);
        assertEq(unlockAt, block.timestamp + UNLOCK_PERIOD);
    }

    function test_Unlock_EmitsUnlockRequested() public {
        _deposit(app, coordinator, 1_000 ether);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.UnlockRequested(coordinator, 400 ether, block.timestamp + UNLOCK_PERIOD);
        _unlock(coordOwner, coordinator, 400 ether);
    }

    function test_Unlock_AddsAndRestartsTheClock() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 400 ether);
        skip(1 days);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.UnlockRequested(coordinator, 1_000 ether, block.timestamp + UNLOCK_PERIOD);
        _unlock(coordOwner, coordinator, 600 ether);
        (, uint256 unlocking, uint256 unlockAt) = escrow.accountOf(coordinator);
        assertEq(unlocking, 1_000 ether);
        assertEq(unlockAt, block.timestamp + UNLOCK_PERIOD);
    }

    function test_Unlock_UsesTheCurrentPeriod() public {
        _deposit(app, coordinator, 1_000 ether);
        vm.prank(admin);
        escrow.setUnlockPeriod(5 days);
        _unlock(coordOwner, coordinator, 1 ether);
        (,, uint256 unlockAt) = escrow.accountOf(coordinator);
        assertEq(unlockAt, block.timestamp + 5 days);
    }

    function test_Unlock_RevertsOnZeroAmount() public {
        _deposit(app, coordinator, 1_000 ether);
        vm.expectRevert(IPaymentEscrow.ZeroAmount.selector);
        _unlock(coordOwner, coordinator, 0);
    }

    function test_Unlock_RevertsForOperatorKey() public {
        _deposit(app, coordinator, 1_000 ether);
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.NotCoordinatorOwner.selector, coordinator, coordinator)
        );
        _unlock(coordinator, coordinator, 1 ether);
    }

    function test_Unlock_RevertsForStranger() public {
        _deposit(stranger, coordinator, 1_000 ether); // even the depositor
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.NotCoordinatorOwner.selector, coordinator, stranger)
        );
        _unlock(stranger, coordinator, 1 ether);
    }

    function test_Unlock_RevertsForAnotherCoordinatorsOwner() public {
        _deposit(app, coordinator, 1_000 ether);
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.NotCoordinatorOwner.selector, coordinator, coord2Owner)
        );
        _unlock(coord2Owner, coordinator, 1 ether);
    }

    function test_Unlock_RevertsForUnknownOperator() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotFound.selector, stranger));
        _unlock(coordOwner, stranger, 1 ether);
    }

    function test_Unlock_RevertsBeyondTheDeposit() public {
        _deposit(app, coordinator, 1_000 ether);
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.InsufficientDeposit.selector, 1_000 ether + 1, 1_000 ether)
        );
        _unlock(coordOwner, coordinator, 1_000 ether + 1);
    }

    function test_Unlock_RevertsBeyondWhatIsNotUnlockingYet() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 700 ether);
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.InsufficientDeposit.selector, 300 ether + 1, 300 ether)
        );
        _unlock(coordOwner, coordinator, 300 ether + 1);
    }

    function test_Unlock_RevertsWhenRedemptionsTookTheUnlockingFunds() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 700 ether);
        _redeem(coordinatorKey, coordinator, miner, 500 ether); // balance 500 < unlocking 700
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.InsufficientDeposit.selector, 1, 0));
        _unlock(coordOwner, coordinator, 1);
    }

    // ================================================================= withdraw

    function test_Withdraw_PaysTheOwnerAfterThePeriod() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 400 ether);
        skip(UNLOCK_PERIOD);
        assertEq(_withdrawDeposit(coordOwner, coordinator), 400 ether);
        assertEq(cai.balanceOf(coordOwner), 400 ether);
        assertEq(cai.balanceOf(address(escrow)), 600 ether);
        (uint256 balance, uint256 unlocking, uint256 unlockAt) = escrow.accountOf(coordinator);
        assertEq(balance, 600 ether);
        assertEq(unlocking + unlockAt, 0);
    }

    function test_Withdraw_EmitsWithdrawn() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 400 ether);
        skip(UNLOCK_PERIOD);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.Withdrawn(coordinator, coordOwner, 400 ether);
        _withdrawDeposit(coordOwner, coordinator);
    }

    function test_Withdraw_RevertsBeforeUnlockAt() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 400 ether);
        uint256 unlockAt = block.timestamp + UNLOCK_PERIOD;
        skip(UNLOCK_PERIOD - 1);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.UnlockNotReady.selector, unlockAt));
        _withdrawDeposit(coordOwner, coordinator);
    }

    function test_Withdraw_RevertsAfterALaterUnlockRestartedTheClock() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 400 ether);
        skip(UNLOCK_PERIOD - 1);
        _unlock(coordOwner, coordinator, 1 ether);
        skip(1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPaymentEscrow.UnlockNotReady.selector, block.timestamp - 1 + UNLOCK_PERIOD
            )
        );
        _withdrawDeposit(coordOwner, coordinator);
    }

    function test_Withdraw_RevertsWhenNothingIsUnlocking() public {
        _deposit(app, coordinator, 1_000 ether);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NothingUnlocking.selector, coordinator));
        _withdrawDeposit(coordOwner, coordinator);
    }

    function test_Withdraw_RevertsTheSecondTime() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 400 ether);
        skip(UNLOCK_PERIOD);
        _withdrawDeposit(coordOwner, coordinator);
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NothingUnlocking.selector, coordinator));
        _withdrawDeposit(coordOwner, coordinator);
    }

    function test_Withdraw_RevertsForOperatorKey() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 400 ether);
        skip(UNLOCK_PERIOD);
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.NotCoordinatorOwner.selector, coordinator, coordinator)
        );
        _withdrawDeposit(coordinator, coordinator);
    }

    function test_Withdraw_RevertsForStranger() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 400 ether);
        skip(UNLOCK_PERIOD);
        vm.expectRevert(
            abi.encodeWithSelector(IPaymentEscrow.NotCoordinatorOwner.selector, coordinator, stranger)
        );
        _withdrawDeposit(stranger, coordinator);
    }

    function test_Withdraw_PaysLessAfterRedemptionsTookUnlockingFunds() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 600 ether);
        _redeem(coordinatorKey, coordinator, miner, 700 ether); // unlocking funds still pay
        skip(UNLOCK_PERIOD);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.Withdrawn(coordinator, coordOwner, 300 ether);
        assertEq(_withdrawDeposit(coordOwner, coordinator), 300 ether);
        assertEq(cai.balanceOf(address(escrow)), 0);
        (uint256 balance, uint256 unlocking, uint256 unlockAt) = escrow.accountOf(coordinator);
        assertEq(balance + unlocking + unlockAt, 0);
    }

    function test_Withdraw_PaysInFullWhenRedemptionsLeftTheUnlockingFunds() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 400 ether);
        _redeem(coordinatorKey, coordinator, miner, 500 ether);
        skip(UNLOCK_PERIOD);
        assertEq(_withdrawDeposit(coordOwner, coordinator), 400 ether);
        assertEq(_balanceOf(coordinator), 100 ether);
    }

    function test_Withdraw_PaysZeroWhenRedemptionsTookEverything() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 1_000 ether);
        _redeem(coordinatorKey, coordinator, miner, 1_000 ether);
        skip(UNLOCK_PERIOD);
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.Withdrawn(coordinator, coordOwner, 0);
        assertEq(_withdrawDeposit(coordOwner, coordinator), 0);
        assertEq(cai.balanceOf(coordOwner), 0);
        (, uint256 unlocking, uint256 unlockAt) = escrow.accountOf(coordinator);
        assertEq(unlocking + unlockAt, 0);
    }

    function test_Withdraw_WorksAfterDeregistration() public {
        _deposit(app, coordinator, 1_000 ether);
        vm.prank(coordOwner);
        staking.deregister(coordinator);
        _unlock(coordOwner, coordinator, 1_000 ether);
        skip(UNLOCK_PERIOD);
        assertEq(_withdrawDeposit(coordOwner, coordinator), 1_000 ether);
        assertEq(cai.balanceOf(coordOwner), 1_000 ether);
    }

    function test_Withdraw_KeepsTheUnlockPeriodOfItsRequest() public {
        _deposit(app, coordinator, 1_000 ether);
        _unlock(coordOwner, coordinator, 400 ether);
        vm.prank(admin);
        escrow.setUnlockPeriod(30 days); // applies to later requests only
        skip(UNLOCK_PERIOD);
        assertEq(_withdrawDeposit(coordOwner, coordinator), 400 ether);
    }

    // ================================================================= setUnlockPeriod

    function test_SetUnlockPeriod_SetsAndEmits() public {
        vm.expectEmit(address(escrow));
        emit IPaymentEscrow.UnlockPeriodSet(7 days);
        vm.prank(admin);
        escrow.setUnlockPeriod(7 days);
        assertEq(escrow.unlockPeriod(), 7 days);
    }

    function test_SetUnlockPeriod_AcceptsZeroAndMax() public {
        vm.startPrank(admin);
        escrow.setUnlockPeriod(0);
        assertEq(escrow.unlockPeriod(), 0);
        escrow.setUnlockPeriod(365 days);
        assertEq(escrow.unlockPeriod(), 365 days);
        vm.stopPrank();
    }

    function test_SetUnlockPeriod_RevertsAboveMax() public {
        vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.PeriodTooLong.selector, 365 days + 1, 365 days));
        vm.prank(admin);
        escrow.setUnlockPeriod(365 days + 1);
    }

    function test_SetUnlockPeriod_RevertsForNonAdmin() public {
        bytes32 role = escrow.DEFAULT_ADMIN_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, coordOwner, role)
        );
        vm.prank(coordOwner);
        escrow.setUnlockPeriod(1 days);
    }
}
