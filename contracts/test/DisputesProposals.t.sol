// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Vm} from "forge-std/Vm.sol";
import {DisputesTestBase} from "./Disputes.t.sol";
import {DisputesParams, IDisputes, Proposal, ProposalStatus} from "../src/interfaces/IDisputes.sol";
import {IStaking} from "../src/interfaces/IStaking.sol";
import {Status} from "../src/staking/StakingTypes.sol";

/// @notice The subjective path: proposeSlash, cancel, dispute, execute, resolve, lapse, and every
///         wrong step of the proposal state machine.
contract DisputesProposalsTest is DisputesTestBase {
    uint16 internal constant PROPOSAL_BPS = 1_000;
    uint256 internal constant PROPOSAL_SLASH = 2_000 ether; // 10% of the miner's 20,000
    uint256 internal constant FALSE_ACCUSATION_SLASH = 100_000 ether; // 5% of the coordinator's 2,000,000
    uint256 internal constant COMPENSATION = 50_000 ether; // half of it

    // ================================================================= proposeSlash

    function test_ProposeSlash_StoresAndEmits() public {
        uint256 deadline = block.timestamp + CHALLENGE_WINDOW;
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.SlashProposed(0, coordinator, miner, TASK, PROPOSAL_BPS, EVIDENCE, URI, deadline);
        uint256 id = _propose(TASK, PROPOSAL_BPS);

        assertEq(id, 0);
        assertEq(disputes.proposalCount(), 1);
        Proposal memory pr = disputes.getProposal(id);
        assertEq(pr.miner, miner);
        assertEq(pr.bps, PROPOSAL_BPS);
        assertEq(uint8(pr.status), uint8(ProposalStatus.Proposed));
        assertEq(pr.deadline, deadline);
        assertEq(pr.coordinator, coordinator);
        assertEq(pr.bond, 0);
        assertEq(pr.disputer, address(0));
        assertEq(pr.taskId, TASK);
        assertEq(pr.evidenceHash, EVIDENCE);
        assertTrue(disputes.proposed(keccak256(abi.encode(coordinator, miner, TASK))));
        // nothing moves until it is executed or resolved
        assertEq(staking.getNode(miner).totalStake, MINER_MIN);
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Active));
    }

    function test_ProposeSlash_IdsAndKeys() public {
        _registerMiner2();
        _registerCoordinator2();
        assertEq(_propose(TASK, PROPOSAL_BPS), 0);
        assertEq(_propose(keccak256("task-2"), PROPOSAL_BPS), 1); // another task
        vm.prank(coordinator);
        assertEq(disputes.proposeSlash(miner2, TASK, 1, EVIDENCE, ""), 2); // another miner
        vm.prank(coordinator2);
        assertEq(disputes.proposeSlash(miner, TASK, 1, bytes32(0), URI), 3); // another coordinator
        assertEq(disputes.proposalCount(), 4);
        assertEq(disputes.getProposal(3).coordinator, coordinator2);
        assertEq(disputes.getProposal(2).miner, miner2);
    }

    function test_ProposeSlash_BpsBounds() public {
        _propose(keccak256("1"), 1);
        _propose(keccak256("max"), 5_000);
        vm.startPrank(coordinator);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.InvalidBps.selector, 0, 5_000));
        disputes.proposeSlash(miner, TASK, 0, EVIDENCE, URI);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.InvalidBps.selector, 5_001, 5_000));
        disputes.proposeSlash(miner, TASK, 5_001, EVIDENCE, URI);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.InvalidBps.selector, type(uint16).max, 5_000));
        disputes.proposeSlash(miner, TASK, type(uint16).max, EVIDENCE, URI);
        vm.stopPrank();
    }

    function test_ProposeSlash_RevertsNotActiveCoordinator() public {
        _registerMiner2();
        // not a node, a miner's operator, the coordinator's owner (not its operator key)
        address[4] memory callers = [stranger, miner2, coordOwner, admin];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IDisputes.NotActiveCoordinator.selector, callers[i]));
            vm.prank(callers[i]);
            disputes.proposeSlash(miner, TASK, PROPOSAL_BPS, EVIDENCE, URI);
        }
        // a jailed coordinator
        vm.prank(slasher);
        staking.slash(coordinator, 1, "");
        vm.expectRevert(abi.encodeWithSelector(IDisputes.NotActiveCoordinator.selector, coordinator));
        vm.prank(coordinator);
        disputes.proposeSlash(miner, TASK, PROPOSAL_BPS, EVIDENCE, URI);
        // unjailed, it may propose again
        vm.warp(block.timestamp + JAIL);
        _stake(coordOwner, coordinator, 1_000 ether);
        vm.prank(coordOwner);
        staking.unjail(coordinator);
        _propose(TASK, PROPOSAL_BPS);
        // a deregistered coordinator
        vm.prank(coordOwner);
        staking.deregister(coordinator);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.NotActiveCoordinator.selector, coordinator));
        vm.prank(coordinator);
        disputes.proposeSlash(miner, keccak256("task-2"), PROPOSAL_BPS, EVIDENCE, URI);
    }

    function test_ProposeSlash_RevertsNotAMiner() public {
        _registerCoordinator2();
        address[3] memory accused = [coordinator2, stranger, address(0)];
        for (uint256 i; i < accused.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IDisputes.NotAMiner.selector, accused[i]));
            vm.prank(coordinator);
            disputes.proposeSlash(accused[i], TASK, PROPOSAL_BPS, EVIDENCE, URI);
        }
    }

    function test_ProposeSlash_JailedOrDeregisteredMinerMayBeAccused() public {
        vm.prank(slasher);
        staking.slash(miner, 1, "");
        _propose(TASK, PROPOSAL_BPS);
        vm.prank(minerOwner);
        staking.deregister(miner);
        _propose(keccak256("task-2"), PROPOSAL_BPS);
        assertEq(disputes.proposalCount(), 2);
    }

    function test_ProposeSlash_RevertsStringTooLong() public {
        string memory longest = string(new bytes(2048));
        vm.prank(coordinator);
        disputes.proposeSlash(miner, TASK, PROPOSAL_BPS, EVIDENCE, longest);
        string memory tooLong = string(new bytes(2049));
        vm.expectRevert(abi.encodeWithSelector(IDisputes.StringTooLong.selector, 2049, 2048));
        vm.prank(coordinator);
        disputes.proposeSlash(miner, keccak256("task-2"), PROPOSAL_BPS, EVIDENCE, tooLong);
    }

    /// @notice Once per (coordinator, miner, task), whatever became of the first proposal.
    function test_ProposeSlash_RevertsAlreadyProposed() public {
        bytes memory err =
            abi.encodeWithSelector(IDisputes.AlreadyProposed.selector, coordinator, miner, TASK);
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.expectRevert(err);
        vm.prank(coordinator);
        disputes.proposeSlash(miner, TASK, 1, bytes32(0), "");
        vm.prank(coordinator);
        disputes.cancel(id);
        vm.expectRevert(err);
        vm.prank(coordinator);
        disputes.proposeSlash(miner, TASK, PROPOSAL_BPS, EVIDENCE, URI);
    }

    // ================================================================= cancel

    function test_Cancel_SetsStatusAndEmits() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ProposalCancelled(id);
        vm.prank(coordinator);
        disputes.cancel(id);
        assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Cancelled));
        assertEq(staking.getNode(miner).totalStake, MINER_MIN);
    }

    /// @notice The proposer may withdraw only within the challenge window: from the deadline on,
    ///         the proposal stands (it is executed or lapses), during the execution window and after.
    function test_Cancel_RevertsWindowClosed() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        uint256 other = _propose(keccak256("task-2"), PROPOSAL_BPS);
        uint256 deadline = block.timestamp + CHALLENGE_WINDOW;
        bytes memory err = abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, deadline);
        vm.warp(deadline - 1);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ProposalCancelled(other);
        vm.prank(coordinator);
        disputes.cancel(other); // the last second
        uint40[4] memory times = [
            uint40(deadline),
            uint40(deadline + ARBITRATION_WINDOW - 1),
            uint40(deadline + ARBITRATION_WINDOW),
            uint40(deadline + 365 days)
        ];
        for (uint256 i; i < times.length; ++i) {
            vm.warp(times[i]);
            vm.expectRevert(err);
            vm.prank(coordinator);
            disputes.cancel(id);
            // the caller is checked before the window
            vm.expectRevert(abi.encodeWithSelector(IDisputes.NotTheProposer.selector, id, stranger));
            vm.prank(stranger);
            disputes.cancel(id);
        }
        assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Proposed));
        assertEq(uint8(_statusOf(other)), uint8(ProposalStatus.Cancelled));
        disputes.lapse(id);
        assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Lapsed));
    }

    function test_Cancel_RevertsNotTheProposer() public {
        _registerCoordinator2();
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        address[6] memory callers = [coordinator2, coordOwner, miner, minerOwner, arbiter, admin];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IDisputes.NotTheProposer.selector, id, callers[i]));
            vm.prank(callers[i]);
            disputes.cancel(id);
        }
    }

    // ================================================================= dispute

    function test_Dispute_ByOperatorPullsBondAndEmits() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.warp(block.timestamp + 1 hours);
        _fundBond(miner);
        uint256 deadline = block.timestamp + ARBITRATION_WINDOW;
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ProposalDisputed(id, miner, DISPUTE_BOND, deadline);
        vm.prank(miner);
        disputes.dispute(id);

        Proposal memory pr = disputes.getProposal(id);
        assertEq(uint8(pr.status), uint8(ProposalStatus.Disputed));
        assertEq(pr.deadline, deadline);
        assertEq(pr.disputer, miner);
        assertEq(pr.bond, DISPUTE_BOND);
        assertEq(pr.bps, PROPOSAL_BPS);
        assertEq(cai.balanceOf(miner), 0);
        assertEq(cai.balanceOf(address(disputes)), DISPUTE_BOND);
    }

    function test_Dispute_ByOwner() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        _fundBond(minerOwner);
        uint256 before = cai.balanceOf(minerOwner);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ProposalDisputed(id, minerOwner, DISPUTE_BOND, block.timestamp + ARBITRATION_WINDOW);
        vm.prank(minerOwner);
        disputes.dispute(id);
        assertEq(disputes.getProposal(id).disputer, minerOwner);
        assertEq(before - cai.balanceOf(minerOwner), DISPUTE_BOND);
    }

    function test_Dispute_UntilTheLastSecond() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        uint256 deadline = block.timestamp + CHALLENGE_WINDOW;
        uint256 other = _propose(keccak256("task-2"), PROPOSAL_BPS);
        _fundBond(miner);
        vm.warp(deadline - 1);
        vm.prank(miner);
        disputes.dispute(id);
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowClosed.selector, other, deadline));
        vm.prank(miner);
        disputes.dispute(other);
        vm.warp(deadline + 365 days);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowClosed.selector, other, deadline));
        vm.prank(miner);
        disputes.dispute(other);
    }

    function test_Dispute_RevertsNotTheMiner() public {
        _registerMiner2();
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        address[6] memory callers = [coordinator, coordOwner, miner2, miner2Owner, arbiter, stranger];
        for (uint256 i; i < callers.length; ++i) {
            _fundBond(callers[i]);
            vm.expectRevert(abi.encodeWithSelector(IDisputes.NotTheMiner.selector, id, callers[i]));
            vm.prank(callers[i]);
            disputes.dispute(id);
        }
    }

    function test_Dispute_RevertsWithoutTheBond() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, address(disputes), 0, DISPUTE_BOND
            )
        );
        vm.prank(miner);
        disputes.dispute(id);
        vm.prank(miner);
        cai.approve(address(disputes), DISPUTE_BOND);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, miner, 0, DISPUTE_BOND)
        );
        vm.prank(miner);
        disputes.dispute(id);
    }

    function test_Dispute_ZeroBondNeedsNoTokens() public {
        DisputesParams memory p = defaultDisputesParams();
        p.disputeBond = 0;
        vm.prank(admin);
        disputes.setParams(p);
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ProposalDisputed(id, miner, 0, block.timestamp + ARBITRATION_WINDOW);
        vm.prank(miner);
        disputes.dispute(id);
        vm.warp(block.timestamp + ARBITRATION_WINDOW);
        disputes.lapse(id);
        assertEq(cai.balanceOf(miner), 0);
    }

    /// @notice A proposal keeps its challenge deadline and bps; the bond and arbitration window
    ///         are those in force when it is disputed.
    function test_Dispute_ParamsChangedAfterTheProposal() public {
        uint256 t0 = block.timestamp;
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        DisputesParams memory p = defaultDisputesParams();
        p.challengeWindow = 1 days;
        p.arbitrationWindow = 1 days;
        p.disputeBond = 7 ether;
        p.maxProposalBps = 100;
        vm.prank(admin);
        disputes.setParams(p);
        assertEq(disputes.getProposal(id).deadline, t0 + CHALLENGE_WINDOW);
        vm.warp(t0 + 1 days + 1); // past the new window, within the proposal's own
        _fundBond(miner);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ProposalDisputed(id, miner, 7 ether, block.timestamp + 1 days);
        vm.prank(miner);
        disputes.dispute(id);
        assertEq(disputes.getProposal(id).bps, PROPOSAL_BPS);
        assertEq(cai.balanceOf(address(disputes)), 7 ether);
    }

    // ================================================================= execute

    function test_Execute_SlashesToTreasuryAndEmits() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        uint256 treasuryBefore = cai.balanceOf(treasury);
        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Jailed(miner, block.timestamp + JAIL);
        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Slashed(miner, address(disputes), PROPOSAL_BPS, PROPOSAL_SLASH, 0, bytes32(id));
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ProposalExecuted(id, PROPOSAL_SLASH);
        vm.prank(stranger); // anyone
        uint256 slashed = disputes.execute(id);

        assertEq(slashed, PROPOSAL_SLASH);
        assertEq(cai.balanceOf(treasury) - treasuryBefore, PROPOSAL_SLASH);
        assertEq(cai.balanceOf(stranger), 0);
        assertEq(cai.balanceOf(address(disputes)), 0);
        assertEq(staking.getNode(miner).totalStake, MINER_MIN - PROPOSAL_SLASH);
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Jailed));
        assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Executed));
        // the proposer is untouched
        assertEq(staking.getNode(coordinator).totalStake, COORDINATOR_MIN);
    }

    function test_Execute_RevertsWindowOpen() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        uint256 deadline = block.timestamp + CHALLENGE_WINDOW;
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, deadline));
        disputes.execute(id);
        vm.warp(deadline - 1);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, deadline));
        disputes.execute(id);
        vm.warp(deadline);
        disputes.execute(id);
    }

    /// @notice An undisputed proposal may be executed for arbitrationWindow after its challenge
    ///         window: the last second works, deadline + arbitrationWindow and later revert.
    function test_Execute_RevertsWindowClosed() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        uint256 other = _propose(keccak256("task-2"), PROPOSAL_BPS);
        uint256 expiry = block.timestamp + CHALLENGE_WINDOW + ARBITRATION_WINDOW;
        bytes memory err = abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, expiry);
        vm.warp(expiry - 1);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ProposalExecuted(other, PROPOSAL_SLASH);
        assertEq(disputes.execute(other), PROPOSAL_SLASH); // the last second
        uint256 treasuryBefore = cai.balanceOf(treasury);
        vm.warp(expiry);
        vm.expectRevert(err);
        disputes.execute(id);
        vm.warp(expiry + 365 days);
        vm.expectRevert(err);
        vm.prank(stranger);
        disputes.execute(id);
        assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Proposed));
        assertEq(staking.getNode(miner).totalStake, MINER_MIN - PROPOSAL_SLASH);
        assertEq(cai.balanceOf(treasury), treasuryBefore);
    }

    /// @notice The execution window is the arbitration window in force when execute is called (as
    ///         for lapse): shortening it closes stale proposals sooner.
    /// @notice A proposal's end is fixed when it is made: shortening the arbitration window later
    ///         does not cut it short, and lengthening it does not let it outlive the unbonding of
    ///         stake that left when it was made.
    function test_Execute_EndIsFixedWhenProposed() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        uint256 end = block.timestamp + CHALLENGE_WINDOW + ARBITRATION_WINDOW;
        assertEq(disputes.getProposal(id).end, end);
        DisputesParams memory p = defaultDisputesParams();
        p.arbitrationWindow = 1 days;
        vm.prank(admin);
        disputes.setParams(p);
        vm.warp(end - 1);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, end));
        disputes.lapse(id);
        vm.warp(end);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, end));
        disputes.execute(id);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ProposalLapsed(id);
        disputes.lapse(id);
        assertEq(staking.getNode(miner).totalStake, MINER_MIN);
    }

    /// @notice Regression: with windows of 1 + 6 days set after a 2 + 3 day proposal, a miner that
    ///         unstaked when accused could withdraw (7 days) before a later execute or verdict.
    ///         The proposal keeps its own end, so a dispute's arbitration deadline stops there.
    function test_Dispute_ArbitrationDeadlineCappedAtTheProposalsEnd() public {
        uint256 t0 = block.timestamp;
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        DisputesParams memory p = defaultDisputesParams();
        p.challengeWindow = 1 days;
        p.arbitrationWindow = 6 days;
        vm.prank(admin);
        disputes.setParams(p);
        vm.warp(t0 + CHALLENGE_WINDOW - 1);
        _fundBond(miner);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ProposalDisputed(id, miner, DISPUTE_BOND, t0 + CHALLENGE_WINDOW + ARBITRATION_WINDOW);
        vm.prank(miner);
        disputes.dispute(id);
        assertEq(disputes.getProposal(id).deadline, t0 + CHALLENGE_WINDOW + ARBITRATION_WINDOW);
    }

    /// @notice A miner that unstakes everything the moment it is accused is still slashed when the
    ///         proposal is executed at the last second of its window: challenge + arbitration <=
    ///         unbonding, so the lock has not matured.
    function test_Execute_LastSecondStillSlashesAMinerThatUnstaked() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.startPrank(minerOwner);
        staking.deregister(miner);
        staking.unstake(miner, MINER_MIN);
        vm.stopPrank();
        vm.warp(block.timestamp + CHALLENGE_WINDOW + ARBITRATION_WINDOW - 1);
        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Slashed(miner, address(disputes), PROPOSAL_BPS, 0, PROPOSAL_SLASH, bytes32(id));
        assertEq(disputes.execute(id), PROPOSAL_SLASH);
        (uint256 active, uint256 unbonding) = _stakes(miner);
        assertEq(active, 0);
        assertEq(unbonding, MINER_MIN - PROPOSAL_SLASH);
    }

    /// @notice A miner that unstakes (even deregisters and unstakes everything) once accused is
    ///         still slashed: the lock cannot mature before the proposal executes.
    function test_Execute_MinerThatUnstakedIsStillSlashed() public {
        _stake(staker, miner, 10_000 ether);
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.startPrank(minerOwner);
        staking.deregister(miner);
        staking.unstake(miner, MINER_MIN);
        vm.stopPrank();
        vm.prank(staker);
        staking.unstake(miner, 4_000 ether);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        uint256[] memory ids = new uint256[](1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IStaking.LockNotMatured.selector, 0, block.timestamp - CHALLENGE_WINDOW + UNBONDING
            )
        );
        vm.prank(minerOwner);
        staking.withdraw(ids);

        // active 6,000 (staker), unbonding 24,000 (owner 20,000 + staker 4,000): 10% of each
        uint256 treasuryBefore = cai.balanceOf(treasury);
        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Slashed(miner, address(disputes), PROPOSAL_BPS, 600 ether, 2_400 ether, bytes32(id));
        assertEq(disputes.execute(id), 3_000 ether);
        assertEq(cai.balanceOf(treasury) - treasuryBefore, 3_000 ether);
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Deregistered)); // retired: not jailed
        assertEq(staking.locksOf(minerOwner, 0, 1)[0].amount, 18_000 ether);
        assertEq(staking.locksOf(staker, 0, 1)[0].amount, 3_600 ether);
    }

    // ================================================================= resolve

    function test_Resolve_UpheldSlashesMinerAndForfeitsBond() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        _dispute(id, miner);
        uint256 treasuryBefore = cai.balanceOf(treasury);
        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Jailed(miner, block.timestamp + JAIL);
        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Slashed(miner, address(disputes), PROPOSAL_BPS, PROPOSAL_SLASH, 0, bytes32(id));
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.DisputeUpheld(id, PROPOSAL_SLASH);
        vm.prank(arbiter);
        uint256 slashed = disputes.resolve(id, true);

        assertEq(slashed, PROPOSAL_SLASH);
        assertEq(cai.balanceOf(treasury) - treasuryBefore, PROPOSAL_SLASH + DISPUTE_BOND);
        assertEq(cai.balanceOf(miner), 0);
        assertEq(cai.balanceOf(address(disputes)), 0);
        assertEq(staking.getNode(miner).totalStake, MINER_MIN - PROPOSAL_SLASH);
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Jailed));
        assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Upheld));
        assertEq(staking.getNode(coordinator).totalStake, COORDINATOR_MIN);
    }

    function test_Resolve_RejectedSlashesCoordinatorAndCompensates() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        _dispute(id, miner);
        uint256 treasuryBefore = cai.balanceOf(treasury);
        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Jailed(coordinator, block.timestamp + JAIL);
        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Slashed(coordinator, address(disputes), 500, FALSE_ACCUSATION_SLASH, 0, bytes32(id));
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.DisputeRejected(id, FALSE_ACCUSATION_SLASH, COMPENSATION);
        vm.prank(arbiter);
        uint256 slashed = disputes.resolve(id, false);

        assertEq(slashed, FALSE_ACCUSATION_SLASH);
        assertEq(cai.balanceOf(miner), DISPUTE_BOND + COMPENSATION);
        assertEq(cai.balanceOf(treasury) - treasuryBefore, FALSE_ACCUSATION_SLASH - COMPENSATION);
        assertEq(cai.balanceOf(address(disputes)), 0);
        assertEq(staking.getNode(coordinator).totalStake, COORDINATOR_MIN - FALSE_ACCUSATION_SLASH);
        assertEq(uint8(_nodeStatus(coordinator)), uint8(Status.Jailed));
        assertEq(staking.getNode(miner).totalStake, MINER_MIN);
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Active));
        assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Rejected));
        // jailed, the coordinator can no longer propose
        vm.expectRevert(abi.encodeWithSelector(IDisputes.NotActiveCoordinator.selector, coordinator));
        vm.prank(coordinator);
        disputes.proposeSlash(miner, keccak256("task-2"), PROPOSAL_BPS, EVIDENCE, URI);
    }

    function test_Resolve_RejectedPaysTheOwnerThatDisputed() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        _dispute(id, minerOwner);
        uint256 before = cai.balanceOf(minerOwner);
        vm.prank(arbiter);
        disputes.resolve(id, false);
        assertEq(cai.balanceOf(minerOwner) - before, DISPUTE_BOND + COMPENSATION);
        assertEq(cai.balanceOf(miner), 0);
    }

    function test_Resolve_RejectedWithoutShareOrBond() public {
        DisputesParams memory p = defaultDisputesParams();
        p.accusedShareBps = 0;
        p.disputeBond = 0;
        vm.prank(admin);
        disputes.setParams(p);
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.prank(miner);
        disputes.dispute(id);
        uint256 treasuryBefore = cai.balanceOf(treasury);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.DisputeRejected(id, FALSE_ACCUSATION_SLASH, 0);
        vm.prank(arbiter);
        disputes.resolve(id, false);
        assertEq(cai.balanceOf(miner), 0);
        assertEq(cai.balanceOf(treasury) - treasuryBefore, FALSE_ACCUSATION_SLASH);
    }

    function test_Resolve_RevertsUnauthorized() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        _dispute(id, miner);
        bytes32 role = disputes.ARBITER_ROLE();
        address[5] memory callers = [admin, coordinator, miner, minerOwner, stranger];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(_unauthorized(callers[i], role));
            vm.prank(callers[i]);
            disputes.resolve(id, i % 2 == 0);
        }
        // the role is checked before anything else
        vm.expectRevert(_unauthorized(stranger, role));
        vm.prank(stranger);
        disputes.resolve(99, true);
        // the admin may appoint another arbiter
        vm.startPrank(admin);
        disputes.grantRole(role, stranger);
        vm.stopPrank();
        vm.prank(stranger);
        disputes.resolve(id, true);
    }

    function test_Resolve_RevertsWindowClosed() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        uint256 other = _propose(keccak256("task-2"), PROPOSAL_BPS);
        _dispute(id, miner);
        _dispute(other, miner);
        uint256 deadline = block.timestamp + ARBITRATION_WINDOW;
        vm.warp(deadline - 1);
        vm.prank(arbiter);
        disputes.resolve(id, true);
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowClosed.selector, other, deadline));
        vm.prank(arbiter);
        disputes.resolve(other, false);
    }

    /// @notice A miner that unstakes everything while its dispute is pending is still slashed
    ///         when the arbiter upholds at the last second: challenge + arbitration <= unbonding.
    function test_Resolve_MinerUnstakingDuringDisputeIsStillSlashed() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.warp(block.timestamp + CHALLENGE_WINDOW - 1);
        _dispute(id, miner);
        vm.startPrank(minerOwner);
        staking.deregister(miner);
        staking.unstake(miner, MINER_MIN);
        vm.stopPrank();
        vm.warp(block.timestamp + ARBITRATION_WINDOW - 1);
        vm.prank(arbiter);
        assertEq(disputes.resolve(id, true), PROPOSAL_SLASH);
        (uint256 active, uint256 unbonding) = _stakes(miner);
        assertEq(active, 0);
        assertEq(unbonding, MINER_MIN - PROPOSAL_SLASH);
    }

    // ================================================================= lapse

    function test_Lapse_RefundsBondAndEmits() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        _dispute(id, minerOwner);
        uint256 before = cai.balanceOf(minerOwner);
        uint256 treasuryBefore = cai.balanceOf(treasury);
        vm.warp(block.timestamp + ARBITRATION_WINDOW);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ProposalLapsed(id);
        vm.prank(stranger); // anyone
        disputes.lapse(id);
        assertEq(cai.balanceOf(minerOwner) - before, DISPUTE_BOND);
        assertEq(cai.balanceOf(address(disputes)), 0);
        assertEq(cai.balanceOf(treasury), treasuryBefore);
        assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Lapsed));
        assertEq(staking.getNode(miner).totalStake, MINER_MIN);
        assertEq(staking.getNode(coordinator).totalStake, COORDINATOR_MIN);
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Active));
    }

    function test_Lapse_RevertsWindowOpen() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        _dispute(id, miner);
        uint256 deadline = block.timestamp + ARBITRATION_WINDOW;
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, deadline));
        disputes.lapse(id);
        vm.warp(deadline - 1);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, deadline));
        disputes.lapse(id);
        vm.warp(deadline);
        disputes.lapse(id);
    }

    /// @notice Nobody executed an undisputed proposal within its execution window: from
    ///         deadline + arbitrationWindow anyone lapses it. There is no bond to refund: no token
    ///         moves, nobody is slashed or jailed, and the proposal is final.
    function test_Lapse_UndisputedStaleProposal() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        Proposal memory before = disputes.getProposal(id);
        uint256 end = before.deadline + ARBITRATION_WINDOW;
        vm.warp(end);
        uint256 treasuryBefore = cai.balanceOf(treasury);
        uint256 stakingBefore = cai.balanceOf(address(staking));
        vm.recordLogs();
        vm.prank(stranger); // anyone
        disputes.lapse(id);
        // exactly one event, ProposalLapsed(id): no Transfer, no Slashed, no Jailed
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one event");
        assertEq(logs[0].emitter, address(disputes));
        assertEq(logs[0].topics.length, 2);
        assertEq(logs[0].topics[0], IDisputes.ProposalLapsed.selector);
        assertEq(logs[0].topics[1], bytes32(id));
        assertEq(logs[0].data.length, 0);

        Proposal memory pr = disputes.getProposal(id);
        assertEq(uint8(pr.status), uint8(ProposalStatus.Lapsed));
        assertEq(pr.deadline, before.deadline);
        assertEq(pr.bond, 0);
        assertEq(pr.disputer, address(0));
        assertEq(pr.bps, PROPOSAL_BPS);
        assertEq(cai.balanceOf(treasury), treasuryBefore);
        assertEq(cai.balanceOf(address(staking)), stakingBefore);
        assertEq(cai.balanceOf(address(disputes)), 0);
        assertEq(cai.balanceOf(stranger), 0);
        assertEq(staking.getNode(miner).totalStake, MINER_MIN);
        assertEq(staking.getNode(coordinator).totalStake, COORDINATOR_MIN);
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Active));
        assertEq(uint8(_nodeStatus(coordinator)), uint8(Status.Active));

        bytes memory err = _wrongStatus(id, ProposalStatus.Lapsed);
        vm.expectRevert(err);
        disputes.execute(id);
        vm.expectRevert(err);
        disputes.lapse(id);
        vm.expectRevert(err);
        vm.prank(coordinator);
        disputes.cancel(id);
        _fundBond(miner);
        vm.expectRevert(err);
        vm.prank(miner);
        disputes.dispute(id);
        vm.expectRevert(err);
        vm.prank(arbiter);
        disputes.resolve(id, true);
        // the key stays used: the coordinator cannot propose the same slash again
        vm.expectRevert(abi.encodeWithSelector(IDisputes.AlreadyProposed.selector, coordinator, miner, TASK));
        vm.prank(coordinator);
        disputes.proposeSlash(miner, TASK, PROPOSAL_BPS, EVIDENCE, URI);
    }

    /// @notice An undisputed proposal cannot be lapsed while it may still be executed.
    function test_Lapse_UndisputedRevertsWindowOpen() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        uint256 deadline = block.timestamp + CHALLENGE_WINDOW;
        uint256 end = deadline + ARBITRATION_WINDOW;
        bytes memory err = abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, end);
        vm.expectRevert(err);
        disputes.lapse(id);
        vm.warp(deadline); // the execution window opens
        vm.expectRevert(err);
        disputes.lapse(id);
        vm.warp(end - 1);
        vm.expectRevert(err);
        disputes.lapse(id);
        vm.warp(end);
        disputes.lapse(id);
        assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Lapsed));
    }

    // ================================================================= state machine

    function test_Steps_RevertProposalNotFound() public {
        _propose(TASK, PROPOSAL_BPS);
        for (uint256 i; i < 2; ++i) {
            uint256 id = i == 0 ? 1 : type(uint256).max;
            bytes memory err = abi.encodeWithSelector(IDisputes.ProposalNotFound.selector, id);
            vm.expectRevert(err);
            vm.prank(coordinator);
            disputes.cancel(id);
            vm.expectRevert(err);
            vm.prank(miner);
            disputes.dispute(id);
            vm.expectRevert(err);
            disputes.execute(id);
            vm.expectRevert(err);
            vm.prank(arbiter);
            disputes.resolve(id, true);
            vm.expectRevert(err);
            disputes.lapse(id);
        }
    }

    function test_Steps_ExecuteAfterCancel() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.prank(coordinator);
        disputes.cancel(id);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        vm.expectRevert(_wrongStatus(id, ProposalStatus.Cancelled));
        disputes.execute(id);
    }

    function test_Steps_DisputeAfterExecute() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        disputes.execute(id);
        _fundBond(miner);
        vm.expectRevert(_wrongStatus(id, ProposalStatus.Executed));
        vm.prank(miner);
        disputes.dispute(id);
    }

    /// @notice resolve needs a dispute; lapse of an undisputed proposal waits for the end of its
    ///         execution window.
    function test_Steps_ResolveOrLapseUndisputed() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        uint256 end = block.timestamp + CHALLENGE_WINDOW + ARBITRATION_WINDOW;
        uint40[3] memory times = [uint40(block.timestamp), uint40(end - 1), uint40(end + 30 days)];
        for (uint256 i; i < times.length; ++i) {
            vm.warp(times[i]);
            vm.expectRevert(_wrongStatus(id, ProposalStatus.Proposed));
            vm.prank(arbiter);
            disputes.resolve(id, true);
            vm.expectRevert(_wrongStatus(id, ProposalStatus.Proposed));
            vm.prank(arbiter);
            disputes.resolve(id, false);
        }
        vm.warp(end - 1);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, end));
        disputes.lapse(id);
        vm.warp(end + 30 days);
        disputes.lapse(id);
    }

    function test_Steps_ResolveAfterLapse() public {
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        _dispute(id, miner);
        vm.warp(block.timestamp + ARBITRATION_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, block.timestamp));
        vm.prank(arbiter);
        disputes.resolve(id, true);
        disputes.lapse(id);
        vm.expectRevert(_wrongStatus(id, ProposalStatus.Lapsed));
        vm.prank(arbiter);
        disputes.resolve(id, true);
    }

    /// @notice Every step from every status it does not apply to reverts WrongStatus: a proposal
    ///         in each of the 7 statuses (Lapsed twice: disputed and undisputed), each of the 6
    ///         steps (resolve both ways). lapse applies to Proposed and Disputed.
    function test_Steps_EveryWrongTransition() public {
        uint256 t0 = block.timestamp;
        uint256[8] memory ids;
        for (uint256 i; i < 8; ++i) {
            ids[i] = _propose(bytes32(i), PROPOSAL_BPS);
        }
        // [0] Proposed, [1] Disputed, [2] Executed, [3] Cancelled, [4] Upheld, [5] Rejected,
        // [6] Lapsed (disputed, unresolved), [7] Lapsed (undisputed, unexecuted)
        _dispute(ids[1], miner);
        vm.prank(coordinator);
        disputes.cancel(ids[3]);
        _dispute(ids[4], miner);
        _dispute(ids[5], minerOwner);
        _dispute(ids[6], miner);
        vm.startPrank(arbiter);
        disputes.resolve(ids[4], true);
        disputes.resolve(ids[5], false);
        vm.stopPrank();
        vm.warp(t0 + CHALLENGE_WINDOW);
        disputes.execute(ids[2]);
        vm.warp(t0 + ARBITRATION_WINDOW);
        disputes.lapse(ids[6]);
        vm.warp(t0 + CHALLENGE_WINDOW + ARBITRATION_WINDOW);
        disputes.lapse(ids[7]);
        ProposalStatus[8] memory expected = [
            ProposalStatus.Proposed,
            ProposalStatus.Disputed,
            ProposalStatus.Executed,
            ProposalStatus.Cancelled,
            ProposalStatus.Upheld,
            ProposalStatus.Rejected,
            ProposalStatus.Lapsed,
            ProposalStatus.Lapsed
        ];
        _fundBond(miner);
        uint256 treasuryBefore = cai.balanceOf(treasury);
        uint256 held = cai.balanceOf(address(disputes));
        assertEq(held, DISPUTE_BOND, "only [1]'s bond is held");
        // now (every window just closed) and much later
        uint40[2] memory times = [uint40(t0 + CHALLENGE_WINDOW + ARBITRATION_WINDOW), uint40(t0 + 30 days)];
        for (uint256 t; t < times.length; ++t) {
            vm.warp(times[t]);
            for (uint256 i; i < 8; ++i) {
                ProposalStatus s = expected[i];
                assertEq(uint8(_statusOf(ids[i])), uint8(s));
                bytes memory err = _wrongStatus(ids[i], s);
                if (s != ProposalStatus.Proposed) {
                    vm.expectRevert(err);
                    vm.prank(coordinator);
                    disputes.cancel(ids[i]);
                    vm.expectRevert(err);
                    vm.prank(miner);
                    disputes.dispute(ids[i]);
                    vm.expectRevert(err);
                    disputes.execute(ids[i]);
                }
                if (s != ProposalStatus.Disputed) {
                    vm.expectRevert(err);
                    vm.prank(arbiter);
                    disputes.resolve(ids[i], true);
                    vm.expectRevert(err);
                    vm.prank(arbiter);
                    disputes.resolve(ids[i], false);
                }
                if (s != ProposalStatus.Proposed && s != ProposalStatus.Disputed) {
                    vm.expectRevert(err);
                    disputes.lapse(ids[i]);
                }
            }
        }
        assertEq(cai.balanceOf(treasury), treasuryBefore);
        assertEq(cai.balanceOf(address(disputes)), held);
    }

    // ================================================================= fuzz

    /// @notice An undisputed proposal's timeline. Before its deadline the proposer may cancel and
    ///         the miner dispute, while execute and lapse revert WindowOpen; from the deadline until
    ///         deadline + arbitrationWindow anyone may execute, while cancel and dispute revert
    ///         WindowClosed and lapse WindowOpen; from then on only lapse works.
    function testFuzz_ProposedTimeline(uint256 elapsed) public {
        elapsed = bound(elapsed, 0, CHALLENGE_WINDOW + ARBITRATION_WINDOW + 1 days);
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        uint256 deadline = block.timestamp + CHALLENGE_WINDOW;
        uint256 end = deadline + ARBITRATION_WINDOW;
        vm.warp(block.timestamp + elapsed);
        _fundBond(miner);
        bool challenge = block.timestamp < deadline;
        bool execution = !challenge && block.timestamp < end;
        bytes memory closed = abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, deadline);
        uint256 snap = vm.snapshotState();

        if (challenge) {
            vm.prank(coordinator);
            disputes.cancel(id);
            assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Cancelled));
            vm.revertToState(snap);
            vm.prank(miner);
            disputes.dispute(id);
            assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Disputed));
            vm.revertToState(snap);
            vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, deadline));
            disputes.execute(id);
        } else {
            vm.expectRevert(closed);
            vm.prank(coordinator);
            disputes.cancel(id);
            vm.expectRevert(closed);
            vm.prank(miner);
            disputes.dispute(id);
            if (execution) {
                assertEq(disputes.execute(id), PROPOSAL_SLASH);
                vm.revertToState(snap);
            } else {
                vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, end));
                disputes.execute(id);
            }
        }
        if (block.timestamp < end) {
            vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, end));
            disputes.lapse(id);
        } else {
            disputes.lapse(id);
            assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Lapsed));
            assertEq(staking.getNode(miner).totalStake, MINER_MIN);
        }
    }

    /// @notice Whatever happens, a proposal is decided by creation + challengeWindow +
    ///         arbitrationWindow: from then on cancel, dispute, execute and resolve all revert
    ///         (disputed or not), and only lapse remains, which slashes nobody.
    function testFuzz_ProposalEndsWithinBothWindows(uint256 disputeAfter, bool disputed, uint256 late)
        public
    {
        uint256 t0 = block.timestamp;
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        uint256 deadline = t0 + CHALLENGE_WINDOW;
        uint256 end = deadline + ARBITRATION_WINDOW;
        uint256 arbitrationDeadline;
        if (disputed) {
            vm.warp(t0 + bound(disputeAfter, 0, CHALLENGE_WINDOW - 1));
            _dispute(id, miner);
            arbitrationDeadline = block.timestamp + ARBITRATION_WINDOW;
            assertLt(arbitrationDeadline, end);
        }
        vm.warp(end + bound(late, 0, 365 days));
        _fundBond(miner);
        ProposalStatus s = disputed ? ProposalStatus.Disputed : ProposalStatus.Proposed;
        bytes memory wrong = _wrongStatus(id, s);
        bytes memory closed = abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, deadline);

        vm.expectRevert(disputed ? wrong : closed);
        vm.prank(coordinator);
        disputes.cancel(id);
        vm.expectRevert(disputed ? wrong : closed);
        vm.prank(miner);
        disputes.dispute(id);
        vm.expectRevert(disputed ? wrong : abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, end));
        disputes.execute(id);
        for (uint256 i; i < 2; ++i) {
            vm.expectRevert(
                disputed
                    ? abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, arbitrationDeadline)
                    : wrong
            );
            vm.prank(arbiter);
            disputes.resolve(id, i == 0);
        }

        uint256 minerBefore = cai.balanceOf(miner);
        uint256 treasuryBefore = cai.balanceOf(treasury);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ProposalLapsed(id);
        disputes.lapse(id);
        assertEq(uint8(_statusOf(id)), uint8(ProposalStatus.Lapsed));
        assertEq(cai.balanceOf(miner) - minerBefore, disputed ? DISPUTE_BOND : 0);
        assertEq(cai.balanceOf(treasury), treasuryBefore);
        assertEq(cai.balanceOf(address(disputes)), 0);
        assertEq(staking.getNode(miner).totalStake, MINER_MIN);
        assertEq(staking.getNode(coordinator).totalStake, COORDINATOR_MIN);
    }

    /// @notice The arbiter may resolve strictly before the deadline; anyone may lapse from it on.
    function testFuzz_ArbitrationWindowBoundary(uint256 disputeAfter, uint256 elapsed, bool upheld) public {
        disputeAfter = bound(disputeAfter, 0, CHALLENGE_WINDOW - 1);
        elapsed = bound(elapsed, 0, 2 * ARBITRATION_WINDOW);
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        vm.warp(block.timestamp + disputeAfter);
        _dispute(id, miner);
        uint256 deadline = block.timestamp + ARBITRATION_WINDOW;
        vm.warp(block.timestamp + elapsed);
        uint256 snap = vm.snapshotState();
        if (elapsed < ARBITRATION_WINDOW) {
            vm.prank(arbiter);
            disputes.resolve(id, upheld);
            vm.revertToState(snap);
            vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, deadline));
            disputes.lapse(id);
        } else {
            vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, deadline));
            vm.prank(arbiter);
            disputes.resolve(id, upheld);
            disputes.lapse(id);
            assertEq(cai.balanceOf(miner), DISPUTE_BOND);
        }
    }

    /// @notice Execute (or an upheld dispute) takes floor(pool * bps / 1e4) of both of the miner's
    ///         pools and the treasury receives exactly that (plus the bond when upheld).
    function testFuzz_MinerSlashMath(uint16 bps, uint256 extra, uint256 unbond, bool disputed) public {
        DisputesParams memory p = defaultDisputesParams();
        p.maxProposalBps = 10_000;
        vm.prank(admin);
        disputes.setParams(p);
        bps = uint16(bound(bps, 1, 10_000));
        extra = bound(extra, 1 ether, 50_000_000 ether);
        unbond = bound(unbond, 0, extra);
        _stake(staker, miner, extra);
        if (unbond != 0) {
            vm.prank(staker);
            staking.unstake(miner, unbond);
        }
        uint256 id = _propose(TASK, bps);
        if (disputed) _dispute(id, miner);
        vm.warp(block.timestamp + CHALLENGE_WINDOW - 1);
        (uint256 active, uint256 unbonding) = _stakes(miner);
        uint256 treasuryBefore = cai.balanceOf(treasury);

        uint256 slashed;
        if (disputed) {
            vm.prank(arbiter);
            slashed = disputes.resolve(id, true);
        } else {
            vm.warp(block.timestamp + 1);
            slashed = disputes.execute(id);
        }

        assertEq(slashed, active * bps / 10_000 + unbonding * bps / 10_000, "slashed");
        uint256 bond = disputed ? DISPUTE_BOND : 0;
        assertEq(cai.balanceOf(treasury) - treasuryBefore, slashed + bond, "treasury");
        assertEq(cai.balanceOf(address(disputes)), 0, "nothing stays in Disputes");
        (uint256 activeAfter, uint256 unbondingAfter) = _stakes(miner);
        assertEq(activeAfter + unbondingAfter + slashed, active + unbonding, "stake conserved");
    }

    /// @notice A rejected dispute: the coordinator loses floor(stake * falseAccusationBps / 1e4),
    ///         the disputer gets its bond plus floor(slashed * accusedShareBps / 1e4), the treasury
    ///         exactly the rest.
    function testFuzz_RejectedMath(uint16 falseBps, uint16 shareBps, uint96 bond, uint256 extra) public {
        DisputesParams memory p = defaultDisputesParams();
        p.falseAccusationBps = uint16(bound(falseBps, 1, 10_000));
        p.accusedShareBps = uint16(bound(shareBps, 0, 10_000));
        p.disputeBond = uint96(bound(bond, 0, 10_000_000 ether));
        vm.prank(admin);
        disputes.setParams(p);
        extra = bound(extra, 0, 100_000_000 ether);
        if (extra != 0) _stake(staker, coordinator, extra);
        uint256 id = _propose(TASK, PROPOSAL_BPS);
        cai.transfer(minerOwner, p.disputeBond);
        vm.startPrank(minerOwner);
        cai.approve(address(disputes), p.disputeBond);
        disputes.dispute(id);
        vm.stopPrank();
        uint256 stake = COORDINATOR_MIN + extra;
        uint256 treasuryBefore = cai.balanceOf(treasury);
        uint256 ownerBefore = cai.balanceOf(minerOwner);

        vm.prank(arbiter);
        uint256 slashed = disputes.resolve(id, false);

        assertEq(slashed, stake * p.falseAccusationBps / 10_000, "slashed");
        uint256 compensation = slashed * p.accusedShareBps / 10_000;
        assertEq(cai.balanceOf(minerOwner) - ownerBefore, p.disputeBond + compensation, "disputer");
        assertEq(cai.balanceOf(treasury) - treasuryBefore, slashed - compensation, "treasury");
        assertEq(cai.balanceOf(address(disputes)), 0, "nothing stays in Disputes");
        assertEq(staking.getNode(coordinator).totalStake, stake - slashed, "coordinator stake");
        assertEq(staking.getNode(miner).totalStake, MINER_MIN, "miner untouched");
    }
}
