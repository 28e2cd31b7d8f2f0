// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Script} from "forge-std/Script.sol";
import {CAIToken} from "../src/CAIToken.sol";
import {Disputes} from "../src/Disputes.sol";
import {Faucet} from "../src/Faucet.sol";
import {PaymentEscrow} from "../src/PaymentEscrow.sol";
import {Staking} from "../src/Staking.sol";
import {DisputesParams} from "../src/interfaces/IDisputes.sol";
import {StakingParams} from "../src/staking/StakingTypes.sol";

/// @title Deploy
/// @notice Deploys and wires CAIToken, Staking, Faucet, PaymentEscrow and Disputes (both slashers
///         on Staking), funds the faucet, starts an emission stream, and writes the addresses to
///         a deployment JSON.
/// @dev Every setting has a production default that an environment variable overrides, so the
///      same script serves a real chain and the devnet (which passes short periods): see
///      `configFromEnv`. ROOST_DEPLOYMENT_OUT is the path of the JSON (default
///      deployments/<chainId>.json).
///      The broadcasting account becomes admin, treasury, guardian, distributor, dripper and
///      arbiter (hand these to a timelock, a multisig and an arbitration council in production).
contract Deploy is Script {
    struct Deployment {
        CAIToken token;
        Staking staking;
        Faucet faucet;
        PaymentEscrow escrow;
        Disputes disputes;
    }

    /// @notice Every setting of a deployment (amounts in wei, periods in seconds).
    struct Config {
        uint256 supply;
        StakingParams staking;
        uint256 faucetDrip;
        uint256 faucetCooldown;
        uint256 faucetFunds;
        uint256 emission;
        uint256 emissionDuration;
        uint256 unlockPeriod;
        DisputesParams disputes;
    }

    function run() external returns (Deployment memory d) {
        Config memory config = configFromEnv();
        vm.startBroadcast();
        (, address deployer,) = vm.readCallers();
        d = deploy(deployer, config);
        vm.stopBroadcast();
        _write(d, deployer);
    }

    /// @notice The production defaults.
    function defaults() public pure returns (Config memory) {
        return Config({
            supply: 1_000_000_000 ether,
            staking: StakingParams({
                minMinerStake: 20_000 ether,
                minCoordinatorStake: 2_000_000 ether,
                unbondingPeriod: 7 days,
                commissionDelay: 7 days,
                jailPeriod: 1 days
            }),
            faucetDrip: 25_000 ether,
            faucetCooldown: 1 days,
            faucetFunds: 100_000_000 ether,
            emission: 10_000_000 ether,
            emissionDuration: 90 days,
            unlockPeriod: 3 days,
            disputes: DisputesParams({
                equivocationBps: 3_000,
                finderFeeBps: 500,
                falseAccusationBps: 500,
                accusedShareBps: 5_000,
                maxProposalBps: 5_000,
                disputeBond: 1_000 ether,
                challengeWindow: 2 days,
                arbitrationWindow: 3 days
            })
        });
    }

    /// @notice The defaults, each overridden by its environment variable when set.
    function configFromEnv() public view returns (Config memory c) {
        c = defaults();
        c.supply = vm.envOr("ROOST_SUPPLY", c.supply);
        c.staking.minMinerStake = vm.envOr("ROOST_MIN_MINER_STAKE", c.staking.minMinerStake);
        c.staking.minCoordinatorStake = vm.envOr("ROOST_MIN_COORDINATOR_STAKE", c.staking.minCoordinatorStake);
        c.staking.unbondingPeriod = vm.envOr("ROOST_UNBONDING_PERIOD", c.staking.unbondingPeriod);
        c.staking.commissionDelay = vm.envOr("ROOST_COMMISSION_DELAY", c.staking.commissionDelay);
        c.staking.jailPeriod = vm.envOr("ROOST_JAIL_PERIOD", c.staking.jailPeriod);
        c.faucetDrip = vm.envOr("ROOST_FAUCET_DRIP", c.faucetDrip);
        c.faucetCooldown = vm.envOr("ROOST_FAUCET_COOLDOWN", c.faucetCooldown);
        c.faucetFunds = vm.envOr("ROOST_FAUCET_FUNDS", c.faucetFunds);
        c.emission = vm.envOr("ROOST_EMISSION", c.emission);
        c.emissionDuration = vm.envOr("ROOST_EMISSION_DURATION", c.emissionDuration);
        c.unlockPeriod = vm.envOr("ROOST_UNLOCK_PERIOD", c.unlockPeriod);
        DisputesParams memory p = c.disputes;
        p.equivocationBps = uint16(vm.envOr("ROOST_EQUIVOCATION_BPS", uint256(p.equivocationBps)));
        p.finderFeeBps = uint16(vm.envOr("ROOST_FINDER_FEE_BPS", uint256(p.finderFeeBps)));
        p.falseAccusationBps = uint16(vm.envOr("ROOST_FALSE_ACCUSATION_BPS", uint256(p.falseAccusationBps)));
        p.accusedShareBps = uint16(vm.envOr("ROOST_ACCUSED_SHARE_BPS", uint256(p.accusedShareBps)));
        p.maxProposalBps = uint16(vm.envOr("ROOST_MAX_PROPOSAL_BPS", uint256(p.maxProposalBps)));
        p.disputeBond = uint96(vm.envOr("ROOST_DISPUTE_BOND", uint256(p.disputeBond)));
        p.challengeWindow = uint40(vm.envOr("ROOST_CHALLENGE_WINDOW", uint256(p.challengeWindow)));
        p.arbitrationWindow = uint40(vm.envOr("ROOST_ARBITRATION_WINDOW", uint256(p.arbitrationWindow)));
    }

    /// @notice Deploys and wires everything; `deployer` must be the account sending the calls.
    function deploy(address deployer, Config memory c) public returns (Deployment memory d) {
        d.token = new CAIToken(deployer, c.supply);
        d.staking = new Staking(d.token, deployer, deployer, c.staking);
        d.faucet = new Faucet(d.token, deployer, c.faucetDrip, c.faucetCooldown);
        d.staking.grantRole(d.staking.GUARDIAN_ROLE(), deployer);
        d.staking.grantRole(d.staking.REWARD_DISTRIBUTOR_ROLE(), deployer);
        d.faucet.grantRole(d.faucet.DRIPPER_ROLE(), deployer);
        d.escrow = new PaymentEscrow(d.staking, deployer, c.unlockPeriod);
        d.disputes = new Disputes(d.staking, deployer, c.disputes);
        d.staking.grantRole(d.staking.SLASHER_ROLE(), address(d.escrow));
        d.staking.grantRole(d.staking.SLASHER_ROLE(), address(d.disputes));
        d.disputes.grantRole(d.disputes.ARBITER_ROLE(), deployer);

        d.token.transfer(address(d.faucet), c.faucetFunds);
        if (c.emission != 0) {
            d.token.approve(address(d.staking), c.emission);
            d.staking.notifyRewardAmount(c.emission, c.emissionDuration);
        }
    }

    function _write(Deployment memory d, address deployer) internal {
        string memory o = "deployment";
        vm.serializeUint(o, "chainId", block.chainid);
        vm.serializeUint(o, "block", block.number);
        vm.serializeAddress(o, "deployer", deployer);
        vm.serializeAddress(o, "CAIToken", address(d.token));
        vm.serializeAddress(o, "Faucet", address(d.faucet));
        vm.serializeAddress(o, "PaymentEscrow", address(d.escrow));
        vm.serializeAddress(o, "Disputes", address(d.disputes));
        string memory json = vm.serializeAddress(o, "Staking", address(d.staking));
        string memory path = vm.envOr(
            "ROOST_DEPLOYMENT_OUT",
            string.concat(vm.projectRoot(), "/deployments/", vm.toString(block.chainid), ".json")
        );
        vm.writeJson(json, path);
    }
}
