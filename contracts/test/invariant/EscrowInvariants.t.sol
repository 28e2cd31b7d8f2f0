// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EscrowFixture} from "../utils/EscrowFixture.sol";
import {EscrowHandler} from "./EscrowHandler.sol";
import {LockView} from "../../src/staking/StakingTypes.sol";

/// @notice Stateful fuzzing of PaymentEscrow through EscrowHandler: 3 coordinators and 3 miners
///         (commission 10%, 0% and 50%). Coordinator 1: its owner's 2M + 1M it may unstake, 3M
///         of a delegator and 0.5M of coordinator 2's owner (the H-1 shape). Coordinator 2: its
///         owner's 2M slashed 90% in an earlier dispute (jailed), so its shortfalls soon outrun
///         the owner's stake. Coordinator 3: its owner's 2M, 1M delegated of which 400k
///         unbonding; its owner may deregister it and unstake everything. Deposits, unlocks,
///         withdrawals, rising and stale receipts, single and batch redemptions with shortfalls
///         (covered in full, in part or not at all), forged receipts, owners topping up,
///         unstaking and unjailing, delegators unstaking, time. After every handler call:
///         a. the escrow's token balance is exactly deposits - paid from deposits - withdrawn;
///         b. the coordinators' accounts add up to the escrow's balance (and an account has an
///            unlock time exactly when something is unlocking);
///         c. no pair was ever paid more than the highest cumulativeAmount signed for it, and its
///            redemptions are exactly what it was paid;
///         d. shortfalls are conserved: the stake slashed from coordinators == ShortfallCovered
///            amounts == what miners were paid beyond the deposits; fees distributed == paid
///            from deposits + from stakes; Staking's balance moved by exactly top-ups + fees -
///            slashes;
///         e. the escrow's allowance to Staking stays infinite (it is never written again);
///         f. a shortfall never moves any non-owner staker's stake on a coordinator, nor any lock
///            (the owners' own included): each is what its holder's own unstakes left;
///         g. the total covered == the total taken from the owners' own stake.
///         The handler also checks every redemption against a model (see EscrowHandler). The
///         pools with more than one holder stay at a share price of 1 (no dispute slashes in the
///         run), so every stake moves by exact amounts; the rounding of other prices is fuzzed
///         in PaymentEscrowFuzz.t.sol.
/// @dev Checked to fail on mutants of PaymentEscrow and Staking (scratch edits): a shortfall that
///      keeps 1 wei of each slash in the escrow (a, c, d; the model catches it first), a batch
///      that does not reset its pending amount per miner, a shortfall that does not book its
///      redemption, a shortfall slashed from the whole active pool as before H-1 (the model;
///      with the handler's own checks off, f and g), a slashOwnerStake that does not jail (the
///      handler's jail check), an unknown payee let through to Staking (redeemForged).
///      Runs: 7 campaigns of 32 runs x 100 calls.
contract EscrowInvariantsTest is EscrowFixture {
    EscrowHandler internal handler;
    address[3] internal _coords;
    address[3] internal _miners;

    function setUp() public override {
        super.setUp();
        (address coordinator3, uint256 coordinator3Key) = makeAddrAndKey("coordinator3Operator");
        (address miner3, uint256 miner3Key) = makeAddrAndKey("miner3Operator");
        address coord3Owner = makeAddr("coord3Owner");
        address delegator = makeAddr("delegator");
        _registerCoordinator(coord3Owner, coordinator3, COORDINATOR_MIN);
        _delegate(delegator, coordinator3, 1_000_000 ether, 400_000 ether);
        _registerMiner(makeAddr("miner3Owner"), miner3, 2 * MINER_MIN, 5_000);
        _stake(delegator, miner3, 10_000 ether);
        _stake(coordOwner, coordinator, 1_000_000 ether);
        _stake(delegator, coordinator, 3_000_000 ether);
        _stake(coord2Owner, coordinator, 500_000 ether);

        // the second coordinator lost 90% of its stake in an earlier dispute (jailed): its
        // shortfalls soon outrun its owner's stake and are only partly covered
        vm.prank(slasher);
        staking.slash(coordinator2, 9_000, "earlier dispute");

        _coords = [coordinator, coordinator2, coordinator3];
        _miners = [miner, miner2, miner3];
        address[] memory delegators = new address[](2);
        (delegators[0], delegators[1]) = (delegator, coord2Owner);
        handler = new EscrowHandler(
            cai,
            staking,
            escrow,
            _coords,
            [coordOwner, coord2Owner, coord3Owner],
            [coordinatorKey, coordinator2Key, coordinator3Key],
            _miners,
            [minerKey, miner2Key, miner3Key],
            delegators
        );
        cai.transfer(address(handler), 200_000_000 ether);

        // Weights by repetition: receipts and redemptions matter most.
        bytes4[] memory selectors = new bytes4[](21);
        selectors[0] = EscrowHandler.deposit.selector;
        selectors[1] = EscrowHandler.deposit.selector;
        selectors[2] = EscrowHandler.unlock.selector;
        selectors[3] = EscrowHandler.withdraw.selector;
        selectors[4] = EscrowHandler.sign.selector;
        selectors[5] = EscrowHandler.sign.selector;
        selectors[6] = EscrowHandler.sign.selector;
        selectors[7] = EscrowHandler.redeem.selector;
        selectors[8] = EscrowHandler.redeem.selector;
        selectors[9] = EscrowHandler.redeem.selector;
        selectors[10] = EscrowHandler.redeemBatch.selector;
        selectors[11] = EscrowHandler.redeemBatch.selector;
        selectors[12] = EscrowHandler.redeemForged.selector;
        selectors[13] = EscrowHandler.deregister.selector;
        selectors[14] = EscrowHandler.ownerStake.selector;
        selectors[15] = EscrowHandler.ownerUnstake.selector;
        selectors[16] = EscrowHandler.ownerUnjail.selector;
        selectors[17] = EscrowHandler.delegatorUnstake.selector;
        selectors[18] = EscrowHandler.ownerStake.selector;
        selectors[19] = EscrowHandler.warp.selector;
        selectors[20] = EscrowHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// a. Exact token conservation of the escrow against the ghost ledger.
    /// forge-config: default.invariant.runs = 32
    function invariant_balanceIsDepositsLessPaidLessWithdrawn() public view {
        assertEq(
            cai.balanceOf(address(escrow)),
            handler.ghostDeposits() - handler.ghostPaidFromDeposits() - handler.ghostWithdrawn()
        );
    }

    /// b. The accounts add up to the balance.
    /// forge-config: default.invariant.runs = 32
    function invariant_accountsAddUpToBalance() public view {
        uint256 sum;
        for (uint256 c; c < _coords.length; ++c) {
            (uint256 balance, uint256 unlocking, uint256 unlockAt) = escrow.accountOf(_coords[c]);
            sum += balance;
            assertEq(unlocking == 0, unlockAt == 0, "unlocking without time, or the reverse");
        }
        assertEq(sum, cai.balanceOf(address(escrow)));
    }

    /// c. A pair is never paid more than the highest amount signed for it.
    /// forge-config: default.invariant.runs = 32
    function invariant_redeemedNeverAboveSigned() public view {
        for (uint256 c; c < _coords.length; ++c) {
            for (uint256 m; m < _miners.length; ++m) {
                uint256 redeemed = escrow.redeemed(_coords[c], _miners[m]);
                assertLe(redeemed, handler.maxSigned(_coords[c], _miners[m]), "above max signed");
                assertEq(redeemed, handler.ghostPaidTo(_coords[c], _miners[m]), "redeemed != paid");
            }
        }
    }

    /// d. What the escrow slashes it pays to miners, all of it, and nothing else leaves Staking.
    /// forge-config: default.invariant.runs = 32
    function invariant_shortfallsConserved() public view {
        uint256 slashed = handler.ghostSlashed();
        assertEq(slashed, handler.ghostCovered(), "slashed != covered");
        assertEq(slashed, handler.ghostPaidFromStake(), "slashed != paid from stake");
        assertEq(handler.ghostFees(), handler.ghostPaidFromDeposits() + slashed, "fees != paid");
        assertEq(
            cai.balanceOf(address(staking)),
            handler.stakingStart() + handler.ghostStakedIn() + handler.ghostFees() - slashed
        );
    }

    /// e. The allowance distributeFees pulls through is never consumed.
    /// forge-config: default.invariant.runs = 32
    function invariant_allowanceStaysInfinite() public view {
        assertEq(cai.allowance(address(escrow), address(staking)), type(uint256).max);
    }

    /// f. Only the owner underwrites its coordinator's receipts: every other stake and every
    ///    lock is exactly what its holder's own unstakes left.
    /// forge-config: default.invariant.runs = 32
    function invariant_shortfallsNeverMoveOtherStakers() public view {
        assertEq(handler.ghostOthersMoved(), 0, "moved across a redemption");
        uint256 n = handler.watchedCount();
        for (uint256 w; w < n; ++w) {
            address who = handler.watched(w);
            for (uint256 c; c < _coords.length; ++c) {
                if (who == handler.owners(c)) continue;
                assertEq(staking.stakeOf(_coords[c], who), handler.expectedStakeOf(_coords[c], who), "stake");
            }
            LockView[] memory locks = staking.locksOf(who, 0, type(uint256).max);
            uint256 locked;
            for (uint256 k; k < locks.length; ++k) {
                locked += locks[k].amount;
            }
            assertEq(locked, handler.ghostUnstaked(who), "locks");
        }
    }

    /// g. What shortfalls covered is what the owners' own stake lost, to the wei.
    /// forge-config: default.invariant.runs = 32
    function invariant_coveredEqualsTakenFromOwners() public view {
        assertEq(handler.ghostCovered(), handler.ghostTakenFromOwners(), "covered != taken from owners");
        assertEq(handler.ghostTakenFromOwners(), handler.ghostPaidFromStake(), "taken != paid from stake");
    }

    function afterInvariant() public view {
        handler.callSummary();
    }
}
