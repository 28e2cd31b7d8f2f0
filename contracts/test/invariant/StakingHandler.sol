// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test, Vm} from "forge-std/Test.sol";
import {console} from "forge-std/console.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {CAIToken} from "../../src/CAIToken.sol";
import {Staking} from "../../src/Staking.sol";
import {IStaking} from "../../src/interfaces/IStaking.sol";
import {LockView, NodeView, Role, Status} from "../../src/staking/StakingTypes.sol";
import {Pool, StakingLens} from "./StakingLens.sol";

/// @notice Drives Staking with 6 stakers and 4 node owners (3 operator keys each, either role)
///         through every user, slasher (slash and slashOwnerStake), distributor and guardian action,
///         and time. With fail_on_revert every call it makes must succeed: each action checks its
///         preconditions (replicating the contract's arithmetic, overflow casts included) and
///         returns early when the action is impossible. Expected rejections (a lock not matured yet, a jail not over
///         yet, staking while paused) are exercised through vm.expectRevert.
/// @dev Ghost accounting: every token that enters or leaves Staking goes through this handler and
///      is recorded from balance deltas, so the invariant suite can check exact conservation.
///      Slash proceeds go to the slasher that calls (here `slasher`, which nothing else pays), never
///      to the treasury, whose balance must not move.
contract StakingHandler is Test {
    uint256 internal constant PRECISION = 1e18;
    uint256 internal constant BPS = 10_000;

    uint256 public constant STAKERS = 6;
    uint256 public constant OWNERS = 4;
    uint256 public constant OPS_PER_OWNER = 3;
    uint256 public constant MAX_WARP = 10 days;
    uint256 public constant MAX_STAKE = 1_000_000 ether;
    uint256 public constant MAX_FEES = 200_000 ether;
    uint256 public constant MAX_NOTIFY = 5_000_000 ether;

    StakingLens public immutable staking;
    CAIToken public immutable cai;
    address public immutable slasher;
    address public immutable guardian;
    address public immutable distributor;
    address public immutable treasury;
    address public immutable feePayer;
    uint256 public immutable treasuryStart;
    uint256 public immutable slasherStart;

    /// @dev stakers first (0..5), then owners (6..9); every one of them may stake anywhere.
    address[] public actors;
    address[] public owners;
    address[] internal _candidates; // operator keys, _candidates[o * OPS_PER_OWNER + k] belongs to owners[o]
    mapping(address operator => address) public ownerOfOperator;
    address[] internal _registered;

    // ------------------------------------------------------------ ghosts
    mapping(address actor => uint256) public ghostDeposited; // principal sent in (register, stake)
    mapping(address actor => uint256) public ghostWithdrawn; // principal paid out (withdraw)
    mapping(address actor => uint256) public ghostClaimed; // rewards and commission paid out (claim*)
    uint256 public ghostTotalDeposited;
    uint256 public ghostTotalWithdrawn;
    uint256 public ghostTotalClaimed;
    uint256 public ghostNotified;
    uint256 public ghostFees;
    uint256 public ghostSlashed; // slasher balance delta over slash and slashOwnerStake
    uint256 public ghostSlashedReturned; // sum of slash() and slashOwnerStake() return values
    /// @dev stakes, unstakes, lock withdrawals and owner-stake slashes: each may leave < 1 share's
    ///      worth of rounding dust in its pool, which accrues to the pool's other holders.
    uint256 public ghostPoolOps;
    /// @dev unstakes that started a new generation of an unbonding pool slashed to zero tokens
    uint256 public ghostPoolResets;

    // ------------------------------------------------------------ call summary
    string[] internal _names;
    mapping(bytes32 => uint256) internal _done;
    mapping(bytes32 => uint256) internal _skipped;
    uint256 public totalCalls;

    constructor(
        CAIToken cai_,
        StakingLens staking_,
        address slasher_,
        address guardian_,
        address distributor_,
        address treasury_
    ) {
        cai = cai_;
        staking = staking_;
        slasher = slasher_;
        guardian = guardian_;
        distributor = distributor_;
        treasury = treasury_;
        treasuryStart = cai_.balanceOf(treasury_);
        slasherStart = cai_.balanceOf(slasher_);
        feePayer = makeAddr("feePayer");
        for (uint256 i; i < STAKERS; ++i) {
            actors.push(makeAddr(string.concat("staker", vm.toString(i))));
        }
        for (uint256 o; o < OWNERS; ++o) {
            address owner = makeAddr(string.concat("owner", vm.toString(o)));
            owners.push(owner);
            actors.push(owner);
            for (uint256 k; k < OPS_PER_OWNER; ++k) {
                address op = makeAddr(string.concat("operator", vm.toString(o), "_", vm.toString(k)));
                _candidates.push(op);
                ownerOfOperator[op] = owner;
            }
        }
        for (uint256 i; i < actors.length; ++i) {
            _approve(actors[i]);
        }
        _approve(feePayer);
        _approve(distributor);

        string[22] memory names = [
            "register",
            "register(paused)",
            "stake",
            "stake(paused)",
            "stake(depleted)",
            "unstake",
            "unbonding pool reset",
            "withdraw",
            "withdraw(immature)",
            "claim",
            "claimMany",
            "notifyRewardAmount",
            "distributeFees",
            "slash",
            "slashOwnerStake",
            "unjail",
            "unjail(early)",
            "deregister",
            "updateNode",
            "setPaused",
            "setPaused(resume)",
            "warp"
        ];
        for (uint256 i; i < names.length; ++i) {
            _names.push(names[i]);
        }
    }

    /// @dev Called once from setUp (after the handler got its tokens): a miner, a second miner and
    ///      a coordinator, a few stakes and an emission stream, all through the ghost-tracked paths.
    function bootstrap() external {
        _doRegister(owners[0], _candidates[0], Role.Miner, staking.minSelfStake(Role.Miner), 1_000);
        _doRegister(
            owners[1], _candidates[OPS_PER_OWNER], Role.Miner, 2 * staking.minSelfStake(Role.Miner), 0
        );
        _doRegister(
            owners[2],
            _candidates[2 * OPS_PER_OWNER],
            Role.Coordinator,
            staking.minSelfStake(Role.Coordinator),
            500
        );
        _doStake(actors[0], _candidates[0], 50_000 ether);
        _doStake(actors[1], _candidates[OPS_PER_OWNER], 10_000 ether);
        _doStake(actors[2], _candidates[2 * OPS_PER_OWNER], 300_000 ether);
        _doNotify(1_000_000 ether, 30 days);
    }

    // ================================================================= actions

    function register(uint256 ownerSeed, uint256 opSeed, uint256 roleSeed, uint256 stakeSeed, uint256 bpsSeed)
        external
    {
        // the first unused operator key, from the seeded owner and key on
        uint256 n = _candidates.length;
        uint256 first = (ownerSeed % OWNERS) * OPS_PER_OWNER + opSeed % OPS_PER_OWNER;
        address op;
        for (uint256 k; k < n && op == address(0); ++k) {
            address candidate = _candidates[(first + k) % n];
            if (_pool(candidate).status == Status.None) op = candidate;
        }
        if (op == address(0)) return _skip("register");
        uint256 o = _ownerIndex(op);
        Role role = roleSeed % 3 == 0 ? Role.Coordinator : Role.Miner;
        uint256 min = staking.minSelfStake(role);
        uint256 selfStake = _bound(stakeSeed, min, 2 * min);
        uint16 bps = uint16(_bound(bpsSeed, 0, BPS));
        if (_paused() && _keepPaused(stakeSeed)) {
            _fund(owners[o], selfStake);
            vm.expectRevert(IStaking.Paused.selector);
            vm.prank(owners[o]);
            staking.register(role, op, selfStake, bps, "ipfs://node", "https://node.example");
            return _did("register(paused)");
        }
        _doRegister(owners[o], op, role, selfStake, bps);
        _did("register");
    }

    function stake(uint256 actorSeed, uint256 opSeed, uint256 amountSeed) external {
        if (_registered.length == 0) return _skip("stake");
        address actor = actors[actorSeed % actors.length];
        uint256 amount = _amount(amountSeed, MAX_STAKE);
        address op;
        for (uint256 k; k < _registered.length; ++k) {
            address candidate = _registered[(opSeed % _registered.length + k) % _registered.length];
            if (_canStake(actor, candidate, amount)) {
                op = candidate;
                break;
            }
        }
        if (op == address(0)) return _skip("stake");
        // While paused only a jailed node's owner may stake (to restore its self-stake).
        Pool memory pool = _pool(op);
        bool ownerTopUp = pool.status == Status.Jailed && pool.owner == actor;
        if (_paused() && !ownerTopUp && _keepPaused(amountSeed)) {
            _fund(actor, amount);
            vm.expectRevert(IStaking.Paused.selector);
            vm.prank(actor);
            staking.stake(op, amount);
            return _did("stake(paused)");
        }
        _doStake(actor, op, amount);
        _did("stake");
    }

    /// @dev Looks for a position to unstake from, starting at the seeded actor and node.
    function unstake(uint256 actorSeed, uint256 opSeed, uint256 amountSeed) external {
        uint256 nOps = _registered.length;
        for (uint256 j; j < actors.length; ++j) {
            address actor = actors[(actorSeed % actors.length + j) % actors.length];
            for (uint256 k; k < nOps; ++k) {
                address op = _registered[(opSeed % nOps + k) % nOps];
                (bool ok, uint256 amount) = _unstakeAmount(actor, op, amountSeed);
                if (!ok) continue;
                _doUnstake(actor, op, amount);
                return _did("unstake");
            }
        }
        _skip("unstake");
    }

    /// @dev Withdraws up to `countSeed % 4 + 1` matured locks of the first actor (from the seeded
    ///      one) that has any. When nobody has a matured lock and `lockSeed` is even, checks
    ///      instead that withdrawing a lock that is not matured yet is rejected.
    function withdraw(uint256 actorSeed, uint256 lockSeed, uint256 countSeed) external {
        LockView memory early;
        address earlyActor;
        for (uint256 j; j < actors.length; ++j) {
            address actor = actors[(actorSeed % actors.length + j) % actors.length];
            (uint256[] memory ids, uint256 expected, LockView memory immature) =
                _maturedLocks(actor, lockSeed, countSeed % 4 + 1);
            if (earlyActor == address(0) && immature.unlockAt != 0) (early, earlyActor) = (immature, actor);
            if (ids.length == 0) continue;
            _doWithdraw(actor, ids, expected);
            return _did("withdraw");
        }
        if (earlyActor != address(0) && lockSeed % 2 == 0) {
            vm.expectRevert(
                abi.encodeWithSelector(IStaking.LockNotMatured.selector, early.id, early.unlockAt)
            );
            vm.prank(earlyActor);
            staking.withdraw(_one(early.id));
            return _did("withdraw(immature)");
        }
        _skip("withdraw");
    }

    /// @dev Up to `want` matured live locks of `actor` (from a seeded id), their previewed value,
    ///      and one live lock that is not matured yet (unlockAt 0 if none).
    function _maturedLocks(address actor, uint256 lockSeed, uint256 want)
        internal
        view
        returns (uint256[] memory ids, uint256 expected, LockView memory immature)
    {
        uint256 count = staking.lockCount(actor);
        ids = new uint256[](want);
        uint256 found;
        if (count != 0) {
            LockView[] memory locks = staking.locksOf(actor, 0, count);
            for (uint256 k; k < count && found < want; ++k) {
                LockView memory l = locks[(lockSeed % count + k) % count];
                if (l.withdrawn) continue;
                if (block.timestamp < l.unlockAt) {
                    if (immature.unlockAt == 0) immature = l;
                    continue;
                }
                ids[found++] = l.id;
                expected += l.amount;
            }
        }
        assembly ("memory-safe") {
            mstore(ids, found)
        }
    }

    /// @dev What a batch of locks takes out of each registered node's unbonding pool.
    struct PoolExit {
        uint256[] tokens;
        uint256[] shares;
    }

    /// @dev Withdraws `ids` (live, matured) of `actor`, previewed at `expected` in total, and checks
    ///      each lock against the model: a lock of an earlier generation of its node's unbonding
    ///      pool (slashed to zero tokens, then started again by a later lock) pays exactly 0 and
    ///      leaves the pool alone; every other lock takes exactly its shares out of its pool, and
    ///      the tokens it is paid.
    function _doWithdraw(address actor, uint256[] memory ids, uint256 expected) internal {
        uint256 nOps = _registered.length;
        Pool[] memory pools = new Pool[](nOps);
        for (uint256 k; k < nOps; ++k) {
            pools[k] = _pool(_registered[k]);
        }
        PoolExit memory out = PoolExit(new uint256[](nOps), new uint256[](nOps));
        uint256[] memory node = new uint256[](ids.length); // index in _registered
        bool[] memory stale = new bool[](ids.length);
        uint256 current;
        for (uint256 j; j < ids.length; ++j) {
            LockView memory l = staking.locksOf(actor, ids[j], 1)[0];
            uint256 k;
            while (_registered[k] != l.operator) ++k;
            (uint256 shares, uint256 epoch) = staking.rawLock(actor, ids[j]);
            node[j] = k;
            stale[j] = epoch != pools[k].unbondingEpoch;
            if (stale[j]) {
                assertLt(epoch, pools[k].unbondingEpoch, "withdraw: lock of a future generation");
                assertEq(l.amount, 0, "withdraw: old-generation lock previewed above 0");
            } else {
                out.shares[k] += shares;
                ++current;
            }
        }

        uint256 before = cai.balanceOf(actor);
        vm.recordLogs();
        vm.prank(actor);
        uint256 paid = staking.withdraw(ids);
        uint256 received = cai.balanceOf(actor) - before;
        assertEq(received, paid, "withdraw: transfer != return value");
        // Each withdrawal leaves the pool at the same or a better tokens-per-share rate, so later
        // locks of the same node are worth at least their preview, and at most 1 wei more each.
        assertGe(paid, expected, "withdraw: paid below preview");
        assertLe(paid, expected + current, "withdraw: paid above preview");
        _checkWithdrawn(ids, node, stale, out);
        for (uint256 k; k < nOps; ++k) {
            Pool memory q = _pool(_registered[k]);
            assertEq(q.unbondingEpoch, pools[k].unbondingEpoch, "withdraw: pool generation moved");
            assertEq(pools[k].unbondingShares - q.unbondingShares, out.shares[k], "withdraw: pool shares");
            assertEq(pools[k].unbondingTokens - q.unbondingTokens, out.tokens[k], "withdraw: pool tokens");
        }
        ghostWithdrawn[actor] += received;
        ghostTotalWithdrawn += received;
        ghostPoolOps += current; // an old-generation lock leaves no dust: it does not touch the pool
    }

    /// @dev One Withdrawn event per lock, in order: 0 for an old-generation lock; the others' payouts
    ///      are added to `out.tokens` of their node.
    function _checkWithdrawn(
        uint256[] memory ids,
        uint256[] memory node,
        bool[] memory stale,
        PoolExit memory out
    ) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 j;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(staking) || logs[i].topics[0] != IStaking.Withdrawn.selector) {
                continue;
            }
            assertEq(uint256(logs[i].topics[2]), ids[j], "withdraw: event lock id");
            uint256 amount = abi.decode(logs[i].data, (uint256));
            if (stale[j]) assertEq(amount, 0, "withdraw: old-generation lock paid");
            else out.tokens[node[j]] += amount;
            ++j;
        }
        assertEq(j, ids.length, "withdraw: one event per lock");
    }

    function claim(uint256 actorSeed, uint256 opSeed) external {
        if (_registered.length == 0) return _skip("claim");
        address actor = actors[actorSeed % actors.length];
        address op = _registered[opSeed % _registered.length];
        if (!_claimOk(op, actor)) return _skip("claim");
        uint256 expected = staking.pendingRewards(op, actor);
        uint256 before = cai.balanceOf(actor);
        vm.prank(actor);
        uint256 paid = staking.claim(op);
        uint256 received = cai.balanceOf(actor) - before;
        assertEq(paid, expected, "claim: paid != pendingRewards");
        assertEq(received, paid, "claim: transfer != return value");
        assertEq(staking.pendingRewards(op, actor), 0, "claim: pending left");
        ghostClaimed[actor] += received;
        ghostTotalClaimed += received;
        _did("claim");
    }

    /// @param mask picks the operators (bit i: registered node i); bit 15 repeats the first one.
    function claimMany(uint256 actorSeed, uint256 mask) external {
        if (_registered.length == 0) return _skip("claimMany");
        address actor = actors[actorSeed % actors.length];
        address[] memory ops = new address[](_registered.length + 1);
        uint256 n;
        uint256 expected;
        for (uint256 i; i < _registered.length; ++i) {
            if ((mask >> i) & 1 == 0) continue;
            if (!_claimOk(_registered[i], actor)) return _skip("claimMany");
            ops[n++] = _registered[i];
            expected += staking.pendingRewards(_registered[i], actor);
        }
        if (n != 0 && (mask >> 15) & 1 == 1) ops[n++] = ops[0]; // a duplicate pays nothing twice
        assembly ("memory-safe") {
            mstore(ops, n)
        }
        uint256 before = cai.balanceOf(actor);
        vm.prank(actor);
        uint256 paid = staking.claimMany(ops);
        uint256 received = cai.balanceOf(actor) - before;
        assertEq(paid, expected, "claimMany: paid != sum of pendingRewards");
        assertEq(received, paid, "claimMany: transfer != return value");
        ghostClaimed[actor] += received;
        ghostTotalClaimed += received;
        _did("claimMany");
    }

    function notifyRewardAmount(uint256 amountSeed, uint256 durationSeed) external {
        uint256 duration = durationSeed % 8 == 0
            ? _bound(durationSeed, 1, staking.MAX_PERIOD())
            : _bound(durationSeed, 1 hours, 60 days);
        // amount >= duration makes the new rate at least 1 wei per second
        uint256 amount = amountSeed % 6 == 0
            ? _bound(amountSeed, duration, duration + 1e6)
            : _bound(amountSeed, duration, MAX_NOTIFY);
        _doNotify(amount, duration);
        _did("notifyRewardAmount");
    }

    function distributeFees(uint256 opSeed, uint256 amountSeed) external {
        if (_registered.length == 0) return _skip("distributeFees");
        address op = _registered[opSeed % _registered.length];
        uint256 amount = _amount(amountSeed, MAX_FEES);
        (bool ok, Pool memory p) = _accrued(op);
        if (!ok || !_creditOk(p, amount, p.commissionBps)) return _skip("distributeFees");
        _fund(feePayer, amount);
        uint256 before = cai.balanceOf(address(staking));
        vm.prank(feePayer);
        staking.distributeFees(op, amount);
        assertEq(cai.balanceOf(address(staking)) - before, amount, "fees: received");
        ghostFees += amount;
        _did("distributeFees");
    }

    /// @dev bps over 1..10000, with one call in eight taking everything (10000).
    function slash(uint256 opSeed, uint256 bpsSeed) external {
        if (_registered.length == 0) return _skip("slash");
        address op = _registered[opSeed % _registered.length];
        if (!_accrueOk(op)) return _skip("slash");
        uint16 bps = bpsSeed % 8 == 0 ? uint16(BPS) : uint16(_bound(bpsSeed, 1, BPS));
        Pool memory p = _pool(op);
        uint256 expected = p.activeTokens * bps / BPS + p.unbondingTokens * bps / BPS;
        uint256 before = cai.balanceOf(slasher);
        vm.prank(slasher);
        uint256 slashed = staking.slash(op, bps, keccak256("invariant"));
        uint256 taken = cai.balanceOf(slasher) - before;
        assertEq(slashed, expected, "slash: amount");
        assertEq(taken, slashed, "slash: slasher delta != return value");
        _afterSlash(op, p, taken, slashed, "slash: not jailed");
        _did("slash");
    }

    /// @dev Takes up to an amount of the node owner's own active stake. One call in eight asks
    ///      for more than the owner holds (type(uint256).max one time in two), one in eight exactly
    ///      its stake, one in five a dust amount, otherwise 1 wei up to its stake. An owner with
    ///      nothing left is asked for 1 wei or more (returns 0, and still jails). Checks that only
    ///      the owner's position moves: every other position keeps its shares and reward debt
    ///      (hence its pending rewards) exactly and its value up to rounding in its favour, the
    ///      unbonding pool (hence every lock, the owner's included) and every other node are
    ///      untouched, and the treasury gets nothing.
    function slashOwnerStake(uint256 opSeed, uint256 amountSeed) external {
        if (_registered.length == 0) return _skip("slashOwnerStake");
        address op = _registered[opSeed % _registered.length];
        (bool ok, Pool memory p) = _accrued(op);
        if (!ok) return _skip("slashOwnerStake");
        uint256 own = staking.stakeOf(op, p.owner);
        uint256 amount;
        if (amountSeed % 8 == 0) {
            amount = amountSeed % 16 == 0 ? type(uint256).max : _bound(amountSeed, own + 1, own + MAX_STAKE);
        } else if (amountSeed % 8 == 1) {
            amount = Math.max(own, 1);
        } else if (amountSeed % 5 == 0) {
            amount = _bound(amountSeed, 1, 1e6);
        } else {
            amount = _bound(amountSeed, 1, Math.max(own, 1));
        }
        uint256 expected = Math.min(amount, own);
        if (!_burnOk(op, p, expected)) return _skip("slashOwnerStake");

        Holding[] memory others = _holdings(op, p.owner);
        uint256[] memory otherNodes = _otherNodeTokens(op);
        uint256 ownerPending = staking.pendingRewards(op, p.owner);
        uint256 before = cai.balanceOf(slasher);
        vm.prank(slasher);
        uint256 slashed = staking.slashOwnerStake(op, amount, keccak256("invariant"));
        uint256 taken = cai.balanceOf(slasher) - before;
        assertEq(slashed, expected, "slashOwnerStake: != min(amount, owner's stake)");
        assertEq(taken, slashed, "slashOwnerStake: slasher delta != return value");

        Pool memory q = _pool(op);
        assertEq(q.activeTokens, p.activeTokens - slashed, "slashOwnerStake: active pool");
        assertEq(q.unbondingTokens, p.unbondingTokens, "slashOwnerStake: unbonding tokens moved");
        assertEq(q.unbondingShares, p.unbondingShares, "slashOwnerStake: unbonding shares moved");
        assertEq(q.accRewardPerShare, p.accRewardPerShare, "slashOwnerStake: rewards per share moved");
        assertEq(q.commissionAccrued, p.commissionAccrued, "slashOwnerStake: commission moved");
        _checkOwner(op, p.owner, own - slashed, ownerPending);
        _checkHoldings(op, others, p);
        _checkOtherNodes(op, otherNodes);
        _afterSlash(op, p, taken, slashed, "slashOwnerStake: not jailed");
        if (slashed != 0) ++ghostPoolOps; // the rounded-up burn leaves dust to the other holders
        _did("slashOwnerStake");
    }

    /// @dev The owner's shares are burnt rounded up: it keeps `expected` (own - slashed) or 1 wei
    ///      less. Their reward debt is removed rounded down: it keeps its pending rewards (its
    ///      commission included) or 1 wei less.
    function _checkOwner(address op, address owner, uint256 expected, uint256 pendingBefore) internal view {
        uint256 left = staking.stakeOf(op, owner);
        assertLe(left, expected, "slashOwnerStake: owner kept more than own - slashed");
        assertGe(left + 1, expected, "slashOwnerStake: owner lost more than 1 wei");
        uint256 pending = staking.pendingRewards(op, owner);
        assertLe(pending, pendingBefore, "slashOwnerStake: owner's rewards grew");
        assertGe(pending + 1, pendingBefore, "slashOwnerStake: owner lost rewards");
    }

    /// @dev One actor's position on a node.
    struct Holding {
        address actor;
        uint256 shares;
        int256 debt;
        uint256 stake;
        uint256 pending;
    }

    /// @dev The positions on `op` of every actor but `owner`.
    function _holdings(address op, address owner) internal view returns (Holding[] memory h) {
        h = new Holding[](actors.length - 1);
        uint256 n;
        for (uint256 a; a < actors.length; ++a) {
            address actor = actors[a];
            if (actor == owner) continue;
            (uint256 shares, int256 debt) = staking.rawPosition(op, actor);
            h[n++] =
                Holding(actor, shares, debt, staking.stakeOf(op, actor), staking.pendingRewards(op, actor));
        }
    }

    /// @dev Shares, debt and pending rewards exactly as before; the value never lower, and higher
    ///      by at most the rounding dust the owner's burn left in the pool (< one share's worth,
    ///      (T+1)/(S+1) before the slash), plus 1 wei for the floor.
    function _checkHoldings(address op, Holding[] memory before, Pool memory p) internal view {
        uint256 dust = (p.activeTokens + 1) / (p.activeShares + 1) + 1;
        for (uint256 i; i < before.length; ++i) {
            Holding memory b = before[i];
            (uint256 shares, int256 debt) = staking.rawPosition(op, b.actor);
            assertEq(shares, b.shares, "slashOwnerStake: another position's shares moved");
            assertEq(debt, b.debt, "slashOwnerStake: another position's reward debt moved");
            assertEq(
                staking.pendingRewards(op, b.actor), b.pending, "slashOwnerStake: another's rewards moved"
            );
            uint256 stake_ = staking.stakeOf(op, b.actor);
            assertGe(stake_, b.stake, "slashOwnerStake: another staker lost stake");
            assertLe(stake_, b.stake + dust, "slashOwnerStake: another staker gained beyond rounding");
        }
    }

    /// @dev Active and unbonding tokens of every registered node but `op`.
    function _otherNodeTokens(address op) internal view returns (uint256[] memory t) {
        t = new uint256[](2 * _registered.length);
        for (uint256 i; i < _registered.length; ++i) {
            if (_registered[i] == op) continue;
            Pool memory p = _pool(_registered[i]);
            (t[2 * i], t[2 * i + 1]) = (p.activeTokens, p.unbondingTokens);
        }
    }

    function _checkOtherNodes(address op, uint256[] memory before) internal view {
        uint256[] memory t = _otherNodeTokens(op);
        for (uint256 i; i < t.length; ++i) {
            assertEq(t[i], before[i], "slashOwnerStake: another node moved");
        }
    }

    /// @dev Replicates the owner's burn in `_slash` (`_leavePool` without the minimum, then
    ///      `_removeShares`) on the accrued pool `p`.
    function _burnOk(address op, Pool memory p, uint256 amount) internal view returns (bool) {
        if (amount == 0) return true;
        uint256 held = positionShares(op, p.owner);
        uint256 available = Math.mulDiv(held, p.activeTokens + 1, p.activeShares + 1);
        uint256 burn = amount == available
            ? held
            : Math.mulDiv(amount, p.activeShares + 1, p.activeTokens + 1, Math.Rounding.Ceil);
        if (!_mulFits(burn, p.accRewardPerShare)) return false;
        uint256 debtOut = burn * p.accRewardPerShare / PRECISION;
        if (debtOut > uint256(int256(type(int128).max))) return false;
        return _positionDebt(op, p.owner) - int256(debtOut) >= type(int128).min;
    }

    /// @dev A slash jails any node but a deregistered one, and pays nothing to the treasury.
    function _afterSlash(address op, Pool memory before, uint256 taken, uint256 slashed, string memory what)
        internal
    {
        Status expected = before.status == Status.Deregistered ? Status.Deregistered : Status.Jailed;
        assertEq(uint8(_pool(op).status), uint8(expected), what);
        assertEq(cai.balanceOf(treasury), treasuryStart, "slash: treasury paid");
        ghostSlashed += taken;
        ghostSlashedReturned += slashed;
    }

    /// @dev Picks a jailed node; tops its owner's self-stake back up to the minimum first when
    ///      needed (and possible). A jail that is not over yet is checked to be rejected instead.
    function unjail(uint256 opSeed, uint256 topUpSeed) external {
        for (uint256 k; k < _registered.length; ++k) {
            address op = _registered[(opSeed % _registered.length + k) % _registered.length];
            Pool memory p = _pool(op);
            if (p.status != Status.Jailed) continue;
            if (block.timestamp < p.jailedUntil) {
                vm.expectRevert(abi.encodeWithSelector(IStaking.StillJailed.selector, uint256(p.jailedUntil)));
                vm.prank(p.owner);
                staking.unjail(op);
                return _did("unjail(early)");
            }
            uint256 min = staking.minSelfStake(p.role);
            uint256 own = staking.stakeOf(op, p.owner);
            if (own < min) {
                uint256 topUp = min - own + _bound(topUpSeed, 0, min);
                if (_depleted(p) && !_paused()) {
                    // slashed 100%: the node can never take stake again, so never unjail
                    _fund(p.owner, topUp);
                    vm.expectRevert(abi.encodeWithSelector(IStaking.NodePoolDepleted.selector, op));
                    vm.prank(p.owner);
                    staking.stake(op, topUp);
                    return _did("stake(depleted)");
                }
                if (_paused() || !_canStake(p.owner, op, topUp)) continue;
                _doStake(p.owner, op, topUp);
                if (staking.stakeOf(op, p.owner) < min) continue; // rounding kept it just below
            }
            if (!_accrueOk(op) || uint256(_rewardable()) + _pool(op).activeTokens > type(uint96).max) {
                continue;
            }
            vm.prank(p.owner);
            staking.unjail(op);
            return _did("unjail");
        }
        _skip("unjail");
    }

    function deregister(uint256 opSeed) external {
        for (uint256 k; k < _registered.length; ++k) {
            address op = _registered[(opSeed % _registered.length + k) % _registered.length];
            Pool memory p = _pool(op);
            if (p.status == Status.Deregistered || !_accrueOk(op)) continue;
            vm.prank(p.owner);
            staking.deregister(op);
            return _did("deregister");
        }
        _skip("deregister");
    }

    /// @dev A raise (scheduled after commissionDelay) when `raise` is odd, else a cut (immediate,
    ///      and cancels a scheduled raise).
    function updateNode(uint256 opSeed, uint256 bpsSeed, uint256 raise) external {
        for (uint256 k; k < _registered.length; ++k) {
            address op = _registered[(opSeed % _registered.length + k) % _registered.length];
            Pool memory p = _pool(op);
            if (p.status == Status.Deregistered || !_accrueOk(op)) continue;
            uint256 current = staking.getNode(op).commissionBps; // a due raise counts already
            uint16 bps;
            if (raise % 2 == 1) {
                if (current == BPS) continue;
                bps = uint16(_bound(bpsSeed, current + 1, BPS));
            } else {
                bps = uint16(_bound(bpsSeed, 0, current));
            }
            vm.prank(p.owner);
            staking.updateNode(op, bps, "ipfs://node", "https://node.example");
            NodeView memory v = staking.getNode(op);
            if (bps > current) {
                assertEq(v.commissionBps, current, "raise applied early");
                assertEq(v.pendingCommissionBps, bps, "raise not scheduled");
                assertEq(v.commissionEffectiveAt, block.timestamp + staking.commissionDelay(), "raise time");
            } else {
                assertEq(v.commissionBps, bps, "cut not applied");
                assertEq(v.commissionEffectiveAt, 0, "raise not cancelled");
            }
            return _did("updateNode");
        }
        _skip("updateNode");
    }

    /// @dev Unpauses at once when paused, pauses one call in three otherwise.
    function setPaused(uint256 seed) external {
        bool paused = _paused();
        if (!paused && seed % 3 != 0) return _skip("setPaused");
        vm.prank(guardian);
        staking.setPaused(!paused);
        _did("setPaused");
    }

    function warp(uint256 seed) external {
        skip(seed % 4 == 0 ? _bound(seed, 1, 1 hours) : _bound(seed, 1, MAX_WARP));
        _did("warp");
    }

    // ================================================================= full exit

    /// @notice Everyone leaves: owners deregister, every actor claims everything and unstakes all,
    ///         time passes the unbonding period, every lock is withdrawn. Every step must succeed
    ///         and pay what the views promised, paused or not (the pause is left as the run left
    ///         it: exits never depend on it). Returns the number of positions that could not
    ///         unstake although they were worth something (stuck funds).
    function exitAll() external returns (uint256 stuck) {
        for (uint256 i; i < _registered.length; ++i) {
            address op = _registered[i];
            Pool memory p = _pool(op);
            if (p.status == Status.Deregistered) continue;
            require(_accrueOk(op), "exit: accrue would overflow");
            vm.prank(p.owner);
            staking.deregister(op);
        }
        for (uint256 a; a < actors.length; ++a) {
            address actor = actors[a];
            uint256 expected;
            for (uint256 i; i < _registered.length; ++i) {
                require(_claimOk(_registered[i], actor), "exit: claim would overflow");
                expected += staking.pendingRewards(_registered[i], actor);
            }
            uint256 before = cai.balanceOf(actor);
            vm.prank(actor);
            uint256 paid = staking.claimMany(_registered);
            assertEq(paid, expected, "exit: claimMany != pending");
            uint256 received = cai.balanceOf(actor) - before;
            ghostClaimed[actor] += received;
            ghostTotalClaimed += received;
        }
        // Several passes: an exit leaves rounding dust in its pool, which can lift another
        // position that was worth 0 wei to 1 wei. Positions worth 0 wei are left (they hold only
        // shares worth less than a wei).
        for (uint256 pass; pass < 10; ++pass) {
            bool progress;
            stuck = 0;
            for (uint256 a; a < actors.length; ++a) {
                address actor = actors[a];
                for (uint256 i; i < _registered.length; ++i) {
                    address op = _registered[i];
                    uint256 amount = staking.stakeOf(op, actor);
                    if (amount == 0) continue;
                    if (!_unstakeOk(actor, op, amount)) {
                        ++stuck;
                        console.log("exit: cannot unstake", actor, op, amount);
                        continue;
                    }
                    _doUnstake(actor, op, amount);
                    assertEq(staking.stakeOf(op, actor), 0, "exit: stake left after full unstake");
                    progress = true;
                }
            }
            if (!progress) break;
        }
        skip(staking.unbondingPeriod());
        for (uint256 a; a < actors.length; ++a) {
            uint256 count = staking.lockCount(actors[a]);
            (uint256[] memory ids, uint256 expected,) = _maturedLocks(actors[a], 0, count);
            if (ids.length != 0) _doWithdraw(actors[a], ids, expected);
        }
    }

    // ================================================================= views for the suite

    function registered() external view returns (address[] memory) {
        return _registered;
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function ghostFunded() public view returns (uint256) {
        return ghostNotified + ghostFees;
    }

    function positionShares(address op, address staker) internal view returns (uint256 shares) {
        (shares,) = staking.rawPosition(op, staker);
    }

    function allActors() external view returns (address[] memory) {
        return actors;
    }

    function callSummary() external view {
        console.log("---- StakingHandler call summary (done / skipped) ----");
        for (uint256 i; i < _names.length; ++i) {
            bytes32 key = keccak256(bytes(_names[i]));
            console.log(
                string.concat(_names[i], ": ", vm.toString(_done[key]), " / ", vm.toString(_skipped[key]))
            );
        }
        console.log(string.concat("total handler calls: ", vm.toString(totalCalls)));
        console.log(string.concat("nodes registered: ", vm.toString(_registered.length)));
        console.log(
            string.concat(
                "deposited ",
                vm.toString(ghostTotalDeposited / 1 ether),
                " withdrawn ",
                vm.toString(ghostTotalWithdrawn / 1 ether),
                " claimed ",
                vm.toString(ghostTotalClaimed / 1 ether),
                " funded ",
                vm.toString(ghostFunded() / 1 ether),
                " slashed ",
                vm.toString(ghostSlashed / 1 ether),
                " (CAI)"
            )
        );
    }

    // ================================================================= internals: actions

    function _doRegister(address owner, address op, Role role, uint256 selfStake, uint16 bps) internal {
        _fund(owner, selfStake);
        vm.prank(op);
        staking.approveOwner(owner);
        uint256 before = cai.balanceOf(owner);
        vm.prank(owner);
        staking.register(
            role, op, selfStake, bps, "ipfs://node", role == Role.Coordinator ? "https://coord.example" : ""
        );
        uint256 sent = before - cai.balanceOf(owner);
        assertEq(sent, selfStake, "register: transfer");
        assertEq(staking.stakeOf(op, owner), selfStake, "register: 1:1");
        ghostDeposited[owner] += sent;
        ghostTotalDeposited += sent;
        _registered.push(op);
    }

    function _doStake(address actor, address op, uint256 amount) internal {
        _fund(actor, amount);
        uint256 before = cai.balanceOf(actor);
        uint256 stakeBefore = staking.stakeOf(op, actor);
        vm.prank(actor);
        staking.stake(op, amount);
        uint256 sent = before - cai.balanceOf(actor);
        assertEq(sent, amount, "stake: transfer");
        // shares round down: the new stake is never worth more than what was paid in
        assertLe(staking.stakeOf(op, actor), stakeBefore + amount + 1, "stake: minted value above deposit");
        ghostDeposited[actor] += sent;
        ghostTotalDeposited += sent;
        ++ghostPoolOps;
    }

    /// @dev Also checks the new lock and the unbonding pool against the model, a new generation of
    ///      the pool (and its event) included.
    function _doUnstake(address actor, address op, uint256 amount) internal {
        uint256 lockId = staking.lockCount(actor);
        uint256 stakeBefore = staking.stakeOf(op, actor);
        Pool memory p = _pool(op);
        bool reset = _poolResets(p);
        uint256 epoch = p.unbondingEpoch + (reset ? 1 : 0);
        if (reset) {
            vm.expectEmit(address(staking));
            emit IStaking.UnbondingPoolReset(op, epoch);
        }
        vm.prank(actor);
        assertEq(staking.unstake(op, amount), lockId, "unstake: lock id");
        LockView memory l = staking.locksOf(actor, lockId, 1)[0];
        assertEq(l.unlockAt, block.timestamp + staking.unbondingPeriod(), "unstake: unlockAt");
        assertLe(staking.stakeOf(op, actor) + amount, stakeBefore, "unstake: stake not reduced");

        uint256 poolShares = reset ? 0 : p.unbondingShares;
        uint256 lockShares_ = Math.mulDiv(amount, poolShares + 1, p.unbondingTokens + 1);
        Pool memory q = _pool(op);
        (uint256 shares, uint256 lockEpoch) = staking.rawLock(actor, lockId);
        assertEq(shares, lockShares_, "unstake: lock shares");
        assertEq(lockEpoch, epoch, "unstake: lock generation");
        assertEq(q.unbondingEpoch, epoch, "unstake: pool generation");
        assertEq(q.unbondingShares, poolShares + lockShares_, "unstake: pool shares");
        assertEq(q.unbondingTokens, p.unbondingTokens + amount, "unstake: pool tokens");
        if (reset) {
            // the first lock of a generation converts 1:1 and owns the whole pool
            assertEq(l.amount, amount, "unstake: first lock of a new generation not worth its amount");
            ++_done[keccak256("unbonding pool reset")]; // part of this unstake, not a call of its own
            ++ghostPoolResets;
        }
        ++ghostPoolOps;
    }

    function _doNotify(uint256 amount, uint256 duration) internal {
        _fund(distributor, amount);
        uint256 before = cai.balanceOf(address(staking));
        vm.prank(distributor);
        staking.notifyRewardAmount(amount, duration);
        assertEq(cai.balanceOf(address(staking)) - before, amount, "notify: received");
        ghostNotified += amount;
    }

    // ================================================================= internals: preconditions

    function _canStake(address actor, address op, uint256 amount) internal view returns (bool) {
        (bool ok, Pool memory p) = _accrued(op);
        if (!ok) return false;
        if (p.status != Status.Active && (p.status != Status.Jailed || actor != p.owner)) return false;
        if (_depleted(p)) return false; // NodePoolDepleted
        uint256 shares = Math.mulDiv(amount, p.activeShares + 1, p.activeTokens + 1);
        if (shares == 0) return false; // AmountTooSmall
        if (p.activeTokens + amount > type(uint96).max || p.activeShares + shares > type(uint128).max) {
            return false;
        }
        if (p.status == Status.Active && _rewardable() + amount > type(uint96).max) return false;
        if (!_mulFits(shares, p.accRewardPerShare)) return false; // _addShares: shares * acc
        uint256 debt = Math.ceilDiv(shares * p.accRewardPerShare, PRECISION);
        int256 oldDebt = _positionDebt(op, actor);
        return debt <= uint256(int256(type(int128).max)) && oldDebt + int256(debt) <= type(int128).max;
    }

    /// @dev Replicates `_claim` (and the pendingRewards view): the position's shares * acc must fit.
    function _claimOk(address op, address actor) internal view returns (bool) {
        (bool ok, Pool memory p) = _accrued(op);
        if (!ok || p.status == Status.None) return false;
        uint256 shares = positionShares(op, actor);
        if (!_mulFits(shares, p.accRewardPerShare)) return false;
        return shares * p.accRewardPerShare / PRECISION <= uint256(int256(type(int128).max));
    }

    function _mulFits(uint256 a, uint256 b) internal pure returns (bool) {
        return a == 0 || b <= type(uint256).max / a;
    }

    /// @dev Picks a valid unstake amount for `actor` on `op` from `seed`: one in four is the whole
    ///      stake (when allowed), one in five a dust amount, otherwise uniform.
    function _unstakeAmount(address actor, address op, uint256 seed) internal view returns (bool, uint256) {
        Pool memory p = _pool(op);
        if (p.status == Status.None) return (false, 0);
        uint256 available = staking.stakeOf(op, actor);
        if (available == 0) return (false, 0);
        uint256 max = available;
        if (actor == p.owner && p.status != Status.Deregistered) {
            uint256 min = staking.minSelfStake(p.role);
            if (available <= min) return (false, 0);
            max = available - min;
        }
        uint256 amount;
        if (seed % 4 == 0) amount = max;
        else if (seed % 5 == 0) amount = _bound(seed, 1, Math.min(max, 1e6));
        else amount = _bound(seed, 1, max);
        if (_unstakeOk(actor, op, amount)) return (true, amount);
        // the owner's minimum check rounds against the owner: try a little less
        if (amount > 2 && _unstakeOk(actor, op, amount - 2)) return (true, amount - 2);
        return (false, 0);
    }

    /// @dev Replicates unstake: _accrue, _leavePool (with the owner's minimum), _removeShares, _lock.
    function _unstakeOk(address actor, address op, uint256 amount) internal view returns (bool) {
        (bool ok, Pool memory p) = _accrued(op);
        if (!ok || amount == 0) return false;
        uint256 held = positionShares(op, actor);
        uint256 available = Math.mulDiv(held, p.activeTokens + 1, p.activeShares + 1);
        if (amount > available) return false;
        uint256 burn = amount == available
            ? held
            : Math.mulDiv(amount, p.activeShares + 1, p.activeTokens + 1, Math.Rounding.Ceil);
        if (actor == p.owner && p.status != Status.Deregistered) {
            uint256 left = Math.mulDiv(held - burn, p.activeTokens - amount + 1, p.activeShares - burn + 1);
            if (left < staking.minSelfStake(p.role)) return false;
        }
        if (!_mulFits(burn, p.accRewardPerShare)) return false; // _removeShares: shares * acc
        uint256 debtOut = burn * p.accRewardPerShare / PRECISION;
        if (debtOut > uint256(int256(type(int128).max))) return false;
        if (_positionDebt(op, actor) - int256(debtOut) < type(int128).min) return false;
        // _lock: a pool slashed to zero tokens starts a new generation, with no shares
        uint256 poolShares = _poolResets(p) ? 0 : p.unbondingShares;
        uint256 lockShares_ = Math.mulDiv(amount, poolShares + 1, p.unbondingTokens + 1);
        if (lockShares_ == 0) return false; // AmountTooSmall
        return p.unbondingTokens + amount <= type(uint96).max && poolShares + lockShares_ <= type(uint128).max;
    }

    /// @dev The next lock on the node starts a new generation of its unbonding pool: the pool has
    ///      shares but no tokens (slashed to zero), so its locks are worth 0 for good.
    function _poolResets(Pool memory p) internal pure returns (bool) {
        return p.unbondingTokens == 0 && p.unbondingShares != 0;
    }

    /// @dev Slashed to zero with shares left: Staking refuses new stake (NodePoolDepleted).
    function _depleted(Pool memory p) internal pure returns (bool) {
        return p.activeTokens == 0 && p.activeShares != 0;
    }

    function _accrueOk(address op) internal view returns (bool ok) {
        (ok,) = _accrued(op);
    }

    /// @dev The node as `_accrue` would leave it now; ok = false when that would revert.
    function _accrued(address op) internal view returns (bool ok, Pool memory p) {
        p = _pool(op);
        (uint256 rpt,,,,) = staking.rewardState();
        if (rpt > type(uint128).max) return (false, p);
        bool raiseDue = p.commissionEffectiveAt != 0 && block.timestamp >= p.commissionEffectiveAt;
        if (rpt != p.rewardPerTokenPaid && p.status == Status.Active) {
            uint256 earned = p.activeTokens * (rpt - p.rewardPerTokenPaid) / PRECISION;
            uint256 bps = raiseDue ? Math.min(p.commissionBps, p.pendingCommissionBps) : p.commissionBps;
            if (earned != 0 && !_creditOk(p, earned, bps)) return (false, p);
        }
        if (raiseDue) p.commissionBps = p.pendingCommissionBps;
        return (true, p);
    }

    /// @dev Replicates `_credit` on `p` (in memory): when the per-share amount would overflow
    ///      (dust shares), the owner takes it all. False when a cast would still overflow.
    function _creditOk(Pool memory p, uint256 amount, uint256 bps) internal pure returns (bool) {
        uint256 commission = p.activeShares == 0 ? amount : amount * bps / BPS;
        if (amount != commission) {
            uint256 acc = p.accRewardPerShare + (amount - commission) * PRECISION / p.activeShares;
            if (acc <= type(uint128).max) p.accRewardPerShare = acc;
            else commission = amount;
        }
        p.commissionAccrued += commission;
        return p.commissionAccrued <= type(uint96).max;
    }

    // ================================================================= internals: state

    function _pool(address op) internal view returns (Pool memory) {
        return staking.rawNode(op);
    }

    function _positionDebt(address op, address staker) internal view returns (int256 debt) {
        (, debt) = staking.rawPosition(op, staker);
    }

    function _rewardable() internal view returns (uint256 rewardable) {
        (, rewardable,,,) = staking.rewardState();
    }

    // ================================================================= internals: misc

    /// @dev While paused, a stake or register checks the rejection one time in two; otherwise the
    ///      guardian resumes first (pauses would else last ~20 calls and starve the stake paths).
    function _keepPaused(uint256 seed) internal returns (bool) {
        if ((seed >> 8) % 2 == 0) return true;
        vm.prank(guardian);
        staking.setPaused(false);
        ++_done[keccak256("setPaused(resume)")]; // part of the current call, not a call of its own
        return false;
    }

    function _paused() internal view returns (bool paused) {
        (,,,, paused) = staking.rewardState();
    }

    /// @dev Mostly up to `max`; one in five a dust amount (1 wei .. 1e6 wei) to exercise rounding.
    function _amount(uint256 seed, uint256 max) internal pure returns (uint256) {
        return seed % 5 == 0 ? _bound(seed, 1, 1e6) : _bound(seed, 1, max);
    }

    /// @dev Tops `who` up from the handler's own balance (the handler is the faucet).
    function _fund(address who, uint256 amount) internal {
        uint256 balance = cai.balanceOf(who);
        if (balance < amount) cai.transfer(who, amount - balance);
    }

    function _approve(address who) internal {
        vm.prank(who);
        cai.approve(address(staking), type(uint256).max);
    }

    function _ownerIndex(address op) internal view returns (uint256 o) {
        while (owners[o] != ownerOfOperator[op]) ++o;
    }

    function _one(uint256 id) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = id;
    }

    function _did(string memory name) internal {
        ++_done[keccak256(bytes(name))];
        ++totalCalls;
    }

    function _skip(string memory name) internal {
        ++_skipped[keccak256(bytes(name))];
        ++totalCalls;
    }
}
