// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";
import {console} from "forge-std/console.sol";
import {CAIToken} from "../../src/CAIToken.sol";
import {PaymentEscrow} from "../../src/PaymentEscrow.sol";
import {Staking} from "../../src/Staking.sol";
import {IPaymentEscrow, Receipt as EscrowReceipt} from "../../src/interfaces/IPaymentEscrow.sol";
import {NodeView, Status} from "../../src/staking/StakingTypes.sol";

/// @notice Drives PaymentEscrow with 3 coordinators and 3 miners (known operator keys): deposits,
///         unlocks, withdrawals, receipts signed with rising or stale amounts, single and batch
///         redemptions (shortfalls included, covered in full or in part once a stake runs out),
///         forged receipts, a coordinator's deregistration, and time. With fail_on_revert every
///         call must succeed: each action bounds its inputs to valid ones; the expected
///         rejections (withdrawing too early or with nothing unlocking, forged receipts) are
///         exercised through vm.expectRevert.
/// @dev Oracle: before each redemption the handler computes what the escrow must pay from a model
///      (deposit first, then a slash of at most the coordinator's whole stake) and asserts the
///      escrow's accounts, redemptions and the coordinators' stakes match it afterwards. Ghosts
///      come from independent sources: the model (paid from deposits, from stakes), Staking's
///      node views (stake slashed), event logs (ShortfallCovered, FeesDistributed), token
///      balances (withdrawals).
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
    mapping(address coordinator => mapping(address miner => uint256)) public ghostPaidTo; // model
    uint256 public immutable stakingStart; // Staking's token balance before the run

    // ------------------------------------------------------------ call summary
    mapping(bytes32 => uint256) internal _calls;
    string[13] internal _names = [
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
        "forged",
        "deregister"
    ];

    constructor(
        CAIToken cai_,
        Staking staking_,
        PaymentEscrow escrow_,
        address[NC] memory coordinators_,
        address[NC] memory owners_,
        uint256[NC] memory coordKeys,
        address[NM] memory miners_,
        uint256[NM] memory minerKeys
    ) {
        (cai, staking, escrow) = (cai_, staking_, escrow_);
        (coordinators, owners, _coordKeys) = (coordinators_, owners_, coordKeys);
        (miners, _minerKeys) = (miners_, minerKeys);
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
            uint256 amount = _bound(amountSeed, 1, MAX_DEPOSIT);
            vm.expectRevert(abi.encodeWithSelector(IPaymentEscrow.InsufficientDeposit.selector, amount, 0));
            vm.prank(owners[i]);
            escrow.unlock(coordinators[i], amount);
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
        vm.recordLogs();
        uint256 paid = escrow.redeem(rs[0], sigs[0]);
        _settle(before, rs, paid);
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
        vm.recordLogs();
        uint256 paid = escrow.redeemBatch(rs, sigs);
        _settle(before, rs, paid);
        _did("redeemBatch");
    }

    /// @notice Receipts the escrow must refuse, leaving everything (the miners' stake above all)
    ///         untouched: a miner key or an unregistered key signing as coordinator, a stranger
    ///         signing for a coordinator, a coordinator paying a coordinator.
    function redeemForged(uint256 kind, uint256 cSeed, uint256 mSeed, uint256 amountSeed) external {
        uint256 amount = _bound(amountSeed, 1, MAX_INCREMENT);
        address payee = miners[(mSeed % NM + 1) % NM];
        EscrowReceipt memory r;
        uint256 key;
        bytes memory err;
        kind %= 4;
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
            r = EscrowReceipt(coordinators[c], coordinators[(c + 1) % NC], amount);
            key = _coordKeys[c];
            err = abi.encodeWithSelector(IPaymentEscrow.NotAMiner.selector, r.miner);
            // a coordinator with neither deposit nor stake left pays 0 and reaches no payee
            (uint256 balance,,) = escrow.accountOf(r.coordinator);
            if (balance == 0 && _stakeOf(r.coordinator) == 0) err = "";
        }
        bytes memory sig = _sign(key, escrow.hashReceipt(r));
        uint256 stakes = _totalStake();
        uint256 redeemed = escrow.redeemed(r.coordinator, r.miner);
        if (err.length != 0) {
            vm.expectRevert(err);
            escrow.redeem(r, sig);
        } else {
            assertEq(escrow.redeem(r, sig), 0, "forged: paid");
        }
        assertEq(_totalStake(), stakes, "forged: a stake moved");
        assertEq(escrow.redeemed(r.coordinator, r.miner), redeemed, "forged: booked");
        _did("forged");
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

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + _bound(secondsSeed, 1 hours, 2 days));
    }

    // ================================================================= model

    /// @dev The escrow as the model sees it: accounts, stakes, redemptions per pair (c * NM + m).
    struct _Model {
        uint256[NC] balance;
        uint256[NC] stake;
        uint256[NC * NM] redeemed;
    }

    function _model() internal view returns (_Model memory s) {
        for (uint256 c; c < NC; ++c) {
            (s.balance[c],,) = escrow.accountOf(coordinators[c]);
            s.stake[c] = _stakeOf(coordinators[c]);
            for (uint256 m; m < NM; ++m) {
                s.redeemed[c * NM + m] = escrow.redeemed(coordinators[c], miners[m]);
            }
        }
    }

    /// @dev Applies the receipts to the model and checks the escrow did the same: what was paid in
    ///      total, every account, stake and redemption. Then books the ghosts.
    function _settle(_Model memory s, EscrowReceipt[] memory rs, uint256 paid) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 stakesBefore;
        uint256 fromDeposits;
        uint256 fromStakes;
        for (uint256 c; c < NC; ++c) {
            stakesBefore += s.stake[c];
        }
        for (uint256 k; k < rs.length; ++k) {
            (uint256 c, uint256 m) = (_indexOf(rs[k].coordinator), _minerIndex(rs[k].miner));
            uint256 already = s.redeemed[c * NM + m];
            if (rs[k].cumulativeAmount <= already) continue;
            uint256 owed = rs[k].cumulativeAmount - already;
            uint256 fromDeposit = owed < s.balance[c] ? owed : s.balance[c];
            uint256 fromStake = owed - fromDeposit < s.stake[c] ? owed - fromDeposit : s.stake[c];
            if (owed > fromDeposit) {
                _did(fromStake == owed - fromDeposit ? "shortfall covered" : "shortfall partly covered");
            }
            s.balance[c] -= fromDeposit;
            s.stake[c] -= fromStake;
            s.redeemed[c * NM + m] += fromDeposit + fromStake;
            ghostPaidTo[rs[k].coordinator][rs[k].miner] += fromDeposit + fromStake;
            fromDeposits += fromDeposit;
            fromStakes += fromStake;
        }
        assertEq(paid, fromDeposits + fromStakes, "redeem: paid");
        _assertModel(_model(), s);
        ghostPaidFromDeposits += fromDeposits;
        ghostPaidFromStake += fromStakes;
        ghostSlashed += stakesBefore - _coordinatorStake();
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

    function _assertModel(_Model memory a, _Model memory b) internal pure {
        for (uint256 c; c < NC; ++c) {
            assertEq(a.balance[c], b.balance[c], "model: balance");
            assertEq(a.stake[c], b.stake[c], "model: stake");
        }
        for (uint256 p; p < NC * NM; ++p) {
            assertEq(a.redeemed[p], b.redeemed[p], "model: redeemed");
        }
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
