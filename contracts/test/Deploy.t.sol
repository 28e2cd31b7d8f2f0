// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Deploy} from "../script/Deploy.s.sol";
import {Role} from "../src/staking/StakingTypes.sol";

/// @notice The deploy script wires roles, funds the faucet and starts emission with its defaults.
contract DeployTest is Test {
    function test_deploy_wires_everything() public {
        Deploy script = new Deploy();
        // The script contract stands in for the broadcasting account: it holds the supply.
        Deploy.Deployment memory d = script.deploy(address(script), script.defaults());

        assertEq(d.token.totalSupply(), 1_000_000_000 ether);
        assertEq(d.token.balanceOf(address(d.faucet)), 100_000_000 ether);
        assertEq(d.token.balanceOf(address(d.staking)), 10_000_000 ether);
        assertEq(d.staking.minSelfStake(Role.Miner), 20_000 ether);
        assertEq(d.staking.minSelfStake(Role.Coordinator), 2_000_000 ether);
        assertEq(d.staking.unbondingPeriod(), 7 days);
        assertEq(d.staking.treasury(), address(script));
        assertTrue(d.staking.hasRole(d.staking.DEFAULT_ADMIN_ROLE(), address(script)));
        assertTrue(d.staking.hasRole(d.staking.GUARDIAN_ROLE(), address(script)));
        assertTrue(d.faucet.hasRole(d.faucet.DRIPPER_ROLE(), address(script)));
        assertTrue(d.staking.hasRole(d.staking.SLASHER_ROLE(), address(d.escrow)));
        assertTrue(d.staking.hasRole(d.staking.SLASHER_ROLE(), address(d.disputes)));
        assertTrue(d.disputes.hasRole(d.disputes.ARBITER_ROLE(), address(script)));
        assertEq(address(d.escrow.staking()), address(d.staking));
        assertEq(address(d.disputes.token()), address(d.token));
        assertEq(d.escrow.unlockPeriod(), 3 days);
        assertEq(d.disputes.params().equivocationBps, 3_000);
        assertEq(d.disputes.params().challengeWindow, 2 days);
        (,, uint256 rate, uint256 finish,) = d.staking.rewardState();
        assertEq(rate, uint256(10_000_000 ether) / 90 days);
        assertEq(finish, block.timestamp + 90 days);

        vm.prank(makeAddr("user"));
        d.faucet.claim();
        assertEq(d.token.balanceOf(makeAddr("user")), 25_000 ether);
    }

    /// @dev The only test that sets these variables (the environment is shared by parallel tests).
    function test_config_reads_settings_from_the_environment() public {
        Deploy script = new Deploy();
        vm.setEnv("ROOST_UNBONDING_PERIOD", "300");
        vm.setEnv("ROOST_EMISSION", "0");
        vm.setEnv("ROOST_UNLOCK_PERIOD", "120");
        vm.setEnv("ROOST_CHALLENGE_WINDOW", "60");
        vm.setEnv("ROOST_ARBITRATION_WINDOW", "120");
        Deploy.Config memory c = script.configFromEnv();
        assertEq(c.staking.unbondingPeriod, 300);
        assertEq(c.emission, 0);
        assertEq(c.unlockPeriod, 120);
        assertEq(c.disputes.challengeWindow, 60);
        assertEq(c.disputes.arbitrationWindow, 120);

        Deploy.Deployment memory d = script.deploy(address(script), c);
        assertEq(d.staking.unbondingPeriod(), 300);
        assertEq(d.escrow.unlockPeriod(), 120);
        assertEq(d.disputes.params().arbitrationWindow, 120);
        (,, uint256 rate,,) = d.staking.rewardState();
        assertEq(rate, 0);
    }
}
