// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {CAIToken} from "../src/CAIToken.sol";
import {Faucet} from "../src/Faucet.sol";

contract FaucetTest is Test {
    event Claimed(address indexed to, address indexed by, uint256 amount);
    event DripAmountSet(uint256 amount);
    event CooldownSet(uint256 cooldown);
    event Swept(address indexed to, uint256 amount);
    event Refilled(address indexed from, uint256 amount);

    uint256 internal constant SUPPLY = 1_000_000 ether;
    uint256 internal constant FUNDING = 10_000 ether;
    uint256 internal constant DRIP = 100 ether;
    uint256 internal constant COOLDOWN = 1 days;

    address internal admin = makeAddr("admin");
    address internal dripper = makeAddr("dripper");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal treasury = makeAddr("treasury");

    CAIToken internal token;
    Faucet internal faucet;

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new CAIToken(treasury, SUPPLY);
        faucet = new Faucet(token, admin, DRIP, COOLDOWN);
        vm.prank(treasury);
        token.transfer(address(faucet), FUNDING);
        bytes32 dripperRole = faucet.DRIPPER_ROLE();
        vm.prank(admin);
        faucet.grantRole(dripperRole, dripper);
    }

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }

    // ---------------------------------------------------------------- constructor

    function test_Constructor_SetsState() public view {
        assertEq(address(faucet.token()), address(token));
        assertEq(faucet.dripAmount(), DRIP);
        assertEq(faucet.cooldown(), COOLDOWN);
        assertEq(faucet.DRIPPER_ROLE(), keccak256("DRIPPER_ROLE"));
        assertTrue(faucet.hasRole(faucet.DEFAULT_ADMIN_ROLE(), admin));
        assertFalse(faucet.hasRole(faucet.DEFAULT_ADMIN_ROLE(), address(this)));
        assertFalse(faucet.hasRole(faucet.DRIPPER_ROLE(), admin));
    }

    function test_Constructor_EmitsParameterEvents() public {
        vm.expectEmit(false, false, false, true);
        emit DripAmountSet(7);
        vm.expectEmit(false, false, false, true);
        emit CooldownSet(0);
        new Faucet(token, admin, 7, 0);
    }

    function test_Constructor_RevertsOnZeroToken() public {
        vm.expectRevert(abi.encodeWithSelector(Faucet.ZeroAddress.selector));
        new Faucet(IERC20(address(0)), admin, DRIP, COOLDOWN);
    }

    function test_Constructor_RevertsOnZeroAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(Faucet.ZeroAddress.selector));
        new Faucet(token, address(0), DRIP, COOLDOWN);
    }

    function test_Constructor_RevertsOnZeroDripAmount() public {
        vm.expectRevert(abi.encodeWithSelector(Faucet.ZeroAmount.selector));
        new Faucet(token, admin, 0, COOLDOWN);
    }

    // ---------------------------------------------------------------- claim

    function test_Claim_FirstClaimSendsDripAndRecords() public {
        vm.expectEmit(true, true, false, true, address(faucet));
        emit Claimed(alice, alice, DRIP);
        vm.prank(alice);
        faucet.claim();

        assertEq(token.balanceOf(alice), DRIP);
        assertEq(token.balanceOf(address(faucet)), FUNDING - DRIP);
        assertEq(faucet.lastClaimAt(alice), block.timestamp);
        assertEq(faucet.nextClaimAt(alice), block.timestamp + COOLDOWN);
    }

    function test_Claim_RevertsWhenTooSoon() public {
        vm.prank(alice);
        faucet.claim();
        uint256 next = block.timestamp + COOLDOWN;

        vm.warp(block.timestamp + 1 hours);
        vm.expectRevert(abi.encodeWithSelector(Faucet.ClaimTooSoon.selector, alice, next));
        vm.prank(alice);
        faucet.claim();
        assertEq(token.balanceOf(alice), DRIP);
    }

    function test_Claim_BoundaryOneSecondBeforeReverts() public {
        vm.prank(alice);
        faucet.claim();
        uint256 next = faucet.nextClaimAt(alice);

        vm.warp(next - 1);
        assertFalse(faucet.canClaim(alice));
        vm.expectRevert(abi.encodeWithSelector(Faucet.ClaimTooSoon.selector, alice, next));
        vm.prank(alice);
        faucet.claim();
    }

    function test_Claim_BoundaryExactlyAtNextClaimAtSucceeds() public {
        vm.prank(alice);
        faucet.claim();
        uint256 next = faucet.nextClaimAt(alice);

        vm.warp(next);
        assertTrue(faucet.canClaim(alice));
        vm.prank(alice);
        faucet.claim();
        assertEq(token.balanceOf(alice), 2 * DRIP);
        assertEq(faucet.lastClaimAt(alice), next);
    }

    function test_Claim_CooldownIsPerAddress() public {
        vm.prank(alice);
        faucet.claim();
        vm.prank(bob);
        faucet.claim();
        assertEq(token.balanceOf(alice), DRIP);
        assertEq(token.balanceOf(bob), DRIP);
    }

    function test_Claim_ZeroCooldownAllowsRepeatClaims() public {
        vm.prank(admin);
        faucet.setCooldown(0);
        for (uint256 i; i < 3; ++i) {
            vm.prank(alice);
            faucet.claim();
        }
        assertEq(token.balanceOf(alice), 3 * DRIP);
    }

    function test_Claim_RevertsWhenFaucetEmpty() public {
        vm.prank(admin);
        faucet.sweep(treasury, FUNDING - 40 ether); // leave 40 < DRIP
        vm.expectRevert(abi.encodeWithSelector(Faucet.FaucetEmpty.selector, 40 ether, DRIP));
        vm.prank(alice);
        faucet.claim();
        assertEq(faucet.lastClaimAt(alice), 0);
    }

    function test_Claim_ExactBalanceSucceeds() public {
        vm.prank(admin);
        faucet.sweep(treasury, FUNDING - DRIP);
        vm.prank(alice);
        faucet.claim();
        assertEq(token.balanceOf(address(faucet)), 0);
        assertEq(token.balanceOf(alice), DRIP);
    }

    // ---------------------------------------------------------------- drip

    function test_Drip_SendsToRecipientAndRecordsRecipient() public {
        vm.expectEmit(true, true, false, true, address(faucet));
        emit Claimed(alice, dripper, DRIP);
        vm.prank(dripper);
        faucet.drip(alice);

        assertEq(token.balanceOf(alice), DRIP);
        assertEq(token.balanceOf(dripper), 0);
        assertEq(faucet.lastClaimAt(alice), block.timestamp);
        assertEq(faucet.lastClaimAt(dripper), 0);
    }

    function test_Drip_SharesCooldownWithClaim() public {
        vm.prank(dripper);
        faucet.drip(alice);
        uint256 next = block.timestamp + COOLDOWN;

        vm.expectRevert(abi.encodeWithSelector(Faucet.ClaimTooSoon.selector, alice, next));
        vm.prank(alice);
        faucet.claim();

        vm.prank(bob);
        faucet.claim();
        vm.expectRevert(abi.encodeWithSelector(Faucet.ClaimTooSoon.selector, bob, next));
        vm.prank(dripper);
        faucet.drip(bob);
    }

    function test_Drip_RevertsForNonDripper() public {
        bytes32 role = faucet.DRIPPER_ROLE();
        vm.expectRevert(_unauthorized(alice, role));
        vm.prank(alice);
        faucet.drip(alice);

        // the admin is not implicitly a dripper
        vm.expectRevert(_unauthorized(admin, role));
        vm.prank(admin);
        faucet.drip(alice);
        assertEq(token.balanceOf(alice), 0);
    }

    function test_Drip_RevertsAfterRoleRevoked() public {
        bytes32 role = faucet.DRIPPER_ROLE();
        vm.prank(admin);
        faucet.revokeRole(role, dripper);
        vm.expectRevert(_unauthorized(dripper, role));
        vm.prank(dripper);
        faucet.drip(alice);
    }

    function test_Drip_RevertsOnZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(Faucet.ZeroAddress.selector));
        vm.prank(dripper);
        faucet.drip(address(0));
    }

    function test_Drip_RevertsWhenFaucetEmpty() public {
        vm.prank(admin);
        faucet.sweep(treasury, FUNDING);
        vm.expectRevert(abi.encodeWithSelector(Faucet.FaucetEmpty.selector, 0, DRIP));
        vm.prank(dripper);
        faucet.drip(alice);
    }

    // ---------------------------------------------------------------- views

    function test_NextClaimAt_ZeroBeforeFirstClaim() public view {
        assertEq(faucet.nextClaimAt(alice), 0);
        assertTrue(faucet.canClaim(alice));
    }

    function test_NextClaimAt_FollowsCooldownChange() public {
        vm.prank(alice);
        faucet.claim();
        uint256 claimedAt = block.timestamp;

        vm.prank(admin);
        faucet.setCooldown(1 hours);
        assertEq(faucet.nextClaimAt(alice), claimedAt + 1 hours);

        vm.warp(claimedAt + 1 hours);
        vm.prank(alice);
        faucet.claim();
        assertEq(token.balanceOf(alice), 2 * DRIP);
    }

    function test_NextClaimAt_SaturatesOnHugeCooldown() public {
        vm.prank(alice);
        faucet.claim();
        vm.prank(admin);
        faucet.setCooldown(type(uint256).max);

        assertEq(faucet.nextClaimAt(alice), type(uint256).max);
        assertFalse(faucet.canClaim(alice));
        vm.expectRevert(abi.encodeWithSelector(Faucet.ClaimTooSoon.selector, alice, type(uint256).max));
        vm.prank(alice);
        faucet.claim();
        assertTrue(faucet.canClaim(bob)); // never-claimed addresses are unaffected
    }

    function test_CanClaim_TracksCooldownAndBalance() public {
        assertTrue(faucet.canClaim(alice));
        vm.prank(alice);
        faucet.claim();
        assertFalse(faucet.canClaim(alice));
        vm.warp(block.timestamp + COOLDOWN);
        assertTrue(faucet.canClaim(alice));

        uint256 leaveJustShort = token.balanceOf(address(faucet)) - DRIP + 1;
        vm.prank(admin);
        faucet.sweep(treasury, leaveJustShort);
        assertFalse(faucet.canClaim(alice));
        assertFalse(faucet.canClaim(bob));
    }

    // ---------------------------------------------------------------- admin

    function test_SetDripAmount_UpdatesAndEmits() public {
        vm.expectEmit(false, false, false, true, address(faucet));
        emit DripAmountSet(5 ether);
        vm.prank(admin);
        faucet.setDripAmount(5 ether);
        assertEq(faucet.dripAmount(), 5 ether);

        vm.prank(alice);
        faucet.claim();
        assertEq(token.balanceOf(alice), 5 ether);
    }

    function test_SetDripAmount_RevertsOnZero() public {
        vm.expectRevert(abi.encodeWithSelector(Faucet.ZeroAmount.selector));
        vm.prank(admin);
        faucet.setDripAmount(0);
        assertEq(faucet.dripAmount(), DRIP);
    }

    function test_SetDripAmount_RevertsForNonAdmin() public {
        vm.expectRevert(_unauthorized(dripper, faucet.DEFAULT_ADMIN_ROLE()));
        vm.prank(dripper);
        faucet.setDripAmount(1);
        assertEq(faucet.dripAmount(), DRIP);
    }

    function test_SetCooldown_UpdatesAndEmits() public {
        vm.expectEmit(false, false, false, true, address(faucet));
        emit CooldownSet(12 hours);
        vm.prank(admin);
        faucet.setCooldown(12 hours);
        assertEq(faucet.cooldown(), 12 hours);
    }

    function test_SetCooldown_AllowsZero() public {
        vm.expectEmit(false, false, false, true, address(faucet));
        emit CooldownSet(0);
        vm.prank(admin);
        faucet.setCooldown(0);
        assertEq(faucet.cooldown(), 0);
    }

    function test_SetCooldown_RevertsForNonAdmin() public {
        vm.expectRevert(_unauthorized(alice, faucet.DEFAULT_ADMIN_ROLE()));
        vm.prank(alice);
        faucet.setCooldown(0);
        assertEq(faucet.cooldown(), COOLDOWN);
    }

    function test_Sweep_TransfersAndEmits() public {
        vm.expectEmit(true, false, false, true, address(faucet));
        emit Swept(bob, 300 ether);
        vm.prank(admin);
        faucet.sweep(bob, 300 ether);
        assertEq(token.balanceOf(bob), 300 ether);
        assertEq(token.balanceOf(address(faucet)), FUNDING - 300 ether);
    }

    function test_Sweep_RevertsOnZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(Faucet.ZeroAddress.selector));
        vm.prank(admin);
        faucet.sweep(address(0), 1 ether);
    }

    function test_Sweep_RevertsOnZeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(Faucet.ZeroAmount.selector));
        vm.prank(admin);
        faucet.sweep(bob, 0);
    }

    function test_Sweep_RevertsAboveBalance() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientBalance.selector, address(faucet), FUNDING, FUNDING + 1
            )
        );
        vm.prank(admin);
        faucet.sweep(bob, FUNDING + 1);
    }

    function test_Sweep_RevertsForNonAdmin() public {
        vm.expectRevert(_unauthorized(dripper, faucet.DEFAULT_ADMIN_ROLE()));
        vm.prank(dripper);
        faucet.sweep(dripper, 1 ether);
        assertEq(token.balanceOf(address(faucet)), FUNDING);
    }

    // ---------------------------------------------------------------- funding

    function test_Refill_PullsTokensAndEmits() public {
        vm.startPrank(treasury);
        token.approve(address(faucet), 500 ether);
        vm.expectEmit(true, false, false, true, address(faucet));
        emit Refilled(treasury, 500 ether);
        faucet.refill(500 ether);
        vm.stopPrank();
        assertEq(token.balanceOf(address(faucet)), FUNDING + 500 ether);
        assertEq(token.allowance(treasury, address(faucet)), 0);
    }

    function test_Refill_RevertsOnZeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(Faucet.ZeroAmount.selector));
        vm.prank(treasury);
        faucet.refill(0);
    }

    function test_Refill_RevertsWithoutApproval() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, address(faucet), 0, 1 ether
            )
        );
        vm.prank(treasury);
        faucet.refill(1 ether);
    }

    function test_PlainTransferFundsEmptyFaucet() public {
        vm.prank(admin);
        faucet.sweep(treasury, FUNDING);
        assertFalse(faucet.canClaim(alice));

        vm.prank(treasury);
        token.transfer(address(faucet), DRIP);
        assertTrue(faucet.canClaim(alice));
        vm.prank(alice);
        faucet.claim();
        assertEq(token.balanceOf(alice), DRIP);
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_CooldownEnforced(uint256 cooldown, uint256 amount, uint256 elapsed) public {
        cooldown = bound(cooldown, 0, 365 days);
        amount = bound(amount, 1, FUNDING / 2);
        elapsed = bound(elapsed, 0, 2 * 365 days);
        vm.startPrank(admin);
        faucet.setCooldown(cooldown);
        faucet.setDripAmount(amount);
        vm.stopPrank();

        vm.prank(alice);
        faucet.claim();
        uint256 next = block.timestamp + cooldown;
        assertEq(faucet.nextClaimAt(alice), next);

        vm.warp(block.timestamp + elapsed);
        assertEq(faucet.canClaim(alice), elapsed >= cooldown);
        if (elapsed < cooldown) {
            vm.expectRevert(abi.encodeWithSelector(Faucet.ClaimTooSoon.selector, alice, next));
        }
        vm.prank(alice);
        faucet.claim();
        assertEq(token.balanceOf(alice), elapsed >= cooldown ? 2 * amount : amount);
    }

    /// Random claims/drips over random time steps: every token that left the faucet went to a claimant,
    /// each successful claim paid exactly `amount`, and nobody was paid twice within one cooldown.
    function testFuzz_BalanceConservation(uint256 cooldown, uint256 amount, uint256 seed) public {
        cooldown = bound(cooldown, 0, 7 days);
        amount = bound(amount, 1, FUNDING / 8); // funding runs out in some runs, exercising FaucetEmpty
        vm.startPrank(admin);
        faucet.setCooldown(cooldown);
        faucet.setDripAmount(amount);
        vm.stopPrank();

        address[3] memory users = [alice, bob, treasury];
        uint256 treasuryStart = token.balanceOf(treasury);
        uint256 initial = token.balanceOf(address(faucet));
        uint256 claimed;
        uint256 successes;

        for (uint256 i; i < 24; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            vm.warp(block.timestamp + (r % (2 * cooldown + 2)));
            address user = users[(r >> 64) % 3];
            bool wasClaimable = faucet.canClaim(user);
            bool viaDrip = (r >> 128) % 2 == 0;

            vm.prank(viaDrip ? dripper : user);
            (bool ok,) = address(faucet)
                .call(viaDrip ? abi.encodeCall(Faucet.drip, (user)) : abi.encodeCall(Faucet.claim, ()));
            assertEq(ok, wasClaimable, "canClaim must predict the outcome");
            if (ok) {
                claimed += amount;
                ++successes;
                assertEq(faucet.lastClaimAt(user), block.timestamp);
            }
            assertEq(token.balanceOf(address(faucet)) + claimed, initial, "conservation");
        }
        uint256 received =
            token.balanceOf(alice) + token.balanceOf(bob) + token.balanceOf(treasury) - treasuryStart;
        assertEq(received, claimed, "claims reached the claimants");
        assertEq(claimed, successes * amount);
    }

    function testFuzz_SweepAndRefillConserveBalance(uint256 refillAmount, uint256 sweepAmount) public {
        refillAmount = bound(refillAmount, 1, token.balanceOf(treasury));
        sweepAmount = bound(sweepAmount, 1, FUNDING + refillAmount);
        uint256 supplyOutside = token.balanceOf(treasury) + token.balanceOf(bob);

        vm.startPrank(treasury);
        token.approve(address(faucet), refillAmount);
        faucet.refill(refillAmount);
        vm.stopPrank();
        vm.prank(admin);
        faucet.sweep(bob, sweepAmount);

        assertEq(token.balanceOf(address(faucet)), FUNDING + refillAmount - sweepAmount);
        assertEq(token.balanceOf(bob), sweepAmount);
        assertEq(
            token.balanceOf(treasury) + token.balanceOf(bob) + token.balanceOf(address(faucet)),
            supplyOutside + FUNDING
        );
    }
}
