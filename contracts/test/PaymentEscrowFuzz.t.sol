// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {EscrowFixture} from "./utils/EscrowFixture.sol";
import {Receipt as EscrowReceipt} from "../src/interfaces/IPaymentEscrow.sol";
import {NodeView, Status} from "../src/staking/StakingTypes.sol";

/// @notice Fuzz tests of PaymentEscrow redemption over 2 coordinators x 2 miners (4 pairs), each
///         coordinator with delegated stake beside its owner's: random sequences of signed
///         receipts (rising, falling, out of order, replayed) never pay a pair more than the
///         highest amount signed for it, a replay pays 0, a batch leaves exactly the state the
///         same receipts redeemed one by one leave, and a shortfall takes only the owner's own
///         active stake, whatever the locks, share price or deregistration.
contract PaymentEscrowFuzzTest is EscrowFixture {
    uint256 internal constant PAIRS = 4;
    uint256 internal constant RECEIPTS = 8; // two per pair: receipt i is for pair i % PAIRS
    /// @dev Large enough against deposits (<= 2M) and owner stakes (2M) for shortfalls, covered
    ///      or not.
    uint256 internal constant MAX_AMOUNT = 2_500_000 ether;
    uint256 internal constant MAX_DEPOSIT = 2_000_000 ether;
    /// @dev Delegated to each coordinator in setUp: out of every shortfall's reach.
    uint256 internal constant DELEGATED = 3_000_000 ether;

    address internal delegator = makeAddr("delegator");

    address[2] internal _coords;
    address[2] internal _miners;
    address[2] internal _owners;

    function setUp() public override {
        super.setUp();
        _coords = [coordinator, coordinator2];
        _miners = [miner, miner2];
        _owners = [coordOwner, coord2Owner];
        _delegate(delegator, coordinator, DELEGATED, 0);
        _delegate(delegator, coordinator2, DELEGATED, 0);
    }

    // ================================================================= sequences

    /// Redeems 16 receipts picked at random (repeats are replays) among 8 signed ones: each pays
    /// exactly what the model says, an immediate replay pays 0, a pair never receives more than
    /// the highest amount signed for it, what the miners got is exactly what left the deposits
    /// plus what was slashed from the owners, and the delegators keep all of their stake.
    function testFuzz_RedeemSequence_NeverPaysMoreThanSigned(
        uint256[RECEIPTS] memory amounts,
        uint8[16] memory order,
        uint256 deposit1,
        uint256 deposit2
    ) public {
        uint256[2] memory deposits = _fund(deposit1, deposit2);
        (EscrowReceipt[] memory rs, bytes[] memory sigs, uint256[PAIRS] memory maxSigned) = _signAll(amounts);
        Track memory t;
        for (uint256 k; k < order.length; ++k) {
            uint256 i = order[k] % RECEIPTS;
            _redeemAndCheck(rs[i], sigs[i], i % PAIRS, maxSigned[i % PAIRS], t);
        }
        for (uint256 p; p < PAIRS; ++p) {
            assertLe(t.paidTo[p], t.maxRedeemed[p], "pair paid <= max redeemed");
            if (!t.ranShort[p / 2]) assertEq(t.paidTo[p], t.maxRedeemed[p], "pair paid == max redeemed");
        }
        // conservation: deposits spent + owner stake slashed == paid, and the escrow keeps the rest
        uint256 spent;
        for (uint256 c; c < 2; ++c) {
            spent += deposits[c] - _balanceOf(_coords[c]) + COORDINATOR_MIN - _ownerStake(_coords[c]);
            assertEq(staking.stakeOf(_coords[c], delegator), DELEGATED, "delegated stake");
            assertEq(staking.getNode(_coords[c]).totalStake, DELEGATED + _ownerStake(_coords[c]), "node");
        }
        assertEq(spent, t.total, "deposits + slashes == paid");
        assertEq(cai.balanceOf(address(escrow)), _balanceOf(coordinator) + _balanceOf(coordinator2));
    }

    /// A receipt redeemed twice pays nothing the second time and leaves no trace.
    function testFuzz_Replay_PaysZero(uint256 amount, uint256 deposit) public {
        amount = bound(amount, 1, MAX_AMOUNT);
        deposit = bound(deposit, 0, MAX_DEPOSIT);
        if (deposit != 0) _deposit(app, coordinator, deposit);
        (EscrowReceipt memory r, bytes memory sig) = _receipt(coordinatorKey, coordinator, miner, amount);
        escrow.redeem(r, sig);
        uint256 balance = _balanceOf(coordinator);
        uint256 stake = _stakeOf(coordinator);
        uint256 ownerStake = _ownerStake(coordinator);
        uint256 redeemed = escrow.redeemed(coordinator, miner);
        vm.recordLogs();
        assertEq(escrow.redeem(r, sig), 0);
        if (redeemed == amount) assertEq(vm.getRecordedLogs().length, 0, "no events");
        assertEq(_balanceOf(coordinator), balance);
        assertEq(_stakeOf(coordinator), stake);
        assertEq(_ownerStake(coordinator), ownerStake);
        assertEq(escrow.redeemed(coordinator, miner), redeemed);
    }

    // ================================================================= batch == singles

    /// The same receipts (1 to 10, any coordinators, miners, order and repeats) redeemed in one
    /// batch and one by one, from the same state: same total, same escrow state (redeemed per
    /// pair, accounts), same slashes, same fee total per miner node; the batch may only use fewer
    /// distributions.
    function testFuzz_RedeemBatch_EqualsSingles(
        uint256[RECEIPTS] memory amounts,
        uint8[10] memory picks,
        uint256 count,
        uint256 deposit1,
        uint256 deposit2,
        uint256 unlockSeed,
        uint256 warmup
    ) public {
        uint256[2] memory deposits = _fund(deposit1, deposit2);
        if (deposits[0] != 0) _unlock(coordOwner, coordinator, bound(unlockSeed, 1, deposits[0]));
        (EscrowReceipt[] memory all, bytes[] memory allSigs,) = _signAll(amounts);
        escrow.redeem(all[warmup % RECEIPTS], allSigs[warmup % RECEIPTS]); // some pairs start > 0

        count = bound(count, 1, picks.length);
        EscrowReceipt[] memory rs = new EscrowReceipt[](count);
        bytes[] memory sigs = new bytes[](count);
        for (uint256 k; k < count; ++k) {
            (rs[k], sigs[k]) = (all[picks[k] % RECEIPTS], allSigs[picks[k] % RECEIPTS]);
        }

        uint256 snapshot = vm.snapshotState();
        vm.recordLogs();
        uint256 paidBatch = escrow.redeemBatch(rs, sigs);
        (uint256[] memory batchState, uint256 batchDistributions) = _state(vm.getRecordedLogs());

        vm.revertToState(snapshot);
        vm.recordLogs();
        uint256 paidSingles;
        for (uint256 k; k < count; ++k) {
            paidSingles += escrow.redeem(rs[k], sigs[k]);
        }
        (uint256[] memory singlesState, uint256 singlesDistributions) = _state(vm.getRecordedLogs());

        assertEq(paidBatch, paidSingles, "total paid");
        assertEq(batchState, singlesState, "state");
        assertLe(batchDistributions, singlesDistributions, "distributions");
    }

    // ================================================================= single behaviours

    /// A receipt pays min(owed, deposit + owner's active stake): the deposit first, then a slash
    /// of exactly the rest from the owner's position, which jails the coordinator unless it is
    /// deregistered. The delegators' stake, every lock (the owner's too) and the node's unbonding
    /// pool stay as they were.
    function testFuzz_Shortfall_PaysUpToDepositPlusOwnerStake(
        uint256 deposit,
        uint256 amount,
        uint256 ownerExtra,
        uint256 ownerUnbonding,
        uint256 delegatorUnbonding,
        bool deregistered
    ) public {
        deposit = bound(deposit, 0, MAX_DEPOSIT);
        amount = bound(amount, 1, 2 * MAX_AMOUNT);
        ownerExtra = bound(ownerExtra, 0, 1_000_000 ether);
        if (ownerExtra != 0) _stake(coordOwner, coordinator, ownerExtra);
        if (deregistered) {
            vm.prank(coordOwner);
            staking.deregister(coordinator); // the owner may now unstake it all
        }
        ownerUnbonding = bound(ownerUnbonding, 0, ownerExtra + (deregistered ? COORDINATOR_MIN : 0));
        if (ownerUnbonding != 0) {
            vm.prank(coordOwner);
            staking.unstake(coordinator, ownerUnbonding); // lock 0
        }
        delegatorUnbonding = bound(delegatorUnbonding, 0, DELEGATED);
        if (delegatorUnbonding != 0) {
            vm.prank(delegator);
            staking.unstake(coordinator, delegatorUnbonding); // lock 0
        }
        if (deposit != 0) _deposit(app, coordinator, deposit);
        uint256 ownerStake = _ownerStake(coordinator);
        assertEq(ownerStake, COORDINATOR_MIN + ownerExtra - ownerUnbonding);
        uint256 unbonding = staking.getNode(coordinator).unbondingStake;
        uint256 fromDeposit = amount < deposit ? amount : deposit;
        uint256 fromStake = amount - fromDeposit < ownerStake ? amount - fromDeposit : ownerStake;

        assertEq(_redeem(coordinatorKey, coordinator, miner, amount), fromDeposit + fromStake);
        assertEq(escrow.redeemed(coordinator, miner), fromDeposit + fromStake);
        assertEq(_balanceOf(coordinator), deposit - fromDeposit);
        assertEq(cai.balanceOf(address(escrow)), deposit - fromDeposit);
        assertEq(_ownerStake(coordinator), ownerStake - fromStake, "owner stake");
        assertEq(staking.stakeOf(coordinator, delegator), DELEGATED - delegatorUnbonding, "delegated");
        if (ownerUnbonding != 0) assertEq(_lockAmount(coordOwner, 0), ownerUnbonding, "owner lock");
        if (delegatorUnbonding != 0) assertEq(_lockAmount(delegator, 0), delegatorUnbonding, "lock");
        assertEq(staking.getNode(coordinator).unbondingStake, unbonding, "unbonding");
        Status expected =
            deregistered ? Status.Deregistered : amount > deposit ? Status.Jailed : Status.Active;
        assertEq(uint8(_status(coordinator)), uint8(expected));
    }

    /// After a dispute slash of any size the share price is no longer 1, so burning the owner's
    /// shares rounds: the rounding is always the owner's. The node loses exactly what is paid,
    /// the owner that plus at most 1 wei, and no other staker loses anything (a staker may gain
    /// 1 wei of the owner's rounding).
    function testFuzz_Shortfall_NeverTakesFromDelegatorsAtAnySharePrice(
        uint256 priorBps,
        uint256 delegated,
        uint256 amount
    ) public {
        priorBps = bound(priorBps, 1, 9_999);
        delegated = bound(delegated, 1, 10_000_000 ether);
        address bob = makeAddr("bob");
        _stake(bob, coordinator2, delegated);
        vm.prank(slasher);
        staking.slash(coordinator2, uint16(priorBps), "earlier dispute");
        skip(1 hours);
        uint256 ownerBefore = _ownerStake(coordinator2);
        uint256 bobBefore = staking.stakeOf(coordinator2, bob);
        uint256 delegatorBefore = staking.stakeOf(coordinator2, delegator);
        uint256 activeBefore = staking.getNode(coordinator2).totalStake;
        amount = bound(amount, 1, 2 * ownerBefore + 1);
        uint256 covered = amount < ownerBefore ? amount : ownerBefore;

        assertEq(_redeem(coordinator2Key, coordinator2, miner, amount), covered, "covered");
        assertEq(staking.getNode(coordinator2).totalStake, activeBefore - covered, "node");
        uint256 ownerAfter = _ownerStake(coordinator2);
        assertLe(ownerAfter + covered, ownerBefore, "owner pays the cover");
        assertGe(ownerAfter + covered + 1, ownerBefore, "and at most 1 wei of rounding");
        if (covered == ownerBefore) assertEq(ownerAfter, 0, "all of it");
        uint256 bobAfter = staking.stakeOf(coordinator2, bob);
        uint256 delegatorAfter = staking.stakeOf(coordinator2, delegator);
        assertGe(bobAfter, bobBefore, "bob lost stake");
        assertLe(bobAfter, bobBefore + 1, "bob gained more than rounding");
        assertGe(delegatorAfter, delegatorBefore, "delegator lost stake");
        assertLe(delegatorAfter, delegatorBefore + 1, "delegator gained more than rounding");
    }

    /// H-1 for any stakes: an operator key paying its owner's own miner (100% commission) a
    /// receipt of any size gets it the deposit plus at most the owner's stake, leaves the owner
    /// exactly as wealthy as before, and the delegators' stake and locks untouched.
    function testFuzz_H1_OperatorNeverReachesDelegatedStake(uint256 unbonding, uint256 deposit, uint256 extra)
        public
    {
        unbonding = bound(unbonding, 0, DELEGATED);
        if (unbonding != 0) {
            vm.prank(delegator);
            staking.unstake(coordinator, unbonding);
        }
        address ownersMiner = makeAddr("ownersMinerOperator");
        _registerMiner(coordOwner, ownersMiner, MINER_MIN, 10_000);
        deposit = bound(deposit, 0, MAX_DEPOSIT);
        if (deposit != 0) _deposit(coordOwner, coordinator, deposit);
        extra = bound(extra, 1, 2 * (COORDINATOR_MIN + DELEGATED));
        uint256 wealth = _wealthOf(coordOwner, coordinator, ownersMiner);
        uint256 covered = extra < COORDINATOR_MIN ? extra : COORDINATOR_MIN;

        assertEq(_redeem(coordinatorKey, coordinator, ownersMiner, deposit + extra), deposit + covered);
        assertEq(escrow.redeemed(coordinator, ownersMiner), deposit + covered);
        assertEq(_wealthOf(coordOwner, coordinator, ownersMiner), wealth, "owner gained");
        assertEq(staking.stakeOf(coordinator, delegator), DELEGATED - unbonding, "delegated");
        if (unbonding != 0) assertEq(_lockAmount(delegator, 0), unbonding, "lock");
        assertEq(staking.getNode(coordinator).unbondingStake, unbonding, "unbonding");
    }

    /// Withdraw pays min(unlocking, what redemptions left) to the owner and keeps the rest.
    function testFuzz_UnlockWithdraw_PaysWhatRedemptionsLeft(
        uint256 deposit,
        uint256 unlocking,
        uint256 spent
    ) public {
        deposit = bound(deposit, 1, 100_000_000 ether);
        unlocking = bound(unlocking, 1, deposit);
        spent = bound(spent, 0, deposit);
        _deposit(app, coordinator, deposit);
        _unlock(coordOwner, coordinator, unlocking);
        _redeem(coordinatorKey, coordinator, miner, spent);
        skip(UNLOCK_PERIOD);
        uint256 left = deposit - spent;
        uint256 expected = unlocking < left ? unlocking : left;
        assertEq(_withdrawDeposit(coordOwner, coordinator), expected);
        assertEq(cai.balanceOf(coordOwner), expected);
        (uint256 balance, uint256 stillUnlocking, uint256 unlockAt) = escrow.accountOf(coordinator);
        assertEq(balance, left - expected);
        assertEq(stillUnlocking + unlockAt, 0);
        assertEq(cai.balanceOf(address(escrow)), balance);
        assertEq(_ownerStake(coordinator), COORDINATOR_MIN);
    }

    /// The miner's owner gets its commission plus its share, the other stakers theirs: together
    /// what the receipt paid, less at most the per-share rounding dust, never more.
    function testFuzz_Redeem_FeeSplitAddsUp(uint256 amount, uint256 bobStake) public {
        amount = bound(amount, 1, MAX_DEPOSIT);
        bobStake = bound(bobStake, 1 ether, 10_000_000 ether);
        address bob = makeAddr("bob");
        _stake(bob, miner, bobStake);
        _deposit(app, coordinator, amount);
        _redeem(coordinatorKey, coordinator, miner, amount);
        uint256 toOwner = staking.pendingRewards(miner, minerOwner);
        uint256 toBob = staking.pendingRewards(miner, bob);
        assertGe(toOwner, amount * MINER_COMMISSION / 10_000, "commission");
        assertLe(toOwner + toBob, amount, "never more than paid");
        // each holder loses < 1 wei of acc per share: shares / 1e18 wei, plus 1 for the floor
        assertApproxEqAbs(toOwner + toBob, amount, (MINER_MIN + bobStake) / 1e18 + 2, "dust");
    }

    // ================================================================= helpers

    /// @dev What a random sequence has paid so far.
    struct Track {
        uint256[PAIRS] paidTo;
        uint256[PAIRS] maxRedeemed; // highest receipt redeemed per pair
        bool[2] ranShort; // a coordinator could not pay a receipt in full
        uint256 total;
    }

    /// @dev Redeems receipt `r` of pair `p`: it pays what the model says, its replay pays 0, and
    ///      the pair's redemptions equal what it was paid, at most `maxSigned`.
    function _redeemAndCheck(
        EscrowReceipt memory r,
        bytes memory sig,
        uint256 p,
        uint256 maxSigned,
        Track memory t
    ) internal {
        (uint256 expected, uint256 owed) = _expected(r);
        uint256 paid = escrow.redeem(r, sig);
        assertEq(paid, expected, "paid");
        if (paid < owed) t.ranShort[p / 2] = true;
        assertEq(escrow.redeem(r, sig), 0, "replay");
        t.paidTo[p] += paid;
        t.total += paid;
        if (r.cumulativeAmount > t.maxRedeemed[p]) t.maxRedeemed[p] = r.cumulativeAmount;
        uint256 redeemed = escrow.redeemed(r.coordinator, r.miner);
        assertEq(redeemed, t.paidTo[p], "redeemed == paid to the pair");
        assertLe(redeemed, maxSigned, "redeemed <= max signed");
    }

    /// @dev Deposits up to MAX_DEPOSIT for each coordinator (0: none).
    function _fund(uint256 deposit1, uint256 deposit2) internal returns (uint256[2] memory deposits) {
        deposits = [bound(deposit1, 0, MAX_DEPOSIT), bound(deposit2, 0, MAX_DEPOSIT)];
        for (uint256 c; c < 2; ++c) {
            if (deposits[c] != 0) _deposit(app, _coords[c], deposits[c]);
        }
    }

    /// @dev Signs receipt i for pair i % PAIRS (coordinator (i % PAIRS) / 2, miner i % 2).
    function _signAll(uint256[RECEIPTS] memory amounts)
        internal
        view
        returns (EscrowReceipt[] memory rs, bytes[] memory sigs, uint256[PAIRS] memory maxSigned)
    {
        rs = new EscrowReceipt[](RECEIPTS);
        sigs = new bytes[](RECEIPTS);
        uint256[2] memory keys = [coordinatorKey, coordinator2Key];
        for (uint256 i; i < RECEIPTS; ++i) {
            uint256 p = i % PAIRS;
            uint256 amount = bound(amounts[i], 0, MAX_AMOUNT);
            (rs[i], sigs[i]) = _receipt(keys[p / 2], _coords[p / 2], _miners[p % 2], amount);
            if (amount > maxSigned[p]) maxSigned[p] = amount;
        }
    }

    /// @dev What redeeming `r` should pay now (deposit first, then at most the owner's stake),
    ///      and what it adds to the pair's redemptions.
    function _expected(EscrowReceipt memory r) internal view returns (uint256 paid, uint256 owed) {
        uint256 already = escrow.redeemed(r.coordinator, r.miner);
        if (r.cumulativeAmount <= already) return (0, 0);
        owed = r.cumulativeAmount - already;
        uint256 balance = _balanceOf(r.coordinator);
        if (owed <= balance) return (owed, owed);
        uint256 stake = _ownerStake(r.coordinator);
        paid = balance + (owed - balance < stake ? owed - balance : stake);
    }

    /// @dev Everything a redemption may change, flattened for one assertEq: redeemed per pair,
    ///      both accounts, both coordinators' stake (node, owner, delegator), status and jail,
    ///      fees per miner node, token balances of the escrow and Staking. Also how many
    ///      distributions there were.
    function _state(Vm.Log[] memory logs) internal view returns (uint256[] memory s, uint256 distributions) {
        s = new uint256[](PAIRS + 2 * 8 + 2 + 2);
        uint256 j;
        for (uint256 p; p < PAIRS; ++p) {
            s[j++] = escrow.redeemed(_coords[p / 2], _miners[p % 2]);
        }
        for (uint256 c; c < 2; ++c) {
            (s[j], s[j + 1], s[j + 2]) = escrow.accountOf(_coords[c]);
            NodeView memory v = staking.getNode(_coords[c]);
            (s[j + 3], s[j + 4], s[j + 5]) = (v.totalStake, v.unbondingStake, uint256(v.status));
            s[j + 5] = s[j + 5] << 64 | v.jailedUntil;
            (s[j + 6], s[j + 7]) = (_ownerStake(_coords[c]), staking.stakeOf(_coords[c], delegator));
            j += 8;
        }
        for (uint256 m; m < 2; ++m) {
            uint256 n;
            (s[j++], n) = _feesTo(logs, _miners[m]);
            distributions += n;
        }
        s[j++] = cai.balanceOf(address(escrow));
        s[j++] = cai.balanceOf(address(staking));
    }
}
