// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";
import {console} from "forge-std/console.sol";
import {CAIToken} from "../../src/CAIToken.sol";
import {PaymentEscrow} from "../../src/PaymentEscrow.sol";
import {Staking} from "../../src/Staking.sol";
import {IPaymentEscrow, Receipt as EscrowReceipt} from "../../src/interfaces/IPaymentEscrow.sol";
import {LockView, NodeView, Role, Status} from "../../src/staking/StakingTypes.sol";

/// @notice Drives PaymentEscrow with 3 coordinators and 3 miners (known operator keys): deposits,
///         unlocks, withdrawals, receipts signed with rising or stale amounts, single and batch
///         redemptions (shortfalls included, covered in full or in part once the owner's stake
///         runs out), forged receipts (unknown payees included), owners topping up, unstaking and
///         unjailing, other stakers unstaking, a coordinator's deregistration, and time. With
///         fail_on_revert every call must succeed: each action bounds its inputs to valid ones;
///         the expected rejections (withdrawing too early or with nothing unlocking, forged
///         receipts) are exercised through vm.expectRevert.
/// @dev Oracle: before each redemption the handler computes what the escrow must pay from a model
///      (deposit first, then a slash of at most the coordinator owner's own active stake) and
///      asserts the escrow's accounts, redemptions, the owners' and nodes' stakes and the jails
///      match it afterwards, and that no other staker's stake and no lock (the owners' included)
///      moved. The model is exact because every share pool the run touches either has a price
///      of 1 or a single holder (see EscrowInvariants). Ghosts come from independent sources: the
///      model (paid from deposits, from stakes), Staking's node views (stake slashed), its
///      position views (taken from owners), event logs (ShortfallCovered, FeesDistributed), token
///      balances (withdrawals), and the stakers' own unstakes (what their stake and locks must be).
contract EscrowHandler is Test {
    uint256 public constant NC = 3; // coordinators
    uint256 public constant NM = 3; // miners
    uint256 public constant MAX_DEPOSIT = 500_000 ether;
    uint256 public constant MAX_INCREMENT = 1_000_000 ether;
    uint256 public constant MAX_STORED = 64; // signed receipts kept for redemption
    bytes32 internal constant FEES_DISTRIBUTED =
        keccak256("FeesDistributed(address,address,uint256,uint256)");
    bytes32 internal constant SHORTFALL_COVERED =
        keccak256("ShortfallCovered(address,address,uint256,uint256)");

    CAIToken public immutable cai;
    Staking public immutable staking;
    PaymentEscrow public immutable escrow;
    address public immutable forger;
    uint256 internal immutable _forgerKey;

    address[NC] public coordinators;
    address[NC] public owners; // of the coordinators
    uint256[NC] internal _coordKeys;
    address[NM] public miners;
    uint256[NM] internal _minerKeys;
    /// @dev Stakers on the coordinators that are not (or not only) their owners.
    address[] internal _delegators;
    /// @dev Everyone whose stake and locks are watched: the owners, then the delegators.
    address[] internal _watched;

    struct Signed {
        uint8 c;
        uint8 m;
        uint256 amount;
        bytes sig;
    }

    Signed[] internal _signed;
    /// @notice The highest cumulativeAmount ever signed for each pair.
    mapping(address coordinator => mapping(address miner => uint256)) public maxSigned;

    // ------------------------------------------------------------ ghosts
    uint256 public ghostDeposits;
    uint256 public ghostWithdrawn; // owners' balance deltas
    uint256 public ghostPaidFromDeposits; // model
    uint256 public ghostPaidFromStake; // model
    uint256 public ghostSlashed; // coordinators' stake (active + unbonding) deltas
    uint256 public ghostCovered; // ShortfallCovered.covered
    uint256 public ghostFees; // FeesDistributed amounts paid by the escrow
    uint256 public ghostTakenFromOwners; // owners' stakeOf deltas across redemptions
    uint256 public ghostOthersMoved; // |delta| of non-owner stakes and of locks across redemptions
    uint256 public ghostStakedIn; // owners' top-ups
    mapping(address coordinator => mapping(address miner => uint256)) public ghostPaidTo; // model
    /// @notice What a non-owner staker's stake on a coordinator must be: its stake at the start
    ///         less what it unstaked itself.
    mapping(address coordinator => mapping(address staker => uint256)) public expectedStakeOf;
    /// @notice What a staker's locks must be worth together: all it ever unstaked (no withdrawals).
    mapping(address staker => uint256) public ghostUnstaked;
    uint256 public immutable stakingStart; // Staking's token balance before the run

    // ------------------------------------------------------------ call summary
    mapping(bytes32 => uint256) internal _calls;
    string[19] internal _names = [
        "deposit",
        "unlock",
        "unlock(none available)",
        "withdraw",
        "withdraw(too early)",
        "withdraw(nothing)",
        "sign",
        "redeem",
        "redeemBatch",
        "shortfall covered",
        "shortfall partly covered",
        "shortfall uncovered",
        "forged",
        "forged(unknown miner)",
        "deregister",
        "ownerStake",
        "ownerUnstake",
        "ownerUnjail",
        "delegatorUnstake"
    ];

    constructor(
        CAIToken cai_,
        Staking staking_,
        PaymentEscrow escrow_,
        address[NC] memory coordinators_,
        address[NC] memory owners_,
        uint256[NC] memory coordKeys,
        address[NM] memory miners_,
        uint256[NM] memory minerKeys,
        address[] memory delegators_
    ) {
        (cai, staking, escrow) = (cai_, staking_, escrow_);
        (coordinators, owners, _coordKeys) = (coordinators_, owners_, coordKeys);
        (miners, _minerKeys) = (miners_, minerKeys);
        _delegators = delegators_;
        for (uint256 c; c < NC; ++c) {
            _watched.push(owners_[c]);
        }
        for (uint256 d; d < delegators_.length; ++d) {
            bool known;
            for (uint256 w; w < _watched.length; ++w) {
                known = known || _watched[w] == delegators_[d];
            }
            if (!known) _watched.push(delegators_[d]); // an owner may delegate to other coordinators
        }
        for (uint256 w; w < _watched.length; ++w) {
            address who = _watched[w];
            for (uint256 c; c < NC; ++c) {
                if (who != owners_[c]) {
                    expectedStakeOf[coordinators_[c]][who] = staking_.stakeOf(coordinators_[c], who);
                }
            }
            LockView[] memory locks = staking_.locksOf(who, 0, type(uint256).max);
            for (uint256 k; k < locks.length; ++k) {
                ghostUnstaked[who] += locks[k].amount;
            }
        }
        (forger, _forgerKey) = makeAddrAndKey("forger");
        stakingStart = cai_.balanceOf(address(staking_));
        cai_.approve(address(escrow_), type(uint256).max);
    }

    // ================================================================= actions

    /// @notice Deposits for a coordinator (the handler holds the tokens and is the depositor).
    function deposit(uint256 cSeed, uint256 amountSeed) external {
        address c = coordinators[cSeed % NC];
        uint256 amount = _bound(amountSeed, 1, MAX_DEPOSIT);
        (uint256 before,,) = escrow.accountOf(c);
        escrow.deposit(c, amount);
        ghostDeposits += amount;
        (uint256 balance,,) = escrow.accountOf(c);
        assertEq(balance, before + amount, "deposit: balance");
        _did("deposit");
    }

    /// @notice The owner unlocks part of what is not unlocking yet.
    function unlock(uint256 cSeed, uint256 amountSeed) external {
        uint256 i = cSeed % NC;
        (uint256 balance, uint256 unlocking,) = escrow.accountOf(coordinators[i]);
        uint256 available = balance > unlocking ? balance - unlocking : 0;
        if (available == 0) {
            uint256 tooMuch = _bound(amountSeed, 1, MAX_DEPOSIT);
            vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.InsufficientDeposit.selector, tooMuch, 0));
            vm.prank(owners[i]);
            escrow.unlock(coordinators[i], tooMuch);
            return _did("unlock(none available)");
        }
        uint256 amount = _bound(amountSeed, 1, available);
        vm.prank(owners[i]);
        escrow.unlock(coordinators[i], amount);
        (, uint256 nowUnlocking, uint256 unlockAt) = escrow.accountOf(coordinators[i]);
        assertEq(nowUnlocking, unlocking + amount, "unlock: unlocking");
        assertEq(unlockAt, block.timestamp + escrow.unlockPeriod(), "unlock: unlockAt");
        _did("unlock");
    }

    /// @notice The owner withdraws; too early or with nothing unlocking it must revert so.
    function withdraw(uint256 cSeed) external {
        uint256 i = cSeed % NC;
        address c = coordinators[i];
        (uint256 balance, uint256 unlocking, uint256 unlockAt) = escrow.accountOf(c);
        if (unlocking == 0) {
            vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.NothingUnlocking.selector, c));
            vm.prank(owners[i]);
            escrow.withdraw(c);
            return _did("withdraw(nothing)");
        }
        if (block.timestamp < unlockAt) {
            vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.UnlockNotReady.selector, unlockAt));
            vm.prank(owners[i]);
            escrow.withdraw(c);
            return _did("withdraw(too early)");
        }
        uint256 ownerBefore = cai.balanceOf(owners[i]);
        vm.prank(owners[i]);
        uint256 amount = escrow.withdraw(c);
        uint256 received = cai.balanceOf(owners[i]) - ownerBefore;
        assertEq(amount, unlocking < balance ? unlocking : balance, "withdraw: amount");
        assertEq(received, amount, "withdraw: received");
        ghostWithdrawn += received;
        _did("withdraw");
    }

    /// @notice The coordinator signs a receipt: mostly above the pair's highest (new work), else
    ///         at most the highest (a stale or duplicate receipt).
    function sign(uint256 cSeed, uint256 mSeed, uint256 amountSeed, uint256 mode) external {
        uint8 c = uint8(cSeed % NC);
        uint8 m = uint8(mSeed % NM);
        uint256 highest = maxSigned[coordinators[c]][miners[m]];
        uint256 amount =
            mode % 4 != 0 ? highest + _bound(amountSeed, 1, MAX_INCREMENT) : _bound(amountSeed, 0, highest);
        EscrowReceipt memory r = EscrowReceipt(coordinators[c], miners[m], amount);
        Signed memory s = Signed(c, m, amount, _sign(_coordKeys[c], escrow.hashReceipt(r)));
        if (_signed.length < MAX_STORED) _signed.push(s);
        else _signed[mode % MAX_STORED] = s;
        if (amount > highest) maxSigned[coordinators[c]][miners[m]] = amount;
        _did("sign");
    }

    /// @notice Redeems one stored receipt (anyone may).
    function redeem(uint256 seed) external {
        if (_signed.length == 0) return;
        uint256[] memory picks = new uint256[](1);
        picks[0] = seed % _signed.length;
        (EscrowReceipt[] memory rs, bytes[] memory sigs) = _receipts(picks);
        _Model memory before = _model();
        uint256[] memory others = _others();
        vm.recordLogs();
        uint256 paid = escrow.redeem(rs[0], sigs[0]);
        _settle(before, others, rs, paid);
        _did("redeem");
    }

    /// @notice Redeems 1 to 6 stored receipts in one batch (any order, mixes, repeats).
    function redeemBatch(uint256 seed, uint256 countSeed) external {
        if (_signed.length == 0) return;
        uint256[] memory picks = new uint256[](_bound(countSeed, 1, 6));
        for (uint256 k; k < picks.length; ++k) {
            picks[k] = uint256(keccak256(abi.encode(seed, k))) % _signed.length;
        }
        (EscrowReceipt[] memory rs, bytes[] memory sigs) = _receipts(picks);
        _Model memory before = _model();
        uint256[] memory others = _others();
        vm.recordLogs();
        uint256 paid = escrow.redeemBatch(rs, sigs);
        _settle(before, others, rs, paid);
        _did("redeemBatch");
    }

    /// @notice Receipts the escrow must refuse, leaving everything (the miners' stake above all)
    ///         untouched: a miner key or an unregistered key signing as coordinator, a stranger
    ///         signing for a coordinator, a coordinator paying a coordinator or an address that
    ///         is no node.
    function redeemForged(uint256 kind, uint256 cSeed, uint256 mSeed, uint256 amountSeed) external {
        uint256 amount = _bound(amountSeed, 1, MAX_INCREMENT);
        address payee = miners[(mSeed % NM + 1) % NM];
        EscrowReceipt memory r;
        uint256 key;
        bytes memory err;
        kind %= 5;
        if (kind == 0) {
            r = EscrowReceipt(miners[mSeed % NM], payee, amount);
            key = _minerKeys[mSeed % NM];
            err = abi.encodeWithSelector(IPaymentEscrow.NotACoordinator.selector, r.coordinator);
        } else if (kind == 1) {
            (r, key) = (EscrowReceipt(forger, payee, amount), _forgerKey);
            err = abi.encodeWithSelector(IPaymentEscrow.NotACoordinator.selector, forger);
        } else if (kind == 2) {
            (r, key) = (EscrowReceipt(coordinators[cSeed % NC], payee, amount), _forgerKey);
            err = abi.encodeWithSelector(IPaymentEscrow.InvalidSigner.selector, forger, r.coordinator);
        } else {
            uint256 c = cSeed % NC;
            // a coordinator paying another coordinator, or an address that is no node at all
            address notAMiner = kind == 3 ? coordinators[(c + 1) % NC] : forger;
            r = EscrowReceipt(coordinators[c], notAMiner, amount);
            key = _coordKeys[c];
            err = abi.encodeWithSelector(IPaymentEscrow.NotAMiner.selector, notAMiner);
            // a coordinator with neither deposit nor owner stake left pays 0 and reaches no payee
            (uint256 balance,,) = escrow.accountOf(r.coordinator);
            if (balance == 0 && _ownerStake(c) == 0) err = "";
        }
        bytes memory sig = _sign(key, escrow.hashReceipt(r));
        uint256 stakes = _totalStake();
        uint256[] memory others = _others();
        uint256 redeemed = escrow.redeemed(r.coordinator, r.miner);
        if (err.length != 0) {
            vm.expectRevert(err);
            escrow.redeem(r, sig);
        } else {
            assertEq(escrow.redeem(r, sig), 0, "forged: paid");
        }
        assertEq(_totalStake(), stakes, "forged: a stake moved");
        assertEq(_others(), others, "forged: a delegator's stake or a lock moved");
        assertEq(escrow.redeemed(r.coordinator, r.miner), redeemed, "forged: booked");
        _did(kind == 4 ? "forged(unknown miner)" : "forged");
    }

    /// @notice The third coordinator's owner retires it; its deposit and stake keep paying.
    function deregister() external {
        address c = coordinators[NC - 1];
        (, Status status) = staking.nodeState(c);
        if (status == Status.Deregistered) return;
        vm.prank(owners[NC - 1]);
        staking.deregister(c);
        _did("deregister");
    }

    /// @notice An owner adds to its own stake (allowed while jailed), giving shortfalls more to take.
    function ownerStake(uint256 cSeed, uint256 amountSeed) external {
        uint256 c = cSeed % NC;
        (, Status status) = staking.nodeState(coordinators[c]);
        if (status == Status.Deregistered) return;
        _topUp(c, _bound(amountSeed, 1 ether, 2_500_000 ether));
        _did("ownerStake");
    }

    /// @notice An owner unbonds what it may of its own stake (above the minimum, or all of it once
    ///         deregistered): out of the escrow's reach from then on.
    function ownerUnstake(uint256 cSeed, uint256 amountSeed) external {
        uint256 c = cSeed % NC;
        (, Status status) = staking.nodeState(coordinators[c]);
        uint256 own = _ownerStake(c);
        uint256 minimum = staking.minSelfStake(Role.Coordinator);
        uint256 free = status == Status.Deregistered ? own : own > minimum ? own - minimum : 0;
        if (free == 0) return;
        uint256 amount = _bound(amountSeed, 1, free);
        vm.prank(owners[c]);
        staking.unstake(coordinators[c], amount);
        ghostUnstaked[owners[c]] += amount;
        _did("ownerUnstake");
    }

    /// @notice An owner gets its jailed coordinator back: it waits out the jail, restores its
    ///         stake to the minimum and unjails, so later shortfalls jail an active coordinator.
    function ownerUnjail(uint256 cSeed) external {
        uint256 c = cSeed % NC;
        NodeView memory v = staking.getNode(coordinators[c]);
        if (v.status != Status.Jailed) return;
        if (block.timestamp < v.jailedUntil) vm.warp(v.jailedUntil);
        uint256 minimum = staking.minSelfStake(Role.Coordinator);
        // 1 ether more: a stake at a share price below 1 may be worth a wei less than paid
        if (v.selfStake < minimum) _topUp(c, minimum - v.selfStake + 1 ether);
        vm.prank(owners[c]);
        staking.unjail(coordinators[c]);
        (, Status status) = staking.nodeState(coordinators[c]);
        assertEq(uint8(status), uint8(Status.Active), "unjail");
        _did("ownerUnjail");
    }

    /// @notice A non-owner staker unbonds part of its stake on a coordinator (not its own one).
    function delegatorUnstake(uint256 dSeed, uint256 cSeed, uint256 amountSeed) external {
        address who = _delegators[dSeed % _delegators.length];
        if (who == owners[cSeed % NC]) ++cSeed;
        address c = coordinators[cSeed % NC];
        uint256 staked = staking.stakeOf(c, who);
        if (staked == 0) return;
        uint256 amount = _bound(amountSeed, 1, staked);
        vm.prank(who);
        staking.unstake(c, amount);
        expectedStakeOf[c][who] -= amount;
        ghostUnstaked[who] += amount;
        _did("delegatorUnstake");
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + _bound(secondsSeed, 1 hours, 2 days));
    }

    // ================================================================= model

    /// @dev The escrow as the model sees it: accounts, owners' stakes, the nodes' active and
    ///      unbonding stake and status, redemptions per pair (c * NM + m).
    struct _Model {
        uint256[NC] balance;
        uint256[NC] ownerStake;
        uint256[NC] active;
        uint256[NC] unbonding;
        Status[NC] status;
        uint256[NC * NM] redeemed;
    }

    function _model() internal view returns (_Model memory s) {
        for (uint256 c; c < NC; ++c) {
            (s.balance[c],,) = escrow.accountOf(coordinators[c]);
            NodeView memory v = staking.getNode(coordinators[c]);
            (s.ownerStake[c], s.active[c], s.unbonding[c], s.status[c]) =
            (v.selfStake, v.totalStake, v.unbondingStake, v.status);
            for (uint256 m; m < NM; ++m) {
                s.redeemed[c * NM + m] = escrow.redeemed(coordinators[c], miners[m]);
            }
        }
    }

    /// @dev Applies the receipts to the model and checks the escrow and Staking did the same: what
    ///      was paid in total, every account, owner stake, node stake and redemption, the jails,
    ///      and that `others` (non-owner stakes, locks) did not move. Then books the ghosts.
    function _settle(_Model memory s, uint256[] memory others, EscrowReceipt[] memory rs, uint256 paid)
        internal
    {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        // a deep copy: memory arrays assign by reference, and `s` is mutated below
        _Model memory before = abi.decode(abi.encode(s), (_Model));
        uint256 fromDeposits;
        uint256 fromStakes;
        bool[NC] memory short;
        for (uint256 k; k < rs.length; ++k) {
            (uint256 fromDeposit, uint256 fromStake) = _apply(s, rs[k], short);
            fromDeposits += fromDeposit;
            fromStakes += fromStake;
        }
        assertEq(paid, fromDeposits + fromStakes, "redeem: paid");
        _Model memory actual = _model();
        _assertModel(actual, s);
        _assertJails(before, short);
        uint256 moved = _moved(others, _others());
        assertEq(moved, 0, "redeem: a non-owner stake or a lock moved");
        ghostOthersMoved += moved;
        ghostPaidFromDeposits += fromDeposits;
        ghostPaidFromStake += fromStakes;
        for (uint256 c; c < NC; ++c) {
            ghostSlashed += before.active[c] + before.unbonding[c] - actual.active[c] - actual.unbonding[c];
            ghostTakenFromOwners += before.ownerStake[c] - actual.ownerStake[c];
        }
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory l = logs[i];
            if (l.emitter == address(escrow) && l.topics[0] == SHORTFALL_COVERED) {
                (, uint256 covered) = abi.decode(l.data, (uint256, uint256));
                ghostCovered += covered;
            } else if (
                l.emitter == address(staking) && l.topics[0] == FEES_DISTRIBUTED
                    && address(uint160(uint256(l.topics[2]))) == address(escrow)
            ) {
                (uint256 amount,) = abi.decode(l.data, (uint256, uint256));
                ghostFees += amount;
            }
        }
    }

    /// @dev Applies one receipt to the model: the deposit pays first, then the owner's own stake.
    function _apply(_Model memory s, EscrowReceipt memory r, bool[NC] memory short)
        internal
        returns (uint256 fromDeposit, uint256 fromStake)
    {
        (uint256 c, uint256 m) = (_indexOf(r.coordinator), _minerIndex(r.miner));
        uint256 already = s.redeemed[c * NM + m];
        if (r.cumulativeAmount <= already) return (0, 0);
        uint256 owed = r.cumulativeAmount - already;
        fromDeposit = owed < s.balance[c] ? owed : s.balance[c];
        uint256 rest = owed - fromDeposit;
        fromStake = rest < s.ownerStake[c] ? rest : s.ownerStake[c];
        if (rest != 0) {
            short[c] = true;
            _did(
                fromStake == rest
                    ? "shortfall covered"
                    : fromStake == 0 ? "shortfall uncovered" : "shortfall partly covered"
            );
        }
        s.balance[c] -= fromDeposit;
        s.ownerStake[c] -= fromStake;
        s.active[c] -= fromStake;
        s.redeemed[c * NM + m] += fromDeposit + fromStake;
        ghostPaidTo[r.coordinator][r.miner] += fromDeposit + fromStake;
    }

    /// @dev A shortfall jails its coordinator for a fresh jail period (even when it took
    ///      nothing), unless it is deregistered; a coordinator without one keeps its status.
    function _assertJails(_Model memory before, bool[NC] memory short) internal view {
        for (uint256 c; c < NC; ++c) {
            NodeView memory v = staking.getNode(coordinators[c]);
            if (!short[c] || before.status[c] == Status.Deregistered) {
                assertEq(uint8(v.status), uint8(before.status[c]), "redeem: status");
            } else {
                assertEq(uint8(v.status), uint8(Status.Jailed), "shortfall: not jailed");
                assertEq(v.jailedUntil, block.timestamp + staking.jailPeriod(), "shortfall: jail");
            }
        }
    }

    function _assertModel(_Model memory a, _Model memory b) internal pure {
        for (uint256 c; c < NC; ++c) {
            assertEq(a.balance[c], b.balance[c], "model: balance");
            assertEq(a.ownerStake[c], b.ownerStake[c], "model: owner stake");
            assertEq(a.active[c], b.active[c], "model: node stake");
            assertEq(a.unbonding[c], b.unbonding[c], "model: unbonding");
        }
        for (uint256 p; p < NC * NM; ++p) {
            assertEq(a.redeemed[p], b.redeemed[p], "model: redeemed");
        }
    }

    /// @dev What a shortfall must never move: every watched staker's stake on each coordinator it
    ///      does not own, then every watched staker's locks (the owners' own included).
    function _others() internal view returns (uint256[] memory snap) {
        uint256 n = NC * _watched.length;
        for (uint256 w; w < _watched.length; ++w) {
            n += staking.lockCount(_watched[w]);
        }
        snap = new uint256[](n);
        uint256 j;
        for (uint256 c; c < NC; ++c) {
            for (uint256 w; w < _watched.length; ++w) {
                if (_watched[w] != owners[c]) snap[j] = staking.stakeOf(coordinators[c], _watched[w]);
                ++j;
            }
        }
        for (uint256 w; w < _watched.length; ++w) {
            LockView[] memory locks = staking.locksOf(_watched[w], 0, type(uint256).max);
            for (uint256 k; k < locks.length; ++k) {
                snap[j++] = locks[k].amount;
            }
        }
    }

    function _moved(uint256[] memory a, uint256[] memory b) internal pure returns (uint256 total) {
        assertEq(a.length, b.length, "lock count");
        for (uint256 i; i < a.length; ++i) {
            total += a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
        }
    }

    // ---------------------------------------------------------------- views for the invariants

    function watchedCount() external view returns (uint256) {
        return _watched.length;
    }

    function watched(uint256 i) external view returns (address) {
        return _watched[i];
    }

    // ================================================================= helpers

    function _receipts(uint256[] memory picks)
        internal
        view
        returns (EscrowReceipt[] memory rs, bytes[] memory sigs)
    {
        rs = new EscrowReceipt[](picks.length);
        sigs = new bytes[](picks.length);
        for (uint256 k; k < picks.length; ++k) {
            Signed storage s = _signed[picks[k]];
            rs[k] = EscrowReceipt(coordinators[s.c], miners[s.m], s.amount);
            sigs[k] = s.sig;
        }
    }

    function _stakeOf(address operator) internal view returns (uint256) {
        NodeView memory v = staking.getNode(operator);
        return v.totalStake + v.unbondingStake;
    }

    function _ownerStake(uint256 c) internal view returns (uint256) {
        return staking.stakeOf(coordinators[c], owners[c]);
    }

    function _coordinatorStake() internal view returns (uint256 total) {
        for (uint256 c; c < NC; ++c) {
            total += _stakeOf(coordinators[c]);
        }
    }

    function _totalStake() internal view returns (uint256 total) {
        total = _coordinatorStake();
        for (uint256 m; m < NM; ++m) {
            total += _stakeOf(miners[m]);
        }
    }

    /// @dev The owner of coordinator `c` stakes `amount` more on it (the handler pays).
    function _topUp(uint256 c, uint256 amount) internal {
        uint256 before = _ownerStake(c);
        cai.transfer(owners[c], amount);
        vm.startPrank(owners[c]);
        cai.approve(address(staking), amount);
        staking.stake(coordinators[c], amount);
        vm.stopPrank();
        assertApproxEqAbs(_ownerStake(c), before + amount, 1, "top-up: stake");
        ghostStakedIn += amount;
    }

    function _indexOf(address c) internal view returns (uint256 i) {
        while (coordinators[i] != c) ++i;
    }

    function _minerIndex(address m) internal view returns (uint256 i) {
        while (miners[i] != m) ++i;
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _did(string memory name) internal {
        ++_calls[keccak256(bytes(name))];
    }

    function callSummary() external view {
        console.log("---- EscrowHandler call summary ----");
        for (uint256 i; i < _names.length; ++i) {
            console.log(string.concat(_names[i], ": ", vm.toString(_calls[keccak256(bytes(_names[i]))])));
        }
        console.log(string.concat("receipts stored: ", vm.toString(_signed.length)));
    }
}
