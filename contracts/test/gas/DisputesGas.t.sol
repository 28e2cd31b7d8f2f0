// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MarketFixture} from "../utils/MarketFixture.sol";
import {TaskResult} from "../../src/interfaces/IDisputes.sol";

/// @notice Gas of the dispute actions as whole transactions (run in the `gas` profile), with
///         emission streaming and the miner staked on. The proveEquivocation target (issue 3) is
///         checked on the transaction's gas less 21,000, as in StakingGas.
contract DisputesGasTest is MarketFixture {
    uint256 internal constant INTRINSIC_GAS = 21_000;
    bytes32 internal constant TASK = keccak256("task-1");

    address internal finder = makeAddr("finder");

    function setUp() public override {
        super.setUp();
        _notify(10_000_000 ether, 30 days);
        skip(1 hours);
        _stake(makeAddr("alice"), miner, 5_000 ether);
        _fund(minerOwner, DISPUTE_BOND);
        vm.prank(minerOwner);
        cai.approve(address(disputes), type(uint256).max);
        cai.transfer(treasury, 1 ether); // the treasury holds CAI once the network has run a while
        skip(1 hours);
    }

    function test_gas_proveEquivocation() public {
        TaskResult memory a = _result(coordinator, TASK, keccak256("image A"));
        TaskResult memory b = _result(coordinator, TASK, keccak256("image B"));
        bytes memory sigA = _signResult(minerKey, a);
        bytes memory sigB = _signResult(minerKey, b);
        vm.prank(finder);
        disputes.proveEquivocation(a, sigA, b, sigB);
        uint256 txGas = vm.snapshotGasLastCall("proveEquivocation");
        assertLe(txGas - INTRINSIC_GAS, 150_000, "proveEquivocation");
    }

    function test_gas_proposeSlash() public {
        vm.prank(coordinator);
        disputes.proposeSlash(miner, TASK, 1_000, keccak256("bundle"), "https://coord.example/evidence/0x01");
        vm.snapshotGasLastCall("proposeSlash");
    }

    function test_gas_dispute_and_resolve() public {
        vm.prank(coordinator);
        uint256 id = disputes.proposeSlash(
            miner, TASK, 1_000, keccak256("bundle"), "https://coord.example/evidence/0x01"
        );
        vm.prank(minerOwner);
        disputes.dispute(id);
        vm.snapshotGasLastCall("dispute");
        vm.prank(arbiter);
        disputes.resolve(id, false);
        vm.snapshotGasLastCall("resolve (rejected)");
    }

    function test_gas_execute() public {
        vm.prank(coordinator);
        uint256 id = disputes.proposeSlash(
            miner, TASK, 1_000, keccak256("bundle"), "https://coord.example/evidence/0x01"
        );
        skip(CHALLENGE_WINDOW);
        disputes.execute(id);
        vm.snapshotGasLastCall("execute");
    }
}
