import Messages
import Testing

/// One refused MT message: what it is, the input, and the error code expected.
struct MTRefusal: CustomTestStringConvertible, Sendable {
    var what: String
    var format = "mt103"
    var message: String
    var code: MessageParseError.Code
    var testDescription: String { what }
}

private func replacing(_ index: Int, with lines: [String], in fields: [String] = mt103Fields) -> [String] {
    var f = fields
    f.replaceSubrange(index...index, with: lines)
    return f
}

private func removing(_ prefix: String, from fields: [String] = mt103Fields) -> [String] {
    var out: [String] = []
    var skipping = false
    for line in fields {
        if line.hasPrefix(":") { skipping = line.hasPrefix(prefix) }
        if !skipping { out.append(line) }
    }
    return out
}

let mtRefusals: [MTRefusal] = {
    let good = mt(mt103Fields)
    return [
        MTRefusal(what: "empty", message: "", code: .empty),
        MTRefusal(what: "whitespace only", message: " \r\n\t ", code: .empty),
        MTRefusal(what: "random binary", message: "\u{1}\u{FF}ЉфДð<³Ќх\u{0}", code: .malformedBlocks),
        MTRefusal(what: "text without blocks", message: ":20:REF\r\n:32A:250101EUR1,", code: .malformedBlocks),
        MTRefusal(what: "truncated after block 4 opens", message: String(good.prefix(good.count - 200)), code: .truncated),
        MTRefusal(what: "no -} at the end", message: String(good.dropLast("-}{5:{CHK:41CFE2F8AEB6}}".count)), code: .truncated),
        MTRefusal(what: "truncated inside block 1", message: "{1:F01BANKDEFF", code: .truncated),
        MTRefusal(what: "block 3 not closed", message: "{1:F01BANKDEFFAXXX0000000000}{2:I103BANKGB2LXXXXN}{3:{121:abc}",
                  code: .truncated),
        MTRefusal(what: "missing block 2", message: good.replacingFirst("{2:I103BANKGB2LXXXXN}", with: ""), code: .malformedBlocks),
        MTRefusal(what: "missing block 1", message: good.replacingFirst("{1:F01BANKDEFFAXXX0000000000}", with: ""), code: .malformedBlocks),
        MTRefusal(what: "missing block 4", message: "{1:F01BANKDEFFAXXX0000000000}{2:I103BANKGB2LXXXXN}", code: .malformedBlocks),
        MTRefusal(what: "blocks out of order", message: "{2:I103BANKGB2LXXXXN}{1:F01BANKDEFFAXXX0000000000}{4:\r\n:20:X\r\n-}",
                  code: .malformedBlocks),
        MTRefusal(what: "unknown block", message: good.replacingFirst("{3:", with: "{7:"), code: .malformedBlocks),
        MTRefusal(what: "text after the last block", message: good + "hello", code: .malformedBlocks),
        MTRefusal(what: "bad logical terminal", message: good.replacingFirst("BANKDEFFAXXX", with: "bank-eff_xxx"), code: .malformedBlocks),
        MTRefusal(what: "ACK service message", message: "{1:F21BANKDEFFAXXX0000000000}{4:{177:1704260717}{451:0}}",
                  code: .wrongMessageType),
        MTRefusal(what: "MT202 given as mt103", message: mt(mt202Fields, type: "202"), code: .wrongMessageType),
        MTRefusal(what: "MT103 given as mt202", format: "mt202", message: good, code: .wrongMessageType),
        MTRefusal(what: "missing 20", message: mt(removing(":20:")), code: .missingField),
        MTRefusal(what: "missing 32A", message: mt(removing(":32A:")), code: .missingField),
        MTRefusal(what: "missing 50a", message: mt(removing(":50K:")), code: .missingField),
        MTRefusal(what: "missing 59a", message: mt(removing(":59:")), code: .missingField),
        MTRefusal(what: "MT202 missing 21", format: "mt202", message: mt(removing(":21:", from: mt202Fields), type: "202"),
                  code: .missingField),
        MTRefusal(what: "MT202 missing 58a", format: "mt202", message: mt(removing(":58A:", from: mt202Fields), type: "202"),
                  code: .missingField),
        MTRefusal(what: "MT202COV without sequence B", format: "mt202cov", message: mt(mt202Fields, type: "202"), code: .missingField),
        MTRefusal(what: "MT202 with customer fields but no COV flag", format: "mt202",
                  message: mt(mt202Fields + [":50K:SOMEONE", ":59:SOMEONE ELSE"], type: "202"), code: .invalidField),
        MTRefusal(what: "MT202COV sequence A field after sequence B", format: "mt202cov",
                  message: mt(mt202Fields + [":50K:SOMEONE", ":59:SOMEONE ELSE", ":58A:BANKUS33"], type: "202"), code: .invalidField),
        MTRefusal(what: "unknown tag", message: mt(replacing(1, with: [":23B:CRED", ":99Z:HELLO"])), code: .invalidField),
        MTRefusal(what: "tag not in MT103 (58A)", message: mt(replacing(1, with: [":23B:CRED", ":58A:BANKUS33"])), code: .invalidField),
        MTRefusal(what: "77T envelope not supported", message: mt(replacing(1, with: [":23B:CRED", ":77T:/NARR/X"])), code: .invalidField),
        MTRefusal(what: "repeated 59", message: mt(mt103Fields + [":59:/1", "SOMEONE ELSE"]), code: .invalidField),
        MTRefusal(what: "repeated 71A", message: mt(mt103Fields + [":71A:OUR"]), code: .invalidField),
        MTRefusal(what: "repeated 23B", message: mt(replacing(1, with: [":23B:CRED", ":23B:SPAY"])), code: .invalidField),
        MTRefusal(what: "50K and 50F together", message: mt(mt103Fields + [":50F:/1", "1/SOMEONE"]), code: .invalidField),
        MTRefusal(what: "malformed tag", message: mt(replacing(1, with: [":23B:CRED", ":5X:HELLO"])), code: .invalidField),
        MTRefusal(what: "empty field", message: mt(replacing(1, with: [":23B:CRED", ":70:"])), code: .invalidField),
        MTRefusal(what: "line starting with '-'", message: mt(replacing(10, with: [":71A:SHA", ":70:A", "-B"])), code: .invalidField),
        MTRefusal(what: "name line over 35", message: mt(replacing(4, with: [String(repeating: "A", count: 36)])), code: .invalidField),
        MTRefusal(what: "five name lines", message: mt(replacing(4, with: ["A", "B", "C", "D", "E"]).filter { $0 != "1 HIGH STREET" && $0 != "LONDON" }
            + []), code: .invalidField),
        MTRefusal(what: "account line over 35", message: mt(replacing(3, with: [":50K:/" + String(repeating: "1", count: 35)])),
                  code: .invalidField),
        MTRefusal(what: "70 with five lines", message: mt(mt103Fields + [":70:A", "B", "C", "D", "E"]), code: .invalidField),
        MTRefusal(what: "72 line over 35", message: mt(mt103Fields + [":72:/" + String(repeating: "X", count: 35)]), code: .invalidField),
        MTRefusal(what: "20 over 16", message: mt(replacing(0, with: [":20:" + String(repeating: "R", count: 17)])), code: .invalidField),
        MTRefusal(what: "20 on two lines", message: mt(replacing(0, with: [":20:REF", "MORE"])), code: .invalidField),
        MTRefusal(what: "amount without comma", message: mt(replacing(2, with: [":32A:250101EUR1234"])), code: .invalidField),
        MTRefusal(what: "amount with point", message: mt(replacing(2, with: [":32A:250101EUR1234.56"])), code: .invalidField),
        MTRefusal(what: "amount with two commas", message: mt(replacing(2, with: [":32A:250101EUR1,234,56"])), code: .invalidField),
        MTRefusal(what: "lower-case currency", message: mt(replacing(2, with: [":32A:250101eur1234,56"])), code: .invalidField),
        MTRefusal(what: "bad date", message: mt(replacing(2, with: [":32A:2501X1EUR1234,56"])), code: .invalidField),
        MTRefusal(what: "option A without a BIC", message: mt(mt103Fields + [":57A:NOT A BIC"]), code: .invalidField),
        MTRefusal(what: "option A with lower-case BIC", message: mt(mt103Fields + [":57A:bankdeff"]), code: .invalidField),
        MTRefusal(what: "option F free line", message: mt(replacing(3, with: [":50F:/1", "1/NAME", "FREE TEXT"])
            .filter { $0 != "JOHN SMITH" && $0 != "1 HIGH STREET" && $0 != "LONDON" }), code: .invalidField),
        MTRefusal(what: "Cyrillic in block 4", message: mt(replacing(4, with: ["ИВАНОВ"])), code: .invalidCharacters),
        MTRefusal(what: "'&' in block 4", message: mt(replacing(4, with: ["SMITH & SONS"])), code: .invalidCharacters),
        MTRefusal(what: "'{' in block 4", message: mt(replacing(4, with: ["SMITH {X}"])), code: .invalidCharacters),
        MTRefusal(what: "NUL in block 4", message: mt(replacing(4, with: ["SMITH\u{0}"])), code: .invalidCharacters),
        MTRefusal(what: "tab in block 4", message: mt(replacing(4, with: ["SMITH\tJOHN"])), code: .invalidCharacters),
        MTRefusal(what: "bare CR in block 4", message: mt(replacing(4, with: ["SMITH\rJOHN"])), code: .invalidCharacters),
        MTRefusal(what: "text before the first field", message: mt(["HELLO"] + mt103Fields), code: .invalidField),
        MTRefusal(what: "too large", message: mt(mt103Fields + Array(repeating: ":70:X", count: 1)) + String(repeating: " ", count: 70_000),
                  code: .tooLarge),
    ]
}()

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let r = firstRange(of: target) else { return self }
        return replacingCharacters(in: r, with: replacement)
    }
}

@Suite("MT parser: fails closed")
struct MTErrorTests {
    @Test("the fixture itself parses")
    func fixtureParses() {
        #expect(parseError("mt103", mt(mt103Fields)) == nil)
        #expect(parseError("mt202", mt(mt202Fields, type: "202")) == nil)
    }

    @Test("refused with a typed error", arguments: mtRefusals)
    func refused(_ r: MTRefusal) {
        let error = parseError(r.format, r.message)
        #expect(error?.code == r.code, "\(error?.description ?? "parsed")")
        if let error {
            #expect(!error.reason.isEmpty && error.reason.utf8.count <= 80)
        }
    }

    @Test("unknown format values are refused", arguments: ["mt999", "MT103", "mt103+", "pacs.002", "camt.053", "", "swift", "xml"])
    func unknownFormat(_ format: String) {
        #expect(parseError(format, mt(mt103Fields))?.code == .unknownFormat)
    }

    @Test("error reasons never echo message text")
    func reasonsDoNotLeak() {
        let secret = "ZQXSECRETNAMEQZX"
        let inputs = [
            mt(replacing(4, with: [secret + secret + secret])),
            mt(replacing(1, with: [":23B:CRED", ":99Z:" + secret])),
            mt(replacing(4, with: [secret + "Ж"])),
            mt(replacing(2, with: [":32A:250101EUR" + secret])),
            mt(mt103Fields + [":57A:" + secret]),
            "{1:F01" + secret + "}",
            secret,
        ]
        for input in inputs {
            let error = parseError("mt103", input)
            #expect(error != nil)
            #expect(!(error?.description.contains("SECRET") ?? false), "\(error?.description ?? "")")
        }
    }
}
