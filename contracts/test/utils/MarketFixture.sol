// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StakingFixture} from "./StakingFixture.sol";
import {Disputes} from "../../src/Disputes.sol";
import {PaymentEscrow} from "../../src/PaymentEscrow.sol";
import {DisputesParams, TaskResult} from "../../src/interfaces/IDisputes.sol";
// forge-std's Test declares a `Receipt` of its own (transaction receipts).
import {Receipt as EscrowReceipt} from "../../src/interfaces/IPaymentEscrow.sol";

/// @notice StakingFixture plus the PaymentEscrow and Disputes contracts wired as in Deploy.s.sol
///         (both hold SLASHER_ROLE), one registered coordinator and one registered miner whose
///         operator keys are known, and helpers to sign receipts and task results.
abstract contract MarketFixture is StakingFixture {
    uint256 internal constant UNLOCK_PERIOD = 2 days;
    uint256 internal constant CHALLENGE_WINDOW = 2 days;
    uint256 internal constant ARBITRATION_WINDOW = 3 days;
    uint256 internal constant DISPUTE_BOND = 1_000 ether;

    address internal arbiter = makeAddr("arbiter");
    address internal coordOwner = makeAddr("coordOwner");
    address internal minerOwner = makeAddr("minerOwner");
    address internal coordinator;
    uint256 internal coordinatorKey;
    address internal miner;
    uint256 internal minerKey;

    PaymentEscrow internal escrow;
    Disputes internal disputes;

    function setUp() public virtual override {
        super.setUp();
        escrow = new PaymentEscrow(staking, admin, UNLOCK_PERIOD);
        disputes = new Disputes(staking, admin, defaultDisputesParams());
        vm.startPrank(admin);
        staking.grantRole(staking.SLASHER_ROLE(), address(escrow));
        staking.grantRole(staking.SLASHER_ROLE(), address(disputes));
        disputes.grantRole(disputes.ARBITER_ROLE(), arbiter);
        vm.stopPrank();

        (coordinator, coordinatorKey) = makeAddrAndKey("coordinatorOperator");
        (miner, minerKey) = makeAddrAndKey("minerOperator");
        _registerCoordinator(coordOwner, coordinator, COORDINATOR_MIN);
        _registerMiner(minerOwner, miner, MINER_MIN, 1_000);
    }

    /// @dev The production defaults of Deploy.s.sol.
    function defaultDisputesParams() internal pure returns (DisputesParams memory) {
        return DisputesParams({
            equivocationBps: 3_000,
            finderFeeBps: 500,
            falseAccusationBps: 500,
            accusedShareBps: 5_000,
            maxProposalBps: 5_000,
            disputeBond: uint96(DISPUTE_BOND),
            challengeWindow: uint40(CHALLENGE_WINDOW),
            arbitrationWindow: uint40(ARBITRATION_WINDOW)
        });
    }

    /// @dev `from` (funded here) deposits `amount` for `coordinator_`.
    function _deposit(address from, address coordinator_, uint256 amount) internal {
        cai.transfer(from, amount);
        vm.startPrank(from);
        cai.approve(address(escrow), amount);
        escrow.deposit(coordinator_, amount);
        vm.stopPrank();
    }

    /// @dev A receipt signed with `key` (normally the coordinator operator's).
    function _receipt(uint256 key, address coordinator_, address miner_, uint256 cumulativeAmount)
        internal
        view
        returns (EscrowReceipt memory r, bytes memory sig)
    {
        r = EscrowReceipt(coordinator_, miner_, cumulativeAmount);
        sig = _sign(key, escrow.hashReceipt(r));
    }

    /// @dev A task result for `coordinator_`'s task `taskId` committing to `resultHash`.
    function _result(address coordinator_, bytes32 taskId, bytes32 resultHash)
        internal
        pure
        returns (TaskResult memory)
    {
        return TaskResult({
            coordinator: coordinator_,
            taskId: taskId,
            inputHash: keccak256("input"),
            resultHash: resultHash,
            modelId: "demo-image-v1",
            completedAt: 1_700_000_000
        });
    }

    function _signResult(uint256 key, TaskResult memory result) internal view returns (bytes memory) {
        return _sign(key, disputes.hashTaskResult(result));
    }

    /// @dev The EIP-712 domain separator of `verifyingContract`, written out from the standard.
    function _roostDomainSeparator(address verifyingContract) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256("Roost"),
                keccak256("1"),
                block.chainid,
                verifyingContract
            )
        );
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }
}
