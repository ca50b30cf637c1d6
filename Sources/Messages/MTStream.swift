/// Reads a stream of SWIFT MT messages as banks' systems write them (RJE files).
public enum MTStream {
    /// Splits an RJE batch (messages separated by `$`) into FIN messages, dropping ACK/NAK service messages.
    ///
    /// A service message (`{1:F21...}{4:{177:...}{451:0}}`) may stand alone between two `$` or be glued in front
    /// of the message it acknowledges; either way only the user message is returned. Segments that are blank
    /// are skipped; anything else is returned as is (trimmed), so that the parser, not the splitter, decides
    /// whether it is a valid message. `$` cannot occur inside a FIN text block (it is not in the X set).
    public static func split(_ text: String) -> [String] {
        var out: [String] = []
        for segment in text.split(separator: "$", omittingEmptySubsequences: true) {
            var rest = Substring(segment)
            while let first = rest.firstIndex(where: { !$0.isWhitespace }) {
                rest = rest[first...]
                guard isServiceMessage(rest) else { break }
                // Skip the service message: its block 1 and every block up to the next block 1.
                let afterHeader = rest.index(rest.startIndex, offsetBy: 3)
                guard let next = rest[afterHeader...].firstRange(of: "{1:") else {
                    rest = rest[rest.endIndex...]
                    break
                }
                rest = rest[next.lowerBound...]
            }
            let trimmed = rest.trimmingWhitespace()
            if !trimmed.isEmpty { out.append(String(trimmed)) }
        }
        return out
    }

    /// Whether the text starts with a basic header of service 21 (ACK/NAK): `{1:F21`, `{1:A21`, `{1:L21`.
    static func isServiceMessage(_ s: Substring) -> Bool {
        let u = Array(s.utf8.prefix(6))
        guard u.count == 6, u[0] == UInt8(ascii: "{"), u[1] == UInt8(ascii: "1"), u[2] == UInt8(ascii: ":") else { return false }
        return u[4] == UInt8(ascii: "2") && u[5] == UInt8(ascii: "1")
    }
}

extension Substring {
    /// The substring without leading and trailing whitespace and line breaks.
    func trimmingWhitespace() -> Substring {
        guard let start = firstIndex(where: { !$0.isWhitespace }), let end = lastIndex(where: { !$0.isWhitespace }) else {
            return self[endIndex...]
        }
        return self[start...end]
    }
}
