// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {console} from "forge-std/console.sol";
import {CAIToken} from "../../src/CAIToken.sol";
import {Disputes} from "../../src/Disputes.sol";
import {Staking} from "../../src/Staking.sol";
import {
    DisputesParams,
    IDisputes,
    Proposal,
    ProposalStatus,
    TaskResult
} from "../../src/interfaces/IDisputes.sol";
import {IStaking} from "../../src/interfaces/IStaking.sol";
import {LockView, NodeView, Role, Status} from "../../src/staking/StakingTypes.sol";

/// @notice Drives Disputes (and the Staking moves that matter to it) with 3 miners and 2
///         coordinators whose operator keys are known, 3 stakers and 3 finders: equivocation
///         proofs (random tasks from a small set, so that proofs repeat), proposals, cancels,
///         disputes, executions, resolutions, lapses, time, stake, unstake, withdraw, unjail and
///         deregister. With fail_on_revert every call must succeed: each action replays the
///         contract's preconditions from the handler's own ghost model and either performs the
///         step or expects the exact custom error (vm.expectRevert). A repeated equivocation proof
///         goes through try/catch instead, so that a double slash would be counted, not hidden.
/// @dev Ghost accounting from balance deltas: what Staking sent out in slashing calls, what the
///      treasury, finders and disputers received, the bonds posted, refunded and forfeited.
contract DisputesHandler is Test {
    uint256 internal constant BPS = 10_000;
    /// @dev Few tasks, so that equivocation proofs and proposals repeat a key now and then.
    uint256 public constant EQUIVOCATION_TASKS = 4;
    uint256 public constant PROPOSAL_TASKS = 12;
    uint256 public constant MAX_WARP = 2 days;
    uint256 public constant MAX_STAKE = 200_000 ether;
    /// @dev Each slash raises a pool's shares per token (by 2x at most here); past this many
    ///      slashes of one node the handler stops adding stake to it, so shares stay far from
    ///      uint128 (Staking would revert on the cast, which is not what is tested here).
    uint256 public constant MAX_SLASHES = 30;

    Disputes public immutable disputes;
    Staking public immutable staking;
    CAIToken public immutable cai;
    address public immutable arbiter;
    address public immutable treasury;

    address[] public miners;
    uint256[] internal _minerKeys;
    address[] public coordinators;
    uint256[] internal _coordinatorKeys;
    mapping(address operator => address) public ownerOf;
    address[] public stakers;
    address[] public finders;

    /// @dev The handler's model of a proposal.
    struct Ghost {
        address miner;
        address coordinator;
        uint16 bps;
        ProposalStatus status;
        uint256 deadline;
        uint256 bond;
        address disputer;
    }

    // ------------------------------------------------------------ ghosts
    uint256 public ghostSlashed; // sum of Staking.slash return values in Disputes' calls
    uint256 public ghostStakingOut; // Staking's balance decrease in those calls
    uint256 public ghostTreasuryIn; // treasury balance increase in those calls
    uint256 public ghostFinderFees; // finders' balance increase
    uint256 public ghostCompensation; // disputers' increase beyond their bond, on rejection
    uint256 public ghostBondsPosted;
    uint256 public ghostBondsRefunded;
    uint256 public ghostBondsForfeited;
    mapping(bytes32 key => uint256) public ghostProofs; // successful proofs per equivocation key
    bytes32[] internal _proofKeys;
    mapping(bytes32 key => bool) internal _proposedKeys;
    Ghost[] internal _ghosts;
    ProposalStatus[] internal _observed; // on-chain statuses seen after the previous call
    uint256 public ghostIllegalTransitions;
    mapping(address operator => uint256) public slashCount;

    // ------------------------------------------------------------ call summary
    string[] internal _names;
    mapping(bytes32 => uint256) internal _calls;

    constructor(
        Disputes disputes_,
        Staking staking_,
        address arbiter_,
        address[] memory miners_,
        uint256[] memory minerKeys_,
        address[] memory coordinators_,
        uint256[] memory coordinatorKeys_
    ) {
        disputes = disputes_;
        staking = staking_;
        cai = CAIToken(address(staking_.token()));
        arbiter = arbiter_;
        treasury = staking_.treasury();
        miners = miners_;
        _minerKeys = minerKeys_;
        coordinators = coordinators_;
        _coordinatorKeys = coordinatorKeys_;
        for (uint256 i; i < miners_.length; ++i) {
            ownerOf[miners_[i]] = staking_.getNode(miners_[i]).owner;
        }
        for (uint256 i; i < coordinators_.length; ++i) {
            ownerOf[coordinators_[i]] = staking_.getNode(coordinators_[i]).owner;
        }
        for (uint256 i; i < 3; ++i) {
            address s = makeAddr(string.concat("staker", vm.toString(i)));
            stakers.push(s);
            vm.prank(s);
            cai.approve(address(staking_), type(uint256).max);
            finders.push(makeAddr(string.concat("finder", vm.toString(i))));
        }
    }

    /// @dev After every action: each proposal's status may only have stayed or moved along an
    ///      edge of the state machine since the previous call.
    modifier observed() {
        _;
        uint256 n = disputes.proposalCount();
        for (uint256 id; id < n; ++id) {
            ProposalStatus now_ = disputes.getProposal(id).status;
            ProposalStatus prev = id < _observed.length ? _observed[id] : ProposalStatus.None;
            if (now_ != prev && !_legal(prev, now_)) ++ghostIllegalTransitions;
            if (id < _observed.length) _observed[id] = now_;
            else _observed.push(now_);
        }
    }

    // ================================================================= equivocation

    /// @dev One equivocation attempt (a struct keeps proveEquivocation below the stack limit).
    struct Proof {
        address signer;
        bool isMiner;
        address finder;
        bytes32 key;
        TaskResult a;
        TaskResult b;
        bytes sigA;
        bytes sigB;
    }

    function proveEquivocation(
        uint256 signerSeed,
        uint256 coordinatorSeed,
        uint256 taskSeed,
        uint256 resultSeed,
        uint256 finderSeed
    ) external observed {
        Proof memory p = _buildProof(signerSeed, coordinatorSeed, taskSeed, resultSeed);
        p.finder = finders[finderSeed % finders.length];
        if (!p.isMiner) {
            _count("proveEquivocation(not a miner)");
            vm.expectRevert(abi.encodeWithSelector(IDisputes.NotAMiner.selector, p.signer));
            vm.prank(p.finder);
            disputes.proveEquivocation(p.a, p.sigA, p.b, p.sigB);
            return;
        }
        bool again = ghostProofs[p.key] != 0;
        uint256 stakingBefore = cai.balanceOf(address(staking));
        uint256 treasuryBefore = cai.balanceOf(treasury);
        uint256 finderBefore = cai.balanceOf(p.finder);
        vm.prank(p.finder);
        try disputes.proveEquivocation(p.a, p.sigA, p.b, p.sigB) returns (uint256 slashed) {
            // a repeated proof that succeeds is recorded: invariant (d) reports it
            _count(again ? "proveEquivocation(DOUBLE)" : "proveEquivocation");
            if (!again) _proofKeys.push(p.key);
            ++ghostProofs[p.key];
            ++slashCount[p.signer];
            uint256 fee = cai.balanceOf(p.finder) - finderBefore;
            assertEq(fee, slashed * disputes.params().finderFeeBps / BPS, "finder fee");
            ghostFinderFees += fee;
            _recordSlash(slashed, stakingBefore, treasuryBefore);
        } catch (bytes memory err) {
            assertTrue(again, "a first equivocation proof reverted");
            bytes memory expected = abi.encodeWithSelector(
                IDisputes.AlreadyProven.selector, p.signer, p.a.coordinator, p.a.taskId
            );
            assertEq(err, expected, "repeated proof: AlreadyProven");
            _count("proveEquivocation(again)");
        }
    }

    /// @dev Two results for one of the coordinators' first EQUIVOCATION_TASKS tasks, signed by a
    ///      miner's key, or (1 in 4) by a coordinator's key.
    function _buildProof(uint256 signerSeed, uint256 coordinatorSeed, uint256 taskSeed, uint256 resultSeed)
        internal
        view
        returns (Proof memory p)
    {
        uint256 pick = signerSeed % (miners.length + 1);
        p.isMiner = pick < miners.length;
        uint256 key =
            p.isMiner ? _minerKeys[pick] : _coordinatorKeys[(signerSeed >> 8) % _coordinatorKeys.length];
        p.signer = vm.addr(key);
        address coordinator = coordinators[coordinatorSeed % coordinators.length];
        bytes32 taskId = bytes32(taskSeed % EQUIVOCATION_TASKS);
        p.key = keccak256(abi.encode(p.signer, coordinator, taskId));
        p.a = TaskResult(
            coordinator,
            taskId,
            keccak256("input"),
            keccak256(abi.encode(resultSeed, 0)),
            "m",
            uint64(block.timestamp)
        );
        p.b = TaskResult(
            coordinator,
            taskId,
            keccak256("input"),
            keccak256(abi.encode(resultSeed, 1)),
            "m",
            uint64(block.timestamp)
        );
        p.sigA = _sign(key, disputes.hashTaskResult(p.a));
        p.sigB = _sign(key, disputes.hashTaskResult(p.b));
    }

    // ================================================================= proposals

    function proposeSlash(uint256 coordinatorSeed, uint256 minerSeed, uint256 taskSeed, uint256 bpsSeed)
        external
        observed
    {
        address coordinator = coordinators[coordinatorSeed % coordinators.length];
        address miner = miners[minerSeed % miners.length];
        bytes32 taskId = bytes32(taskSeed % PROPOSAL_TASKS);
        DisputesParams memory p = disputes.params();
        uint16 bps = uint16(_bound(bpsSeed, 1, p.maxProposalBps));
        (, Status status) = staking.nodeState(coordinator);
        bytes32 key = keccak256(abi.encode(coordinator, miner, taskId));
        if (status != Status.Active) {
            _count("proposeSlash(inactive coordinator)");
            vm.expectRevert(abi.encodeWithSelector(IDisputes.NotActiveCoordinator.selector, coordinator));
        } else if (_proposedKeys[key]) {
            _count("proposeSlash(again)");
            vm.expectRevert(
                abi.encodeWithSelector(IDisputes.AlreadyProposed.selector, coordinator, miner, taskId)
            );
        } else {
            _count("proposeSlash");
            _proposedKeys[key] = true;
            vm.prank(coordinator);
            uint256 id = disputes.proposeSlash(miner, taskId, bps, key, "ipfs://evidence");
            assertEq(id, _ghosts.length, "sequential ids");
            _ghosts.push(
                Ghost({
                    miner: miner,
                    coordinator: coordinator,
                    bps: bps,
                    status: ProposalStatus.Proposed,
                    deadline: block.timestamp + p.challengeWindow,
                    bond: 0,
                    disputer: address(0)
                })
            );
            return;
        }
        vm.prank(coordinator);
        disputes.proposeSlash(miner, taskId, bps, key, "ipfs://evidence");
    }

    function cancel(uint256 idSeed, uint256 callerSeed) external observed {
        (bool found, uint256 id) = _pickId(idSeed, ProposalStatus.Proposed);
        if (!found) {
            _count("cancel(none)");
            return;
        }
        Ghost storage g = _ghosts[id];
        address caller = g.coordinator;
        if (g.status != ProposalStatus.Proposed) {
            _count("cancel(wrong status)");
            vm.expectRevert(_wrongStatus(id, g.status));
        } else if (callerSeed % 8 == 0) {
            _count("cancel(not the proposer)");
            caller = coordinators[0] == g.coordinator ? coordinators[1] : coordinators[0];
            vm.expectRevert(abi.encodeWithSelector(IDisputes.NotTheProposer.selector, id, caller));
        } else {
            _count("cancel");
            g.status = ProposalStatus.Cancelled;
        }
        vm.prank(caller);
        disputes.cancel(id);
    }

    function dispute(uint256 idSeed, uint256 callerSeed) external observed {
        (bool found, uint256 id) = _pickId(idSeed, ProposalStatus.Proposed);
        if (!found) {
            _count("dispute(none)");
            return;
        }
        Ghost storage g = _ghosts[id];
        address caller = callerSeed % 2 == 0 ? g.miner : ownerOf[g.miner];
        if (g.status != ProposalStatus.Proposed) {
            _count("dispute(wrong status)");
            vm.expectRevert(_wrongStatus(id, g.status));
        } else if (block.timestamp >= g.deadline) {
            _count("dispute(window closed)");
            vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, g.deadline));
        } else if (callerSeed % 8 == 1) {
            _count("dispute(not the miner)");
            caller = finders[0];
            vm.expectRevert(abi.encodeWithSelector(IDisputes.NotTheMiner.selector, id, caller));
        } else {
            _count("dispute");
            DisputesParams memory p = disputes.params();
            cai.transfer(caller, p.disputeBond);
            vm.prank(caller);
            cai.approve(address(disputes), p.disputeBond);
            g.status = ProposalStatus.Disputed;
            g.deadline = block.timestamp + p.arbitrationWindow;
            g.bond = p.disputeBond;
            g.disputer = caller;
            ghostBondsPosted += p.disputeBond;
        }
        vm.prank(caller);
        disputes.dispute(id);
    }

    function execute(uint256 idSeed, uint256 callerSeed) external observed {
        (bool found, uint256 id) = _pickId(idSeed, ProposalStatus.Proposed);
        if (!found) {
            _count("execute(none)");
            return;
        }
        Ghost storage g = _ghosts[id];
        if (g.status != ProposalStatus.Proposed) {
            _count("execute(wrong status)");
            vm.expectRevert(_wrongStatus(id, g.status));
        } else if (block.timestamp < g.deadline) {
            _count("execute(window open)");
            vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, g.deadline));
        } else {
            _count("execute");
            g.status = ProposalStatus.Executed;
            ++slashCount[g.miner];
            uint256 stakingBefore = cai.balanceOf(address(staking));
            uint256 treasuryBefore = cai.balanceOf(treasury);
            vm.prank(finders[callerSeed % finders.length]);
            uint256 slashed = disputes.execute(id);
            assertEq(cai.balanceOf(treasury) - treasuryBefore, slashed, "execute: all to the treasury");
            _recordSlash(slashed, stakingBefore, treasuryBefore);
            return;
        }
        disputes.execute(id);
    }

    function resolve(uint256 idSeed, bool upheld) external observed {
        (bool found, uint256 id) = _pickId(idSeed, ProposalStatus.Disputed);
        if (!found) {
            _count("resolve(none)");
            return;
        }
        Ghost storage g = _ghosts[id];
        if (g.status != ProposalStatus.Disputed) {
            _count("resolve(wrong status)");
            vm.expectRevert(_wrongStatus(id, g.status));
        } else if (block.timestamp >= g.deadline) {
            _count("resolve(window closed)");
            vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, g.deadline));
        } else {
            _count(upheld ? "resolve(upheld)" : "resolve(rejected)");
            g.status = upheld ? ProposalStatus.Upheld : ProposalStatus.Rejected;
            ++slashCount[upheld ? g.miner : g.coordinator];
            DisputesParams memory p = disputes.params();
            uint256 stakingBefore = cai.balanceOf(address(staking));
            uint256 treasuryBefore = cai.balanceOf(treasury);
            uint256 disputerBefore = cai.balanceOf(g.disputer);
            vm.prank(arbiter);
            uint256 slashed = disputes.resolve(id, upheld);
            uint256 paid = cai.balanceOf(g.disputer) - disputerBefore;
            if (upheld) {
                assertEq(paid, 0, "upheld: the disputer gets nothing");
                assertEq(cai.balanceOf(treasury) - treasuryBefore, slashed + g.bond, "upheld: treasury");
                ghostBondsForfeited += g.bond;
            } else {
                assertEq(paid, g.bond + slashed * p.accusedShareBps / BPS, "rejected: bond + compensation");
                ghostCompensation += paid - g.bond;
                ghostBondsRefunded += g.bond;
            }
            _recordSlash(slashed, stakingBefore, treasuryBefore);
            return;
        }
        vm.prank(arbiter);
        disputes.resolve(id, upheld);
    }

    function lapse(uint256 idSeed) external observed {
        (bool found, uint256 id) = _pickId(idSeed, ProposalStatus.Disputed);
        if (!found) {
            _count("lapse(none)");
            return;
        }
        Ghost storage g = _ghosts[id];
        if (g.status != ProposalStatus.Disputed) {
            _count("lapse(wrong status)");
            vm.expectRevert(_wrongStatus(id, g.status));
        } else if (block.timestamp < g.deadline) {
            _count("lapse(window open)");
            vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, g.deadline));
        } else {
            _count("lapse");
            g.status = ProposalStatus.Lapsed;
            uint256 before = cai.balanceOf(g.disputer);
            uint256 treasuryBefore = cai.balanceOf(treasury);
            disputes.lapse(id);
            assertEq(cai.balanceOf(g.disputer) - before, g.bond, "lapse: bond back");
            assertEq(cai.balanceOf(treasury), treasuryBefore, "lapse: treasury untouched");
            ghostBondsRefunded += g.bond;
            return;
        }
        disputes.lapse(id);
    }

    // ================================================================= time

    function warp(uint256 seconds_) external observed {
        _count("warp");
        vm.warp(block.timestamp + _bound(seconds_, 1, MAX_WARP));
    }

    /// @dev Lands exactly on (or one second before) an open proposal's deadline.
    function warpToDeadline(uint256 idSeed, bool justBefore) external observed {
        (bool found, uint256 id) =
            _pickId(idSeed, (idSeed >> 128) % 2 == 0 ? ProposalStatus.Proposed : ProposalStatus.Disputed);
        if (!found) {
            _count("warpToDeadline(none)");
            return;
        }
        Ghost storage g = _ghosts[id];
        uint256 target = justBefore ? g.deadline - 1 : g.deadline;
        bool open = g.status == ProposalStatus.Proposed || g.status == ProposalStatus.Disputed;
        if (!open || target <= block.timestamp) {
            _count("warpToDeadline(skip)");
            return;
        }
        _count("warpToDeadline");
        vm.warp(target);
    }

    // ================================================================= staking

    function stake(uint256 stakerSeed, uint256 minerSeed, uint256 amount) external observed {
        address miner = miners[minerSeed % miners.length];
        (, Status status) = staking.nodeState(miner);
        if (status != Status.Active || slashCount[miner] > MAX_SLASHES) {
            _count("stake(skip)");
            return;
        }
        _count("stake");
        address staker = stakers[stakerSeed % stakers.length];
        amount = _bound(amount, 1 ether, MAX_STAKE);
        cai.transfer(staker, amount);
        vm.prank(staker);
        staking.stake(miner, amount);
    }

    /// @dev A staker unstakes part or all of its stake; a deregistered miner's owner may too.
    function unstake(uint256 stakerSeed, uint256 minerSeed, uint256 amount) external observed {
        address miner = miners[minerSeed % miners.length];
        (, Status status) = staking.nodeState(miner);
        address who = stakerSeed % 4 == 3 ? ownerOf[miner] : stakers[stakerSeed % stakers.length];
        if (who == ownerOf[miner] && status != Status.Deregistered) {
            _count("unstake(skip)");
            return;
        }
        uint256 available = staking.stakeOf(miner, who);
        if (available < 1 ether || slashCount[miner] > MAX_SLASHES) {
            _count("unstake(skip)");
            return;
        }
        _count("unstake");
        amount = _bound(amount, 1 ether, available);
        vm.prank(who);
        staking.unstake(miner, amount);
    }

    /// @dev Withdraws every matured lock of a staker or a miner's owner.
    function withdraw(uint256 whoSeed) external observed {
        address who = whoSeed % 2 == 0
            ? stakers[(whoSeed >> 1) % stakers.length]
            : ownerOf[miners[(whoSeed >> 1) % miners.length]];
        uint256 count = staking.lockCount(who);
        if (count == 0) {
            _count("withdraw(none)");
            return;
        }
        LockView[] memory locks = staking.locksOf(who, 0, count);
        uint256[] memory ids = new uint256[](count);
        uint256 n;
        for (uint256 i; i < count; ++i) {
            if (!locks[i].withdrawn && block.timestamp >= locks[i].unlockAt) ids[n++] = i;
        }
        if (n == 0) {
            _count("withdraw(none)");
            return;
        }
        _count("withdraw");
        assembly ("memory-safe") {
            mstore(ids, n)
        }
        vm.prank(who);
        staking.withdraw(ids);
    }

    /// @dev The owner of a jailed node (either role) tops its self-stake up and unjails it.
    function unjail(uint256 nodeSeed) external observed {
        address node = _pickJailed(nodeSeed);
        NodeView memory v = staking.getNode(node);
        if (v.status != Status.Jailed || slashCount[node] > MAX_SLASHES) {
            _count("unjail(skip)");
            return;
        }
        address owner = ownerOf[node];
        if (block.timestamp < v.jailedUntil) {
            _count("unjail(early)");
            vm.expectRevert(abi.encodeWithSelector(IStaking.StillJailed.selector, v.jailedUntil));
            vm.prank(owner);
            staking.unjail(node);
            return;
        }
        _count("unjail");
        uint256 min = staking.minSelfStake(v.role);
        if (v.selfStake < min) {
            uint256 topUp = min - v.selfStake + 1 ether;
            cai.transfer(owner, topUp);
            vm.prank(owner);
            staking.stake(node, topUp);
        }
        vm.prank(owner);
        staking.unjail(node);
    }

    /// @dev Rarely: a miner retires. It stays accusable and slashable (never jailed again).
    function deregisterMiner(uint256 minerSeed) external observed {
        address miner = miners[(minerSeed >> 4) % miners.length];
        (, Status status) = staking.nodeState(miner);
        if (status == Status.Deregistered || minerSeed % 16 != 0) {
            _count("deregister(skip)");
            return;
        }
        _count("deregister");
        vm.prank(ownerOf[miner]);
        staking.deregister(miner);
    }

    // ================================================================= end of run

    /// @dev Settles every open proposal: executes the undisputed ones and lapses the disputed
    ///      ones once their windows are over. Afterwards Disputes must hold nothing.
    function settleAll() external observed {
        vm.warp(block.timestamp + disputes.params().challengeWindow + disputes.params().arbitrationWindow);
        for (uint256 id; id < _ghosts.length; ++id) {
            Ghost storage g = _ghosts[id];
            if (g.status == ProposalStatus.Proposed) {
                g.status = ProposalStatus.Executed;
                ++slashCount[g.miner];
                uint256 stakingBefore = cai.balanceOf(address(staking));
                uint256 treasuryBefore = cai.balanceOf(treasury);
                uint256 slashed = disputes.execute(id);
                _recordSlash(slashed, stakingBefore, treasuryBefore);
            } else if (g.status == ProposalStatus.Disputed) {
                g.status = ProposalStatus.Lapsed;
                uint256 before = cai.balanceOf(g.disputer);
                disputes.lapse(id);
                assertEq(cai.balanceOf(g.disputer) - before, g.bond, "settle: bond back");
                ghostBondsRefunded += g.bond;
            }
        }
    }

    // ================================================================= views for the invariants

    function ghostCount() external view returns (uint256) {
        return _ghosts.length;
    }

    function expectedStatus(uint256 id) external view returns (ProposalStatus) {
        return _ghosts[id].status;
    }

    function expectedBond(uint256 id) external view returns (uint256) {
        return _ghosts[id].bond;
    }

    function proofKeys() external view returns (bytes32[] memory) {
        return _proofKeys;
    }

    function findersCount() external view returns (uint256) {
        return finders.length;
    }

    function callSummary() external view {
        console.log("DisputesHandler calls:");
        for (uint256 i; i < _names.length; ++i) {
            console.log(
                string.concat("  ", _names[i], ": ", vm.toString(_calls[keccak256(bytes(_names[i]))]))
            );
        }
        console.log(
            string.concat(
                "  slashed ",
                vm.toString(ghostSlashed),
                " wei, finder fees ",
                vm.toString(ghostFinderFees),
                ", compensation ",
                vm.toString(ghostCompensation),
                ", bonds posted ",
                vm.toString(ghostBondsPosted)
            )
        );
    }

    // ================================================================= internals

    function _recordSlash(uint256 slashed, uint256 stakingBefore, uint256 treasuryBefore) internal {
        ghostSlashed += slashed;
        ghostStakingOut += stakingBefore - cai.balanceOf(address(staking));
        ghostTreasuryIn += cai.balanceOf(treasury) - treasuryBefore;
    }

    /// @dev 3 times in 4 a proposal in status `wanted` (if any), otherwise any proposal (most
    ///      likely one where the step is wrong).
    function _pickId(uint256 seed, ProposalStatus wanted) internal view returns (bool found, uint256 id) {
        uint256 n = _ghosts.length;
        if (n == 0) return (false, 0);
        uint256 r = seed >> 2;
        if (seed % 4 != 0) {
            uint256[] memory ids = new uint256[](n);
            uint256 m;
            for (uint256 i; i < n; ++i) {
                if (_ghosts[i].status == wanted) ids[m++] = i;
            }
            if (m != 0) return (true, ids[r % m]);
        }
        return (true, r % n);
    }

    /// @dev A jailed node (miner or coordinator) if there is one, else any node.
    function _pickJailed(uint256 seed) internal view returns (address) {
        uint256 total = miners.length + coordinators.length;
        for (uint256 k; k < total; ++k) {
            uint256 i = (seed % total + k) % total;
            address node = i < miners.length ? miners[i] : coordinators[i - miners.length];
            (, Status status) = staking.nodeState(node);
            if (status == Status.Jailed) return node;
        }
        return miners[seed % miners.length];
    }

    function _legal(ProposalStatus from, ProposalStatus to) internal pure returns (bool) {
        if (from == ProposalStatus.None) return to == ProposalStatus.Proposed;
        if (from == ProposalStatus.Proposed) {
            return
                to == ProposalStatus.Disputed || to == ProposalStatus.Executed
                    || to == ProposalStatus.Cancelled;
        }
        if (from == ProposalStatus.Disputed) {
            return to == ProposalStatus.Upheld || to == ProposalStatus.Rejected || to == ProposalStatus.Lapsed;
        }
        return false; // terminal
    }

    function _wrongStatus(uint256 id, ProposalStatus status) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IDisputes.WrongStatus.selector, id, status);
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _count(string memory name) internal {
        bytes32 h = keccak256(bytes(name));
        if (_calls[h] == 0) _names.push(name);
        ++_calls[h];
    }
}
