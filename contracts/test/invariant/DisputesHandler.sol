// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";
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
///         proofs (random tasks from a small set, so that proofs repeat; now and then for two
///         inputs or models), proposals, cancels, disputes, executions, resolutions, lapses (of
///         disputed and of stale undisputed proposals), time, stake, unstake, withdraw, unjail and
///         deregister. With fail_on_revert every call must succeed: each action replays the
///         contract's preconditions from the handler's own ghost model and either performs the
///         step or expects the exact custom error (vm.expectRevert). A proof against a miner key
///         already slashed for equivocation goes through try/catch instead, so that a second slash
///         would be counted, not hidden.
/// @dev Ghost accounting from balance deltas: what Staking sent out in slashing calls, what the
///      treasury, finders and disputers received, the bonds posted, refunded and forfeited. Ghost
///      timeline per proposal: when it was created, disputed and decided (executed, cancelled,
///      resolved or lapsed).
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

    /// @dev The proposal steps, for picking a proposal a step applies to.
    enum Step {
        Any,
        Cancel,
        Dispute,
        Execute,
        Resolve,
        Lapse
    }

    /// @dev The handler's model of a proposal, and its timeline.
    struct Ghost {
        address miner;
        address coordinator;
        uint16 bps;
        ProposalStatus status;
        uint256 deadline;
        uint256 bond;
        address disputer;
        uint256 createdAt;
        bool disputed;
        uint256 disputedAt;
        uint256 decidedAt; // when it reached its final status
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
    /// @dev Successful equivocation proofs per signing key (the tombstone allows one).
    mapping(address signer => uint256) public ghostEquivocations;
    address[] internal _provenKeys;
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
        bool otherInput;
        address finder;
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
        if (p.otherInput) {
            _count("proveEquivocation(not same input)");
            vm.expectRevert(IDisputes.NotSameInput.selector);
            vm.prank(p.finder);
            disputes.proveEquivocation(p.a, p.sigA, p.b, p.sigB);
            return;
        }
        if (!p.isMiner) {
            _count("proveEquivocation(not a miner)");
            vm.expectRevert(abi.encodeWithSelector(IDisputes.NotAMiner.selector, p.signer));
            vm.prank(p.finder);
            disputes.proveEquivocation(p.a, p.sigA, p.b, p.sigB);
            return;
        }
        bool again = ghostEquivocations[p.signer] != 0;
        uint256 stakingBefore = cai.balanceOf(address(staking));
        uint256 treasuryBefore = cai.balanceOf(treasury);
        uint256 finderBefore = cai.balanceOf(p.finder);
        vm.recordLogs();
        vm.prank(p.finder);
        try disputes.proveEquivocation(p.a, p.sigA, p.b, p.sigB) returns (uint256 slashed) {
            // a second proof against a key that succeeds is recorded: invariant (d) reports it
            _count(again ? "proveEquivocation(DOUBLE)" : "proveEquivocation");
            if (!again) _provenKeys.push(p.signer);
            ++ghostEquivocations[p.signer];
            ++slashCount[p.signer];
            _checkSlashedReason(p.signer, p.a.taskId, slashed);
            uint256 fee = cai.balanceOf(p.finder) - finderBefore;
            assertEq(fee, slashed * disputes.params().finderFeeBps / BPS, "finder fee");
            ghostFinderFees += fee;
            _recordSlash(slashed, stakingBefore, treasuryBefore);
        } catch (bytes memory err) {
            vm.getRecordedLogs();
            assertTrue(again, "a first equivocation proof reverted");
            assertEq(err, abi.encodeWithSelector(IDisputes.AlreadyProven.selector, p.signer), "AlreadyProven");
            _count("proveEquivocation(tombstoned)");
        }
    }

    /// @dev Two results for one of the coordinators' first EQUIVOCATION_TASKS tasks, signed by a
    ///      miner's key, or (1 in 4) by a coordinator's key; 1 in 8 for two inputs or two models.
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
        uint256 mix = uint256(keccak256(abi.encode(resultSeed, "input")));
        p.otherInput = mix % 8 == 0;
        if (p.otherInput) {
            // a coordinator reused the taskId for another input (or model): not equivocation
            if ((mix >> 3) % 2 == 0) p.b.inputHash = keccak256("another input");
            else p.b.modelId = "m2";
        }
        p.sigA = _sign(key, disputes.hashTaskResult(p.a));
        p.sigB = _sign(key, disputes.hashTaskResult(p.b));
    }

    /// @dev Exactly one Slashed event, from Staking, for `signer`, paid to Disputes, with the
    ///      taskId as its reason.
    function _checkSlashedReason(address signer, bytes32 taskId, uint256 slashed) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 found;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(staking) || logs[i].topics[0] != IStaking.Slashed.selector) {
                continue;
            }
            ++found;
            assertEq(logs[i].topics[1], bytes32(uint256(uint160(signer))), "Slashed: operator");
            assertEq(logs[i].topics[2], bytes32(uint256(uint160(address(disputes)))), "Slashed: slasher");
            (, uint256 fromActive, uint256 fromUnbonding, bytes32 reason) =
                abi.decode(logs[i].data, (uint16, uint256, uint256, bytes32));
            assertEq(reason, taskId, "Slashed: the reason is the taskId");
            assertEq(fromActive + fromUnbonding, slashed, "Slashed: amounts");
        }
        assertEq(found, 1, "one Slashed event per proof");
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
                    disputer: address(0),
                    createdAt: block.timestamp,
                    disputed: false,
                    disputedAt: 0,
                    decidedAt: 0
                })
            );
            return;
        }
        vm.prank(coordinator);
        disputes.proposeSlash(miner, taskId, bps, key, "ipfs://evidence");
    }

    function cancel(uint256 idSeed, uint256 callerSeed) external observed {
        (bool found, uint256 id) = _pickId(idSeed, ProposalStatus.Proposed, Step.Cancel);
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
        } else if (block.timestamp >= g.deadline) {
            _count("cancel(window closed)");
            vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, g.deadline));
        } else {
            _count("cancel");
            g.status = ProposalStatus.Cancelled;
            g.decidedAt = block.timestamp;
        }
        vm.prank(caller);
        disputes.cancel(id);
    }

    function dispute(uint256 idSeed, uint256 callerSeed) external observed {
        (bool found, uint256 id) = _pickId(idSeed, ProposalStatus.Proposed, Step.Dispute);
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
            g.disputed = true;
            g.disputedAt = block.timestamp;
            ghostBondsPosted += p.disputeBond;
        }
        vm.prank(caller);
        disputes.dispute(id);
    }

    function execute(uint256 idSeed, uint256 callerSeed) external observed {
        (bool found, uint256 id) = _pickId(idSeed, ProposalStatus.Proposed, Step.Execute);
        if (!found) {
            _count("execute(none)");
            return;
        }
        Ghost storage g = _ghosts[id];
        uint256 expiry = g.deadline + disputes.params().arbitrationWindow;
        if (g.status != ProposalStatus.Proposed) {
            _count("execute(wrong status)");
            vm.expectRevert(_wrongStatus(id, g.status));
        } else if (block.timestamp < g.deadline) {
            _count("execute(window open)");
            vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, g.deadline));
        } else if (block.timestamp >= expiry) {
            _count("execute(window closed)");
            vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowClosed.selector, id, expiry));
        } else {
            _count("execute");
            _execute(id, finders[callerSeed % finders.length]);
            return;
        }
        disputes.execute(id);
    }

    function resolve(uint256 idSeed, bool upheld) external observed {
        (bool found, uint256 id) = _pickId(idSeed, ProposalStatus.Disputed, Step.Resolve);
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
            g.decidedAt = block.timestamp;
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

    /// @dev Lapses a disputed proposal the arbiter left unresolved, or (every other call) an
    ///      undisputed one nobody executed.
    function lapse(uint256 idSeed) external observed {
        uint256 mix = uint256(keccak256(abi.encode(idSeed)));
        (bool found, uint256 id) =
            _pickId(idSeed, mix % 2 == 0 ? ProposalStatus.Disputed : ProposalStatus.Proposed, Step.Lapse);
        if (!found) {
            _count("lapse(none)");
            return;
        }
        Ghost storage g = _ghosts[id];
        bool proposed = g.status == ProposalStatus.Proposed;
        uint256 end = proposed ? g.deadline + disputes.params().arbitrationWindow : g.deadline;
        if (!proposed && g.status != ProposalStatus.Disputed) {
            _count("lapse(wrong status)");
            vm.expectRevert(_wrongStatus(id, g.status));
        } else if (block.timestamp < end) {
            _count(proposed ? "lapse(undisputed, window open)" : "lapse(window open)");
            vm.expectRevert(abi.encodeWithSelector(IDisputes.WindowOpen.selector, id, end));
        } else {
            _count(proposed ? "lapse(undisputed)" : "lapse");
            _lapse(id);
            return;
        }
        disputes.lapse(id);
    }

    // ================================================================= time

    function warp(uint256 seconds_) external observed {
        _count("warp");
        vm.warp(block.timestamp + _bound(seconds_, 1, MAX_WARP));
    }

    /// @dev Lands exactly on (or one second before) an open proposal's deadline, or an undisputed
    ///      one's execution expiry (deadline + arbitrationWindow).
    function warpToDeadline(uint256 idSeed, bool justBefore) external observed {
        uint256 mix = uint256(keccak256(abi.encode(idSeed)));
        (bool found, uint256 id) =
            _pickId(idSeed, mix % 2 == 0 ? ProposalStatus.Proposed : ProposalStatus.Disputed, Step.Any);
        if (!found) {
            _count("warpToDeadline(none)");
            return;
        }
        Ghost storage g = _ghosts[id];
        uint256 target = g.deadline;
        if (g.status == ProposalStatus.Proposed && (mix >> 1) % 2 == 0) {
            target += disputes.params().arbitrationWindow;
        }
        if (justBefore) --target;
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

    /// @dev Settles every open proposal: past every challenge window, executes the undisputed
    ///      proposals still in their execution window and lapses the stale ones; past every
    ///      arbitration window, lapses the disputed ones. Afterwards Disputes must hold nothing.
    function settleAll() external observed {
        DisputesParams memory p = disputes.params();
        vm.warp(block.timestamp + p.challengeWindow);
        for (uint256 id; id < _ghosts.length; ++id) {
            Ghost storage g = _ghosts[id];
            if (g.status != ProposalStatus.Proposed) continue;
            if (block.timestamp < g.deadline + p.arbitrationWindow) _execute(id, address(this));
            else _lapse(id);
        }
        vm.warp(block.timestamp + p.arbitrationWindow);
        for (uint256 id; id < _ghosts.length; ++id) {
            if (_ghosts[id].status == ProposalStatus.Disputed) _lapse(id);
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

    /// @dev When proposal `id` was created, whether and when it was disputed, when it was decided.
    function timeline(uint256 id)
        external
        view
        returns (uint256 createdAt, bool disputed, uint256 disputedAt, uint256 decidedAt)
    {
        Ghost storage g = _ghosts[id];
        return (g.createdAt, g.disputed, g.disputedAt, g.decidedAt);
    }

    function provenKeys() external view returns (address[] memory) {
        return _provenKeys;
    }

    function minersCount() external view returns (uint256) {
        return miners.length;
    }

    function coordinatorsCount() external view returns (uint256) {
        return coordinators.length;
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

    /// @dev Executes undisputed proposal `id` (its execution window is open) as `caller`.
    function _execute(uint256 id, address caller) internal {
        Ghost storage g = _ghosts[id];
        g.status = ProposalStatus.Executed;
        g.decidedAt = block.timestamp;
        ++slashCount[g.miner];
        uint256 stakingBefore = cai.balanceOf(address(staking));
        uint256 treasuryBefore = cai.balanceOf(treasury);
        vm.prank(caller);
        uint256 slashed = disputes.execute(id);
        assertEq(cai.balanceOf(treasury) - treasuryBefore, slashed, "execute: all to the treasury");
        _recordSlash(slashed, stakingBefore, treasuryBefore);
    }

    /// @dev Lapses proposal `id` (Proposed or Disputed, its window over): the bond, if any, goes
    ///      back to the disputer; nothing else moves.
    function _lapse(uint256 id) internal {
        Ghost storage g = _ghosts[id];
        g.status = ProposalStatus.Lapsed;
        g.decidedAt = block.timestamp;
        uint256 disputerBefore = g.disputer == address(0) ? 0 : cai.balanceOf(g.disputer);
        uint256 treasuryBefore = cai.balanceOf(treasury);
        uint256 stakingBefore = cai.balanceOf(address(staking));
        uint256 heldBefore = cai.balanceOf(address(disputes));
        disputes.lapse(id);
        if (g.disputer != address(0)) {
            assertEq(cai.balanceOf(g.disputer) - disputerBefore, g.bond, "lapse: bond back");
        }
        assertEq(heldBefore - cai.balanceOf(address(disputes)), g.bond, "lapse: only the bond leaves");
        assertEq(cai.balanceOf(treasury), treasuryBefore, "lapse: treasury untouched");
        assertEq(cai.balanceOf(address(staking)), stakingBefore, "lapse: nobody slashed");
        ghostBondsRefunded += g.bond;
    }

    function _recordSlash(uint256 slashed, uint256 stakingBefore, uint256 treasuryBefore) internal {
        ghostSlashed += slashed;
        ghostStakingOut += stakingBefore - cai.balanceOf(address(staking));
        ghostTreasuryIn += cai.balanceOf(treasury) - treasuryBefore;
    }

    /// @dev Half the time a proposal on which `step` would succeed now (if any), a quarter a
    ///      proposal in status `wanted` (if any), otherwise any proposal (most likely one where
    ///      the step is wrong or its window is not the right one).
    function _pickId(uint256 seed, ProposalStatus wanted, Step step)
        internal
        view
        returns (bool found, uint256 id)
    {
        uint256 n = _ghosts.length;
        if (n == 0) return (false, 0);
        uint256 r = seed >> 2;
        uint256 mode = seed % 4;
        if (mode >= 2 && step != Step.Any) {
            uint256 aw = disputes.params().arbitrationWindow;
            uint256[] memory ready = new uint256[](n);
            uint256 m;
            for (uint256 i; i < n; ++i) {
                if (_ready(_ghosts[i], step, aw)) ready[m++] = i;
            }
            if (m != 0) return (true, ready[r % m]);
        }
        if (mode != 0) {
            uint256[] memory ids = new uint256[](n);
            uint256 m;
            for (uint256 i; i < n; ++i) {
                if (_ghosts[i].status == wanted) ids[m++] = i;
            }
            if (m != 0) return (true, ids[r % m]);
        }
        return (true, r % n);
    }

    /// @dev Whether `step` would succeed on `g` now (ignoring who calls).
    function _ready(Ghost storage g, Step step, uint256 arbitrationWindow) internal view returns (bool) {
        uint256 t = block.timestamp;
        if (g.status == ProposalStatus.Proposed) {
            if (step == Step.Cancel || step == Step.Dispute) return t < g.deadline;
            if (step == Step.Execute) return g.deadline <= t && t < g.deadline + arbitrationWindow;
            if (step == Step.Lapse) return t >= g.deadline + arbitrationWindow;
        } else if (g.status == ProposalStatus.Disputed) {
            if (step == Step.Resolve) return t < g.deadline;
            if (step == Step.Lapse) return t >= g.deadline;
        }
        return false;
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

    /// @dev Proposed -> Executed | Cancelled | Disputed | Lapsed; Disputed -> Upheld | Rejected |
    ///      Lapsed; the rest are final.
    function _legal(ProposalStatus from, ProposalStatus to) internal pure returns (bool) {
        if (from == ProposalStatus.None) return to == ProposalStatus.Proposed;
        if (from == ProposalStatus.Proposed) {
            return to == ProposalStatus.Disputed || to == ProposalStatus.Executed
                || to == ProposalStatus.Cancelled || to == ProposalStatus.Lapsed;
        }
        if (from == ProposalStatus.Disputed) {
            return to == ProposalStatus.Upheld || to == ProposalStatus.Rejected || to == ProposalStatus.Lapsed;
        }
        return false; // final
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
