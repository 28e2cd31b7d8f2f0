// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Faucet
/// @notice Testnet faucet: hands out `dripAmount` tokens per address at most once per `cooldown`.
///         Users call `claim()` themselves, or a gas-paying service holding DRIPPER_ROLE calls
///         `drip(user)` for users who have no gas yet. Both paths share the same per-address limit.
/// @dev The cooldown is measured from the last claim using the *current* `cooldown`, so an admin
///      change applies to everyone immediately. Funded by `refill` or by plain token transfers.
contract Faucet is AccessControl {
    using SafeERC20 for IERC20;

    /// @notice Role allowed to claim on behalf of any address via `drip`.
    bytes32 public constant DRIPPER_ROLE = keccak256("DRIPPER_ROLE");

    /// @notice The token handed out.
    IERC20 public immutable token;
    /// @notice Tokens sent per claim.
    uint256 public dripAmount;
    /// @notice Minimum seconds between two claims for the same address (0 = no limit).
    uint256 public cooldown;
    /// @notice Timestamp of each address's last claim (0 = never claimed).
    mapping(address account => uint256 timestamp) public lastClaimAt;

    /// @notice Emitted when `amount` tokens are sent to `to`; `by` is `to` for `claim`, the dripper for `drip`.
    event Claimed(address indexed to, address indexed by, uint256 amount);
    /// @notice Emitted when the per-claim amount changes (also at deploy).
    event DripAmountSet(uint256 amount);
    /// @notice Emitted when the cooldown changes (also at deploy).
    event CooldownSet(uint256 cooldown);
    /// @notice Emitted when an admin withdraws `amount` tokens to `to`.
    event Swept(address indexed to, uint256 amount);
    /// @notice Emitted when `from` tops up the faucet with `amount` tokens via `refill`.
    event Refilled(address indexed from, uint256 amount);

    /// @notice `account` claimed too recently; it may claim again at `nextClaimAt`.
    error ClaimTooSoon(address account, uint256 nextClaimAt);
    /// @notice The faucet holds `balance` tokens but a claim needs `needed`.
    error FaucetEmpty(uint256 balance, uint256 needed);
    /// @notice An address argument was the zero address.
    error ZeroAddress();
    /// @notice An amount argument was zero.
    error ZeroAmount();

    /// @param token_ the token to hand out.
    /// @param admin receives DEFAULT_ADMIN_ROLE (can set parameters, sweep and grant DRIPPER_ROLE).
    /// @param dripAmount_ tokens per claim; must be non-zero.
    /// @param cooldown_ seconds between claims per address; 0 disables the limit.
    constructor(IERC20 token_, address admin, uint256 dripAmount_, uint256 cooldown_) {
        if (address(token_) == address(0) || admin == address(0)) revert ZeroAddress();
        token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setDripAmount(dripAmount_);
        _setCooldown(cooldown_);
    }

    /// @notice Sends `dripAmount` tokens to the caller, at most once per `cooldown`.
    function claim() external {
        _claim(msg.sender);
    }

    /// @notice Sends `dripAmount` tokens to `to` on its behalf, under `to`'s own cooldown.
    /// @param to the recipient; must not be the zero address.
    function drip(address to) external onlyRole(DRIPPER_ROLE) {
        if (to == address(0)) revert ZeroAddress();
        _claim(to);
    }

    /// @notice Pulls `amount` tokens from the caller (needs prior approval) into the faucet.
    /// @param amount tokens to add; must be non-zero.
    function refill(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        emit Refilled(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Sets the per-claim amount. Admin only.
    /// @param amount new amount; must be non-zero (to stop the faucet, sweep it instead).
    function setDripAmount(uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setDripAmount(amount);
    }

    /// @notice Sets the per-address cooldown in seconds; 0 allows unlimited claims. Admin only.
    /// @param newCooldown the new cooldown.
    function setCooldown(uint256 newCooldown) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setCooldown(newCooldown);
    }

    /// @notice Withdraws `amount` tokens to `to` (e.g. when retiring the faucet). Admin only.
    /// @param to the recipient; must not be the zero address.
    /// @param amount tokens to withdraw; must be non-zero and at most the balance.
    function sweep(address to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        emit Swept(to, amount);
        token.safeTransfer(to, amount);
    }

    /// @notice When `account` may claim next; 0 or a past timestamp means now.
    /// @param account the address to check.
    /// @return the earliest timestamp of the next claim (saturates instead of overflowing).
    function nextClaimAt(address account) public view returns (uint256) {
        uint256 last = lastClaimAt[account];
        return last == 0 ? 0 : Math.saturatingAdd(last, cooldown);
    }

    /// @notice Whether `account` could claim right now (cooldown elapsed and faucet funded).
    /// @param account the address to check.
    /// @return true if a claim for `account` would succeed now.
    function canClaim(address account) external view returns (bool) {
        return block.timestamp >= nextClaimAt(account) && token.balanceOf(address(this)) >= dripAmount;
    }

    /// @dev Shared by `claim` and `drip`: checks, then records the claim, then transfers (CEI).
    function _claim(address to) private {
        uint256 next = nextClaimAt(to);
        if (block.timestamp < next) revert ClaimTooSoon(to, next);
        uint256 amount = dripAmount;
        uint256 balance = token.balanceOf(address(this));
        if (balance < amount) revert FaucetEmpty(balance, amount);

        lastClaimAt[to] = block.timestamp;
        emit Claimed(to, msg.sender, amount);
        token.safeTransfer(to, amount);
    }

    function _setDripAmount(uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        dripAmount = amount;
        emit DripAmountSet(amount);
    }

    function _setCooldown(uint256 newCooldown) private {
        cooldown = newCooldown;
        emit CooldownSet(newCooldown);
    }
}
