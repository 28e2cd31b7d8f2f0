// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MarketFixture} from "../utils/MarketFixture.sol";
import {DisputesParams, IDisputes, Proposal, ProposalStatus} from "../../src/interfaces/IDisputes.sol";
import {DisputesHandler} from "./DisputesHandler.sol";

/// @notice Stateful fuzzing of Disputes through DisputesHandler (3 miners, 2 coordinators, 3
///         stakers, 3 finders, the arbiter, time). After every handler call:
///         (a) conservation: what Staking's slashes sent Disputes (the slash return values, and
///             Staking's balance decrease) all went out again: slashed + forfeited bonds ==
///             treasury received + finder fees + compensation;
///         (b) Disputes holds exactly the bonds of the proposals in status Disputed;
///         (c) every proposal's status only moved forward along the state machine (Proposed ->
///             Executed | Cancelled | Disputed | Lapsed; Disputed -> Upheld | Rejected | Lapsed),
///             and is the status the handler's model expects;
///         (d) no miner key was slashed for equivocation twice, and Disputes marks exactly the
///             keys that were;
///         (e) every proposal is decided no later than its creation + challengeWindow +
///             arbitrationWindow: by the ghost timeline, each dispute came within the challenge
///             window and each execute, cancel or resolve before that time; from that time on,
///             cancel, dispute, execute and resolve revert on a proposal still open (only lapse,
///             which slashes nobody, remains).
///         After each run every open proposal is settled (afterInvariant), and then Disputes must
///         hold nothing.
/// @dev The suite was checked to fail on mutants of Disputes (in a scratch edit, then reverted):
///      the tombstone never set ((d)); execute without its expiry, cancel after the deadline, an
///      undisputed proposal lapsing from its deadline or not at all (the handler's per-step
///      checks); the inputHash or the modelId check dropped (the handler's NotSameInput check);
///      the Slashed reason changed back to a hash (the handler's log check).
///      5 campaigns of 48 runs x 80 calls: ~14 s on 2 cores. unjail is weighted twice, so that
///      marked miners come back to work (and are proven against again).
/// forge-config: default.invariant.runs = 48
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

        bytes4[] memory selectors = new bytes4[](20);
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
        selectors[19] = DisputesHandler.unjail.selector;
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

    /// (d) No miner is slashed for equivocation twice.
    function invariant_noMinerSlashedForEquivocationTwice() public view {
        _checkTombstones();
    }

    /// (e) Every proposal is decided by its creation + challengeWindow + arbitrationWindow.
    function invariant_proposalDecidedWithinBothWindows() public {
        _checkTimeline();
    }

    /// @dev After each run: the call summary, then every open proposal is settled.
    function afterInvariant() public {
        handler.callSummary();
        handler.settleAll();
        _checkConservation();
        _checkBonds();
        _checkStatuses();
        _checkTombstones();
        _checkTimeline();
        assertEq(cai.balanceOf(address(disputes)), 0, "settled: Disputes holds nothing");
        assertEq(
            handler.ghostBondsPosted(),
            handler.ghostBondsRefunded() + handler.ghostBondsForfeited(),
            "settled: every bond refunded or forfeited"
        );
        uint256 n = disputes.proposalCount();
        for (uint256 id; id < n; ++id) {
            ProposalStatus s = disputes.getProposal(id).status;
            assertTrue(s != ProposalStatus.Proposed && s != ProposalStatus.Disputed, "settled: all final");
        }
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

    function _checkTombstones() internal view {
        uint256 proven;
        for (uint256 i; i < handler.minersCount(); ++i) {
            address m = handler.miners(i);
            uint256 proofs = handler.ghostEquivocations(m);
            assertLe(proofs, 1, "a miner was slashed for equivocation twice");
            assertEq(disputes.equivocated(m), proofs == 1, "marked iff slashed for equivocation");
            proven += proofs;
        }
        for (uint256 i; i < handler.coordinatorsCount(); ++i) {
            assertFalse(disputes.equivocated(handler.coordinators(i)), "a coordinator key marked");
        }
        assertEq(handler.provenKeys().length, proven, "proven keys");
    }

    /// @dev By the ghost timeline, and by probing every step of each proposal still open at or
    ///      after its creation + challengeWindow + arbitrationWindow.
    function _checkTimeline() internal {
        DisputesParams memory p = disputes.params();
        uint256 n = disputes.proposalCount();
        for (uint256 id; id < n; ++id) {
            (uint256 createdAt, bool disputed, uint256 disputedAt, uint256 decidedAt) = handler.timeline(id);
            uint256 end = createdAt + p.challengeWindow + p.arbitrationWindow;
            Proposal memory pr = disputes.getProposal(id);
            if (disputed) assertLt(disputedAt, createdAt + p.challengeWindow, "disputed after its window");
            if (pr.status == ProposalStatus.Proposed) {
                assertEq(pr.deadline, createdAt + p.challengeWindow, "challenge deadline");
            } else if (pr.status == ProposalStatus.Disputed) {
                assertEq(pr.deadline, disputedAt + p.arbitrationWindow, "arbitration deadline");
            } else if (pr.status == ProposalStatus.Lapsed) {
                // lapsed only once nothing else could happen
                assertGe(decidedAt, disputed ? disputedAt + p.arbitrationWindow : end, "lapsed early");
            } else {
                assertLt(decidedAt, end, "decided after creation + both windows");
            }
            bool open = pr.status == ProposalStatus.Proposed || pr.status == ProposalStatus.Disputed;
            if (open && block.timestamp >= end) _probeStale(id, pr, end);
        }
    }

    /// @dev A proposal still open at or after its creation + both windows: every step but lapse
    ///      reverts, with the exact error.
    function _probeStale(uint256 id, Proposal memory pr, uint256 end) internal {
        bytes memory wrong = abi.encodeWithSelector(IDisputes.WrongStatus.selector, id, pr.status);
        bytes memory closed = abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, pr.deadline);
        bool disputed = pr.status == ProposalStatus.Disputed;
        vm.expectRevert(disputed ? wrong : closed);
        vm.prank(pr.coordinator);
        disputes.cancel(id);
        vm.expectRevert(disputed ? wrong : closed);
        vm.prank(pr.miner);
        disputes.dispute(id);
        vm.expectRevert(disputed ? wrong : abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, end));
        disputes.execute(id);
        vm.expectRevert(disputed ? closed : wrong);
        vm.prank(arbiter);
        disputes.resolve(id, true);
        vm.expectRevert(disputed ? closed : wrong);
        vm.prank(arbiter);
        disputes.resolve(id, false);
    }
}
