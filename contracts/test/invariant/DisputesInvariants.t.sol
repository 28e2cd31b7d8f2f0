// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MarketFixture} from "../utils/MarketFixture.sol";
import {Proposal, ProposalStatus} from "../../src/interfaces/IDisputes.sol";
import {DisputesHandler} from "./DisputesHandler.sol";

/// @notice Stateful fuzzing of Disputes through DisputesHandler (3 miners, 2 coordinators, 3
///         stakers, 3 finders, the arbiter, time). After every handler call:
///         (a) conservation: what Staking's slashes sent Disputes (the slash return values, and
///             Staking's balance decrease) all went out again: slashed + forfeited bonds ==
///             treasury received + finder fees + compensation;
///         (b) Disputes holds exactly the bonds of the proposals in status Disputed;
///         (c) every proposal's status only moved forward along the state machine, and is the
///             status the handler's model expects;
///         (d) no (miner, coordinator, task) equivocation was slashed twice.
///         After each run every open proposal is settled (afterInvariant), and then Disputes must
///         hold nothing.
/// @dev The suite was checked to fail on mutants of Disputes (in a scratch edit, then reverted):
///      the treasury short-paid 1.5x the finder fee ((a) and (b)); lapse keeping the bond and
///      cancel allowed in any status (the handler's per-step checks); equivocationProven never
///      set ((d)). 4 campaigns of 64 runs x 80 calls: ~15 s on 2 cores.
/// forge-config: default.invariant.runs = 64
/// forge-config: default.invariant.depth = 80
contract DisputesInvariantsTest is MarketFixture {
    DisputesHandler internal handler;
    uint256 internal treasuryStart;

    function setUp() public override {
        super.setUp();
        address[] memory miners = new address[](3);
        uint256[] memory minerKeys = new uint256[](3);
        address[] memory coordinators = new address[](2);
        uint256[] memory coordinatorKeys = new uint256[](2);
        (miners[0], minerKeys[0]) = (miner, minerKey);
        (miners[1], minerKeys[1]) = makeAddrAndKey("miner1Operator");
        (miners[2], minerKeys[2]) = makeAddrAndKey("miner2Operator");
        (coordinators[0], coordinatorKeys[0]) = (coordinator, coordinatorKey);
        (coordinators[1], coordinatorKeys[1]) = makeAddrAndKey("coordinator1Operator");
        _registerMiner(makeAddr("miner1Owner"), miners[1], MINER_MIN, 0);
        _registerMiner(makeAddr("miner2Owner"), miners[2], 3 * MINER_MIN, 2_000);
        _registerCoordinator(makeAddr("coordinator1Owner"), coordinators[1], COORDINATOR_MIN);

        handler =
            new DisputesHandler(disputes, staking, arbiter, miners, minerKeys, coordinators, coordinatorKeys);
        cai.transfer(address(handler), 200_000_000 ether);
        treasuryStart = cai.balanceOf(treasury);

        bytes4[] memory selectors = new bytes4[](19);
        selectors[0] = DisputesHandler.proveEquivocation.selector;
        selectors[1] = DisputesHandler.proveEquivocation.selector;
        selectors[2] = DisputesHandler.proposeSlash.selector;
        selectors[3] = DisputesHandler.proposeSlash.selector;
        selectors[4] = DisputesHandler.proposeSlash.selector;
        selectors[5] = DisputesHandler.cancel.selector;
        selectors[6] = DisputesHandler.dispute.selector;
        selectors[7] = DisputesHandler.dispute.selector;
        selectors[8] = DisputesHandler.execute.selector;
        selectors[9] = DisputesHandler.resolve.selector;
        selectors[10] = DisputesHandler.resolve.selector;
        selectors[11] = DisputesHandler.lapse.selector;
        selectors[12] = DisputesHandler.warp.selector;
        selectors[13] = DisputesHandler.warpToDeadline.selector;
        selectors[14] = DisputesHandler.stake.selector;
        selectors[15] = DisputesHandler.unstake.selector;
        selectors[16] = DisputesHandler.withdraw.selector;
        selectors[17] = DisputesHandler.unjail.selector;
        selectors[18] = DisputesHandler.deregisterMiner.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    // ================================================================= invariants

    /// (a) Slashed amounts are conserved.
    function invariant_slashedIsConserved() public view {
        _checkConservation();
    }

    /// (b) Disputes holds exactly the bonds of the disputed proposals.
    function invariant_balanceIsDisputedBonds() public view {
        _checkBonds();
    }

    /// (c) Statuses only move forward, as the model expects.
    function invariant_statusOnlyMovesForward() public view {
        _checkStatuses();
    }

    /// (d) No equivocation is slashed twice.
    function invariant_equivocationSlashedOnce() public view {
        _checkProofs();
    }

    /// @dev After each run: the call summary, then every open proposal is settled.
    function afterInvariant() public {
        handler.callSummary();
        handler.settleAll();
        _checkConservation();
        _checkBonds();
        _checkStatuses();
        _checkProofs();
        assertEq(cai.balanceOf(address(disputes)), 0, "settled: Disputes holds nothing");
        assertEq(
            handler.ghostBondsPosted(),
            handler.ghostBondsRefunded() + handler.ghostBondsForfeited(),
            "settled: every bond refunded or forfeited"
        );
    }

    // ================================================================= checks

    function _checkConservation() internal view {
        uint256 slashed = handler.ghostSlashed();
        assertEq(slashed, handler.ghostStakingOut(), "slash return values == what Staking sent");
        uint256 treasuryIn = cai.balanceOf(treasury) - treasuryStart;
        assertEq(treasuryIn, handler.ghostTreasuryIn(), "only slashing calls pay the treasury");
        uint256 fees;
        for (uint256 i; i < handler.findersCount(); ++i) {
            fees += cai.balanceOf(handler.finders(i));
        }
        assertEq(fees, handler.ghostFinderFees(), "finders got only finder fees");
        assertEq(
            slashed + handler.ghostBondsForfeited(),
            treasuryIn + fees + handler.ghostCompensation(),
            "slashed (+ forfeited bonds) == treasury + finder fees + compensation"
        );
    }

    function _checkBonds() internal view {
        uint256 n = disputes.proposalCount();
        uint256 bonds;
        for (uint256 id; id < n; ++id) {
            Proposal memory pr = disputes.getProposal(id);
            if (pr.status == ProposalStatus.Disputed) bonds += pr.bond;
        }
        assertEq(cai.balanceOf(address(disputes)), bonds, "balance == bonds of Disputed proposals");
        assertEq(
            bonds,
            handler.ghostBondsPosted() - handler.ghostBondsRefunded() - handler.ghostBondsForfeited(),
            "bonds posted - refunded - forfeited"
        );
    }

    function _checkStatuses() internal view {
        assertEq(handler.ghostIllegalTransitions(), 0, "a status moved backwards or skipped a step");
        uint256 n = disputes.proposalCount();
        assertEq(n, handler.ghostCount(), "proposal count");
        for (uint256 id; id < n; ++id) {
            Proposal memory pr = disputes.getProposal(id);
            assertEq(uint8(pr.status), uint8(handler.expectedStatus(id)), "status differs from the model");
            if (pr.status == ProposalStatus.Disputed) assertEq(pr.bond, handler.expectedBond(id), "bond");
        }
    }

    function _checkProofs() internal view {
        bytes32[] memory keys = handler.proofKeys();
        for (uint256 i; i < keys.length; ++i) {
            assertEq(handler.ghostProofs(keys[i]), 1, "an equivocation was slashed twice");
            assertTrue(disputes.equivocationProven(keys[i]), "proven key not recorded");
        }
    }
}
