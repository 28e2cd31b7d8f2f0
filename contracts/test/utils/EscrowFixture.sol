// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {MarketFixture} from "./MarketFixture.sol";
import {Receipt as EscrowReceipt} from "../../src/interfaces/IPaymentEscrow.sol";
import {LockView, NodeView, Status} from "../../src/staking/StakingTypes.sol";

/// @notice MarketFixture plus a second coordinator and miner (known keys, the miner at 0%
///         commission) and helpers shared by the PaymentEscrow unit and fuzz tests: the owner's
///         stake (all a shortfall may take) apart from the node's, unbonding locks, delegation,
///         and counts of the escrow's and Staking's events.
abstract contract EscrowFixture is MarketFixture {
    /// @dev secp256k1 group order, to build high-s (malleable) signatures.
    uint256 internal constant SECP256K1_N =
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint16 internal constant MINER_COMMISSION = 1_000; // MarketFixture's miner
    bytes32 internal constant FEES_DISTRIBUTED =
        keccak256("FeesDistributed(address,address,uint256,uint256)");
    bytes32 internal constant SHORTFALL_COVERED =
        keccak256("ShortfallCovered(address,address,uint256,uint256)");
    bytes32 internal constant SLASHED = keccak256("Slashed(address,address,uint16,uint256,uint256,bytes32)");
    bytes32 internal constant JAILED = keccak256("Jailed(address,uint256)");

    address internal coord2Owner = makeAddr("coord2Owner");
    address internal miner2Owner = makeAddr("miner2Owner");
    address internal app = makeAddr("app"); // a depositor
    address internal stranger = makeAddr("stranger");
    address internal coordinator2;
    uint256 internal coordinator2Key;
    address internal miner2;
    uint256 internal miner2Key;

    function setUp() public virtual override {
        super.setUp();
        (coordinator2, coordinator2Key) = makeAddrAndKey("coordinator2Operator");
        (miner2, miner2Key) = makeAddrAndKey("miner2Operator");
        _registerCoordinator(coord2Owner, coordinator2, COORDINATOR_MIN);
        _registerMiner(miner2Owner, miner2, MINER_MIN, 0);
    }

    function _redeem(uint256 key, address coordinator_, address miner_, uint256 cumulative)
        internal
        returns (uint256)
    {
        (EscrowReceipt memory r, bytes memory sig) = _receipt(key, coordinator_, miner_, cumulative);
        return escrow.redeem(r, sig);
    }

    function _unlock(address owner, address coordinator_, uint256 amount) internal {
        vm.prank(owner);
        escrow.unlock(coordinator_, amount);
    }

    function _withdrawDeposit(address owner, address coordinator_) internal returns (uint256) {
        vm.prank(owner);
        return escrow.withdraw(coordinator_);
    }

    function _balanceOf(address coordinator_) internal view returns (uint256 balance) {
        (balance,,) = escrow.accountOf(coordinator_);
    }

    /// @dev A node's whole stake: active plus unbonding.
    function _stakeOf(address operator) internal view returns (uint256) {
        NodeView memory v = staking.getNode(operator);
        return v.totalStake + v.unbondingStake;
    }

    /// @dev The node owner's own active stake: all a shortfall may take.
    function _ownerStake(address operator) internal view returns (uint256) {
        return staking.stakeOf(operator, staking.getNode(operator).owner);
    }

    /// @dev The current (post-slash) value of `staker`'s unbonding lock `id`.
    function _lockAmount(address staker, uint256 id) internal view returns (uint256) {
        LockView[] memory locks = staking.locksOf(staker, id, 1);
        return locks[0].amount;
    }

    /// @dev `staker` stakes `amount` on `operator` and unbonds `unbonding` of it (lock id returned,
    ///      type(uint256).max when nothing unbonds).
    function _delegate(address staker, address operator, uint256 amount, uint256 unbonding)
        internal
        returns (uint256 lockId)
    {
        _stake(staker, operator, amount);
        if (unbonding == 0) return type(uint256).max;
        vm.prank(staker);
        lockId = staking.unstake(operator, unbonding);
    }

    /// @dev Everything `owner` holds from its coordinator and its miner `ownersMiner`: tokens,
    ///      both stakes, unclaimed fees and commission, and the coordinator's deposit.
    function _wealthOf(address owner, address coordinator_, address ownersMiner)
        internal
        view
        returns (uint256)
    {
        return cai.balanceOf(owner) + staking.stakeOf(coordinator_, owner)
            + staking.stakeOf(ownersMiner, owner) + staking.pendingRewards(coordinator_, owner)
            + staking.pendingRewards(ownersMiner, owner) + _balanceOf(coordinator_);
    }

    function _status(address operator) internal view returns (Status status) {
        (, status) = staking.nodeState(operator);
    }

    /// @dev Sum of the FeesDistributed amounts the escrow paid `operator`, and how many there were.
    function _feesTo(Vm.Log[] memory logs, address operator)
        internal
        view
        returns (uint256 total, uint256 n)
    {
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory l = logs[i];
            if (l.emitter != address(staking) || l.topics[0] != FEES_DISTRIBUTED) continue;
            if (address(uint160(uint256(l.topics[1]))) != operator) continue;
            if (address(uint160(uint256(l.topics[2]))) != address(escrow)) continue;
            (uint256 amount,) = abi.decode(l.data, (uint256, uint256));
            total += amount;
            ++n;
        }
    }

    /// @dev How many ShortfallCovered events the escrow emitted.
    function _shortfalls(Vm.Log[] memory logs) internal view returns (uint256 n) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(escrow) && logs[i].topics[0] == SHORTFALL_COVERED) ++n;
        }
    }

    /// @dev How many events with signature `topic0` Staking emitted.
    function _stakingEvents(Vm.Log[] memory logs, bytes32 topic0) internal view returns (uint256 n) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(staking) && logs[i].topics[0] == topic0) ++n;
        }
    }

    function _one(EscrowReceipt memory r, bytes memory sig)
        internal
        pure
        returns (EscrowReceipt[] memory rs, bytes[] memory sigs)
    {
        rs = new EscrowReceipt[](1);
        sigs = new bytes[](1);
        (rs[0], sigs[0]) = (r, sig);
    }
}
