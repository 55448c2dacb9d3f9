/// What happened to one transfer of a batch, by TigerBeetle's names. Listed in the order they are checked: where
/// more than one applies, the first is the answer.
public enum CreateTransferResult: String, Hashable, Sendable, Codable, CaseIterable {
    case created
    case linkedEventFailed = "linked_event_failed"
    case linkedEventChainOpen = "linked_event_chain_open"
    case reservedFlag = "reserved_flag"
    case idMustNotBeZero = "id_must_not_be_zero"
    case idMustNotBeIntMax = "id_must_not_be_int_max"
    case ledgerMustMatch = "ledger_must_match"
    case existsWithDifferentFlags = "exists_with_different_flags"
    case existsWithDifferentPendingID = "exists_with_different_pending_id"
    case existsWithDifferentTimeout = "exists_with_different_timeout"
    case existsWithDifferentDebitAccountID = "exists_with_different_debit_account_id"
    case existsWithDifferentCreditAccountID = "exists_with_different_credit_account_id"
    case existsWithDifferentAmount = "exists_with_different_amount"
    case existsWithDifferentUserData = "exists_with_different_user_data"
    case existsWithDifferentCode = "exists_with_different_code"
    case exists
    case flagsAreMutuallyExclusive = "flags_are_mutually_exclusive"
    case debitAccountIDMustNotBeZero = "debit_account_id_must_not_be_zero"
    case debitAccountIDMustNotBeIntMax = "debit_account_id_must_not_be_int_max"
    case creditAccountIDMustNotBeZero = "credit_account_id_must_not_be_zero"
    case creditAccountIDMustNotBeIntMax = "credit_account_id_must_not_be_int_max"
    case accountsMustBeDifferent = "accounts_must_be_different"
    case pendingIDMustBeZero = "pending_id_must_be_zero"
    case pendingIDMustNotBeZero = "pending_id_must_not_be_zero"
    case pendingIDMustNotBeIntMax = "pending_id_must_not_be_int_max"
    case pendingIDMustBeDifferent = "pending_id_must_be_different"
    case timeoutReservedForPendingTransfer = "timeout_reserved_for_pending_transfer"
    case closingTransferMustBePending = "closing_transfer_must_be_pending"
    case amountMustNotBeZero = "amount_must_not_be_zero"
    case codeMustNotBeZero = "code_must_not_be_zero"
    case debitAccountNotFound = "debit_account_not_found"
    case creditAccountNotFound = "credit_account_not_found"
    case pendingTransferNotFound = "pending_transfer_not_found"
    case pendingTransferNotPending = "pending_transfer_not_pending"
    case pendingTransferHasDifferentDebitAccountID = "pending_transfer_has_different_debit_account_id"
    case pendingTransferHasDifferentCreditAccountID = "pending_transfer_has_different_credit_account_id"
    case pendingTransferHasDifferentCode = "pending_transfer_has_different_code"
    case exceedsPendingTransferAmount = "exceeds_pending_transfer_amount"
    case pendingTransferHasDifferentAmount = "pending_transfer_has_different_amount"
    case pendingTransferAlreadyPosted = "pending_transfer_already_posted"
    case pendingTransferAlreadyVoided = "pending_transfer_already_voided"
    case pendingTransferExpired = "pending_transfer_expired"
    case debitAccountAlreadyClosed = "debit_account_already_closed"
    case creditAccountAlreadyClosed = "credit_account_already_closed"
    case overflowsDebitsPending = "overflows_debits_pending"
    case overflowsCreditsPending = "overflows_credits_pending"
    case overflowsDebitsPosted = "overflows_debits_posted"
    case overflowsCreditsPosted = "overflows_credits_posted"
    case overflowsDebits = "overflows_debits"
    case overflowsCredits = "overflows_credits"
    case overflowsTimeout = "overflows_timeout"
    case exceedsCredits = "exceeds_credits"
    case exceedsDebits = "exceeds_debits"

    /// `created` and `exists` both mean the transfer is in the ledger as asked: a retry after a lost answer is
    /// `exists`, and should be handled as success.
    public var isSuccess: Bool { self == .created || self == .exists }
}

/// What happened to one account of a batch.
public enum CreateAccountResult: String, Hashable, Sendable, Codable, CaseIterable {
    case created
    case reservedFlag = "reserved_flag"
    case idMustNotBeZero = "id_must_not_be_zero"
    case idMustNotBeIntMax = "id_must_not_be_int_max"
    case ledgerMustMatch = "ledger_must_match"
    case existsWithDifferentFlags = "exists_with_different_flags"
    case existsWithDifferentOwner = "exists_with_different_owner"
    case existsWithDifferentName = "exists_with_different_name"
    case existsWithDifferentCode = "exists_with_different_code"
    case exists
    case flagsAreMutuallyExclusive = "flags_are_mutually_exclusive"
    case codeMustNotBeZero = "code_must_not_be_zero"

    public var isSuccess: Bool { self == .created || self == .exists }
}
