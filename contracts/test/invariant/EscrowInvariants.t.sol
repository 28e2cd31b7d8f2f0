// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EscrowFixture} from "../utils/EscrowFixture.sol";
import {EscrowHandler} from "./EscrowHandler.sol";

/// @notice Stateful fuzzing of PaymentEscrow through EscrowHandler: 3 coordinators (2M CAI
///         self-stake each; the second slashed 90% in an earlier dispute, the third with 1M
///         delegated of which 400k unbonding) and 3 miners (commission 10%, 0% and 50%);
///         deposits, unlocks, withdrawals, rising and stale receipts, single and batch
///         redemptions with shortfalls (covered in full or in part), forged receipts, time.
///         After every handler call:
///         a. the escrow's token balance is exactly deposits - paid from deposits - withdrawn;
///         b. the coordinators' accounts add up to the escrow's balance (and an account has an
///            unlock time exactly when something is unlocking);
///         c. no pair was ever paid more than the highest cumulativeAmount signed for it, and its
///            redemptions are exactly what it was paid;
///         d. shortfalls are conserved: the stake slashed from coordinators == ShortfallCovered
///            amounts == what miners were paid beyond the deposits; fees distributed == paid
///            from deposits + from stakes; Staking's balance moved by exactly fees - slashes;
///         e. the escrow's allowance to Staking stays infinite (it is never written again).
///         The handler also checks every redemption against a model (see EscrowHandler).
/// @dev Checked to fail on mutants of PaymentEscrow (scratch edits): a shortfall that keeps
///      1 wei of each slash in the escrow (a, c, d; the model catches it first), a batch that
///      does not reset its pending amount per miner, a shortfall that does not book its
///      redemption. Runs: 5 campaigns of 64 runs x 100 calls, ~10 s on 2 cores.
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
        _stake(delegator, coordinator3, 1_000_000 ether);
        vm.prank(delegator);
        staking.unstake(coordinator3, 400_000 ether);
        _registerMiner(makeAddr("miner3Owner"), miner3, 2 * MINER_MIN, 5_000);
        _stake(delegator, miner3, 10_000 ether);

        // the second coordinator lost 90% of its stake in an earlier dispute (jailed): its
        // shortfalls soon outrun its stake and are only partly covered
        vm.prank(slasher);
        staking.slash(coordinator2, 9_000, "earlier dispute");

        _coords = [coordinator, coordinator2, coordinator3];
        _miners = [miner, miner2, miner3];
        handler = new EscrowHandler(
            cai,
            staking,
            escrow,
            _coords,
            [coordOwner, coord2Owner, coord3Owner],
            [coordinatorKey, coordinator2Key, coordinator3Key],
            _miners,
            [minerKey, miner2Key, miner3Key]
        );
        cai.transfer(address(handler), 200_000_000 ether);

        // Weights by repetition: receipts and redemptions matter most.
        bytes4[] memory selectors = new bytes4[](16);
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
        selectors[14] = EscrowHandler.warp.selector;
        selectors[15] = EscrowHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// a. Exact token conservation of the escrow against the ghost ledger.
    /// forge-config: default.invariant.runs = 64
    function invariant_balanceIsDepositsLessPaidLessWithdrawn() public view {
        assertEq(
            cai.balanceOf(address(escrow)),
            handler.ghostDeposits() - handler.ghostPaidFromDeposits() - handler.ghostWithdrawn()
        );
    }

    /// b. The accounts add up to the balance.
    /// forge-config: default.invariant.runs = 64
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
    /// forge-config: default.invariant.runs = 64
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
    /// forge-config: default.invariant.runs = 64
    function invariant_shortfallsConserved() public view {
        uint256 slashed = handler.ghostSlashed();
        assertEq(slashed, handler.ghostCovered(), "slashed != covered");
        assertEq(slashed, handler.ghostPaidFromStake(), "slashed != paid from stake");
        assertEq(handler.ghostFees(), handler.ghostPaidFromDeposits() + slashed, "fees != paid");
        assertEq(cai.balanceOf(address(staking)), handler.stakingStart() + handler.ghostFees() - slashed);
    }

    /// e. The allowance distributeFees pulls through is never consumed.
    /// forge-config: default.invariant.runs = 64
    function invariant_allowanceStaysInfinite() public view {
        assertEq(cai.allowance(address(escrow), address(staking)), type(uint256).max);
    }

    function afterInvariant() public view {
        handler.callSummary();
    }
}
