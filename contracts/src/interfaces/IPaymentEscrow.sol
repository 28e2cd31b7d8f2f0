// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What a coordinator owes a miner in total, signed (EIP-712) by the coordinator operator.
///         Only the increase since the pair's last redemption is paid, so receipts need no nonce.
struct Receipt {
    address coordinator;
    address miner;
    uint256 cumulativeAmount;
}

/// @title IPaymentEscrow
/// @notice Coordinators' deposits and the redemption of the receipts they sign to their miners.
interface IPaymentEscrow {
    // ---------------------------------------------------------------- events

    /// @notice `from` deposited `amount` for `coordinator`.
    event Deposited(address indexed coordinator, address indexed from, uint256 amount);
    /// @notice The coordinator's owner asked to withdraw `unlocking` (in total) from `unlockAt` on.
    event UnlockRequested(address indexed coordinator, uint256 unlocking, uint256 unlockAt);
    /// @notice `amount` left the escrow of `coordinator` to its owner `to`.
    event Withdrawn(address indexed coordinator, address indexed to, uint256 amount);
    /// @notice A receipt for `cumulativeAmount` paid `paid` to `miner` (the increase since the last one).
    event Redeemed(
        address indexed coordinator, address indexed miner, uint256 cumulativeAmount, uint256 paid
    );
    /// @notice The deposit fell `shortfall` short of a receipt; `covered` was slashed from the
    ///         coordinator owner's own stake and paid to the miner (less if that ran out).
    event ShortfallCovered(
        address indexed coordinator, address indexed miner, uint256 shortfall, uint256 covered
    );
    /// @notice The unlock period changed (for unlocks requested from now on).
    event UnlockPeriodSet(uint256 period);

    // ---------------------------------------------------------------- errors

    /// @notice An amount argument is zero.
    error ZeroAmount();
    /// @notice An address argument is zero.
    error ZeroAddress();
    /// @notice Deposits are only for registered coordinators (their operator address).
    error NotACoordinator(address coordinator);
    /// @notice Receipts pay miner nodes only.
    error NotAMiner(address miner);
    /// @notice Only the coordinator node's owner (per Staking) may unlock and withdraw.
    error NotCoordinatorOwner(address coordinator, address caller);
    /// @notice The receipt was not signed by its coordinator's operator key.
    error InvalidSigner(address signer, address coordinator);
    /// @notice Asked to unlock more than the deposit holds beyond what is already unlocking.
    error InsufficientDeposit(uint256 requested, uint256 available);
    /// @notice Nothing is unlocking: call unlock(amount) first.
    error NothingUnlocking(address coordinator);
    /// @notice The unlock period has not passed yet.
    error UnlockNotReady(uint256 unlockAt);
    /// @notice redeemBatch needs one signature per receipt.
    error LengthMismatch(uint256 receipts, uint256 signatures);
    /// @notice A period parameter exceeds MAX_PERIOD.
    error PeriodTooLong(uint256 period, uint256 maximum);

    // ---------------------------------------------------------------- actions

    function deposit(address coordinator, uint256 amount) external;
    function unlock(address coordinator, uint256 amount) external;
    function withdraw(address coordinator) external returns (uint256 amount);
    function redeem(Receipt calldata receipt, bytes calldata signature) external returns (uint256 paid);
    function redeemBatch(Receipt[] calldata receipts, bytes[] calldata signatures)
        external
        returns (uint256 paid);

    // ---------------------------------------------------------------- views

    function accountOf(address coordinator)
        external
        view
        returns (uint256 balance, uint256 unlocking, uint256 unlockAt);
    function redeemed(address coordinator, address miner) external view returns (uint256);
    function hashReceipt(Receipt calldata receipt) external view returns (bytes32);
}
