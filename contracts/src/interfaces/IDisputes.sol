// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A miner's signed commitment to a task's result (EIP-712, domain "Roost" v1, verifying
///         contract Disputes). `inputHash` and `resultHash` are keccak256 of the canonical JSON
///         input and of the result bytes.
struct TaskResult {
    address coordinator;
    bytes32 taskId;
    bytes32 inputHash;
    bytes32 resultHash;
    string modelId;
    uint64 completedAt;
}

/// @notice Where a slash proposal stands. Proposed -> Executed | Cancelled | Disputed | Lapsed;
///         Disputed -> Upheld | Rejected | Lapsed.
enum ProposalStatus {
    None,
    Proposed,
    Disputed,
    Executed,
    Cancelled,
    Upheld,
    Rejected,
    Lapsed
}

/// @notice A coordinator's proposal to slash a miner for a task. `deadline` ends the challenge
///         window while Proposed, and the arbiter's window once Disputed. `end` (creation +
///         challengeWindow + arbitrationWindow, fixed when made) is when it lapses at the latest,
///         whatever the admin later does to the windows.
struct Proposal {
    address miner;
    uint16 bps;
    ProposalStatus status;
    uint40 deadline;
    address coordinator;
    uint96 bond;
    address disputer;
    uint40 end;
    bytes32 taskId;
    bytes32 evidenceHash;
}

/// @notice Every parameter of Disputes; all fit one storage slot. Basis points are of 10,000.
struct DisputesParams {
    /// @notice Share of a miner's stake slashed for a proven equivocation.
    uint16 equivocationBps;
    /// @notice Share of an equivocation slash paid to whoever proved it.
    uint16 finderFeeBps;
    /// @notice Share of a coordinator's stake slashed when its proposal is rejected.
    uint16 falseAccusationBps;
    /// @notice Share of that slash paid to the wrongly accused miner's disputer, on top of its bond.
    uint16 accusedShareBps;
    /// @notice The largest slash a coordinator may propose.
    uint16 maxProposalBps;
    /// @notice CAI a miner posts to dispute a proposal.
    uint96 disputeBond;
    /// @notice How long a miner has to dispute a proposal.
    uint40 challengeWindow;
    /// @notice How long the arbiter has to resolve a dispute before it lapses in the miner's favour.
    uint40 arbitrationWindow;
}

/// @title IDisputes
/// @notice Slashing of miners that cheat: objective proofs of equivocation, and coordinators'
///         proposals that a miner may dispute before an arbiter.
interface IDisputes {
    // ---------------------------------------------------------------- events

    /// @notice `finder` proved that `miner` signed two results for one task; `slashed` was taken
    ///         from its stake, `finderFee` of it paid to the finder and the rest to the treasury.
    event EquivocationProven(
        address indexed miner,
        address indexed coordinator,
        bytes32 indexed taskId,
        address finder,
        uint256 slashed,
        uint256 finderFee
    );
    /// @notice `coordinator` proposed to slash `bps` of `miner` for `taskId`; the miner may dispute
    ///         it until `deadline`. The evidence bundle is at `evidenceURI` and hashes to `evidenceHash`.
    event SlashProposed(
        uint256 indexed id,
        address indexed coordinator,
        address indexed miner,
        bytes32 taskId,
        uint16 bps,
        bytes32 evidenceHash,
        string evidenceURI,
        uint256 deadline
    );
    /// @notice The proposer withdrew proposal `id` before it was disputed or executed.
    event ProposalCancelled(uint256 indexed id);
    /// @notice `disputer` disputed proposal `id`, posting `bond`; the arbiter has until `deadline`.
    event ProposalDisputed(uint256 indexed id, address indexed disputer, uint256 bond, uint256 deadline);
    /// @notice Undisputed proposal `id` was executed after its window: `slashed` went to the treasury.
    event ProposalExecuted(uint256 indexed id, uint256 slashed);
    /// @notice The arbiter upheld disputed proposal `id`: the miner lost `slashed` and its bond.
    event DisputeUpheld(uint256 indexed id, uint256 slashed);
    /// @notice The arbiter rejected proposal `id`: the coordinator lost `slashed`, of which
    ///         `compensation` (plus the bond back) went to the disputer.
    event DisputeRejected(uint256 indexed id, uint256 slashed, uint256 compensation);
    /// @notice Proposal `id` ran out of time (nobody executed it, or the arbiter did not resolve its
    ///         dispute): it failed, and any bond went back to the disputer.
    event ProposalLapsed(uint256 indexed id);
    /// @notice The parameters changed (they apply to proposals and disputes from now on).
    event ParamsSet(DisputesParams params);

    // ---------------------------------------------------------------- errors

    /// @notice An address argument is zero.
    error ZeroAddress();
    /// @notice The two results are not for the same coordinator and task.
    error NotSameTask();
    /// @notice The two results commit to the same resultHash: that is not equivocation.
    error SameResult();
    /// @notice The two results were signed by different keys.
    error DifferentSigners(address signerA, address signerB);
    /// @notice This operator key was already slashed for equivocation (once per key).
    error AlreadyProven(address miner);
    /// @notice The two results are for different inputs or models: different results are expected.
    error NotSameInput();
    /// @notice The address is not the operator of a registered miner.
    error NotAMiner(address account);
    /// @notice Only the operator of a registered, unjailed coordinator may propose a slash.
    error NotActiveCoordinator(address account);
    /// @notice This coordinator already proposed a slash of this miner for this task.
    error AlreadyProposed(address coordinator, address miner, bytes32 taskId);
    /// @notice A proposal's bps must be between 1 and `maxProposalBps`.
    error InvalidBps(uint256 bps, uint256 maximum);
    /// @notice The evidence URI is too long.
    error StringTooLong(uint256 length, uint256 maxLength);
    /// @notice No proposal has this id.
    error ProposalNotFound(uint256 id);
    /// @notice The proposal is not in the status this step needs.
    error WrongStatus(uint256 id, ProposalStatus status);
    /// @notice The window for this step (challenge, arbitration or execution) closed at `deadline`.
    error WindowClosed(uint256 id, uint256 deadline);
    /// @notice This step must wait until `deadline` (the end of a window).
    error WindowOpen(uint256 id, uint256 deadline);
    /// @notice Only the accused miner's operator or owner may dispute.
    error NotTheMiner(uint256 id, address caller);
    /// @notice Only the proposing coordinator may cancel.
    error NotTheProposer(uint256 id, address caller);
    /// @notice A parameter is out of range: `name` says which.
    error InvalidParam(string name);
    /// @notice Disputes must be settled while the stake is still slashable: the challenge and
    ///         arbitration windows together may not exceed Staking's unbonding period.
    error WindowsExceedUnbonding(uint256 windows, uint256 unbondingPeriod);

    // ---------------------------------------------------------------- actions

    function proveEquivocation(
        TaskResult calldata resultA,
        bytes calldata sigA,
        TaskResult calldata resultB,
        bytes calldata sigB
    ) external returns (uint256 slashed);
    function proposeSlash(
        address miner,
        bytes32 taskId,
        uint16 bps,
        bytes32 evidenceHash,
        string calldata evidenceURI
    ) external returns (uint256 id);
    function cancel(uint256 id) external;
    function dispute(uint256 id) external;
    function execute(uint256 id) external returns (uint256 slashed);
    function resolve(uint256 id, bool upheld) external returns (uint256 slashed);
    function lapse(uint256 id) external;

    // ---------------------------------------------------------------- views

    function getProposal(uint256 id) external view returns (Proposal memory);
    function proposalCount() external view returns (uint256);
    function hashTaskResult(TaskResult calldata result) external view returns (bytes32);
}
