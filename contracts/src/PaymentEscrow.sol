// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IPaymentEscrow, Receipt} from "./interfaces/IPaymentEscrow.sol";
import {IStaking} from "./interfaces/IStaking.sol";
import {Role, Status} from "./staking/StakingTypes.sol";

/// @title PaymentEscrow
/// @notice Pays miners without a transaction per task. A coordinator keeps CAI on deposit here and
///         signs each of its miners a cumulative receipt (EIP-712 `Receipt`, domain "Roost" v1);
///         anyone may redeem it, which pays the increase since the pair's last redemption into
///         `Staking.distributeFees`, so the miner's owner takes its commission and the miner's
///         stakers share the rest. Withdrawing a deposit takes `unlock` and `unlockPeriod`, during
///         which the unlocking funds still pay receipts. A receipt the deposit cannot cover is
///         paid from the coordinator owner's own stake (a slash as large as the shortfall, which
///         jails the coordinator); its stakers' stake never underwrites receipts.
/// @dev Holds SLASHER_ROLE on Staking. A coordinator is identified by its operator address, the
///      key that signs its receipts; its owner (per Staking) alone may take deposits back.
contract PaymentEscrow is IPaymentEscrow, AccessControl, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    bytes32 public constant RECEIPT_TYPEHASH =
        keccak256("Receipt(address coordinator,address miner,uint256 cumulativeAmount)");
    /// @notice The reason recorded with a shortfall slash.
    bytes32 public constant SHORTFALL_REASON = "escrow-shortfall";
    uint256 public constant MAX_PERIOD = 365 days;

    /// @dev One slot: what a coordinator has here, and what it asked to take back and when.
    ///      `unlocking` never exceeds `balance` when set; redemptions may lower `balance` below it.
    struct Account {
        uint96 balance;
        uint96 unlocking;
        uint40 unlockAt;
    }

    IStaking public immutable staking;
    IERC20 public immutable token;
    /// @notice How long unlocked funds stay redeemable before the owner may withdraw them.
    uint256 public unlockPeriod;

    mapping(address coordinator => Account) private _accounts;
    /// @inheritdoc IPaymentEscrow
    mapping(address coordinator => mapping(address miner => uint256)) public redeemed;

    /// @param staking_ the registry this escrow pays into; its token is the escrow's.
    /// @param admin receives DEFAULT_ADMIN_ROLE (sets `unlockPeriod`).
    constructor(IStaking staking_, address admin, uint256 unlockPeriod_) EIP712("Roost", "1") {
        if (address(staking_) == address(0) || admin == address(0)) revert ZeroAddress();
        staking = staking_;
        token = staking_.token();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setUnlockPeriod(unlockPeriod_);
        // distributeFees pulls what a redemption pays; an infinite allowance is never written again.
        token.forceApprove(address(staking_), type(uint256).max);
    }

    // ================================================================= coordinators

    /// @notice Adds `amount` to the deposit of `coordinator` (anyone may fund any coordinator).
    function deposit(address coordinator, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        (Role role, Status status) = staking.nodeState(coordinator);
        if (role != Role.Coordinator || status == Status.None) revert NotACoordinator(coordinator);
        Account storage a = _accounts[coordinator];
        a.balance = (a.balance + amount).toUint96();
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit Deposited(coordinator, msg.sender, amount);
    }

    /// @notice Starts (or adds to, restarting the clock) the withdrawal of `amount`; the funds keep
    ///         paying receipts until `withdraw`. Owner of the coordinator node only.
    function unlock(address coordinator, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        _checkOwner(coordinator);
        Account storage a = _accounts[coordinator];
        uint256 unlocking = a.unlocking;
        uint256 available = a.balance > unlocking ? a.balance - unlocking : 0;
        if (amount > available) revert InsufficientDeposit(amount, available);
        uint256 unlockAt = block.timestamp + unlockPeriod;
        a.unlocking = uint96(unlocking + amount);
        a.unlockAt = uint40(unlockAt);
        emit UnlockRequested(coordinator, unlocking + amount, unlockAt);
    }

    /// @notice Sends the owner what is left of the unlocked amount once `unlockPeriod` has passed.
    function withdraw(address coordinator) external nonReentrant returns (uint256 amount) {
        _checkOwner(coordinator);
        Account memory a = _accounts[coordinator];
        if (a.unlocking == 0) revert NothingUnlocking(coordinator);
        if (block.timestamp < a.unlockAt) revert UnlockNotReady(a.unlockAt);
        amount = a.unlocking < a.balance ? a.unlocking : a.balance;
        _accounts[coordinator] = Account(uint96(a.balance - amount), 0, 0);
        if (amount != 0) token.safeTransfer(msg.sender, amount);
        emit Withdrawn(coordinator, msg.sender, amount);
    }

    // ================================================================= redemption

    /// @notice Pays `receipt.miner` what the receipt adds to the pair's last redemption (0 for an
    ///         old receipt). Reverts unless `signature` is the coordinator operator's.
    function redeem(Receipt calldata receipt, bytes calldata signature)
        external
        nonReentrant
        returns (uint256 paid)
    {
        paid = _settle(receipt, signature);
        _pay(receipt.miner, paid);
    }

    /// @notice Redeems many receipts, all or none: each pays what it would pay redeemed alone
    ///         in this order, but consecutive receipts of one miner (a miner collecting from all
    ///         its coordinators) reach its stakers in a single distribution.
    function redeemBatch(Receipt[] calldata receipts, bytes[] calldata signatures)
        external
        nonReentrant
        returns (uint256 paid)
    {
        uint256 count = receipts.length;
        if (signatures.length != count) revert LengthMismatch(count, signatures.length);
        address miner;
        uint256 pending;
        for (uint256 i; i < count; ++i) {
            Receipt calldata r = receipts[i];
            if (r.miner != miner) {
                _pay(miner, pending);
                paid += pending;
                (miner, pending) = (r.miner, 0);
            }
            pending += _settle(r, signatures[i]);
        }
        _pay(miner, pending);
        paid += pending;
    }

    // ================================================================= admin

    /// @notice Sets the unlock period for unlocks requested from now on. It should leave miners
    ///         time to redeem what they hold (the miner node redeems when it sees an unlock).
    function setUnlockPeriod(uint256 period) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUnlockPeriod(period);
    }

    function _setUnlockPeriod(uint256 period) private {
        if (period > MAX_PERIOD) revert PeriodTooLong(period, MAX_PERIOD);
        unlockPeriod = period;
        emit UnlockPeriodSet(period);
    }

    // ================================================================= views

    /// @notice A coordinator's deposit (unlocking funds included), what is unlocking, and when it
    ///         may be withdrawn (0: nothing unlocking).
    function accountOf(address coordinator)
        external
        view
        returns (uint256 balance, uint256 unlocking, uint256 unlockAt)
    {
        Account memory a = _accounts[coordinator];
        return (a.balance, a.unlocking, a.unlockAt);
    }

    /// @notice The EIP-712 digest the coordinator operator signs for `receipt`.
    function hashReceipt(Receipt calldata receipt) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(RECEIPT_TYPEHASH, receipt.coordinator, receipt.miner, receipt.cumulativeAmount)
            )
        );
    }

    // ================================================================= internals

    /// @dev Checks the receipt and books what it pays; the caller hands that to Staking. Effects
    ///      come before the only external call (Staking's slash, for a shortfall).
    function _settle(Receipt calldata r, bytes calldata signature) private returns (uint256 paid) {
        address coordinator = r.coordinator;
        address signer = ECDSA.recoverCalldata(hashReceipt(r), signature);
        if (signer != coordinator) revert InvalidSigner(signer, coordinator);
        uint256 already = redeemed[coordinator][r.miner];
        if (r.cumulativeAmount <= already) return 0;

        uint256 owed = r.cumulativeAmount - already;
        Account storage a = _accounts[coordinator];
        uint256 balance = a.balance;
        paid = owed < balance ? owed : balance;
        a.balance = uint96(balance - paid);
        redeemed[coordinator][r.miner] = already + paid;
        if (owed > paid) {
            uint256 covered = _coverShortfall(coordinator, r.miner, owed - paid);
            paid += covered;
            redeemed[coordinator][r.miner] = already + paid;
        }
        emit Redeemed(coordinator, r.miner, r.cumulativeAmount, paid);
    }

    /// @dev Slashes the coordinator owner's own stake (which jails the coordinator) for what its
    ///      deposit lacks; if even that falls short, the rest stays redeemable against future
    ///      deposits. Only the owner's stake: otherwise an operator key could sign receipts to a
    ///      miner of its own and pay the coordinator's stakers' stake out to itself.
    function _coverShortfall(address coordinator, address miner, uint256 shortfall)
        private
        returns (uint256 covered)
    {
        // A key that is not a coordinator's (a miner's operator signing as "coordinator") must
        // not reach a slash at all.
        (Role role, Status status) = staking.nodeState(coordinator);
        if (role != Role.Coordinator || status == Status.None) revert NotACoordinator(coordinator);
        covered = staking.slashOwnerStake(coordinator, shortfall, SHORTFALL_REASON);
        emit ShortfallCovered(coordinator, miner, shortfall, covered);
    }

    /// @dev Pays a miner node (deregistered and jailed ones included) through Staking.
    function _pay(address miner, uint256 amount) private {
        if (amount == 0) return;
        (Role role, Status status) = staking.nodeState(miner);
        if (role != Role.Miner || status == Status.None) revert NotAMiner(miner);
        staking.distributeFees(miner, amount);
    }

    function _checkOwner(address coordinator) private view {
        address owner = staking.getNode(coordinator).owner;
        if (owner != msg.sender) revert NotCoordinatorOwner(coordinator, msg.sender);
    }
}
