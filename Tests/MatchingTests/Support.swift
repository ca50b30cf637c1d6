import Foundation

/// SplitMix64: small, fast, and repeatable from a printed seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Seeds for property tests: a fixed set, plus one from the environment (MATCHING_SEED) to replay a failure.
func propertySeeds(_ count: Int = 8) -> [UInt64] {
    if let s = ProcessInfo.processInfo.environment["MATCHING_SEED"], let v = UInt64(s) { return [v] }
    return (0..<UInt64(count)).map { 0x5EED_0000 &+ $0 &* 7919 }
}

/// `../shared/data` relative to the package root, found from this file's real location.
func sharedDataURL(_ relative: String) -> URL? {
    let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let url = root.deletingLastPathComponent().appendingPathComponent("shared/data").appendingPathComponent(relative)
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
}

/// Minimal CSV reader (RFC 4180 quotes), enough for the shared test files.
func parseCSV(_ text: String) -> [[String]] {
    var rows = [[String]]()
    var row = [String]()
    var field = ""
    var inQuotes = false
    var it = Array(text.unicodeScalars)[...]
    while let c = it.popFirst() {
        if inQuotes {
            if c == "\"" {
                if it.first == "\"" { field.unicodeScalars.append("\""); it.removeFirst() } else { inQuotes = false }
            } else { field.unicodeScalars.append(c) }
        } else if c == "\"" {
            inQuotes = true
        } else if c == "," {
            row.append(field); field = ""
        } else if c == "\n" || c == "\r" {
            if c == "\r" && it.first == "\n" { it.removeFirst() }
            row.append(field); field = ""
            rows.append(row); row = []
        } else {
            field.unicodeScalars.append(c)
        }
    }
    if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
    return rows
}
