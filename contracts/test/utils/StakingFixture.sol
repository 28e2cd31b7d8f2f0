// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {CAIToken} from "../../src/CAIToken.sol";
import {Staking} from "../../src/Staking.sol";
import {Role, StakingParams} from "../../src/staking/StakingTypes.sol";

/// @notice A deployed token and Staking with the production defaults, and helpers to act as users.
abstract contract StakingFixture is Test {
    uint256 internal constant MINER_MIN = 20_000 ether;
    uint256 internal constant COORDINATOR_MIN = 2_000_000 ether;
    uint256 internal constant UNBONDING = 7 days;
    uint256 internal constant COMMISSION_DELAY = 8 days;
    uint256 internal constant JAIL = 1 days;

    address internal admin = makeAddr("admin");
    address internal treasury = makeAddr("treasury");
    address internal slasher = makeAddr("slasher");
    address internal guardian = makeAddr("guardian");
    address internal distributor = makeAddr("distributor");

    CAIToken internal cai;
    Staking internal staking;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        cai = new CAIToken(address(this), 1_000_000_000 ether);
        staking = new Staking(
            cai,
            admin,
            treasury,
            StakingParams({
                minMinerStake: MINER_MIN,
                minCoordinatorStake: COORDINATOR_MIN,
                unbondingPeriod: UNBONDING,
                commissionDelay: COMMISSION_DELAY,
                jailPeriod: JAIL
            })
        );
        vm.startPrank(admin);
        staking.grantRole(staking.SLASHER_ROLE(), slasher);
        staking.grantRole(staking.GUARDIAN_ROLE(), guardian);
        staking.grantRole(staking.REWARD_DISTRIBUTOR_ROLE(), distributor);
        vm.stopPrank();
    }

    /// @dev Gives `who` tokens and an allowance for Staking.
    function _fund(address who, uint256 amount) internal {
        cai.transfer(who, amount);
        vm.prank(who);
        cai.approve(address(staking), type(uint256).max);
    }

    /// @dev The operator key consents to be registered by `owner`.
    function _approveOwner(address operator, address owner) internal {
        vm.prank(operator);
        staking.approveOwner(owner);
    }

    function _registerMiner(address owner, address operator, uint256 selfStake, uint16 commissionBps)
        internal
    {
        _fund(owner, selfStake);
        _approveOwner(operator, owner);
        vm.prank(owner);
        staking.register(Role.Miner, operator, selfStake, commissionBps, "ipfs://miner", "");
    }

    function _registerCoordinator(address owner, address operator, uint256 selfStake) internal {
        _fund(owner, selfStake);
        _approveOwner(operator, owner);
        vm.prank(owner);
        staking.register(Role.Coordinator, operator, selfStake, 500, "ipfs://coord", "https://coord.example");
    }

    function _stake(address staker, address operator, uint256 amount) internal {
        _fund(staker, amount);
        vm.prank(staker);
        staking.stake(operator, amount);
    }

    /// @dev Streams `amount` of emission over `duration`.
    function _notify(uint256 amount, uint256 duration) internal {
        cai.transfer(distributor, amount);
        vm.startPrank(distributor);
        cai.approve(address(staking), amount);
        staking.notifyRewardAmount(amount, duration);
        vm.stopPrank();
    }
}
