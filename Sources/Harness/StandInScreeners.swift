import Screening

/// A stand-in screener for tests and benchmarks of the queue (not the product's policy): fails closed on unknown formats and
/// empty messages, holds any BIC with country code RU in an MT header or agent field, releases the rest.
public struct BasicScreener: PaymentScreener {
    static let formats: Set<String> = ["mt103", "mt202", "mt202cov", "pacs.008", "pacs.009"]
    public init() {}

    public func screen(format: String, message: String) -> Decision {
        guard Self.formats.contains(format) else {
            return .failClosed(.unparseable, error: "unknown format")
        }
        if message.allSatisfy({ $0.isWhitespace }) {
            return .failClosed(.unparseable, error: "empty message")
        }
        var hits: [Hit] = []
        for token in message.split(whereSeparator: { !($0.isLetter || $0.isNumber) }) {
            let t = Array(token.utf8)
            // 8- or 11-char BICs, or 12-char LT addresses from MT headers (after the 3-char block prefix).
            let candidates: [ArraySlice<UInt8>] = [t[...], t.count > 3 ? t[3...] : []]
            for c in candidates where c.count == 8 || c.count == 11 || c.count == 12 {
                let b = Array(c)
                if b[0..<6].allSatisfy({ $0 >= 65 && $0 <= 90 }) && b[4] == 82 && b[5] == 85 {
                    let bic = String(decoding: b.prefix(c.count == 12 ? 8 : c.count), as: UTF8.self)
                    hits.append(Hit(kind: .russianLender, field: "agent", matched: bic, score: 1,
                                    explanation: "BIC \(bic) has country code RU"))
                }
            }
        }
        return Decision(hits: hits)
    }
}

/// The bare-queue baseline: every payment released without looking at it.
public struct ReleaseAll: PaymentScreener {
    public init() {}
    public func screen(format: String, message: String) -> Decision { .release }
}
