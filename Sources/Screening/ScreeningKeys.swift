import Matching
import Messages

/// The rescreen prefilter (see `NameIndex+Keys.swift` and DESIGN.md §6): per payment, a set of 32-bit keys that
/// depends on its text alone; per screener, the keys a payment must share with it for any of its list entries
/// to be found in it by name, BIC or identifier. A delta rescreen reads only the stored payments whose keys meet
/// the keys of the screener over the changed entries.
///
/// Rules that do not come from list entries (a BIC's country, indicators) are not keyed: a delta rescreen only
/// looks for hits on changed entries, and screens in full wherever indicators or settings changed.
extension PolicyScreener {
    /// Bump when the keys a payment gets change: a migration must then clear the stored keys.
    public static let screeningKeysVersion = 1

    /// The prefilter keys of a parsed payment, sorted; nil when they cannot bound what may match it (a BIC
    /// with non-ASCII in it, which the BIC maps compare under canonical equivalence).
    public static func screeningKeys(_ payment: Payment) -> [Int32]? {
        var keys = PrefilterKeys()
        for party in payment.parties {
            let lines = party.nameLines + party.addressLines
            NameIndex.textKeys(lines: lines.isEmpty ? party.rawLines : lines, into: &keys)
            IdentifierIndex.candidateKeys(structured: party.identifiers, account: party.account, into: &keys)
            IdentifierIndex.candidateKeys(lines: lines, into: &keys)
            if let bic = party.bic?.uppercased(), bic.utf8.count >= 8 {
                guard let key = bicKey(bic) else { return nil }
                keys.insert(key)
            }
        }
        for text in payment.texts {
            NameIndex.textKeys(lines: text.lines, into: &keys)
            IdentifierIndex.candidateKeys(lines: text.lines, into: &keys)
        }
        return keys.sorted()
    }

    /// The keys of a screener's entries: a payment that shares none of them has no name, BIC or identifier
    /// hit on any of them. Nil when they cannot be bounded (a listed BIC with non-ASCII in it).
    public func queryKeys() -> Set<Int32>? {
        var keys = Set<Int32>()
        sanctionsNames.queryKeys(into: &keys)
        banksNames.queryKeys(into: &keys)
        sanctionsIdentifiers.queryKeys(into: &keys)
        for bic in Array(sanctionsBICs.keys) + Array(banksBICs.keys) where bic.utf8.count >= 8 {
            // A listed BIC of fewer than eight bytes never equals a payment's (which has at least eight).
            guard let key = Self.bicKey(bic) else { return nil }
            keys.insert(key)
        }
        return keys
    }

    /// The key of a BIC's first eight bytes (every lookup of `lookup` is on the same BIC8); nil for non-ASCII.
    static func bicKey(_ bic: String) -> Int32? {
        guard !bic.utf8.contains(where: { $0 >= 0x80 }) else { return nil }
        var bic = bic
        return bic.withUTF8 { NameIndex.storedKey(tag: "\u{2}BIC", bytes: UnsafeBufferPointer(rebasing: $0.prefix(8))) }
    }

    /// The prefilter keys of a stored message; nil when it does not parse (it is then screened by every rescreen).
    public static func screeningKeys(format: String, message: String) -> [Int32]? {
        parse(format: format, message: message).flatMap(screeningKeys)
    }

    static func parse(format: String, message: String) -> Payment? {
        guard let fmt = MessageFormat(rawValue: format) else { return nil }
        return try? MessageParser.parse(format: fmt.rawValue, message: message)
    }

    /// `screen(format:message:)` with the payment's prefilter keys in the decision (nil when it does not parse).
    public func screenRecordingKeys(format: String, message: String) -> Decision {
        var workspace = ScreeningWorkspace(remembering: false)
        return screen(format: format, message: message, recordingKeys: true, workspace: &workspace)
    }
}
