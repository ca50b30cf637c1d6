import Foundation
import Messages
import Testing

/// Where the shared sample data lives: `../shared/data/messages` beside the package root.
enum SharedData {
    /// Package root derived from this file's path (`<root>/Tests/MessagesTests/Support.swift`).
    static let messages: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("../shared/data/messages").standardized.path
    }()

    /// The public test deck, `../shared/testdeck/deck.jsonl`.
    static let deck: String = URL(fileURLWithPath: messages).appendingPathComponent("../../testdeck/deck.jsonl").standardized.path

    static var available: Bool { FileManager.default.fileExists(atPath: messages + "/manifest.csv") }

    static let skipNote: Comment = "shared sample messages not found at ../shared/data/messages (beside the package root)"

    static func read(_ relative: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: messages + "/" + relative)), as: UTF8.self)
    }

    static func files(_ folder: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: messages + "/" + folder)
            .filter { $0.hasSuffix(suffix) }.sorted().map { folder + "/" + $0 }
    }

    /// `manifest.csv` rows as file → kind (the second column); kinds with commas are quoted.
    static func manifestKinds() throws -> [String: String] {
        var out: [String: String] = [:]
        for line in try read("manifest.csv").split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2 else { continue }
            var kind = String(fields[1])
            if kind.hasPrefix("\"") { kind = String(line.split(separator: "\"")[1]) }
            out[String(fields[0])] = kind
        }
        return out
    }
}

/// Parses and returns the error, or nil when the message parsed.
func parseError(_ format: String, _ message: String) -> MessageParseError? {
    do {
        _ = try MessageParser.parse(format: format, message: message)
        return nil
    } catch {
        return error
    }
}

extension Payment {
    /// The parties with a role, in message order.
    func parties(_ role: String) -> [Party] { parties.filter { $0.role == role } }
    func party(_ role: String) -> Party? { parties.first { $0.role == role } }
    func text(_ field: String) -> [String] { texts.filter { $0.field == field }.flatMap(\.lines) }
}

/// Every role name the parsers may produce (Party.role's vocabulary plus the documented additions).
let roleVocabulary: Set<String> = {
    let base = [
        "ordering_customer", "beneficiary", "debtor", "creditor", "ultimate_debtor", "ultimate_creditor", "initiating_party",
        "sender", "receiver", "sending_institution", "ordering_institution", "senders_correspondent", "receivers_correspondent",
        "third_reimbursement_institution", "intermediary", "account_with_institution", "beneficiary_institution",
        "debtor_agent", "creditor_agent", "intermediary_agent_1", "intermediary_agent_2", "intermediary_agent_3",
        "instructing_agent", "instructed_agent", "previous_instructing_agent_1", "previous_instructing_agent_2",
        "previous_instructing_agent_3", "debtor_institution", "creditor_institution", "instructing_reimbursement_agent",
        "instructed_reimbursement_agent", "third_reimbursement_agent", "charges_agent",
    ]
    // ISO free texts of a party, agent or account block that are not its own name or address (contact details,
    // issuers, account holder names), screened as a party of their own.
    let contacts = base.map { $0 + "_contact" }
    return Set(base + contacts + (base + contacts).map { "underlying_" + $0 })
}()

/// Builds an MT message from its text-block lines, with CRLF line ends unless told otherwise.
func mt(_ fields: [String], type: String = "103", block1: String = "{1:F01BANKDEFFAXXX0000000000}",
        block2: String? = nil, block3: String? = "{3:{121:1fa0dc26-b52e-4c29-8a7b-6baf070dc389}}",
        trailer: String = "{5:{CHK:41CFE2F8AEB6}}", eol: String = "\r\n") -> String {
    let b2 = block2 ?? "{2:I\(type)BANKGB2LXXXXN}"
    return block1 + b2 + (block3 ?? "") + "{4:" + eol + fields.joined(separator: eol) + eol + "-}" + trailer
}

/// A minimal valid MT103 text block.
let mt103Fields = [
    ":20:REF123", ":23B:CRED", ":32A:250101EUR1234,56",
    ":50K:/DE89370400440532013000", "JOHN SMITH", "1 HIGH STREET", "LONDON",
    ":59:/GB29NWBK60161331926819", "ACME TRADING LTD", "BERLIN",
    ":71A:SHA",
]

/// A minimal valid MT202 text block.
let mt202Fields = [":20:REF202", ":21:REL202", ":32A:250101USD1000,", ":58A:BANKUS33XXX"]
