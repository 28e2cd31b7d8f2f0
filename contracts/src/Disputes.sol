// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {DisputesParams, IDisputes, Proposal, ProposalStatus, TaskResult} from "./interfaces/IDisputes.sol";
import {IStaking} from "./interfaces/IStaking.sol";
import {Role, Status} from "./staking/StakingTypes.sol";

/// @title Disputes
/// @notice Slashes miners that cheat. Objective: anyone who holds two TaskResults a miner operator
///         signed for one task (same coordinator, taskId, input and model) with different
///         resultHash proves equivocation; the miner loses `equivocationBps` at once, the finder
///         earns a fee, and the operator key is marked for good (one equivocation slash per key:
///         a stolen key cannot be used to drain the node proof after proof; coordinators refuse
///         marked keys). Subjective: an active coordinator proposes a slash with its evidence; the
///         miner may dispute it with a bond within `challengeWindow`; an ARBITER upholds (the
///         miner is slashed) or rejects (the coordinator is slashed and the miner compensated)
///         within `arbitrationWindow`; an undisputed proposal may be executed for as long after
///         its challenge window. So every proposal ends within challengeWindow + arbitrationWindow,
///         which never exceeds Staking's unbonding period. Whatever a slash does not pay out goes
///         to Staking's treasury.
/// @dev Holds SLASHER_ROLE on Staking, which pays slash proceeds to this contract. The reason
///      recorded in Staking's Slashed event is the taskId for an equivocation and the proposal id
///      for a proposal.
contract Disputes is IDisputes, AccessControl, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
    bytes32 public constant TASK_RESULT_TYPEHASH = keccak256(
        "TaskResult(address coordinator,bytes32 taskId,bytes32 inputHash,bytes32 resultHash,string modelId,uint64 completedAt)"
    );
    uint256 public constant BPS = 10_000;
    uint256 public constant MAX_EVIDENCE_URI_LENGTH = 2048;

    IStaking public immutable staking;
    IERC20 public immutable token;

    DisputesParams private _params;
    Proposal[] private _proposals;
    /// @notice Set once an operator key is slashed for equivocation; it is never slashed for it again.
    mapping(address miner => bool) public equivocated;
    /// @notice Set once a coordinator proposes a slash: keccak256(coordinator, miner, taskId).
    mapping(bytes32 key => bool) public proposed;

    /// @param staking_ the registry whose SLASHER_ROLE this contract must hold.
    /// @param admin receives DEFAULT_ADMIN_ROLE (sets parameters, grants ARBITER_ROLE).
    constructor(IStaking staking_, address admin, DisputesParams memory params_) EIP712("Roost", "1") {
        if (address(staking_) == address(0) || admin == address(0)) revert ZeroAddress();
        staking = staking_;
        token = staking_.token();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setParams(params_);
    }

    // ================================================================= equivocation

    /// @notice Proves that one miner operator signed two different results for one task (the same
    ///         coordinator, taskId, inputHash and modelId), slashes it `equivocationBps`, pays the
    ///         caller `finderFeeBps` of the slash, and marks the key.
    function proveEquivocation(
        TaskResult calldata resultA,
        bytes calldata sigA,
        TaskResult calldata resultB,
        bytes calldata sigB
    ) external nonReentrant returns (uint256 slashed) {
        if (resultA.coordinator != resultB.coordinator || resultA.taskId != resultB.taskId) {
            revert NotSameTask();
        }
        // Different inputs or models legitimately give different results: only one input, run
        // twice, with two answers is a lie (a coordinator reusing a taskId cannot frame a miner).
        if (
            resultA.inputHash != resultB.inputHash
                || keccak256(bytes(resultA.modelId)) != keccak256(bytes(resultB.modelId))
        ) revert NotSameInput();
        if (resultA.resultHash == resultB.resultHash) revert SameResult();
        address miner = ECDSA.recoverCalldata(hashTaskResult(resultA), sigA);
        address signerB = ECDSA.recoverCalldata(hashTaskResult(resultB), sigB);
        if (miner != signerB) revert DifferentSigners(miner, signerB);
        if (equivocated[miner]) revert AlreadyProven(miner);
        _requireMiner(miner);
        equivocated[miner] = true;

        DisputesParams memory p = _params;
        slashed = staking.slash(miner, p.equivocationBps, resultA.taskId);
        uint256 fee = slashed * p.finderFeeBps / BPS;
        if (fee != 0) token.safeTransfer(msg.sender, fee);
        _toTreasury(slashed - fee);
        emit EquivocationProven(miner, resultA.coordinator, resultA.taskId, msg.sender, slashed, fee);
    }

    // ================================================================= proposals

    /// @notice Proposes to slash `bps` of `miner` for `taskId`; the caller is an active
    ///         coordinator's operator. The evidence bundle is served at `evidenceURI`.
    function proposeSlash(
        address miner,
        bytes32 taskId,
        uint16 bps,
        bytes32 evidenceHash,
        string calldata evidenceURI
    ) external returns (uint256 id) {
        (Role role, Status status) = staking.nodeState(msg.sender);
        if (role != Role.Coordinator || status != Status.Active) revert NotActiveCoordinator(msg.sender);
        _requireMiner(miner);
        DisputesParams memory p = _params;
        if (bps == 0 || bps > p.maxProposalBps) revert InvalidBps(bps, p.maxProposalBps);
        if (bytes(evidenceURI).length > MAX_EVIDENCE_URI_LENGTH) {
            revert StringTooLong(bytes(evidenceURI).length, MAX_EVIDENCE_URI_LENGTH);
        }
        bytes32 key = keccak256(abi.encode(msg.sender, miner, taskId));
        if (proposed[key]) revert AlreadyProposed(msg.sender, miner, taskId);
        proposed[key] = true;

        id = _proposals.length;
        uint256 deadline = block.timestamp + p.challengeWindow;
        uint256 end = deadline + p.arbitrationWindow;
        _proposals.push(
            Proposal({
                miner: miner,
                bps: bps,
                status: ProposalStatus.Proposed,
                deadline: uint40(deadline),
                coordinator: msg.sender,
                bond: 0,
                disputer: address(0),
                end: uint40(end),
                taskId: taskId,
                evidenceHash: evidenceHash
            })
        );
        emit SlashProposed(id, msg.sender, miner, taskId, bps, evidenceHash, evidenceURI, deadline);
    }

    /// @notice The proposing coordinator withdraws a proposal within its challenge window, before
    ///         anyone disputed it (later, it must stand and be executed or lapse).
    function cancel(uint256 id) external {
        Proposal storage pr = _proposal(id, ProposalStatus.Proposed);
        if (msg.sender != pr.coordinator) revert NotTheProposer(id, msg.sender);
        if (block.timestamp >= pr.deadline) revert WindowClosed(id, pr.deadline);
        pr.status = ProposalStatus.Cancelled;
        emit ProposalCancelled(id);
    }

    /// @notice The accused miner (its operator or owner) disputes a proposal within the challenge
    ///         window, posting `disputeBond`; the arbiter then has `arbitrationWindow` to resolve
    ///         it, but never beyond the proposal's `end`.
    function dispute(uint256 id) external nonReentrant {
        Proposal storage pr = _proposal(id, ProposalStatus.Proposed);
        if (block.timestamp >= pr.deadline) revert WindowClosed(id, pr.deadline);
        address miner = pr.miner;
        if (msg.sender != miner && msg.sender != staking.getNode(miner).owner) {
            revert NotTheMiner(id, msg.sender);
        }
        DisputesParams memory p = _params;
        uint256 deadline = Math.min(block.timestamp + p.arbitrationWindow, pr.end);
        pr.status = ProposalStatus.Disputed;
        pr.deadline = uint40(deadline);
        pr.disputer = msg.sender;
        pr.bond = p.disputeBond;
        if (p.disputeBond != 0) token.safeTransferFrom(msg.sender, address(this), p.disputeBond);
        emit ProposalDisputed(id, msg.sender, p.disputeBond, deadline);
    }

    /// @notice Anyone executes an undisputed proposal once its challenge window has closed, until
    ///         its `end` (then it lapses: a stale accusation must not slash stake that arrived
    ///         later, and the stake it was about may have left).
    function execute(uint256 id) external nonReentrant returns (uint256 slashed) {
        Proposal storage pr = _proposal(id, ProposalStatus.Proposed);
        if (block.timestamp < pr.deadline) revert WindowOpen(id, pr.deadline);
        if (block.timestamp >= pr.end) revert WindowClosed(id, pr.end);
        pr.status = ProposalStatus.Executed;
        slashed = staking.slash(pr.miner, pr.bps, _reason(id));
        _toTreasury(slashed);
        emit ProposalExecuted(id, slashed);
    }

    /// @notice The arbiter settles a disputed proposal within its window. Upheld: the miner is
    ///         slashed and forfeits its bond. Rejected: the coordinator is slashed
    ///         `falseAccusationBps` and the disputer gets its bond back plus `accusedShareBps` of
    ///         the coordinator's slash.
    function resolve(uint256 id, bool upheld)
        external
        onlyRole(ARBITER_ROLE)
        nonReentrant
        returns (uint256 slashed)
    {
        Proposal storage pr = _proposal(id, ProposalStatus.Disputed);
        if (block.timestamp >= pr.deadline) revert WindowClosed(id, pr.deadline);
        uint256 bond = pr.bond;
        if (upheld) {
            pr.status = ProposalStatus.Upheld;
            slashed = staking.slash(pr.miner, pr.bps, _reason(id));
            _toTreasury(slashed + bond);
            emit DisputeUpheld(id, slashed);
        } else {
            pr.status = ProposalStatus.Rejected;
            DisputesParams memory p = _params;
            slashed = staking.slash(pr.coordinator, p.falseAccusationBps, _reason(id));
            uint256 compensation = slashed * p.accusedShareBps / BPS;
            token.safeTransfer(pr.disputer, bond + compensation);
            _toTreasury(slashed - compensation);
            emit DisputeRejected(id, slashed, compensation);
        }
    }

    /// @notice Anyone ends a proposal that ran out of time: a dispute the arbiter left unresolved
    ///         (the disputer gets its bond back), or an undisputed proposal nobody executed.
    function lapse(uint256 id) external nonReentrant {
        if (id >= _proposals.length) revert ProposalNotFound(id);
        Proposal storage pr = _proposals[id];
        ProposalStatus status = pr.status;
        uint256 end;
        if (status == ProposalStatus.Proposed) end = pr.end;
        else if (status == ProposalStatus.Disputed) end = pr.deadline;
        else revert WrongStatus(id, status);
        if (block.timestamp < end) revert WindowOpen(id, end);
        pr.status = ProposalStatus.Lapsed;
        uint256 bond = pr.bond;
        if (bond != 0) token.safeTransfer(pr.disputer, bond);
        emit ProposalLapsed(id);
    }

    // ================================================================= admin

    /// @notice Sets every parameter. Proposals already made keep their deadlines, end, bps and
    ///         bond; the slash rates and the bond apply to every step taken from now on.
    function setParams(DisputesParams calldata params_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setParams(params_);
    }

    function _setParams(DisputesParams memory p) private {
        if (p.equivocationBps == 0 || p.equivocationBps > BPS) revert InvalidParam("equivocationBps");
        if (p.finderFeeBps > BPS) revert InvalidParam("finderFeeBps");
        if (p.falseAccusationBps == 0 || p.falseAccusationBps > BPS) {
            revert InvalidParam("falseAccusationBps");
        }
        if (p.accusedShareBps > BPS) revert InvalidParam("accusedShareBps");
        if (p.maxProposalBps == 0 || p.maxProposalBps > BPS) revert InvalidParam("maxProposalBps");
        if (p.challengeWindow == 0) revert InvalidParam("challengeWindow");
        if (p.arbitrationWindow == 0) revert InvalidParam("arbitrationWindow");
        // A cheater who unstakes when accused must still be slashable when the dispute ends.
        uint256 windows = uint256(p.challengeWindow) + p.arbitrationWindow;
        uint256 unbonding = staking.unbondingPeriod();
        if (windows > unbonding) revert WindowsExceedUnbonding(windows, unbonding);
        _params = p;
        emit ParamsSet(p);
    }

    // ================================================================= views

    /// @notice The current parameters.
    function params() external view returns (DisputesParams memory) {
        return _params;
    }

    /// @notice Proposal `id`; reverts with ProposalNotFound for an unknown id.
    function getProposal(uint256 id) external view returns (Proposal memory) {
        if (id >= _proposals.length) revert ProposalNotFound(id);
        return _proposals[id];
    }

    /// @notice How many proposals were ever made (ids are 0 .. count-1).
    function proposalCount() external view returns (uint256) {
        return _proposals.length;
    }

    /// @notice The EIP-712 digest a miner operator signs for `result`.
    function hashTaskResult(TaskResult calldata result) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    TASK_RESULT_TYPEHASH,
                    result.coordinator,
                    result.taskId,
                    result.inputHash,
                    result.resultHash,
                    keccak256(bytes(result.modelId)),
                    result.completedAt
                )
            )
        );
    }

    // ================================================================= internals

    function _proposal(uint256 id, ProposalStatus expected) private view returns (Proposal storage pr) {
        if (id >= _proposals.length) revert ProposalNotFound(id);
        pr = _proposals[id];
        if (pr.status != expected) revert WrongStatus(id, pr.status);
    }

    function _requireMiner(address account) private view {
        (Role role, Status status) = staking.nodeState(account);
        if (role != Role.Miner || status == Status.None) revert NotAMiner(account);
    }

    function _toTreasury(uint256 amount) private {
        if (amount != 0) token.safeTransfer(staking.treasury(), amount);
    }

    /// @dev The reason Staking records with a proposal's slash: the proposal id.
    function _reason(uint256 id) private pure returns (bytes32) {
        return bytes32(id);
    }
}
