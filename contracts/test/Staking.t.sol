// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Vm} from "forge-std/Vm.sol";
import {StakingFixture} from "./utils/StakingFixture.sol";
import {Staking} from "../src/Staking.sol";
import {IStaking} from "../src/interfaces/IStaking.sol";
import {LockView, NodeView, PositionView, Role, StakingParams, Status} from "../src/staking/StakingTypes.sol";

/// @notice Actors and small helpers shared by the Staking unit tests (this file and
///         StakingRewards.t.sol).
abstract contract StakingTestBase is StakingFixture {
    address internal alice = makeAddr("alice"); // owner of op1
    address internal op1 = makeAddr("op1");
    address internal dave = makeAddr("dave"); // owner of op2
    address internal op2 = makeAddr("op2");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }

    function _ids(uint256 a) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = a;
    }

    function _ids(uint256 a, uint256 b) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](2);
        ids[0] = a;
        ids[1] = b;
    }

    function _ops(address a, address b) internal pure returns (address[] memory ops) {
        ops = new address[](2);
        ops[0] = a;
        ops[1] = b;
    }

    function _unstake(address who, address operator, uint256 amount) internal returns (uint256 lockId) {
        vm.prank(who);
        lockId = staking.unstake(operator, amount);
    }

    function _withdraw(address who, uint256[] memory ids) internal returns (uint256) {
        vm.prank(who);
        return staking.withdraw(ids);
    }

    function _claim(address who, address operator) internal returns (uint256) {
        vm.prank(who);
        return staking.claim(operator);
    }

    function _slash(address operator, uint16 bps) internal returns (uint256) {
        vm.prank(slasher);
        return staking.slash(operator, bps, keccak256("evidence"));
    }

    function _lockOf(address staker, uint256 id) internal view returns (LockView memory) {
        return staking.locksOf(staker, id, 1)[0];
    }

    function _totalRewardable() internal view returns (uint256 total) {
        (, total,,,) = staking.rewardState();
    }

    function _status(address operator) internal view returns (uint8) {
        return uint8(staking.getNode(operator).status);
    }
}

contract StakingTest is StakingTestBase {
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    // ================================================================= constructor

    function test_Constructor_SetsState() public view {
        assertEq(address(staking.token()), address(cai));
        assertEq(staking.treasury(), treasury);
        assertEq(staking.minSelfStake(Role.Miner), MINER_MIN);
        assertEq(staking.minSelfStake(Role.Coordinator), COORDINATOR_MIN);
        assertEq(staking.unbondingPeriod(), UNBONDING);
        assertEq(staking.commissionDelay(), COMMISSION_DELAY);
        assertEq(staking.jailPeriod(), JAIL);
        assertTrue(staking.hasRole(staking.DEFAULT_ADMIN_ROLE(), admin));
        assertFalse(staking.hasRole(staking.DEFAULT_ADMIN_ROLE(), address(this)));
        assertEq(staking.SLASHER_ROLE(), keccak256("SLASHER_ROLE"));
        assertEq(staking.GUARDIAN_ROLE(), keccak256("GUARDIAN_ROLE"));
        assertEq(staking.REWARD_DISTRIBUTOR_ROLE(), keccak256("REWARD_DISTRIBUTOR_ROLE"));
        assertEq(staking.nodeCount(Role.Miner), 0);
        assertEq(staking.nodeCount(Role.Coordinator), 0);
        (uint256 rpt, uint256 total, uint256 rate, uint256 finish, bool paused) = staking.rewardState();
        assertEq(rpt + total + rate + finish, 0);
        assertFalse(paused);
    }

    function test_Constructor_EmitsParameterEvents() public {
        vm.expectEmit(true, true, true, true);
        emit IStaking.TreasurySet(treasury);
        vm.expectEmit(true, true, true, true);
        emit IStaking.MinSelfStakeSet(Role.Miner, 1e12);
        vm.expectEmit(true, true, true, true);
        emit IStaking.MinSelfStakeSet(Role.Coordinator, 2e12);
        vm.expectEmit(true, true, true, true);
        emit IStaking.CommissionDelaySet(4);
        vm.expectEmit(true, true, true, true);
        emit IStaking.UnbondingPeriodSet(3);
        vm.expectEmit(true, true, true, true);
        emit IStaking.JailPeriodSet(5);
        new Staking(cai, admin, treasury, StakingParams(1e12, 2e12, 3, 4, 5));
    }

    function test_Constructor_RevertsOnBadArguments() public {
        StakingParams memory p = StakingParams(MINER_MIN, COORDINATOR_MIN, UNBONDING, COMMISSION_DELAY, JAIL);
        vm.expectRevert(IStaking.ZeroAddress.selector);
        new Staking(IERC20(address(0)), admin, treasury, p);
        vm.expectRevert(IStaking.ZeroAddress.selector);
        new Staking(cai, address(0), treasury, p);
        vm.expectRevert(IStaking.ZeroAddress.selector);
        new Staking(cai, admin, address(0), p);

        p.minCoordinatorStake = 0;
        vm.expectRevert(abi.encodeWithSelector(IStaking.MinSelfStakeTooLow.selector, 0, 1e12));
        new Staking(cai, admin, treasury, p);
        p.minCoordinatorStake = COORDINATOR_MIN;

        p.unbondingPeriod = COMMISSION_DELAY + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IStaking.CommissionDelayBelowUnbonding.selector, COMMISSION_DELAY, COMMISSION_DELAY + 1
            )
        );
        new Staking(cai, admin, treasury, p);
        p.unbondingPeriod = UNBONDING;

        p.jailPeriod = 365 days + 1;
        vm.expectRevert(abi.encodeWithSelector(IStaking.PeriodTooLong.selector, 365 days + 1, 365 days));
        new Staking(cai, admin, treasury, p);
    }

    // ================================================================= register

    function test_Register_Miner_SetsNodeAndEmits() public {
        uint256 selfStake = MINER_MIN + 5 ether;
        _fund(alice, selfStake);
        _approveOwner(op1, alice);
        vm.expectEmit(address(staking));
        emit IStaking.NodeRegistered(op1, alice, Role.Miner, selfStake, 1_500, "ipfs://m", "");
        vm.expectEmit(address(staking));
        emit IStaking.Staked(op1, alice, selfStake, selfStake);
        vm.prank(alice);
        staking.register(Role.Miner, op1, selfStake, 1_500, "ipfs://m", "");

        NodeView memory v = staking.getNode(op1);
        assertEq(v.operator, op1);
        assertEq(v.owner, alice);
        assertEq(uint8(v.role), uint8(Role.Miner));
        assertEq(uint8(v.status), uint8(Status.Active));
        assertEq(v.totalStake, selfStake);
        assertEq(v.selfStake, selfStake);
        assertEq(v.unbondingStake, 0);
        assertEq(v.commissionBps, 1_500);
        assertEq(v.pendingCommissionBps, 0);
        assertEq(v.commissionEffectiveAt, 0);
        assertEq(v.jailedUntil, 0);
        assertEq(v.metadataURI, "ipfs://m");
        assertEq(v.endpoint, "");

        assertEq(staking.nodeCount(Role.Miner), 1);
        assertEq(staking.nodeCount(Role.Coordinator), 0);
        assertTrue(staking.isActive(op1));
        assertEq(staking.stakeOf(op1, alice), selfStake);
        assertEq(staking.stakeOf(op1, bob), 0);
        assertEq(_totalRewardable(), selfStake);
        assertEq(cai.balanceOf(address(staking)), selfStake);
        assertEq(cai.balanceOf(alice), 0);
    }

    function test_Register_Coordinator() public {
        _fund(alice, COORDINATOR_MIN);
        _approveOwner(op1, alice);
        vm.expectEmit(address(staking));
        emit IStaking.NodeRegistered(
            op1, alice, Role.Coordinator, COORDINATOR_MIN, 0, "meta", "https://c.example"
        );
        vm.prank(alice);
        staking.register(Role.Coordinator, op1, COORDINATOR_MIN, 0, "meta", "https://c.example");

        NodeView memory v = staking.getNode(op1);
        assertEq(uint8(v.role), uint8(Role.Coordinator));
        assertEq(v.endpoint, "https://c.example");
        assertEq(v.totalStake, COORDINATOR_MIN);
        assertEq(staking.nodeCount(Role.Coordinator), 1);
        assertEq(staking.nodeCount(Role.Miner), 0);
        assertTrue(staking.isActive(op1));
    }

    function test_Register_AtExactMinimums() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _registerCoordinator(dave, op2, COORDINATOR_MIN);
        assertEq(staking.stakeOf(op1, alice), MINER_MIN);
        assertEq(staking.stakeOf(op2, dave), COORDINATOR_MIN);
        assertEq(_totalRewardable(), MINER_MIN + COORDINATOR_MIN);
    }

    function test_Register_RevertsBelowMinerMinimum() public {
        _fund(alice, MINER_MIN);
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.SelfStakeBelowMinimum.selector, MINER_MIN - 1, MINER_MIN)
        );
        vm.prank(alice);
        staking.register(Role.Miner, op1, MINER_MIN - 1, 0, "", "");
    }

    function test_Register_RevertsBelowCoordinatorMinimum() public {
        // A miner's stake is far from enough for a coordinator.
        uint256 amount = COORDINATOR_MIN - 1;
        _fund(alice, amount);
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.SelfStakeBelowMinimum.selector, amount, COORDINATOR_MIN)
        );
        vm.prank(alice);
        staking.register(Role.Coordinator, op1, amount, 0, "", "https://c.example");
    }

    function test_Register_RevertsOperatorTaken() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _fund(dave, COORDINATOR_MIN);
        vm.expectRevert(abi.encodeWithSelector(IStaking.OperatorTaken.selector, op1));
        vm.prank(dave);
        staking.register(Role.Coordinator, op1, COORDINATOR_MIN, 0, "", "https://c.example");

        // Still taken after deregistration: an operator key is never reused.
        vm.prank(alice);
        staking.deregister(op1);
        _fund(alice, MINER_MIN);
        vm.expectRevert(abi.encodeWithSelector(IStaking.OperatorTaken.selector, op1));
        vm.prank(alice);
        staking.register(Role.Miner, op1, MINER_MIN, 0, "", "");
    }

    function test_Register_RevertsZeroOperator() public {
        _fund(alice, MINER_MIN);
        vm.expectRevert(IStaking.ZeroAddress.selector);
        vm.prank(alice);
        staking.register(Role.Miner, address(0), MINER_MIN, 0, "", "");
    }

    function test_Register_CoordinatorRequiresEndpoint() public {
        _fund(alice, COORDINATOR_MIN);
        vm.expectRevert(IStaking.EndpointRequired.selector);
        vm.prank(alice);
        staking.register(Role.Coordinator, op1, COORDINATOR_MIN, 0, "meta", "");
        // A miner needs none (the fixture registers miners without one).
        _registerMiner(dave, op2, MINER_MIN, 0);
        assertEq(staking.getNode(op2).endpoint, "");
    }

    function test_Register_RevertsStringTooLong() public {
        _fund(alice, MINER_MIN);
        string memory longMeta = string(new bytes(2049));
        string memory longEndpoint = string(new bytes(257));
        _approveOwner(op1, alice);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StringTooLong.selector, 2049, 2048));
        staking.register(Role.Miner, op1, MINER_MIN, 0, longMeta, "");
        vm.expectRevert(abi.encodeWithSelector(IStaking.StringTooLong.selector, 257, 256));
        staking.register(Role.Miner, op1, MINER_MIN, 0, "", longEndpoint);
        // Exactly at the maximums is fine.
        staking.register(Role.Miner, op1, MINER_MIN, 0, string(new bytes(2048)), string(new bytes(256)));
        vm.stopPrank();
        assertEq(bytes(staking.getNode(op1).metadataURI).length, 2048);
        assertEq(bytes(staking.getNode(op1).endpoint).length, 256);
    }

    function test_Register_RequiresTheOperatorsConsent() public {
        _fund(alice, MINER_MIN);
        vm.expectRevert(abi.encodeWithSelector(IStaking.OperatorNotApproved.selector, op1, alice));
        vm.prank(alice);
        staking.register(Role.Miner, op1, MINER_MIN, 0, "", "");

        // Consent to someone else does not help alice; consent is single-use.
        _approveOwner(op1, dave);
        vm.expectRevert(abi.encodeWithSelector(IStaking.OperatorNotApproved.selector, op1, alice));
        vm.prank(alice);
        staking.register(Role.Miner, op1, MINER_MIN, 0, "", "");

        vm.expectEmit(address(staking));
        emit IStaking.OwnerApproved(op1, alice);
        _approveOwner(op1, alice);
        assertEq(staking.approvedOwner(op1), alice);
        vm.prank(alice);
        staking.register(Role.Miner, op1, MINER_MIN, 0, "", "");
        assertEq(staking.approvedOwner(op1), address(0));
        assertEq(staking.getNode(op1).owner, alice);
    }

    function test_Register_OwnerMayBeItsOwnOperator() public {
        _fund(alice, MINER_MIN);
        vm.prank(alice);
        staking.register(Role.Miner, alice, MINER_MIN, 0, "", "");
        assertEq(staking.getNode(alice).owner, alice);
    }

    function test_Register_RevertsCommissionTooHigh() public {
        _fund(alice, MINER_MIN);
        vm.expectRevert(abi.encodeWithSelector(IStaking.CommissionTooHigh.selector, 10_001));
        vm.prank(alice);
        staking.register(Role.Miner, op1, MINER_MIN, 10_001, "", "");
        _approveOwner(op1, alice);
        vm.prank(alice);
        staking.register(Role.Miner, op1, MINER_MIN, 10_000, "", "");
        assertEq(staking.getNode(op1).commissionBps, 10_000);
    }

    function test_Register_RevertsWhenPaused() public {
        vm.prank(guardian);
        staking.setPaused(true);
        _fund(alice, MINER_MIN);
        vm.expectRevert(IStaking.Paused.selector);
        vm.prank(alice);
        staking.register(Role.Miner, op1, MINER_MIN, 0, "", "");

        vm.prank(guardian);
        staking.setPaused(false);
        _approveOwner(op1, alice);
        vm.prank(alice);
        staking.register(Role.Miner, op1, MINER_MIN, 0, "", "");
        assertTrue(staking.isActive(op1));
    }

    function test_Register_SameOwnerSeveralNodes() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _registerMiner(alice, op2, MINER_MIN + 1, 0);
        assertEq(staking.getNode(op2).owner, alice);
        assertEq(staking.getNode(op2).selfStake, MINER_MIN + 1);
        assertEq(staking.nodeCount(Role.Miner), 2);
    }

    // ================================================================= views

    function test_GetNodes_Paginates() public {
        address op3 = makeAddr("op3");
        address coord = makeAddr("coord");
        _registerMiner(alice, op1, MINER_MIN, 100);
        _registerMiner(dave, op2, MINER_MIN + 1, 200);
        _registerMiner(bob, op3, MINER_MIN + 2, 300);
        _registerCoordinator(carol, coord, COORDINATOR_MIN);

        NodeView[] memory page = staking.getNodes(Role.Miner, 0, 2);
        assertEq(page.length, 2);
        assertEq(page[0].operator, op1);
        assertEq(page[1].operator, op2);
        assertEq(page[1].owner, dave);
        assertEq(page[1].totalStake, MINER_MIN + 1);
        assertEq(page[1].commissionBps, 200);

        page = staking.getNodes(Role.Miner, 2, 10);
        assertEq(page.length, 1);
        assertEq(page[0].operator, op3);

        page = staking.getNodes(Role.Miner, 0, type(uint256).max);
        assertEq(page.length, 3);
        assertEq(page[2].operator, op3);

        assertEq(staking.getNodes(Role.Miner, 3, 5).length, 0); // offset at the end
        assertEq(staking.getNodes(Role.Miner, 100, 5).length, 0); // offset past the end
        assertEq(staking.getNodes(Role.Miner, 1, 0).length, 0); // zero limit

        page = staking.getNodes(Role.Coordinator, 0, 10);
        assertEq(page.length, 1);
        assertEq(page[0].operator, coord);
        assertEq(uint8(page[0].role), uint8(Role.Coordinator));

        // Deregistered nodes stay listed.
        vm.prank(dave);
        staking.deregister(op2);
        page = staking.getNodes(Role.Miner, 1, 1);
        assertEq(page[0].operator, op2);
        assertEq(uint8(page[0].status), uint8(Status.Deregistered));
        assertEq(staking.nodeCount(Role.Miner), 3);
    }

    function test_GetNode_RevertsNodeNotFound() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotFound.selector, op1));
        staking.getNode(op1);
        assertFalse(staking.isActive(op1));
        assertEq(staking.stakeOf(op1, alice), 0);
    }

    function test_NodeState_UnknownOperatorIsNone() public view {
        (Role role, Status status) = staking.nodeState(op1);
        assertEq(uint8(status), uint8(Status.None));
        assertEq(uint8(role), uint8(Role.Miner)); // the zero value: no revert, unlike getNode
    }

    function test_NodeState_ActiveMiner() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        (Role role, Status status) = staking.nodeState(op1);
        assertEq(uint8(role), uint8(Role.Miner));
        assertEq(uint8(status), uint8(Status.Active));
        assertEq(uint8(status), _status(op1));
        (, status) = staking.nodeState(op2); // another operator stays unknown
        assertEq(uint8(status), uint8(Status.None));
    }

    function test_NodeState_FollowsJailAndUnjail() public {
        _registerMiner(alice, op1, 2 * MINER_MIN, 0);
        _slash(op1, 100);
        (Role role, Status status) = staking.nodeState(op1);
        assertEq(uint8(role), uint8(Role.Miner));
        assertEq(uint8(status), uint8(Status.Jailed));
        skip(JAIL);
        vm.prank(alice);
        staking.unjail(op1);
        (, status) = staking.nodeState(op1);
        assertEq(uint8(status), uint8(Status.Active));
    }

    function test_NodeState_Deregistered() public {
        _registerCoordinator(alice, op1, COORDINATOR_MIN);
        vm.prank(alice);
        staking.deregister(op1);
        (Role role, Status status) = staking.nodeState(op1);
        assertEq(uint8(role), uint8(Role.Coordinator)); // the role survives deregistration
        assertEq(uint8(status), uint8(Status.Deregistered));
    }

    function test_NodeState_CoordinatorRole() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _registerCoordinator(dave, op2, COORDINATOR_MIN);
        (Role role, Status status) = staking.nodeState(op2);
        assertEq(uint8(role), uint8(Role.Coordinator));
        assertEq(uint8(status), uint8(Status.Active));
        (role,) = staking.nodeState(op1);
        assertEq(uint8(role), uint8(Role.Miner));
        vm.prank(slasher);
        staking.slashOwnerStake(op2, 1 ether, "");
        (role, status) = staking.nodeState(op2);
        assertEq(uint8(role), uint8(Role.Coordinator));
        assertEq(uint8(status), uint8(Status.Jailed));
    }

    function test_PositionsOf_ListsOnlyNodesWithStake() public {
        address op3 = makeAddr("op3");
        _registerMiner(alice, op1, MINER_MIN, 0);
        _registerMiner(dave, op2, MINER_MIN, 0);
        _registerMiner(carol, op3, MINER_MIN, 0);
        _stake(bob, op1, 10 ether);
        _stake(bob, op3, 30 ether);

        PositionView[] memory p = staking.positionsOf(bob, Role.Miner, 0, 10);
        assertEq(p.length, 2);
        assertEq(p[0].operator, op1);
        assertEq(p[0].stake, 10 ether);
        assertEq(uint8(p[0].status), uint8(Status.Active));
        assertEq(uint8(p[0].role), uint8(Role.Miner));
        assertEq(p[1].operator, op3);
        assertEq(p[1].stake, 30 ether);
        assertEq(p[1].pendingRewards, 0);

        p = staking.positionsOf(bob, Role.Miner, 1, 1); // only op2, where bob has nothing
        assertEq(p.length, 0);
        assertEq(staking.positionsOf(bob, Role.Miner, 7, 1).length, 0);
        assertEq(staking.positionsOf(bob, Role.Coordinator, 0, 10).length, 0);

        // Rewards alone keep a position listed after a full unstake.
        _notify(1_000 ether, 1_000);
        skip(100);
        _unstake(bob, op1, 10 ether);
        p = staking.positionsOf(bob, Role.Miner, 0, 1);
        assertEq(p.length, 1);
        assertEq(p[0].stake, 0);
        assertGt(p[0].pendingRewards, 0);
        assertEq(p[0].pendingRewards, staking.pendingRewards(op1, bob));
    }

    // ================================================================= updateNode and deregister

    function test_UpdateNode_ChangesMetadataAndEndpoint() public {
        _registerCoordinator(alice, op1, COORDINATOR_MIN);
        vm.expectEmit(address(staking));
        emit IStaking.NodeUpdated(op1, "ipfs://new", "https://new.example");
        vm.prank(alice);
        staking.updateNode(op1, 500, "ipfs://new", "https://new.example");
        NodeView memory v = staking.getNode(op1);
        assertEq(v.metadataURI, "ipfs://new");
        assertEq(v.endpoint, "https://new.example");
        assertEq(v.commissionBps, 500);
        assertEq(v.pendingCommissionBps, 0);
    }

    function test_UpdateNode_Reverts() public {
        _registerCoordinator(alice, op1, COORDINATOR_MIN);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NotNodeOwner.selector, op1, bob));
        vm.prank(bob);
        staking.updateNode(op1, 500, "", "https://e");

        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotFound.selector, op2));
        vm.prank(alice);
        staking.updateNode(op2, 500, "", "https://e");

        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IStaking.CommissionTooHigh.selector, 10_001));
        staking.updateNode(op1, 10_001, "", "https://e");
        vm.expectRevert(IStaking.EndpointRequired.selector);
        staking.updateNode(op1, 500, "", "");
        vm.expectRevert(abi.encodeWithSelector(IStaking.StringTooLong.selector, 2049, 2048));
        staking.updateNode(op1, 500, string(new bytes(2049)), "https://e");
        vm.expectRevert(abi.encodeWithSelector(IStaking.StringTooLong.selector, 257, 256));
        staking.updateNode(op1, 500, "", string(new bytes(257)));

        staking.deregister(op1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotActive.selector, op1, Status.Deregistered));
        staking.updateNode(op1, 500, "", "https://e");
        vm.stopPrank();
        assertEq(staking.getNode(op1).endpoint, "https://coord.example");
    }

    function test_Deregister_StopsNode() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _registerMiner(dave, op2, MINER_MIN, 0);
        _stake(bob, op1, 5 ether);
        assertEq(_totalRewardable(), 2 * MINER_MIN + 5 ether);

        vm.expectEmit(address(staking));
        emit IStaking.NodeDeregistered(op1);
        vm.prank(alice);
        staking.deregister(op1);

        assertEq(_status(op1), uint8(Status.Deregistered));
        assertFalse(staking.isActive(op1));
        assertEq(_totalRewardable(), MINER_MIN);
        // Stake stays in the pool until unstaked.
        assertEq(staking.stakeOf(op1, bob), 5 ether);
        assertEq(staking.getNode(op1).totalStake, MINER_MIN + 5 ether);
    }

    function test_Deregister_Reverts() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NotNodeOwner.selector, op1, bob));
        vm.prank(bob);
        staking.deregister(op1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotFound.selector, op2));
        vm.prank(alice);
        staking.deregister(op2);
        vm.startPrank(alice);
        staking.deregister(op1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotActive.selector, op1, Status.Deregistered));
        staking.deregister(op1);
        vm.stopPrank();
    }

    function test_Deregister_JailedNodeKeepsRewardableTotal() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _registerMiner(dave, op2, MINER_MIN, 0);
        _slash(op1, 1_000);
        assertEq(_totalRewardable(), MINER_MIN);
        vm.prank(alice);
        staking.deregister(op1);
        assertEq(_totalRewardable(), MINER_MIN); // a jailed node was not rewardable already
        assertEq(_status(op1), uint8(Status.Deregistered));
    }

    // ================================================================= stake

    function test_Stake_SeveralStakers() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _fund(bob, 100 ether);
        vm.expectEmit(address(staking));
        emit IStaking.Staked(op1, bob, 100 ether, 100 ether);
        vm.prank(bob);
        staking.stake(op1, 100 ether);
        _stake(carol, op1, 250 ether);
        _stake(bob, op1, 1 ether); // a second stake adds to the position

        assertEq(staking.stakeOf(op1, bob), 101 ether);
        assertEq(staking.stakeOf(op1, carol), 250 ether);
        assertEq(staking.stakeOf(op1, alice), MINER_MIN);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.totalStake, MINER_MIN + 351 ether);
        assertEq(v.selfStake, MINER_MIN);
        assertEq(_totalRewardable(), MINER_MIN + 351 ether);
        assertEq(cai.balanceOf(address(staking)), MINER_MIN + 351 ether);
        assertEq(cai.balanceOf(bob), 0);
    }

    function test_Stake_OneStakerOnSeveralNodes() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _registerCoordinator(dave, op2, COORDINATOR_MIN);
        _stake(bob, op1, 10 ether);
        _stake(bob, op2, 20 ether);
        assertEq(staking.stakeOf(op1, bob), 10 ether);
        assertEq(staking.stakeOf(op2, bob), 20 ether);
        assertEq(staking.getNode(op1).totalStake, MINER_MIN + 10 ether);
        assertEq(staking.getNode(op2).totalStake, COORDINATOR_MIN + 20 ether);
        assertEq(staking.positionsOf(bob, Role.Miner, 0, 10).length, 1);
        assertEq(staking.positionsOf(bob, Role.Coordinator, 0, 10)[0].stake, 20 ether);
    }

    function test_Stake_RevertsZeroAmount() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        vm.expectRevert(IStaking.ZeroAmount.selector);
        vm.prank(bob);
        staking.stake(op1, 0);
    }

    function test_Stake_RevertsUnknownNode() public {
        _fund(bob, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotActive.selector, op1, Status.None));
        vm.prank(bob);
        staking.stake(op1, 1 ether);
    }

    function test_Stake_JailedNode_OnlyOwnerCanStake() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _registerMiner(dave, op2, MINER_MIN, 0);
        _slash(op1, 1_000);
        _fund(bob, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotActive.selector, op1, Status.Jailed));
        vm.prank(bob);
        staking.stake(op1, 1 ether);

        uint256 before = staking.stakeOf(op1, alice);
        _stake(alice, op1, 2_000 ether);
        assertApproxEqAbs(staking.stakeOf(op1, alice), before + 2_000 ether, 1);
        // A jailed node's stake is not rewardable.
        assertEq(_totalRewardable(), MINER_MIN);
    }

    function test_Stake_RevertsDeregistered() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        vm.prank(alice);
        staking.deregister(op1);
        _fund(bob, 1 ether);
        _fund(alice, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotActive.selector, op1, Status.Deregistered));
        vm.prank(bob);
        staking.stake(op1, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotActive.selector, op1, Status.Deregistered));
        vm.prank(alice);
        staking.stake(op1, 1 ether);
    }

    function test_Stake_RevertsWhenPaused() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _fund(bob, 1 ether);
        vm.prank(guardian);
        staking.setPaused(true);
        vm.expectRevert(IStaking.Paused.selector);
        vm.prank(bob);
        staking.stake(op1, 1 ether);
        vm.prank(guardian);
        staking.setPaused(false);
        vm.prank(bob);
        staking.stake(op1, 1 ether);
        assertEq(staking.stakeOf(op1, bob), 1 ether);
    }

    /// @notice Pause stops votes, not a jailed node's owner restoring its self-stake to unjail.
    function test_Stake_JailedOwnerMayTopUpWhilePaused() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _slash(op1, 1_000);
        vm.prank(guardian);
        staking.setPaused(true);
        _fund(bob, 1 ether);
        vm.expectRevert(IStaking.Paused.selector);
        vm.prank(bob);
        staking.stake(op1, 1 ether);

        _stake(alice, op1, MINER_MIN / 10);
        skip(JAIL);
        vm.prank(alice);
        staking.unjail(op1);
        assertTrue(staking.isActive(op1));
    }

    function test_Stake_RevertsWithoutAllowance() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        cai.transfer(bob, 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, address(staking), 0, 1 ether
            )
        );
        vm.prank(bob);
        staking.stake(op1, 1 ether);
    }

    /// @dev Unreachable through the API (a pool never holds more tokens than shares); a harness
    ///      forces the pools into that state to reach the checks of `stake` and `unstake`.
    function test_StakeAndUnstake_RevertAmountTooSmall() public {
        StakingHarness h = new StakingHarness(
            cai, admin, treasury, StakingParams(MINER_MIN, COORDINATOR_MIN, UNBONDING, COMMISSION_DELAY, JAIL)
        );
        cai.transfer(alice, MINER_MIN);
        cai.transfer(bob, 2e20);
        vm.prank(alice);
        cai.approve(address(h), type(uint256).max);
        vm.prank(bob);
        cai.approve(address(h), type(uint256).max);
        vm.prank(op1);
        h.approveOwner(alice);
        vm.prank(alice);
        h.register(Role.Miner, op1, MINER_MIN, 0, "", "");
        vm.prank(bob);
        h.stake(op1, 1e20);

        h.forceActivePool(op1, 1e24, 1);
        assertEq(h.getNode(op1).totalStake, 1e24);
        vm.expectRevert(abi.encodeWithSelector(IStaking.AmountTooSmall.selector, 1e20));
        vm.prank(bob);
        h.stake(op1, 1e20);

        h.forceActivePool(op1, uint96(MINER_MIN + 1e20), uint128(MINER_MIN + 1e20));
        h.forceUnbondingPool(op1, 1e24, 1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.AmountTooSmall.selector, 1e20));
        vm.prank(bob);
        h.unstake(op1, 1e20);
    }

    // ================================================================= stakeWithPermit

    function _permit(uint256 pk, address owner, uint256 amount, uint256 deadline)
        internal
        view
        returns (uint8 v, bytes32 r, bytes32 s)
    {
        bytes32 structHash = keccak256(
            abi.encode(PERMIT_TYPEHASH, owner, address(staking), amount, cai.nonces(owner), deadline)
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", cai.DOMAIN_SEPARATOR(), structHash));
        (v, r, s) = vm.sign(pk, digest);
    }

    function test_StakeWithPermit_StakesWithoutApproval() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        (address signer, uint256 pk) = makeAddrAndKey("signer");
        cai.transfer(signer, 50 ether);
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(pk, signer, 50 ether, deadline);

        vm.expectEmit(address(staking));
        emit IStaking.Staked(op1, signer, 50 ether, 50 ether);
        vm.prank(signer);
        staking.stakeWithPermit(op1, 50 ether, deadline, v, r, s);

        assertEq(staking.stakeOf(op1, signer), 50 ether);
        assertEq(cai.nonces(signer), 1);
        assertEq(cai.allowance(signer, address(staking)), 0);
        assertEq(cai.balanceOf(signer), 0);
    }

    function test_StakeWithPermit_FrontRunPermitStillStakes() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        (address signer, uint256 pk) = makeAddrAndKey("signer");
        cai.transfer(signer, 50 ether);
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(pk, signer, 50 ether, deadline);

        // An attacker submits the permit first: the nonce is used, the allowance is set.
        vm.prank(bob);
        cai.permit(signer, address(staking), 50 ether, deadline, v, r, s);
        assertEq(cai.allowance(signer, address(staking)), 50 ether);

        vm.prank(signer);
        staking.stakeWithPermit(op1, 50 ether, deadline, v, r, s);
        assertEq(staking.stakeOf(op1, signer), 50 ether);
        assertEq(cai.nonces(signer), 1);
    }

    function test_StakeWithPermit_RevertsWithBadPermitAndNoAllowance() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        (address signer, uint256 pk) = makeAddrAndKey("signer");
        cai.transfer(signer, 50 ether);
        uint256 deadline = block.timestamp + 1 hours;
        // Signed for a smaller amount: the permit fails, and without allowance so does the stake.
        (uint8 v, bytes32 r, bytes32 s) = _permit(pk, signer, 10 ether, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, address(staking), 0, 50 ether
            )
        );
        vm.prank(signer);
        staking.stakeWithPermit(op1, 50 ether, deadline, v, r, s);

        // An expired permit fails the same way.
        (v, r, s) = _permit(pk, signer, 50 ether, block.timestamp - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, address(staking), 0, 50 ether
            )
        );
        vm.prank(signer);
        staking.stakeWithPermit(op1, 50 ether, block.timestamp - 1, v, r, s);
        assertEq(staking.stakeOf(op1, signer), 0);
    }

    function test_StakeWithPermit_RevertsWhenPaused() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        (address signer, uint256 pk) = makeAddrAndKey("signer");
        cai.transfer(signer, 50 ether);
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(pk, signer, 50 ether, deadline);
        vm.prank(guardian);
        staking.setPaused(true);
        vm.expectRevert(IStaking.Paused.selector);
        vm.prank(signer);
        staking.stakeWithPermit(op1, 50 ether, deadline, v, r, s);
        assertEq(cai.nonces(signer), 0); // the whole call reverted, permit included
    }

    // ================================================================= unstake

    function test_Unstake_CreatesLock() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 100 ether);
        uint256 unlockAt = block.timestamp + 7 days;

        vm.expectEmit(address(staking));
        emit IStaking.Unstaked(op1, bob, 40 ether, 0, unlockAt);
        uint256 id = _unstake(bob, op1, 40 ether);
        assertEq(id, 0);

        assertEq(staking.stakeOf(op1, bob), 60 ether);
        assertEq(staking.lockCount(bob), 1);
        LockView memory l = _lockOf(bob, 0);
        assertEq(l.id, 0);
        assertEq(l.operator, op1);
        assertEq(l.amount, 40 ether);
        assertEq(l.unlockAt, unlockAt);
        assertFalse(l.withdrawn);
        NodeView memory v = staking.getNode(op1);
        assertEq(v.totalStake, MINER_MIN + 60 ether);
        assertEq(v.unbondingStake, 40 ether);
        assertEq(_totalRewardable(), MINER_MIN + 60 ether);
        // Tokens stay in the contract until withdrawn.
        assertEq(cai.balanceOf(address(staking)), MINER_MIN + 100 ether);

        skip(1 hours);
        id = _unstake(bob, op1, 10 ether);
        assertEq(id, 1);
        assertEq(staking.lockCount(bob), 2);
        assertEq(_lockOf(bob, 1).unlockAt, unlockAt + 1 hours);
        assertEq(_lockOf(bob, 1).amount, 10 ether);
        assertEq(staking.getNode(op1).unbondingStake, 50 ether);
    }

    function test_Unstake_RevertsInsufficientStake() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 100 ether);
        vm.expectRevert(abi.encodeWithSelector(IStaking.InsufficientStake.selector, 100 ether + 1, 100 ether));
        _unstake(bob, op1, 100 ether + 1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.InsufficientStake.selector, 1, 0));
        _unstake(carol, op1, 1);
    }

    function test_Unstake_RevertsZeroAmountAndUnknownNode() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        vm.expectRevert(IStaking.ZeroAmount.selector);
        _unstake(alice, op1, 0);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NodeNotFound.selector, op2));
        _unstake(alice, op2, 1);
    }

    function test_Unstake_OwnerKeepsMinimumWhileRegistered() public {
        _registerMiner(alice, op1, MINER_MIN + 10 ether, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.SelfStakeBelowMinimum.selector, MINER_MIN - 1, MINER_MIN)
        );
        _unstake(alice, op1, 10 ether + 1);
        _unstake(alice, op1, 10 ether); // down to exactly the minimum
        assertEq(staking.stakeOf(op1, alice), MINER_MIN);
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.SelfStakeBelowMinimum.selector, MINER_MIN - 1, MINER_MIN)
        );
        _unstake(alice, op1, 1);
    }

    function test_Unstake_OwnerCanUnstakeAllAfterDeregister() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 5 ether);
        vm.prank(alice);
        staking.deregister(op1);
        uint256 rewardable = _totalRewardable();
        _unstake(alice, op1, MINER_MIN);
        assertEq(staking.stakeOf(op1, alice), 0);
        assertEq(staking.getNode(op1).selfStake, 0);
        assertEq(_totalRewardable(), rewardable); // a deregistered node was not rewardable
        skip(UNBONDING);
        assertEq(_withdraw(alice, _ids(0)), MINER_MIN);
        assertEq(cai.balanceOf(alice), MINER_MIN);
    }

    function test_Unstake_AllExactly() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 123_456_789);
        uint256 all = staking.stakeOf(op1, bob);
        _unstake(bob, op1, all);
        assertEq(staking.stakeOf(op1, bob), 0);
        assertEq(staking.getNode(op1).totalStake, MINER_MIN);
        assertEq(_lockOf(bob, 0).amount, 123_456_789);
        vm.expectRevert(abi.encodeWithSelector(IStaking.InsufficientStake.selector, 1, 0));
        _unstake(bob, op1, 1);
    }

    function test_Unstake_WorksWhilePaused() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 10 ether);
        vm.prank(guardian);
        staking.setPaused(true);
        _unstake(bob, op1, 10 ether);
        assertEq(staking.stakeOf(op1, bob), 0);
        assertEq(staking.lockCount(bob), 1);
    }

    function test_Unstake_NewUnbondingPeriodAppliesToNewLocksOnly() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 10 ether);
        _unstake(bob, op1, 5 ether);
        vm.prank(admin);
        staking.setUnbondingPeriod(1 days);
        _unstake(bob, op1, 5 ether);
        assertEq(_lockOf(bob, 0).unlockAt, block.timestamp + 7 days);
        assertEq(_lockOf(bob, 1).unlockAt, block.timestamp + 1 days);
    }

    function test_LocksOf_Paginates() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _registerMiner(dave, op2, MINER_MIN, 0);
        _stake(bob, op1, 10 ether);
        _stake(bob, op2, 10 ether);
        _unstake(bob, op1, 1 ether);
        _unstake(bob, op2, 2 ether);
        _unstake(bob, op1, 3 ether);

        LockView[] memory page = staking.locksOf(bob, 1, 5);
        assertEq(page.length, 2);
        assertEq(page[0].id, 1);
        assertEq(page[0].operator, op2);
        assertEq(page[0].amount, 2 ether);
        assertEq(page[1].id, 2);
        assertEq(page[1].amount, 3 ether);
        assertEq(staking.locksOf(bob, 3, 5).length, 0);
        assertEq(staking.locksOf(bob, 10, 5).length, 0);
        assertEq(staking.locksOf(carol, 0, 5).length, 0);
        assertEq(staking.lockCount(carol), 0);

        skip(UNBONDING);
        _withdraw(bob, _ids(1));
        page = staking.locksOf(bob, 0, 3);
        assertEq(page.length, 3);
        assertFalse(page[0].withdrawn);
        assertTrue(page[1].withdrawn);
        assertEq(page[1].id, 1);
        assertEq(page[1].operator, address(0));
        assertEq(page[1].amount, 0);
        assertEq(staking.lockCount(bob), 3);
    }

    // ================================================================= withdraw

    function test_Withdraw_RevertsBeforeMaturity_ExactBoundary() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 10 ether);
        _unstake(bob, op1, 10 ether);
        uint256 unlockAt = block.timestamp + UNBONDING;

        vm.warp(unlockAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.LockNotMatured.selector, 0, unlockAt));
        _withdraw(bob, _ids(0));

        vm.warp(unlockAt);
        vm.expectEmit(address(staking));
        emit IStaking.Withdrawn(bob, 0, op1, 10 ether);
        assertEq(_withdraw(bob, _ids(0)), 10 ether);
        assertEq(cai.balanceOf(bob), 10 ether);
        assertEq(staking.getNode(op1).unbondingStake, 0);
        assertEq(cai.balanceOf(address(staking)), MINER_MIN);
    }

    function test_Withdraw_RevertsLockNotFound() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 10 ether);
        _unstake(bob, op1, 10 ether);
        skip(UNBONDING);

        vm.expectRevert(abi.encodeWithSelector(IStaking.LockNotFound.selector, 1));
        _withdraw(bob, _ids(1));
        // Another staker's lock id is not the caller's.
        vm.expectRevert(abi.encodeWithSelector(IStaking.LockNotFound.selector, 0));
        _withdraw(carol, _ids(0));
        // The same id twice in one call.
        vm.expectRevert(abi.encodeWithSelector(IStaking.LockNotFound.selector, 0));
        _withdraw(bob, _ids(0, 0));

        _withdraw(bob, _ids(0));
        vm.expectRevert(abi.encodeWithSelector(IStaking.LockNotFound.selector, 0));
        _withdraw(bob, _ids(0));
        assertEq(cai.balanceOf(bob), 10 ether);
    }

    function test_Withdraw_SeveralLocksAtOnce() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _registerCoordinator(dave, op2, COORDINATOR_MIN);
        _stake(bob, op1, 10 ether);
        _stake(bob, op2, 20 ether);
        _unstake(bob, op1, 4 ether);
        _unstake(bob, op2, 20 ether);
        _unstake(bob, op1, 6 ether);
        skip(UNBONDING);

        vm.expectEmit(address(staking));
        emit IStaking.Withdrawn(bob, 2, op1, 6 ether);
        vm.expectEmit(address(staking));
        emit IStaking.Withdrawn(bob, 1, op2, 20 ether);
        assertEq(_withdraw(bob, _ids(2, 1)), 26 ether);
        assertEq(cai.balanceOf(bob), 26 ether);
        assertEq(staking.getNode(op1).unbondingStake, 4 ether);
        assertEq(staking.getNode(op2).unbondingStake, 0);

        assertEq(_withdraw(bob, _ids(0)), 4 ether);
        assertEq(cai.balanceOf(bob), 30 ether);
        assertEq(_withdraw(bob, new uint256[](0)), 0);
    }

    function test_Withdraw_OneImmatureLockRevertsTheBatch() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 10 ether);
        _unstake(bob, op1, 4 ether);
        skip(1 days);
        _unstake(bob, op1, 6 ether);
        skip(UNBONDING - 1 days);
        vm.expectRevert(abi.encodeWithSelector(IStaking.LockNotMatured.selector, 1, block.timestamp + 1 days));
        _withdraw(bob, _ids(0, 1));
        assertEq(_withdraw(bob, _ids(0)), 4 ether);
    }

    function test_Withdraw_WorksWhilePaused() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 10 ether);
        _unstake(bob, op1, 10 ether);
        vm.prank(guardian);
        staking.setPaused(true);
        skip(UNBONDING);
        assertEq(_withdraw(bob, _ids(0)), 10 ether);
        assertEq(cai.balanceOf(bob), 10 ether);
    }

    function test_Withdraw_ValueReducedBySlashDuringUnbonding() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 100 ether);
        _stake(carol, op1, 300 ether);
        _unstake(bob, op1, 100 ether);
        _unstake(carol, op1, 100 ether);
        skip(3 days);
        _slash(op1, 2_000); // 20%
        assertEq(_lockOf(bob, 0).amount, 80 ether);
        assertEq(_lockOf(carol, 0).amount, 80 ether);
        assertEq(staking.getNode(op1).unbondingStake, 160 ether);

        skip(UNBONDING);
        assertApproxEqAbs(_withdraw(bob, _ids(0)), 80 ether, 1);
        assertApproxEqAbs(_withdraw(carol, _ids(0)), 80 ether, 1);
        assertApproxEqAbs(cai.balanceOf(bob), 80 ether, 1);
        assertLe(cai.balanceOf(bob), 80 ether);
        assertEq(staking.getNode(op1).unbondingStake, 0);
    }

    // ================================================================= unbonding pool generations

    /// @dev bob's lock 0 holds 50,000 CAI (5e22 shares). alice's own stake is taken whole by
    ///      slashOwnerStake (the active pool is left with no shares, so it may take stake again),
    ///      then a 100% slash empties the unbonding pool but leaves its 5e22 shares. alice tops up,
    ///      unjails and stakes 40,000 CAI on top of the minimum.
    function _fullySlashedWithALock() internal {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 50_000 ether);
        _unstake(bob, op1, 50_000 ether);
        vm.prank(slasher);
        staking.slashOwnerStake(op1, MINER_MIN, keccak256("shortfall"));
        _slash(op1, 10_000);
        assertEq(staking.getNode(op1).totalStake, 0);
        assertEq(staking.getNode(op1).unbondingStake, 0);
        assertEq(_lockOf(bob, 0).amount, 0);
        skip(JAIL);
        _stake(alice, op1, MINER_MIN + 40_000 ether);
        vm.prank(alice);
        staking.unjail(op1);
    }

    /// @notice Regression: the new lock used to get 20,000e18 * (5e22 + 1) ~ 1e45 shares, beyond
    ///         uint128, so the unstake reverted and the stake could never leave. Now the pool starts
    ///         a new generation: the new lock is worth its amount, the old one 0, as before.
    function test_Unstake_AfterFullSlash_StartsNewUnbondingGeneration() public {
        _fullySlashedWithALock();

        vm.expectEmit(address(staking));
        emit IStaking.UnbondingPoolReset(op1, 1);
        vm.expectEmit(address(staking));
        emit IStaking.Unstaked(op1, alice, 20_000 ether, 0, block.timestamp + UNBONDING);
        assertEq(_unstake(alice, op1, 20_000 ether), 0);
        assertEq(staking.getNode(op1).unbondingStake, 20_000 ether);
        assertEq(_lockOf(alice, 0).amount, 20_000 ether);
        assertEq(_lockOf(bob, 0).amount, 0);
        assertFalse(_lockOf(bob, 0).withdrawn);

        // A second lock joins the new generation like any lock (no second reset).
        vm.recordLogs();
        _unstake(alice, op1, 20_000 ether);
        assertEq(_resets(vm.getRecordedLogs()), 0);
        assertEq(_lockOf(alice, 1).amount, 20_000 ether);

        skip(UNBONDING);
        // The old lock pays 0 and leaves the new generation alone.
        vm.expectEmit(address(staking));
        emit IStaking.Withdrawn(bob, 0, op1, 0);
        assertEq(_withdraw(bob, _ids(0)), 0);
        assertEq(cai.balanceOf(bob), 0);
        assertTrue(_lockOf(bob, 0).withdrawn);
        assertEq(staking.getNode(op1).unbondingStake, 40_000 ether);
        assertEq(_lockOf(alice, 0).amount, 20_000 ether);

        vm.expectEmit(address(staking));
        emit IStaking.Withdrawn(alice, 0, op1, 20_000 ether);
        assertEq(_withdraw(alice, _ids(0, 1)), 40_000 ether);
        assertEq(cai.balanceOf(alice), 40_000 ether);
        assertEq(staking.getNode(op1).unbondingStake, 0);
        assertEq(cai.balanceOf(address(staking)), MINER_MIN);
    }

    function test_Withdraw_OldAndNewGenerationLocksInOneBatch() public {
        _fullySlashedWithALock();
        _stake(bob, op1, 30_000 ether);
        _unstake(bob, op1, 30_000 ether); // bob's lock 1, generation 1
        skip(UNBONDING);
        vm.expectEmit(address(staking));
        emit IStaking.Withdrawn(bob, 1, op1, 30_000 ether);
        vm.expectEmit(address(staking));
        emit IStaking.Withdrawn(bob, 0, op1, 0);
        assertEq(_withdraw(bob, _ids(1, 0)), 30_000 ether);
        assertEq(cai.balanceOf(bob), 30_000 ether);
        assertEq(staking.getNode(op1).unbondingStake, 0);
    }

    /// @notice Each 100% slash followed by a lock starts a generation; locks of every earlier one
    ///         pay 0, and an old lock that is not matured yet still has to wait.
    function test_Unstake_EveryFullSlashStartsAnotherGeneration() public {
        _fullySlashedWithALock();
        _unstake(alice, op1, 10_000 ether); // generation 1
        // Empty the active pool again (else a 100% slash depletes it for good), then slash all.
        vm.prank(slasher);
        staking.slashOwnerStake(op1, type(uint256).max, keccak256("shortfall"));
        _slash(op1, 10_000);
        skip(JAIL);
        _stake(alice, op1, MINER_MIN);
        vm.prank(alice);
        staking.unjail(op1);
        _stake(carol, op1, 5_000 ether);
        vm.expectEmit(address(staking));
        emit IStaking.UnbondingPoolReset(op1, 2);
        _unstake(carol, op1, 5_000 ether); // generation 2
        assertEq(_lockOf(alice, 0).amount, 0);
        assertEq(_lockOf(carol, 0).amount, 5_000 ether);

        vm.expectRevert(
            abi.encodeWithSelector(IStaking.LockNotMatured.selector, 0, _lockOf(alice, 0).unlockAt)
        );
        _withdraw(alice, _ids(0));
        skip(UNBONDING);
        assertEq(_withdraw(alice, _ids(0)), 0);
        assertEq(_withdraw(bob, _ids(0)), 0);
        assertEq(_withdraw(carol, _ids(0)), 5_000 ether);
        assertEq(staking.getNode(op1).unbondingStake, 0);
    }

    /// @notice Withdrawing every lock of a pool slashed to zero empties its shares too: the next
    ///         lock needs no new generation.
    function test_Unstake_NoNewGenerationOncePoolHasNoShares() public {
        _fullySlashedWithALock();
        skip(UNBONDING);
        assertEq(_withdraw(bob, _ids(0)), 0);
        vm.recordLogs();
        _unstake(alice, op1, 20_000 ether);
        assertEq(_resets(vm.getRecordedLogs()), 0);
        skip(UNBONDING);
        assertEq(_withdraw(alice, _ids(0)), 20_000 ether);
    }

    /// @notice A slash below 100% leaves tokens in the pool: no new generation, the old locks keep
    ///         their (reduced) value.
    function test_Unstake_AfterPartialSlash_KeepsGeneration() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, 50_000 ether);
        _unstake(bob, op1, 50_000 ether);
        _slash(op1, 9_999);
        assertEq(_lockOf(bob, 0).amount, 5 ether);
        skip(JAIL);
        _stake(alice, op1, MINER_MIN + 10_000 ether);
        vm.prank(alice);
        staking.unjail(op1);
        vm.recordLogs();
        _unstake(alice, op1, 10_000 ether);
        assertEq(_resets(vm.getRecordedLogs()), 0);
        assertApproxEqAbs(_lockOf(alice, 0).amount, 10_000 ether, 1);
        skip(UNBONDING);
        assertApproxEqAbs(_withdraw(bob, _ids(0)), 5 ether, 1);
        assertApproxEqAbs(_withdraw(alice, _ids(0)), 10_000 ether, 1);
    }

    function _resets(Vm.Log[] memory logs) internal view returns (uint256 n) {
        for (uint256 i; i < logs.length; ++i) {
            if (
                logs[i].emitter == address(staking)
                    && logs[i].topics[0] == IStaking.UnbondingPoolReset.selector
            ) {
                ++n;
            }
        }
    }

    // ================================================================= guardian and admin

    function test_SetPaused_ByGuardian() public {
        vm.expectEmit(address(staking));
        emit IStaking.PausedSet(true);
        vm.prank(guardian);
        staking.setPaused(true);
        (,,,, bool paused) = staking.rewardState();
        assertTrue(paused);

        vm.expectEmit(address(staking));
        emit IStaking.PausedSet(false);
        vm.prank(guardian);
        staking.setPaused(false);
        (,,,, paused) = staking.rewardState();
        assertFalse(paused);
    }

    function test_Setters_SetAndEmit() public {
        address newTreasury = makeAddr("newTreasury");
        vm.startPrank(admin);
        vm.expectEmit(address(staking));
        emit IStaking.TreasurySet(newTreasury);
        staking.setTreasury(newTreasury);
        vm.expectEmit(address(staking));
        emit IStaking.MinSelfStakeSet(Role.Miner, 1 ether);
        staking.setMinSelfStake(Role.Miner, 1 ether);
        vm.expectEmit(address(staking));
        emit IStaking.MinSelfStakeSet(Role.Coordinator, 2 ether);
        staking.setMinSelfStake(Role.Coordinator, 2 ether);
        vm.expectEmit(address(staking));
        emit IStaking.CommissionDelaySet(30 days);
        staking.setCommissionDelay(30 days);
        vm.expectEmit(address(staking));
        emit IStaking.UnbondingPeriodSet(30 days);
        staking.setUnbondingPeriod(30 days); // equal to the delay is allowed
        vm.expectEmit(address(staking));
        emit IStaking.JailPeriodSet(365 days);
        staking.setJailPeriod(365 days);
        vm.stopPrank();

        assertEq(staking.treasury(), newTreasury);
        assertEq(staking.minSelfStake(Role.Miner), 1 ether);
        assertEq(staking.minSelfStake(Role.Coordinator), 2 ether);
        assertEq(staking.commissionDelay(), 30 days);
        assertEq(staking.unbondingPeriod(), 30 days);
        assertEq(staking.jailPeriod(), 365 days);

        // The new minimum applies to registration.
        _registerMiner(alice, op1, 1 ether, 0);
        assertEq(staking.stakeOf(op1, alice), 1 ether);
    }

    function test_Setters_Revert() public {
        vm.startPrank(admin);
        vm.expectRevert(IStaking.ZeroAddress.selector);
        staking.setTreasury(address(0));
        vm.expectRevert(abi.encodeWithSelector(IStaking.MinSelfStakeTooLow.selector, 1e12 - 1, 1e12));
        staking.setMinSelfStake(Role.Miner, 1e12 - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.CommissionDelayBelowUnbonding.selector, COMMISSION_DELAY, 9 days)
        );
        staking.setUnbondingPeriod(9 days);
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.CommissionDelayBelowUnbonding.selector, 6 days, UNBONDING)
        );
        staking.setCommissionDelay(6 days);
        vm.expectRevert(abi.encodeWithSelector(IStaking.PeriodTooLong.selector, 365 days + 1, 365 days));
        staking.setUnbondingPeriod(365 days + 1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.PeriodTooLong.selector, 365 days + 1, 365 days));
        staking.setCommissionDelay(365 days + 1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.PeriodTooLong.selector, 365 days + 1, 365 days));
        staking.setJailPeriod(365 days + 1);
        vm.stopPrank();
        assertEq(staking.treasury(), treasury);
        assertEq(staking.unbondingPeriod(), UNBONDING);
        assertEq(staking.commissionDelay(), COMMISSION_DELAY);
        assertEq(staking.jailPeriod(), JAIL);
    }

    function test_AccessControl() public {
        _registerMiner(alice, op1, MINER_MIN, 0);
        bytes32 adminRole = staking.DEFAULT_ADMIN_ROLE();
        vm.startPrank(bob);
        vm.expectRevert(_unauthorized(bob, adminRole));
        staking.setTreasury(bob);
        vm.expectRevert(_unauthorized(bob, adminRole));
        staking.setMinSelfStake(Role.Miner, 1);
        vm.expectRevert(_unauthorized(bob, adminRole));
        staking.setUnbondingPeriod(1);
        vm.expectRevert(_unauthorized(bob, adminRole));
        staking.setCommissionDelay(30 days);
        vm.expectRevert(_unauthorized(bob, adminRole));
        staking.setJailPeriod(1);
        vm.expectRevert(_unauthorized(bob, staking.GUARDIAN_ROLE()));
        staking.setPaused(true);
        vm.expectRevert(_unauthorized(bob, staking.SLASHER_ROLE()));
        staking.slash(op1, 100, "");
        vm.expectRevert(_unauthorized(bob, staking.SLASHER_ROLE()));
        staking.slashOwnerStake(op1, 1 ether, "");
        vm.expectRevert(_unauthorized(bob, staking.REWARD_DISTRIBUTOR_ROLE()));
        staking.notifyRewardAmount(1 ether, 1 days);
        vm.stopPrank();

        // Holding one role does not give the others, and the admin holds none of them itself.
        vm.expectRevert(_unauthorized(admin, staking.GUARDIAN_ROLE()));
        vm.prank(admin);
        staking.setPaused(true);
        vm.expectRevert(_unauthorized(guardian, staking.SLASHER_ROLE()));
        vm.prank(guardian);
        staking.slash(op1, 100, "");
        vm.expectRevert(_unauthorized(slasher, adminRole));
        vm.prank(slasher);
        staking.setJailPeriod(1);
        vm.expectRevert(_unauthorized(distributor, staking.SLASHER_ROLE()));
        vm.prank(distributor);
        staking.slash(op1, 100, "");

        assertTrue(staking.isActive(op1));
        assertEq(staking.treasury(), treasury);
    }

    // ================================================================= fuzz

    /// @notice Whatever the pool's exchange rate (set by an earlier slash) and however a deposit is
    ///         unstaked, a staker never gets back more than it deposited.
    function testFuzz_StakeUnstakeRoundTrip_NeverReturnsMore(
        uint256 deposit,
        uint256 firstPart,
        uint256 otherStake,
        uint16 priorSlashBps
    ) public {
        deposit = bound(deposit, 1, 10_000_000 ether);
        otherStake = bound(otherStake, 0, 10_000_000 ether);
        priorSlashBps = uint16(bound(priorSlashBps, 0, 9_900));
        _registerMiner(alice, op1, MINER_MIN, 0);
        if (otherStake != 0) _stake(carol, op1, otherStake);
        if (priorSlashBps != 0) {
            // Move the exchange rate off 1:1, then bring the node back.
            _slash(op1, priorSlashBps);
            skip(JAIL);
            _stake(alice, op1, MINER_MIN - staking.stakeOf(op1, alice) + 1 ether);
            vm.prank(alice);
            staking.unjail(op1);
        }

        _stake(bob, op1, deposit);
        uint256 held = staking.stakeOf(op1, bob);
        assertLe(held, deposit);
        firstPart = bound(firstPart, 0, held);
        uint256 locks;
        if (firstPart != 0 && firstPart != held) {
            _unstake(bob, op1, firstPart);
            ++locks;
        }
        uint256 rest = staking.stakeOf(op1, bob);
        if (rest != 0) {
            _unstake(bob, op1, rest);
            ++locks;
        }
        assertEq(staking.stakeOf(op1, bob), 0);
        skip(UNBONDING);
        uint256 out = _withdraw(bob, locks == 2 ? _ids(0, 1) : locks == 1 ? _ids(0) : new uint256[](0));
        assertEq(cai.balanceOf(bob), out);
        assertLe(out, deposit);
        // Rounding costs at most a few wei per conversion.
        assertApproxEqAbs(out, deposit, 10);
        // The others are not hurt by bob's round trip.
        if (otherStake != 0 && priorSlashBps == 0) assertEq(staking.stakeOf(op1, carol), otherStake);
    }

    /// @notice Whatever the old lock and the new stake, after a 100% slash the new generation's
    ///         locks are worth exactly their amounts and the old lock pays 0.
    function testFuzz_FullSlash_NewGenerationLocksKeepTheirValue(
        uint256 oldLock,
        uint256 ownerPart,
        uint256 carolStake
    ) public {
        oldLock = bound(oldLock, 1, 10_000_000 ether);
        ownerPart = bound(ownerPart, 1, 10_000_000 ether);
        carolStake = bound(carolStake, 1, 10_000_000 ether);
        _registerMiner(alice, op1, MINER_MIN, 0);
        _stake(bob, op1, oldLock);
        _unstake(bob, op1, oldLock);
        vm.prank(slasher);
        staking.slashOwnerStake(op1, MINER_MIN, keccak256("shortfall"));
        _slash(op1, 10_000);
        skip(JAIL);
        _stake(alice, op1, MINER_MIN + ownerPart);
        vm.prank(alice);
        staking.unjail(op1);
        _stake(carol, op1, carolStake);

        vm.expectEmit(address(staking));
        emit IStaking.UnbondingPoolReset(op1, 1);
        _unstake(alice, op1, ownerPart);
        _unstake(carol, op1, carolStake);
        assertEq(_lockOf(alice, 0).amount, ownerPart);
        assertEq(_lockOf(carol, 0).amount, carolStake);
        assertEq(_lockOf(bob, 0).amount, 0);

        skip(UNBONDING);
        assertEq(_withdraw(bob, _ids(0)), 0);
        assertEq(_withdraw(carol, _ids(0)), carolStake);
        assertEq(_withdraw(alice, _ids(0)), ownerPart);
        assertEq(staking.getNode(op1).unbondingStake, 0);
        assertEq(cai.balanceOf(address(staking)), MINER_MIN);
    }
}

/// @notice Staking with setters for pool totals, to reach states the API cannot.
contract StakingHarness is Staking {
    constructor(IERC20 token_, address admin_, address treasury_, StakingParams memory params)
        Staking(token_, admin_, treasury_, params)
    {}

    function forceActivePool(address operator, uint96 tokens, uint128 shares) external {
        _nodes[operator].activeTokens = tokens;
        _nodes[operator].activeShares = shares;
    }

    function forceUnbondingPool(address operator, uint96 tokens, uint128 shares) external {
        _nodes[operator].unbondingTokens = tokens;
        _nodes[operator].unbondingShares = shares;
    }
}
