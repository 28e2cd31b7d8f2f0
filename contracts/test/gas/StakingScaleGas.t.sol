// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StakingFixture} from "../utils/StakingFixture.sol";

/// @notice Shows that stake, claim and slash are O(1): their gas with 1,000 stakers on a node is
///         within 5% of their gas with one. Runs in the `gas` profile (every call a transaction).
contract StakingScaleGasTest is StakingFixture {
    address internal miner = makeAddr("minerOperator");

    struct Costs {
        uint256 stake;
        uint256 claim;
        uint256 slash;
    }

    function test_gas_constant_in_number_of_stakers() public {
        uint256 fresh = vm.snapshotState();
        Costs memory one = _measure(1, "1 staker");
        vm.revertToState(fresh);
        Costs memory many = _measure(1_000, "1000 stakers");

        assertApproxEqRel(many.stake, one.stake, 0.05e18, "stake");
        assertApproxEqRel(many.claim, one.claim, 0.05e18, "claim");
        assertApproxEqRel(many.slash, one.slash, 0.05e18, "slash");
    }

    /// @dev `stakers` stake on one miner while emission streams; then the first staker stakes
    ///      again and claims, and the miner is slashed.
    function _measure(uint256 stakers, string memory label) internal returns (Costs memory c) {
        _notify(1_000_000 ether, 30 days);
        _registerMiner(makeAddr("minerOwner"), miner, MINER_MIN, 1_000);
        address first = address(uint160(0x10000));
        for (uint256 i; i < stakers; ++i) {
            _stake(address(uint160(0x10000 + i)), miner, 1_000 ether + i);
        }
        _fund(first, 1_000 ether);
        skip(1 hours);

        vm.prank(first);
        staking.stake(miner, 100 ether);
        c.stake = vm.snapshotGasLastCall(string.concat("stake (", label, ")"));
        skip(1 hours);
        vm.prank(first);
        staking.claim(miner);
        c.claim = vm.snapshotGasLastCall(string.concat("claim (", label, ")"));
        vm.prank(slasher);
        staking.slash(miner, 1_000, "scale");
        c.slash = vm.snapshotGasLastCall(string.concat("slash (", label, ")"));
        // The slash reached every staker: the first one lost 10% of its stake.
        assertApproxEqAbs(staking.stakeOf(miner, first), (1_100 ether) * 9 / 10, 2);
    }
}
