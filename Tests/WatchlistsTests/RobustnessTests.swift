import Testing
@testable import Watchlists

/// Damaged inputs never crash a parser: each one either parses or is refused with a ListFileError that names
/// the file. Mutations are generated from repeatable seeds, printed with any failure.
@Suite("Robustness on damaged input")
struct RobustnessTests {
    /// SplitMix64: small, repeatable, good enough to pick offsets.
    struct RNG {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    }

    static let samples: [(ListSource, String, String)] = [
        (.ofacSDN, "sdn.csv", OFACFixture.sdn),
        (.ofacSDN, "sdn.xml", OtherFixtures.sdnXML),
        (.csl, "csl.csv", CSLFixture.text),
        (.un, "un.xml", UNFixture.xml),
        (.eu, "eu.xml", OtherFixtures.euXML),
        (.uk, "uk.xml", OtherFixtures.ukXML),
        (.openSanctions, "x.json", OtherFixtures.ftm),
        (.banks, "banks.csv", "bic,name\nSABRRUMM,SBERBANK\nVTBRRUMM,\"VTB, PJSC\"\n"),
        (.indicators, "ind.csv", IndicatorsTests.sample),
    ]

    static let interesting: [UInt8] = Array("<>&;\"',\r\n\u{1A}!-[]?/=#".utf8) + [0x00, 0xC3, 0xFF, 0xE2, 0x80]

    @Test(arguments: 0..<9)
    func mutatedFixturesNeverCrash(sample: Int) {
        let (source, name, text) = Self.samples[sample]
        let original = Array(text.utf8)
        for seed in UInt64(1)...200 {
            var rng = RNG(state: seed &* 7919 &+ UInt64(sample))
            var bytes = original
            switch rng.below(4) {
            case 0: bytes = Array(bytes.prefix(rng.below(bytes.count)))  // truncate
            case 1:  // overwrite a few bytes
                for _ in 0...rng.below(4) where !bytes.isEmpty {
                    bytes[rng.below(bytes.count)] = Self.interesting[rng.below(Self.interesting.count)]
                }
            case 2:  // delete a span
                if bytes.count > 2 {
                    let a = rng.below(bytes.count - 1)
                    bytes.removeSubrange(a..<min(bytes.count, a + 1 + rng.below(40)))
                }
            default:  // duplicate a span
                if bytes.count > 2 {
                    let a = rng.below(bytes.count - 1)
                    bytes.insert(contentsOf: bytes[a..<min(bytes.count, a + 1 + rng.below(80))], at: rng.below(bytes.count))
                }
            }
            do {
                _ = try ListParser.parse(source: source, contents: [ListFile(name: name, bytes: bytes)])
            } catch {
                #expect(error.file == name, "seed \(seed)")
                #expect(!error.message.isEmpty, "seed \(seed)")
                if let l = error.line { #expect(l >= 1, "seed \(seed)") }
            }
        }
    }

    @Test func emptyFilesAreRefused() throws {
        for (source, name, _) in Self.samples {
            let e = try #require(expectRefused(source, [file(name, "")]), "\(source)")
            #expect(e.file == name)
        }
        // A well-formed file with no entries is refused too: it would empty the list.
        #expect(try #require(expectRefused(.banks, [file("b.csv", "bic,name\n")])).message.contains("no entries"))
        #expect(try #require(expectRefused(.un, [file("u.xml", "<CONSOLIDATED_LIST/>")])).message.contains("no entries"))
    }
}
