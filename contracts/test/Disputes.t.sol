// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {Disputes} from "../src/Disputes.sol";
import {DisputesParams, IDisputes, ProposalStatus, TaskResult} from "../src/interfaces/IDisputes.sol";
import {IStaking} from "../src/interfaces/IStaking.sol";
import {LockView, NodeView, Role, Status} from "../src/staking/StakingTypes.sol";

/// @notice Actors and helpers shared by the Disputes unit tests (this file: constructor, EIP-712,
///         equivocation, parameters; DisputesProposals.t.sol: the proposal life cycle).
abstract contract DisputesTestBase is MarketFixture {
    /// @dev The order of secp256k1; an s above N/2 is the malleable twin of a low-s signature.
    uint256 internal constant SECP256K1_N =
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    bytes32 internal constant TASK = keccak256("task-1");
    bytes32 internal constant HASH_A = keccak256("result A");
    bytes32 internal constant HASH_B = keccak256("result B");
    bytes32 internal constant EVIDENCE = keccak256("evidence bundle");
    string internal constant URI = "ipfs://bafy-evidence";

    // 20,000 CAI of self-stake: 30% equivocation slash, 5% of it to the finder.
    uint256 internal constant EQUIVOCATION_SLASH = 6_000 ether;
    uint256 internal constant FINDER_FEE = 300 ether;

    address internal finder = makeAddr("finder");
    address internal stranger = makeAddr("stranger");
    address internal staker = makeAddr("staker");
    address internal miner2Owner = makeAddr("miner2Owner");
    address internal coord2Owner = makeAddr("coord2Owner");
    address internal miner2;
    uint256 internal miner2Key;
    address internal coordinator2;
    uint256 internal coordinator2Key;
    address internal outsider; // a key that never registered
    uint256 internal outsiderKey;

    function setUp() public virtual override {
        super.setUp();
        (miner2, miner2Key) = makeAddrAndKey("miner2Operator");
        (coordinator2, coordinator2Key) = makeAddrAndKey("coordinator2Operator");
        (outsider, outsiderKey) = makeAddrAndKey("outsider");
    }

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }

    function _registerMiner2() internal {
        _registerMiner(miner2Owner, miner2, MINER_MIN, 0);
    }

    function _registerCoordinator2() internal {
        _registerCoordinator(coord2Owner, coordinator2, COORDINATOR_MIN);
    }

    /// @dev Two results for `coordinator_`'s task `taskId` (HASH_A and HASH_B), both signed with `key`.
    function _pair(uint256 key, address coordinator_, bytes32 taskId)
        internal
        view
        returns (TaskResult memory a, bytes memory sigA, TaskResult memory b, bytes memory sigB)
    {
        a = _result(coordinator_, taskId, HASH_A);
        b = _result(coordinator_, taskId, HASH_B);
        sigA = _signResult(key, a);
        sigB = _signResult(key, b);
    }

    /// @dev `caller` proves that `key` signed HASH_A and HASH_B for `coordinator`'s task `taskId`.
    function _prove(address caller, uint256 key, bytes32 taskId) internal returns (uint256) {
        (TaskResult memory a, bytes memory sigA, TaskResult memory b, bytes memory sigB) =
            _pair(key, coordinator, taskId);
        vm.prank(caller);
        return disputes.proveEquivocation(a, sigA, b, sigB);
    }

    /// @dev `coordinator` proposes to slash `bps` of `miner` for `taskId`.
    function _propose(bytes32 taskId, uint16 bps) internal returns (uint256 id) {
        vm.prank(coordinator);
        id = disputes.proposeSlash(miner, taskId, bps, EVIDENCE, URI);
    }

    /// @dev Gives `who` the dispute bond and an allowance for Disputes.
    function _fundBond(address who) internal {
        cai.transfer(who, DISPUTE_BOND);
        vm.prank(who);
        cai.approve(address(disputes), type(uint256).max);
    }

    /// @dev `who` (funded here) disputes proposal `id`.
    function _dispute(uint256 id, address who) internal {
        _fundBond(who);
        vm.prank(who);
        disputes.dispute(id);
    }

    function _statusOf(uint256 id) internal view returns (ProposalStatus) {
        return disputes.getProposal(id).status;
    }

    function _nodeStatus(address operator) internal view returns (Status) {
        return staking.getNode(operator).status;
    }

    /// @dev A node's active and unbonding stake.
    function _stakes(address operator) internal view returns (uint256 active, uint256 unbonding) {
        NodeView memory v = staking.getNode(operator);
        return (v.totalStake, v.unbondingStake);
    }

    function _recover(bytes32 digest, bytes memory sig) internal pure returns (address) {
        (bytes32 r, bytes32 s, uint8 v) = _split(sig);
        return ecrecover(digest, v, r, s);
    }

    function _split(bytes memory sig) internal pure returns (bytes32 r, bytes32 s, uint8 v) {
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
    }

    function _wrongStatus(uint256 id, ProposalStatus status) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IDisputes.WrongStatus.selector, id, status);
    }

    function _assertParams(DisputesParams memory p) internal view {
        assertEq(keccak256(abi.encode(disputes.params())), keccak256(abi.encode(p)), "params");
    }
}

contract DisputesTest is DisputesTestBase {
    // ================================================================= constructor and views

    function test_Constructor_SetsState() public view {
        assertEq(address(disputes.staking()), address(staking));
        assertEq(address(disputes.token()), address(cai));
        _assertParams(defaultDisputesParams());
        assertTrue(disputes.hasRole(disputes.DEFAULT_ADMIN_ROLE(), admin));
        assertFalse(disputes.hasRole(disputes.DEFAULT_ADMIN_ROLE(), address(this)));
        assertTrue(disputes.hasRole(disputes.ARBITER_ROLE(), arbiter));
        assertEq(disputes.ARBITER_ROLE(), keccak256("ARBITER_ROLE"));
        assertEq(
            disputes.TASK_RESULT_TYPEHASH(),
            keccak256(
                "TaskResult(address coordinator,bytes32 taskId,bytes32 inputHash,bytes32 resultHash,string modelId,uint64 completedAt)"
            )
        );
        assertEq(disputes.BPS(), 10_000);
        assertEq(disputes.MAX_EVIDENCE_URI_LENGTH(), 2048);
        assertEq(disputes.proposalCount(), 0);
        (, string memory name, string memory version, uint256 chainId, address verifying,,) =
            disputes.eip712Domain();
        assertEq(name, "Roost");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifying, address(disputes));
    }

    function test_Constructor_EmitsParamsSet() public {
        DisputesParams memory p = defaultDisputesParams();
        vm.expectEmit(true, true, true, true);
        emit IDisputes.ParamsSet(p);
        new Disputes(staking, admin, p);
    }

    function test_Constructor_Reverts() public {
        DisputesParams memory p = defaultDisputesParams();
        vm.expectRevert(IDisputes.ZeroAddress.selector);
        new Disputes(IStaking(address(0)), admin, p);
        vm.expectRevert(IDisputes.ZeroAddress.selector);
        new Disputes(staking, address(0), p);
        p.equivocationBps = 0;
        vm.expectRevert(abi.encodeWithSelector(IDisputes.InvalidParam.selector, "equivocationBps"));
        new Disputes(staking, admin, p);
        p = defaultDisputesParams();
        p.arbitrationWindow = uint40(UNBONDING - CHALLENGE_WINDOW + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IDisputes.WindowsExceedUnbonding.selector, UNBONDING + 1, UNBONDING)
        );
        new Disputes(staking, admin, p);
    }

    function test_GetProposal_RevertsProposalNotFound() public {
        vm.expectRevert(abi.encodeWithSelector(IDisputes.ProposalNotFound.selector, 0));
        disputes.getProposal(0);
        _propose(TASK, 100);
        disputes.getProposal(0);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.ProposalNotFound.selector, 1));
        disputes.getProposal(1);
    }

    function test_HashTaskResult_IsEIP712() public view {
        TaskResult memory r = _result(coordinator, TASK, HASH_A);
        bytes32 domain = _roostDomainSeparator(address(disputes));
        bytes32 structHash = keccak256(
            abi.encode(
                disputes.TASK_RESULT_TYPEHASH(),
                r.coordinator,
                r.taskId,
                r.inputHash,
                r.resultHash,
                keccak256(bytes(r.modelId)),
                r.completedAt
            )
        );
        assertEq(disputes.hashTaskResult(r), keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
    }

    function test_HashTaskResult_CoversEveryField() public view {
        TaskResult memory r = _result(coordinator, TASK, HASH_A);
        bytes32 h = disputes.hashTaskResult(r);
        TaskResult memory x = _result(coordinator, TASK, HASH_A);
        x.coordinator = coordinator2;
        assertNotEq(disputes.hashTaskResult(x), h, "coordinator");
        x = _result(coordinator, TASK, HASH_A);
        x.taskId = keccak256("task-2");
        assertNotEq(disputes.hashTaskResult(x), h, "taskId");
        x = _result(coordinator, TASK, HASH_A);
        x.inputHash = keccak256("other input");
        assertNotEq(disputes.hashTaskResult(x), h, "inputHash");
        x = _result(coordinator, TASK, HASH_B);
        assertNotEq(disputes.hashTaskResult(x), h, "resultHash");
        x = _result(coordinator, TASK, HASH_A);
        x.modelId = "demo-image-v2";
        assertNotEq(disputes.hashTaskResult(x), h, "modelId");
        x = _result(coordinator, TASK, HASH_A);
        x.completedAt += 1;
        assertNotEq(disputes.hashTaskResult(x), h, "completedAt");
    }

    // ================================================================= proveEquivocation

    function test_ProveEquivocation_SlashesPaysFinderAndTreasury() public {
        (TaskResult memory a, bytes memory sigA, TaskResult memory b, bytes memory sigB) =
            _pair(minerKey, coordinator, TASK);
        uint256 treasuryBefore = cai.balanceOf(treasury);
        assertFalse(disputes.equivocated(miner));

        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Jailed(miner, block.timestamp + JAIL);
        // Staking records the taskId as the slash's reason
        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Slashed(miner, address(disputes), 3_000, EQUIVOCATION_SLASH, 0, TASK);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.EquivocationProven(miner, coordinator, TASK, finder, EQUIVOCATION_SLASH, FINDER_FEE);
        vm.prank(finder);
        uint256 slashed = disputes.proveEquivocation(a, sigA, b, sigB);

        assertEq(slashed, EQUIVOCATION_SLASH);
        assertEq(cai.balanceOf(finder), FINDER_FEE);
        assertEq(cai.balanceOf(treasury) - treasuryBefore, EQUIVOCATION_SLASH - FINDER_FEE);
        assertEq(cai.balanceOf(address(disputes)), 0);
        assertEq(staking.stakeOf(miner, minerOwner), MINER_MIN - EQUIVOCATION_SLASH);
        NodeView memory v = staking.getNode(miner);
        assertEq(v.totalStake, MINER_MIN - EQUIVOCATION_SLASH);
        assertEq(uint8(v.status), uint8(Status.Jailed));
        assertEq(v.jailedUntil, block.timestamp + JAIL);
        assertTrue(disputes.equivocated(miner));
    }

    /// @notice The reason in Staking's Slashed event is the taskId, whatever it is (not a hash of
    ///         it with the miner or the coordinator).
    function testFuzz_ProveEquivocation_SlashedReasonIsTheTaskId(bytes32 taskId, address coordinator_)
        public
    {
        (TaskResult memory a, bytes memory sigA, TaskResult memory b, bytes memory sigB) =
            _pair(minerKey, coordinator_, taskId);
        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Slashed(miner, address(disputes), 3_000, EQUIVOCATION_SLASH, 0, taskId);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.EquivocationProven(miner, coordinator_, taskId, finder, EQUIVOCATION_SLASH, FINDER_FEE);
        vm.prank(finder);
        disputes.proveEquivocation(a, sigA, b, sigB);
    }

    function test_ProveEquivocation_ArgumentOrderDoesNotMatter() public {
        (TaskResult memory a, bytes memory sigA, TaskResult memory b, bytes memory sigB) =
            _pair(minerKey, coordinator, TASK);
        vm.prank(finder);
        assertEq(disputes.proveEquivocation(b, sigB, a, sigA), EQUIVOCATION_SLASH);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.AlreadyProven.selector, miner));
        disputes.proveEquivocation(a, sigA, b, sigB);
    }

    function test_ProveEquivocation_SlashesUnbondingStakeToo() public {
        _stake(staker, miner, 10_000 ether);
        vm.prank(staker);
        staking.unstake(miner, 4_000 ether);
        // active 26,000, unbonding 4,000: 30% of each
        uint256 treasuryBefore = cai.balanceOf(treasury);
        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Slashed(miner, address(disputes), 3_000, 7_800 ether, 1_200 ether, TASK);
        uint256 slashed = _prove(finder, minerKey, TASK);
        assertEq(slashed, 9_000 ether);
        assertEq(cai.balanceOf(finder), 450 ether);
        assertEq(cai.balanceOf(treasury) - treasuryBefore, 8_550 ether);
        (uint256 active, uint256 unbonding) = _stakes(miner);
        assertEq(active, 18_200 ether);
        assertEq(unbonding, 2_800 ether);
        assertEq(staking.locksOf(staker, 0, 1)[0].amount, 2_800 ether);
    }

    function test_ProveEquivocation_DeregisteredMinerStillSlashable() public {
        vm.startPrank(minerOwner);
        staking.deregister(miner);
        staking.unstake(miner, MINER_MIN); // everything unbonding, not yet withdrawable
        vm.stopPrank();
        vm.warp(block.timestamp + UNBONDING - 1);

        uint256 slashed = _prove(finder, minerKey, TASK);
        assertEq(slashed, EQUIVOCATION_SLASH);
        (uint256 active, uint256 unbonding) = _stakes(miner);
        assertEq(active, 0);
        assertEq(unbonding, MINER_MIN - EQUIVOCATION_SLASH);
        // a retired node is not jailed: it stays deregistered
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Deregistered));
        vm.warp(block.timestamp + 1);
        vm.prank(minerOwner);
        assertEq(staking.withdraw(_one(0)), MINER_MIN - EQUIVOCATION_SLASH);
    }

    // ================================================================= tombstone

    /// @notice One equivocation slash per operator key, ever: a proof for another task (of the
    ///         same or another coordinator) reverts, while the node is jailed and after its owner
    ///         unjailed it.
    function test_ProveEquivocation_Tombstone_AnotherTaskReverts() public {
        _prove(finder, minerKey, TASK);
        bytes memory err = abi.encodeWithSelector(IDisputes.AlreadyProven.selector, miner);
        (TaskResult memory a, bytes memory sigA, TaskResult memory b, bytes memory sigB) =
            _pair(minerKey, coordinator, keccak256("task-2"));
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Jailed));
        vm.expectRevert(err);
        vm.prank(finder);
        disputes.proveEquivocation(a, sigA, b, sigB);

        // the owner restores the self-stake and unjails the node: the key stays marked
        vm.warp(block.timestamp + JAIL);
        _stake(minerOwner, miner, EQUIVOCATION_SLASH);
        vm.prank(minerOwner);
        staking.unjail(miner);
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Active));
        vm.expectRevert(err);
        vm.prank(finder);
        disputes.proveEquivocation(a, sigA, b, sigB);
        // results signed after the unjail, for another coordinator's task
        (a, sigA, b, sigB) = _pair(minerKey, coordinator2, TASK);
        vm.expectRevert(err);
        vm.prank(stranger);
        disputes.proveEquivocation(a, sigA, b, sigB);

        assertEq(staking.getNode(miner).totalStake, MINER_MIN);
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Active));
        assertEq(cai.balanceOf(finder), FINDER_FEE);
        assertEq(cai.balanceOf(stranger), 0);
        assertTrue(disputes.equivocated(miner));
    }

    /// @notice A thief holding an operator key pre-signs many conflicting pairs (many tasks, several
    ///         coordinators) and hands them to accomplices: only the first proof slashes. The node
    ///         loses equivocationBps once, not proof after proof, before or after the owner unjails.
    function test_ProveEquivocation_Tombstone_StolenKeySlashesOnlyOnce() public {
        _stake(staker, miner, 80_000 ether); // 100,000 at stake: 30,000 slashed, 1,500 finder fee
        uint256 n = 12;
        TaskResult[] memory as_ = new TaskResult[](n);
        TaskResult[] memory bs = new TaskResult[](n);
        bytes[] memory sigsA = new bytes[](n);
        bytes[] memory sigsB = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            address coordinator_ =
                i % 3 == 0 ? coordinator : (i % 3 == 1 ? coordinator2 : address(uint160(i)));
            (as_[i], sigsA[i], bs[i], sigsB[i]) = _pair(minerKey, coordinator_, bytes32(i));
            bs[i].completedAt += uint64(i);
            sigsB[i] = _signResult(minerKey, bs[i]);
        }
        address[] memory accomplices = new address[](n);
        for (uint256 i; i < n; ++i) {
            accomplices[i] = makeAddr(string.concat("accomplice", vm.toString(i)));
        }
        uint256 treasuryBefore = cai.balanceOf(treasury);
        uint256 topUp;

        vm.prank(accomplices[0]);
        assertEq(disputes.proveEquivocation(as_[0], sigsA[0], bs[0], sigsB[0]), 30_000 ether);
        for (uint256 round; round < 2; ++round) {
            for (uint256 i = 1; i < n; ++i) {
                vm.expectRevert(abi.encodeWithSelector(IDisputes.AlreadyProven.selector, miner));
                vm.prank(accomplices[i]);
                disputes.proveEquivocation(as_[i], sigsA[i], bs[i], sigsB[i]);
            }
            if (round == 0) {
                // the owner restores its self-stake and unjails; the thief tries again
                vm.warp(block.timestamp + JAIL);
                topUp = MINER_MIN - staking.stakeOf(miner, minerOwner) + 1 ether;
                _stake(minerOwner, miner, topUp);
                vm.prank(minerOwner);
                staking.unjail(miner);
            }
        }
        vm.expectRevert(abi.encodeWithSelector(IDisputes.AlreadyProven.selector, miner));
        disputes.proveEquivocation(as_[0], sigsA[0], bs[0], sigsB[0]);

        assertEq(staking.getNode(miner).totalStake, 70_000 ether + topUp);
        assertApproxEqAbs(staking.stakeOf(miner, staker), 56_000 ether, 1, "the staker lost 30% once");
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Active));
        assertEq(cai.balanceOf(accomplices[0]), 1_500 ether);
        for (uint256 i = 1; i < n; ++i) {
            assertEq(cai.balanceOf(accomplices[i]), 0);
        }
        assertEq(cai.balanceOf(treasury) - treasuryBefore, 28_500 ether);
        assertEq(cai.balanceOf(address(disputes)), 0);
    }

    /// @notice The mark is per key: another miner is slashed for the very same task, and the
    ///         marked miner can still be slashed through a coordinator's proposal.
    function test_ProveEquivocation_Tombstone_IsPerKey() public {
        _registerMiner2();
        _prove(finder, minerKey, TASK);
        assertFalse(disputes.equivocated(miner2));
        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Slashed(miner2, address(disputes), 3_000, EQUIVOCATION_SLASH, 0, TASK);
        assertEq(_prove(finder, miner2Key, TASK), EQUIVOCATION_SLASH);
        assertTrue(disputes.equivocated(miner2));
        assertTrue(disputes.equivocated(miner));
        assertFalse(disputes.equivocated(coordinator));

        uint256 id = _propose(keccak256("task-2"), 1_000);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        assertEq(disputes.execute(id), (MINER_MIN - EQUIVOCATION_SLASH) / 10);
    }

    /// @notice A proof that slashed nothing (a retired miner that withdrew everything) still
    ///         marks the key.
    function test_ProveEquivocation_EmptyStakeSlashesNothingButMarks() public {
        vm.startPrank(minerOwner);
        staking.deregister(miner);
        staking.unstake(miner, MINER_MIN);
        vm.stopPrank();
        vm.warp(block.timestamp + UNBONDING);
        vm.prank(minerOwner);
        staking.withdraw(_one(0));
        (uint256 active, uint256 unbonding) = _stakes(miner);
        assertEq(active + unbonding, 0);
        uint256 treasuryBefore = cai.balanceOf(treasury);

        vm.expectEmit(true, true, true, true, address(staking));
        emit IStaking.Slashed(miner, address(disputes), 3_000, 0, 0, TASK);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.EquivocationProven(miner, coordinator, TASK, finder, 0, 0);
        assertEq(_prove(finder, minerKey, TASK), 0);
        assertEq(cai.balanceOf(treasury), treasuryBefore);
        assertEq(cai.balanceOf(finder), 0);
        assertTrue(disputes.equivocated(miner));
        (TaskResult memory a, bytes memory sigA, TaskResult memory b, bytes memory sigB) =
            _pair(minerKey, coordinator, keccak256("task-2"));
        vm.expectRevert(abi.encodeWithSelector(IDisputes.AlreadyProven.selector, miner));
        disputes.proveEquivocation(a, sigA, b, sigB);
    }

    function test_ProveEquivocation_MinerMayReportItself() public {
        uint256 slashed = _prove(miner, minerKey, TASK);
        assertEq(slashed, EQUIVOCATION_SLASH);
        assertEq(cai.balanceOf(miner), FINDER_FEE);
    }

    function test_ProveEquivocation_NoFinderFee() public {
        DisputesParams memory p = defaultDisputesParams();
        p.finderFeeBps = 0;
        vm.prank(admin);
        disputes.setParams(p);
        uint256 treasuryBefore = cai.balanceOf(treasury);
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.EquivocationProven(miner, coordinator, TASK, finder, EQUIVOCATION_SLASH, 0);
        _prove(finder, minerKey, TASK);
        assertEq(cai.balanceOf(finder), 0);
        assertEq(cai.balanceOf(treasury) - treasuryBefore, EQUIVOCATION_SLASH);
    }

    function test_ProveEquivocation_RevertsNotSameTask() public {
        TaskResult memory a = _result(coordinator, TASK, HASH_A);
        TaskResult memory b = _result(coordinator, keccak256("task-2"), HASH_B);
        bytes memory sigA = _signResult(minerKey, a);
        bytes memory sigB = _signResult(minerKey, b);
        vm.expectRevert(IDisputes.NotSameTask.selector);
        disputes.proveEquivocation(a, sigA, b, sigB);

        b = _result(coordinator2, TASK, HASH_B);
        sigB = _signResult(minerKey, b);
        vm.expectRevert(IDisputes.NotSameTask.selector);
        disputes.proveEquivocation(a, sigA, b, sigB);
        // checked before the signatures
        vm.expectRevert(IDisputes.NotSameTask.selector);
        disputes.proveEquivocation(a, "", b, "");
    }

    // ================================================================= same input

    /// @notice A coordinator that reuses a taskId with another input cannot frame a miner: the
    ///         miner's honest answers to two inputs are not equivocation.
    function test_ProveEquivocation_RevertsNotSameInput_InputHash() public {
        TaskResult memory a = _result(coordinator, TASK, HASH_A);
        TaskResult memory b = _result(coordinator, TASK, HASH_B);
        b.inputHash = keccak256("another input");
        bytes memory sigA = _signResult(minerKey, a);
        bytes memory sigB = _signResult(minerKey, b);
        vm.expectRevert(IDisputes.NotSameInput.selector);
        vm.prank(coordinator);
        disputes.proveEquivocation(a, sigA, b, sigB);
        vm.expectRevert(IDisputes.NotSameInput.selector);
        vm.prank(finder);
        disputes.proveEquivocation(b, sigB, a, sigA);
        // any other input, even a zero hash
        b.inputHash = bytes32(0);
        sigB = _signResult(minerKey, b);
        vm.expectRevert(IDisputes.NotSameInput.selector);
        disputes.proveEquivocation(a, sigA, b, sigB);

        assertEq(staking.getNode(miner).totalStake, MINER_MIN);
        assertEq(uint8(_nodeStatus(miner)), uint8(Status.Active));
        assertFalse(disputes.equivocated(miner));
        // the miner is still slashable once it really equivocates on one input
        assertEq(_prove(finder, minerKey, TASK), EQUIVOCATION_SLASH);
    }

    /// @notice Two models give two results: a different modelId (compared byte for byte) is not
    ///         equivocation either.
    function test_ProveEquivocation_RevertsNotSameInput_ModelId() public {
        TaskResult memory a = _result(coordinator, TASK, HASH_A);
        bytes memory sigA = _signResult(minerKey, a);
        string[4] memory models = ["demo-image-v2", "", "Demo-image-v1", "demo-image-v1 "];
        for (uint256 i; i < models.length; ++i) {
            TaskResult memory b = _result(coordinator, TASK, HASH_B);
            b.modelId = models[i];
            bytes memory sigB = _signResult(minerKey, b);
            vm.expectRevert(IDisputes.NotSameInput.selector);
            disputes.proveEquivocation(a, sigA, b, sigB);
            vm.expectRevert(IDisputes.NotSameInput.selector);
            disputes.proveEquivocation(b, sigB, a, sigA);
        }
        assertEq(staking.getNode(miner).totalStake, MINER_MIN);
        assertFalse(disputes.equivocated(miner));
    }

    /// @notice NotSameInput is checked after NotSameTask and before SameResult, the signatures and
    ///         the mark.
    function test_ProveEquivocation_NotSameInputCheckOrder() public {
        TaskResult memory a = _result(coordinator, TASK, HASH_A);
        TaskResult memory b = _result(coordinator, keccak256("task-2"), HASH_A);
        b.inputHash = keccak256("another input");
        b.modelId = "demo-image-v2";
        vm.expectRevert(IDisputes.NotSameTask.selector);
        disputes.proveEquivocation(a, "", b, "");
        b.taskId = TASK; // same task; other input and model; same result; no signatures
        vm.expectRevert(IDisputes.NotSameInput.selector);
        disputes.proveEquivocation(a, "", b, "");
        b.inputHash = a.inputHash; // other model only
        vm.expectRevert(IDisputes.NotSameInput.selector);
        disputes.proveEquivocation(a, "", b, "");
        b.modelId = a.modelId;
        vm.expectRevert(IDisputes.SameResult.selector);
        disputes.proveEquivocation(a, "", b, "");
        // a marked miner's results for two inputs: NotSameInput, not AlreadyProven
        _prove(finder, minerKey, TASK);
        b = _result(coordinator, TASK, HASH_B);
        b.inputHash = keccak256("another input");
        bytes memory sigA = _signResult(minerKey, a);
        bytes memory sigB = _signResult(minerKey, b);
        vm.expectRevert(IDisputes.NotSameInput.selector);
        disputes.proveEquivocation(a, sigA, b, sigB);
    }

    function test_ProveEquivocation_RevertsSameResult() public {
        TaskResult memory a = _result(coordinator, TASK, HASH_A);
        bytes memory sigA = _signResult(minerKey, a);
        vm.expectRevert(IDisputes.SameResult.selector);
        disputes.proveEquivocation(a, sigA, a, sigA);
        // the completion time is not part of what must match; the same result twice is no lie
        TaskResult memory b = _result(coordinator, TASK, HASH_A);
        b.completedAt = a.completedAt + 60;
        bytes memory sigB = _signResult(minerKey, b);
        vm.expectRevert(IDisputes.SameResult.selector);
        disputes.proveEquivocation(a, sigA, b, sigB);
        b.completedAt = 0;
        sigB = _signResult(minerKey, b);
        vm.expectRevert(IDisputes.SameResult.selector);
        disputes.proveEquivocation(b, sigB, a, sigA);
        assertEq(staking.getNode(miner).totalStake, MINER_MIN);
    }

    /// @notice Two results for one input and model that differ only in result and completion time
    ///         are equivocation: completedAt need not match.
    function test_ProveEquivocation_CompletedAtMayDiffer() public {
        TaskResult memory a = _result(coordinator, TASK, HASH_A);
        TaskResult memory b = _result(coordinator, TASK, HASH_B);
        b.completedAt = a.completedAt + 3_600;
        bytes memory sigA = _signResult(minerKey, a);
        bytes memory sigB = _signResult(minerKey, b);
        vm.prank(finder);
        assertEq(disputes.proveEquivocation(a, sigA, b, sigB), EQUIVOCATION_SLASH);
        assertTrue(disputes.equivocated(miner));
    }

    function test_ProveEquivocation_RevertsDifferentSigners() public {
        _registerMiner2();
        TaskResult memory a = _result(coordinator, TASK, HASH_A);
        TaskResult memory b = _result(coordinator, TASK, HASH_B);
        bytes memory sigA = _signResult(minerKey, a);
        bytes memory sigB = _signResult(miner2Key, b);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.DifferentSigners.selector, miner, miner2));
        disputes.proveEquivocation(a, sigA, b, sigB);
    }

    function test_ProveEquivocation_RevertsNotAMiner() public {
        // a coordinator's operator key signing two results is not a miner's equivocation
        (TaskResult memory a, bytes memory sigA, TaskResult memory b, bytes memory sigB) =
            _pair(coordinatorKey, coordinator, TASK);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.NotAMiner.selector, coordinator));
        disputes.proveEquivocation(a, sigA, b, sigB);
        // nor is a key that never registered
        (a, sigA, b, sigB) = _pair(outsiderKey, coordinator, TASK);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.NotAMiner.selector, outsider));
        disputes.proveEquivocation(a, sigA, b, sigB);
        // nor a miner's owner (the owner is not the operator key that signs results)
        (address ownerAddr, uint256 ownerKey) = makeAddrAndKey("minerOwnerWithKey");
        _registerMiner(ownerAddr, miner2, MINER_MIN, 0);
        (a, sigA, b, sigB) = _pair(ownerKey, coordinator, TASK);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.NotAMiner.selector, ownerAddr));
        disputes.proveEquivocation(a, sigA, b, sigB);
    }

    function test_ProveEquivocation_RevertsAlreadyProven() public {
        _prove(finder, minerKey, TASK);
        bytes memory err = abi.encodeWithSelector(IDisputes.AlreadyProven.selector, miner);
        // the same pair again, or a third result for the same task
        (TaskResult memory a, bytes memory sigA, TaskResult memory b, bytes memory sigB) =
            _pair(minerKey, coordinator, TASK);
        vm.expectRevert(err);
        disputes.proveEquivocation(a, sigA, b, sigB);
        TaskResult memory c = _result(coordinator, TASK, keccak256("result C"));
        bytes memory sigC = _signResult(minerKey, c);
        vm.expectRevert(err);
        disputes.proveEquivocation(a, sigA, c, sigC);
        // a malleated (high-s) copy of a signature does not help either: it is rejected outright
        (bytes32 r, bytes32 s, uint8 v) = _split(sigC);
        bytes memory highS =
            abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(
            abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, bytes32(SECP256K1_N - uint256(s)))
        );
        disputes.proveEquivocation(a, sigA, c, highS);
        // DifferentSigners is checked before the mark
        _registerMiner2();
        sigB = _signResult(miner2Key, b);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.DifferentSigners.selector, miner, miner2));
        disputes.proveEquivocation(a, sigA, b, sigB);
        assertEq(staking.getNode(miner).totalStake, MINER_MIN - EQUIVOCATION_SLASH);
    }

    function test_ProveEquivocation_RevertsSignaturesForAnotherChain() public {
        TaskResult memory a = _result(coordinator, TASK, HASH_A);
        TaskResult memory b = _result(coordinator, TASK, HASH_B);
        uint256 chainId = block.chainid;
        vm.chainId(chainId + 1);
        bytes memory foreignA = _signResult(minerKey, a);
        bytes memory foreignB = _signResult(minerKey, b);
        vm.chainId(chainId);
        bytes memory sigB = _signResult(minerKey, b);
        // on this chain the digests differ from what was signed: unrelated keys are recovered
        address ra = _recover(disputes.hashTaskResult(a), foreignA);
        address rb = _recover(disputes.hashTaskResult(b), foreignB);
        assertTrue(ra != miner && rb != miner && ra != rb);

        vm.expectRevert(abi.encodeWithSelector(IDisputes.DifferentSigners.selector, ra, rb));
        disputes.proveEquivocation(a, foreignA, b, foreignB);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.DifferentSigners.selector, ra, miner));
        disputes.proveEquivocation(a, foreignA, b, sigB);
    }

    function test_ProveEquivocation_RevertsSignaturesForAnotherContract() public {
        Disputes other = new Disputes(staking, admin, defaultDisputesParams());
        TaskResult memory a = _result(coordinator, TASK, HASH_A);
        TaskResult memory b = _result(coordinator, TASK, HASH_B);
        bytes memory foreignA = _sign(minerKey, other.hashTaskResult(a));
        bytes memory foreignB = _sign(minerKey, other.hashTaskResult(b));
        bytes memory sigB = _signResult(minerKey, b);
        address ra = _recover(disputes.hashTaskResult(a), foreignA);
        address rb = _recover(disputes.hashTaskResult(b), foreignB);
        assertTrue(ra != miner && rb != miner && ra != rb);

        vm.expectRevert(abi.encodeWithSelector(IDisputes.DifferentSigners.selector, ra, rb));
        disputes.proveEquivocation(a, foreignA, b, foreignB);
        vm.expectRevert(abi.encodeWithSelector(IDisputes.DifferentSigners.selector, ra, miner));
        disputes.proveEquivocation(a, foreignA, b, sigB);
        // ...while the other deployment accepts them (it has no SLASHER_ROLE: Staking refuses)
        vm.expectRevert(_unauthorized(address(other), staking.SLASHER_ROLE()));
        other.proveEquivocation(a, foreignA, b, foreignB);
    }

    function test_ProveEquivocation_RevertsMalformedSignatures() public {
        (TaskResult memory a, bytes memory sigA, TaskResult memory b, bytes memory sigB) =
            _pair(minerKey, coordinator, TASK);
        (bytes32 r, bytes32 s, uint8 v) = _split(sigB);

        bytes[5] memory badLength = [
            bytes(""),
            abi.encodePacked(r, s),
            abi.encodePacked(r, s, v, uint8(0)),
            abi.encodePacked(r),
            new bytes(130)
        ];
        for (uint256 i; i < badLength.length; ++i) {
            uint256 len = badLength[i].length;
            vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, len));
            disputes.proveEquivocation(a, badLength[i], b, sigB);
            vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, len));
            disputes.proveEquivocation(a, sigA, b, badLength[i]);
        }
        // ERC-2098 compact signature (r, yParity|s): 64 bytes, refused
        bytes memory compact = abi.encodePacked(r, bytes32(uint256(s) | (uint256(v - 27) << 255)));
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureLength.selector, 64));
        disputes.proveEquivocation(a, sigA, b, compact);

        bytes[4] memory invalid = [
            abi.encodePacked(r, s, v - 27), // v in {0, 1}
            abi.encodePacked(r, s, uint8(29)),
            abi.encodePacked(bytes32(0), s, v),
            new bytes(65)
        ];
        for (uint256 i; i < invalid.length; ++i) {
            vm.expectRevert(ECDSA.ECDSAInvalidSignature.selector);
            disputes.proveEquivocation(a, sigA, b, invalid[i]);
            vm.expectRevert(ECDSA.ECDSAInvalidSignature.selector);
            disputes.proveEquivocation(a, invalid[i], b, sigB);
        }

        // the malleated twin of a valid signature (s -> N - s, v flipped) recovers the same key
        // with plain ecrecover, but is refused
        bytes32 highS = bytes32(SECP256K1_N - uint256(s));
        bytes memory twin = abi.encodePacked(r, highS, v == 27 ? uint8(28) : uint8(27));
        assertEq(_recover(disputes.hashTaskResult(b), twin), miner);
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, highS));
        disputes.proveEquivocation(a, sigA, b, twin);
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, highS));
        disputes.proveEquivocation(b, twin, a, sigA);

        assertEq(staking.getNode(miner).totalStake, MINER_MIN);
    }

    function test_ProveEquivocation_RevertsWithoutSlasherRole() public {
        vm.startPrank(admin);
        staking.revokeRole(staking.SLASHER_ROLE(), address(disputes));
        vm.stopPrank();
        (TaskResult memory a, bytes memory sigA, TaskResult memory b, bytes memory sigB) =
            _pair(minerKey, coordinator, TASK);
        vm.expectRevert(_unauthorized(address(disputes), staking.SLASHER_ROLE()));
        disputes.proveEquivocation(a, sigA, b, sigB);
    }

    // ================================================================= proveEquivocation fuzz

    /// @dev One random equivocation attempt (a struct keeps the fuzz test below the stack limit).
    struct Attempt {
        uint256 keyA;
        uint256 keyB;
        TaskResult a;
        TaskResult b;
        address signer;
        bool isMiner;
        bool sameTask;
        bool sameInput;
        bool provenBefore;
        bytes32 priorTask;
        address priorCoordinator;
    }

    /// @notice Equivocation succeeds iff both results are for the same (coordinator, task), the
    ///         same input and model, commit to different results, are signed by the same key, that
    ///         key is a registered miner's operator, and that key was never slashed for
    ///         equivocation before (for any task). Otherwise the first failing check's error.
    /// @param flags six deviations from a valid proof, each present when its two bits are both
    ///        set (1 in 4): [0,1] another signer, [2,3] another task, [4,5] the same result,
    ///        [6,7] proven before, [8,9] another input, [10,11] another model. Bit 12: the other
    ///        task is another coordinator's; bit 13: the earlier proof was for another coordinator.
    /// forge-config: default.fuzz.runs = 1024
    function testFuzz_ProveEquivocation_SucceedsIffValid(
        uint8[2] memory signerSeeds,
        bytes32[2] memory tasks,
        bytes32[2] memory hashes,
        bytes32 priorTask,
        uint16 flags
    ) public {
        _registerMiner2();
        uint256[4] memory keys = [minerKey, miner2Key, coordinatorKey, outsiderKey];
        Attempt memory t;
        t.keyA = keys[signerSeeds[0] % 4];
        t.keyB = _deviates(flags, 0) ? keys[signerSeeds[1] % 4] : t.keyA;
        bytes32 hashB = _deviates(flags, 2) ? hashes[0] : hashes[1];
        t.a = _result(coordinator, tasks[0], hashes[0]);
        t.b = _deviates(flags, 1)
            ? _result(_bit(flags, 12) ? coordinator2 : coordinator, tasks[1], hashB)
            : _result(coordinator, tasks[0], hashB);
        if (_deviates(flags, 4)) t.b.inputHash = keccak256(abi.encode(tasks[1], "input"));
        if (_deviates(flags, 5)) t.b.modelId = "demo-image-v2";
        t.signer = vm.addr(t.keyA);
        t.isMiner = t.keyA == minerKey || t.keyA == miner2Key;
        t.sameTask = t.b.coordinator == coordinator && t.b.taskId == tasks[0];
        t.sameInput = !_deviates(flags, 4) && !_deviates(flags, 5);
        t.provenBefore = _deviates(flags, 3) && t.isMiner;
        t.priorTask = priorTask;
        t.priorCoordinator = _bit(flags, 13) ? coordinator2 : coordinator;
        _checkAttempt(t);
    }

    function _checkAttempt(Attempt memory t) internal {
        if (t.provenBefore) {
            // an earlier proof against the same key, for any task (possibly this very one)
            TaskResult memory x =
                _result(t.priorCoordinator, t.priorTask, keccak256(abi.encode(t.a.resultHash, 1)));
            TaskResult memory y =
                _result(t.priorCoordinator, t.priorTask, keccak256(abi.encode(t.a.resultHash, 2)));
            disputes.proveEquivocation(x, _signResult(t.keyA, x), y, _signResult(t.keyA, y));
        }
        bytes memory sigA = _signResult(t.keyA, t.a);
        bytes memory sigB = _signResult(t.keyB, t.b);
        address subject = t.isMiner ? t.signer : miner;
        (uint256 activeBefore,) = _stakes(subject);
        uint256 treasuryBefore = cai.balanceOf(treasury);
        if (!t.sameTask) {
            vm.expectRevert(IDisputes.NotSameTask.selector);
        } else if (!t.sameInput) {
            vm.expectRevert(IDisputes.NotSameInput.selector);
        } else if (t.a.resultHash == t.b.resultHash) {
            vm.expectRevert(IDisputes.SameResult.selector);
        } else if (t.keyA != t.keyB) {
            vm.expectRevert(
                abi.encodeWithSelector(IDisputes.DifferentSigners.selector, t.signer, vm.addr(t.keyB))
            );
        } else if (t.provenBefore) {
            vm.expectRevert(abi.encodeWithSelector(IDisputes.AlreadyProven.selector, t.signer));
        } else if (!t.isMiner) {
            vm.expectRevert(abi.encodeWithSelector(IDisputes.NotAMiner.selector, t.signer));
        } else {
            vm.expectEmit(true, true, true, true, address(disputes));
            emit IDisputes.EquivocationProven(
                t.signer,
                coordinator,
                t.a.taskId,
                finder,
                activeBefore * 3_000 / 10_000,
                activeBefore * 3_000 / 10_000 * 500 / 10_000
            );
            vm.prank(finder);
            uint256 slashed = disputes.proveEquivocation(t.a, sigA, t.b, sigB);
            assertEq(slashed, activeBefore * 3_000 / 10_000);
            assertEq(cai.balanceOf(finder), slashed * 500 / 10_000);
            assertEq(cai.balanceOf(treasury) - treasuryBefore, slashed - slashed * 500 / 10_000);
            assertTrue(disputes.equivocated(t.signer));
            assertEq(uint8(_nodeStatus(t.signer)), uint8(Status.Jailed));
            // marked: the earlier pair (another task, most likely) no longer slashes
            TaskResult memory x = _result(t.priorCoordinator, t.priorTask, keccak256("x"));
            TaskResult memory y = _result(t.priorCoordinator, t.priorTask, keccak256("y"));
            bytes memory sigX = _signResult(t.keyA, x);
            bytes memory sigY = _signResult(t.keyA, y);
            vm.expectRevert(abi.encodeWithSelector(IDisputes.AlreadyProven.selector, t.signer));
            disputes.proveEquivocation(x, sigX, y, sigY);
            return;
        }
        vm.prank(finder);
        disputes.proveEquivocation(t.a, sigA, t.b, sigB);
        assertEq(cai.balanceOf(treasury), treasuryBefore);
        (uint256 activeAfter,) = _stakes(subject);
        assertEq(activeAfter, activeBefore, "a refused proof slashes nothing");
        assertEq(disputes.equivocated(t.signer), t.provenBefore, "marked iff proven before");
    }

    function _bit(uint16 flags, uint256 i) internal pure returns (bool) {
        return flags & (1 << i) != 0;
    }

    /// @dev Deviation `k` is present when bits 2k and 2k + 1 are both set.
    function _deviates(uint16 flags, uint256 k) internal pure returns (bool) {
        return (flags >> (2 * k)) & 3 == 3;
    }

    /// @notice The slash takes floor(pool * bps / 1e4) of the active and of the unbonding pool
    ///         (within 1 wei of floor(total * bps / 1e4)); the finder gets exactly
    ///         slashed * finderFeeBps / 1e4 and the treasury exactly the rest.
    function testFuzz_ProveEquivocation_SlashMath(
        uint256 extra,
        uint256 unbond,
        uint16 equivocationBps,
        uint16 finderFeeBps
    ) public {
        extra = bound(extra, 1 ether, 50_000_000 ether);
        unbond = bound(unbond, 0, extra);
        DisputesParams memory p = defaultDisputesParams();
        p.equivocationBps = uint16(bound(equivocationBps, 1, 10_000));
        p.finderFeeBps = uint16(bound(finderFeeBps, 0, 10_000));
        vm.prank(admin);
        disputes.setParams(p);
        _stake(staker, miner, extra);
        if (unbond != 0) {
            vm.prank(staker);
            staking.unstake(miner, unbond);
        }
        (uint256 active, uint256 unbonding) = _stakes(miner);
        uint256 treasuryBefore = cai.balanceOf(treasury);

        uint256 slashed = _prove(finder, minerKey, TASK);

        uint256 expected = active * p.equivocationBps / 10_000 + unbonding * p.equivocationBps / 10_000;
        assertEq(slashed, expected, "slashed");
        uint256 total = active + unbonding;
        assertLe(slashed, total * p.equivocationBps / 10_000, "at most the total's share");
        assertGe(slashed + 1, total * p.equivocationBps / 10_000, "within 1 wei of the total's share");
        uint256 fee = slashed * p.finderFeeBps / 10_000;
        assertEq(cai.balanceOf(finder), fee, "fee");
        assertEq(cai.balanceOf(treasury) - treasuryBefore, slashed - fee, "treasury");
        assertEq(cai.balanceOf(address(disputes)), 0, "nothing stays in Disputes");
        (uint256 activeAfter, uint256 unbondingAfter) = _stakes(miner);
        assertEq(activeAfter, active - active * p.equivocationBps / 10_000, "active");
        assertEq(unbondingAfter, unbonding - unbonding * p.equivocationBps / 10_000, "unbonding");
    }

    // ================================================================= setParams

    function test_SetParams_SetsAndEmits() public {
        DisputesParams memory p = DisputesParams({
            equivocationBps: 10_000,
            finderFeeBps: 10_000,
            falseAccusationBps: 10_000,
            accusedShareBps: 10_000,
            maxProposalBps: 10_000,
            disputeBond: type(uint96).max,
            challengeWindow: 1,
            arbitrationWindow: uint40(UNBONDING - 1)
        });
        vm.expectEmit(true, true, true, true, address(disputes));
        emit IDisputes.ParamsSet(p);
        vm.prank(admin);
        disputes.setParams(p);
        _assertParams(p);

        // the lower bounds: one bps, no fee, no share, no bond, one-second windows
        p = DisputesParams(1, 0, 1, 0, 1, 0, 1, 1);
        vm.prank(admin);
        disputes.setParams(p);
        _assertParams(p);
    }

    function test_SetParams_RevertsUnauthorized() public {
        DisputesParams memory p = defaultDisputesParams();
        bytes32 adminRole = disputes.DEFAULT_ADMIN_ROLE();
        address[3] memory callers = [arbiter, coordinator, stranger];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(_unauthorized(callers[i], adminRole));
            vm.prank(callers[i]);
            disputes.setParams(p);
        }
    }

    function test_SetParams_RevertsInvalidParam() public {
        _expectInvalid(_with(0, 0), "equivocationBps");
        _expectInvalid(_with(0, 10_001), "equivocationBps");
        _expectInvalid(_with(1, 10_001), "finderFeeBps");
        _expectInvalid(_with(2, 0), "falseAccusationBps");
        _expectInvalid(_with(2, 10_001), "falseAccusationBps");
        _expectInvalid(_with(3, 10_001), "accusedShareBps");
        _expectInvalid(_with(4, 0), "maxProposalBps");
        _expectInvalid(_with(4, 10_001), "maxProposalBps");
        _expectInvalid(_with(6, 0), "challengeWindow");
        _expectInvalid(_with(7, 0), "arbitrationWindow");
        _expectInvalid(_with(4, type(uint16).max), "maxProposalBps");
        _assertParams(defaultDisputesParams());
    }

    function test_SetParams_RevertsWindowsExceedUnbonding() public {
        DisputesParams memory p = defaultDisputesParams();
        p.challengeWindow = uint40(UNBONDING);
        p.arbitrationWindow = 1;
        vm.expectRevert(
            abi.encodeWithSelector(IDisputes.WindowsExceedUnbonding.selector, UNBONDING + 1, UNBONDING)
        );
        vm.prank(admin);
        disputes.setParams(p);
        // no overflow with the largest windows
        p.challengeWindow = type(uint40).max;
        p.arbitrationWindow = type(uint40).max;
        vm.expectRevert(
            abi.encodeWithSelector(
                IDisputes.WindowsExceedUnbonding.selector, uint256(type(uint40).max) * 2, UNBONDING
            )
        );
        vm.prank(admin);
        disputes.setParams(p);
    }

    /// @notice The bound follows Staking's current unbonding period.
    function test_SetParams_FollowsStakingUnbondingPeriod() public {
        vm.prank(admin);
        staking.setUnbondingPeriod(4 days);
        DisputesParams memory p = defaultDisputesParams(); // 2 + 3 days
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowsExceedUnbonding.selector, 5 days, 4 days));
        vm.prank(admin);
        disputes.setParams(p);
        p.arbitrationWindow = 2 days;
        vm.prank(admin);
        disputes.setParams(p);
        _assertParams(p);
    }

    /// @notice Random parameters are accepted iff every field is in range, and then stored as given.
    function testFuzz_SetParams_AcceptedIffValid(
        uint256[5] memory bpsSeeds,
        uint96 bond,
        uint256 challengeSeed,
        uint256 arbitrationSeed
    ) public {
        DisputesParams memory p = DisputesParams({
            equivocationBps: _pickBps(bpsSeeds[0]),
            finderFeeBps: _pickBps(bpsSeeds[1]),
            falseAccusationBps: _pickBps(bpsSeeds[2]),
            accusedShareBps: _pickBps(bpsSeeds[3]),
            maxProposalBps: _pickBps(bpsSeeds[4]),
            disputeBond: bond,
            challengeWindow: _pickWindow(challengeSeed),
            arbitrationWindow: _pickWindow(arbitrationSeed)
        });
        uint256 windows = uint256(p.challengeWindow) + p.arbitrationWindow;
        string memory invalid;
        if (p.equivocationBps == 0 || p.equivocationBps > 10_000) invalid = "equivocationBps";
        else if (p.finderFeeBps > 10_000) invalid = "finderFeeBps";
        else if (p.falseAccusationBps == 0 || p.falseAccusationBps > 10_000) invalid = "falseAccusationBps";
        else if (p.accusedShareBps > 10_000) invalid = "accusedShareBps";
        else if (p.maxProposalBps == 0 || p.maxProposalBps > 10_000) invalid = "maxProposalBps";
        else if (p.challengeWindow == 0) invalid = "challengeWindow";
        else if (p.arbitrationWindow == 0) invalid = "arbitrationWindow";

        if (bytes(invalid).length != 0) {
            vm.expectRevert(abi.encodeWithSelector(IDisputes.InvalidParam.selector, invalid));
        } else if (windows > UNBONDING) {
            vm.expectRevert(
                abi.encodeWithSelector(IDisputes.WindowsExceedUnbonding.selector, windows, UNBONDING)
            );
        } else {
            vm.expectEmit(true, true, true, true, address(disputes));
            emit IDisputes.ParamsSet(p);
        }
        vm.prank(admin);
        disputes.setParams(p);
        bool valid = bytes(invalid).length == 0 && windows <= UNBONDING;
        _assertParams(valid ? p : defaultDisputesParams());
    }

    // ================================================================= helpers

    function _one(uint256 id) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = id;
    }

    /// @dev The default parameters with field `field` (in declaration order) set to `value`.
    function _with(uint256 field, uint256 value) internal pure returns (DisputesParams memory p) {
        p = defaultDisputesParams();
        if (field == 0) p.equivocationBps = uint16(value);
        else if (field == 1) p.finderFeeBps = uint16(value);
        else if (field == 2) p.falseAccusationBps = uint16(value);
        else if (field == 3) p.accusedShareBps = uint16(value);
        else if (field == 4) p.maxProposalBps = uint16(value);
        else if (field == 5) p.disputeBond = uint96(value);
        else if (field == 6) p.challengeWindow = uint40(value);
        else p.arbitrationWindow = uint40(value);
    }

    function _expectInvalid(DisputesParams memory p, string memory name) internal {
        vm.expectRevert(abi.encodeWithSelector(IDisputes.InvalidParam.selector, name));
        vm.prank(admin);
        disputes.setParams(p);
    }

    /// @dev Boundaries most of the time: 0, 1, 10,000, 10,001, in range, or any uint16.
    function _pickBps(uint256 seed) internal pure returns (uint16) {
        uint256 mode = seed % 6;
        uint256 r = seed >> 8;
        if (mode == 0) return 0;
        if (mode == 1) return 1;
        if (mode == 2) return 10_000;
        if (mode == 3) return 10_001;
        if (mode == 4) return uint16(r % 10_001);
        return uint16(r);
    }

    /// @dev 0, 1, around half and all of the unbonding period, or any uint40.
    function _pickWindow(uint256 seed) internal pure returns (uint40) {
        uint256 mode = seed % 6;
        uint256 r = seed >> 8;
        if (mode == 0) return 0;
        if (mode == 1) return 1;
        if (mode == 2) return uint40(UNBONDING / 2 + r % 3 - 1);
        if (mode == 3) return uint40(UNBONDING);
        if (mode == 4) return uint40(r % (UNBONDING + 1));
        return uint40(r);
    }
}
