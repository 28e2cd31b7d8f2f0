// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title CAIToken
/// @notice The Roost network token. The whole supply is minted once, at deploy, to `holder`;
///         there is no mint function afterwards. ERC-2612 permit lets stakers approve and stake
///         in one transaction (`Staking.stakeWithPermit`).
contract CAIToken is ERC20, ERC20Permit {
    /// @notice The default supply: 1,000,000,000 CAI.
    uint256 public constant DEFAULT_SUPPLY = 1_000_000_000 ether;

    /// @param holder receives the whole supply (the deployer's treasury or a distributor).
    /// @param supply the fixed supply in wei (18 decimals); use DEFAULT_SUPPLY for the default.
    constructor(address holder, uint256 supply) ERC20("Roost CAI", "CAI") ERC20Permit("Roost CAI") {
        _mint(holder, supply);
    }
}
