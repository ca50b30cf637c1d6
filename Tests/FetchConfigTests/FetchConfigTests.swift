import FetchConfig
import Foundation
import Testing

@Suite("lists.toml: the fetch config file")
struct FetchConfigTests {
    static let known = ["ofac-sdn", "ofac-cons", "csl", "un", "eu", "uk", "opensanctions", "banks"]

    static func parse(_ text: String) throws(FetchConfigError) -> FetchConfig {
        try FetchConfig.parse(text, file: "lists.toml", knownSources: known)
    }

    /// Expects `text` refused with a message containing `containing`, at `line` and `key` when given.
    static func refused(_ text: String, line: Int? = nil, key: String? = nil, containing: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try parse(text)
            Issue.record("accepted", sourceLocation: sourceLocation)
        } catch {
            #expect(error.description.contains(containing), "\(error)", sourceLocation: sourceLocation)
            if let line { #expect(error.line == line, "\(error)", sourceLocation: sourceLocation) }
            if let key { #expect(error.key == key, "\(error)", sourceLocation: sourceLocation) }
            #expect(error.description.hasPrefix("lists.toml"), sourceLocation: sourceLocation)
        }
    }

    @Test("a full config: defaults, overrides, several files, names, formats and checksums")
    func fullConfig() throws {
        let sha = String(repeating: "ab", count: 32)
        let config = try Self.parse("""
            [defaults]
            proxy = "http://proxy.bank.example:3128"
            timeout_seconds = 60
            max_shrink_percent = 2.5

            [sources.ofac-sdn]
            files = [
              { url = "https://www.treasury.gov/ofac/downloads/SDN.CSV", sha256 = "\(sha.uppercased())" },
              { url = "https://www.treasury.gov/ofac/downloads/alt.csv", checksum_url = "https://example.org/alt.csv.sha256" },
            ]
            max_bytes = 1_000_000

            [sources.eu]
            url = "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=T"
            format = "xml"
            timeout_seconds = 900
            """)
        #expect(config.sources.map(\.name) == ["eu", "ofac-sdn"])
        let eu = config.sources[0], sdn = config.sources[1]
        #expect(eu.format == .xml)
        #expect(eu.files.map(\.name) == ["content.xml"])
        #expect(eu.timeoutSeconds == 900)
        #expect(eu.maxBytes == FetchConfig.defaultMaxBytes)
        #expect(eu.proxy?.absoluteString == "http://proxy.bank.example:3128")
        #expect(sdn.format == .csv)
        #expect(sdn.files.map(\.name) == ["sdn.csv", "alt.csv"])
        #expect(sdn.files[0].sha256 == sha)
        #expect(sdn.files[1].checksumURL?.absoluteString == "https://example.org/alt.csv.sha256")
        #expect(sdn.maxBytes == 1_000_000)
        #expect(sdn.timeoutSeconds == 60)
        #expect(sdn.maxShrinkPercent == 2.5)
    }

    @Test("broken TOML is refused with its line")
    func syntax() {
        Self.refused("[sources.un]\nurl = \"https://a.example/x.xml\"\nfiles = [1,\n", line: 3, containing: "not valid TOML")
        Self.refused("[sources.un]\nurl = https://a.example/x.xml\n", line: 2, containing: "lists.toml:2")
    }

    @Test("unknown keys, sources and formats are refused, naming the key and the table's line")
    func unknownNames() {
        Self.refused("# lists\n\n[sources.un]\nurl = \"https://a.example/x.xml\"\nchecksum_ulr = \"https://a.example/x.sha\"\n",
                     line: 3, key: "sources.un.checksum_ulr", containing: "unknown key 'checksum_ulr'")
        Self.refused("[sources.ofac]\nurl = \"https://a.example/x.xml\"\n", line: 1, key: "sources.ofac", containing: "unknown list source 'ofac'")
        Self.refused("[sources.indicators]\nurl = \"https://a.example/x.csv\"\n", containing: "unknown list source 'indicators'")
        Self.refused("[sources.un]\nurl = \"https://a.example/x\"\nformat = \"yaml\"\n", key: "sources.un.format", containing: "'yaml' is not a format")
        Self.refused("[defaults]\nretries = 3\n[sources.un]\nurl = \"https://a.example/x.xml\"\n", line: 1, key: "defaults.retries",
                     containing: "unknown key")
        Self.refused("[source.un]\nurl = \"https://a.example/x.xml\"\n", key: "source", containing: "unknown key 'source'")
    }

    @Test("URLs: https only (plain http only to loopback), with a host")
    func urls() throws {
        Self.refused("[sources.un]\nurl = \"http://scsanctions.un.org/consolidated.xml\"\n", line: 1, key: "sources.un.url",
                     containing: "plain http")
        Self.refused("[sources.un]\nurl = \"ftp://a.example/x.xml\"\n", key: "sources.un.url", containing: "is not a https/http URL")
        Self.refused("[sources.un]\nurl = \"not a url\"\n", key: "sources.un.url", containing: "not a https/http URL")
        Self.refused("[sources.un]\nformat = \"xml\"\n", key: "sources.un.url", containing: "missing")
        Self.refused("[sources.un]\nurl = \"https://a.example/x.xml\"\nproxy = \"proxy:3128\"\n", key: "sources.un.proxy", containing: "proxy")
        let local = try Self.parse("[sources.un]\nurl = \"http://127.0.0.1:8080/un.xml\"\n")
        #expect(local.sources[0].files[0].url.absoluteString == "http://127.0.0.1:8080/un.xml")
    }

    @Test("values out of range, bad checksums, ambiguous files and a config with nothing to fetch are refused")
    func values() {
        let u = "url = \"https://a.example/x.xml\"\n"
        Self.refused("[sources.un]\n\(u)timeout_seconds = 0\n", key: "sources.un.timeout_seconds", containing: "between")
        Self.refused("[sources.un]\n\(u)timeout_seconds = \"60\"\n", key: "sources.un.timeout_seconds", containing: "must be a number")
        Self.refused("[sources.un]\n\(u)max_bytes = -1\n", key: "sources.un.max_bytes", containing: "whole number")
        Self.refused("[sources.un]\n\(u)max_shrink_percent = 150\n", key: "sources.un.max_shrink_percent", containing: "percentage")
        Self.refused("[sources.un]\n\(u)sha256 = \"abc\"\n", key: "sources.un.sha256", containing: "64 hexadecimal")
        Self.refused("[sources.un]\n\(u)sha256 = \"\(String(repeating: "0", count: 64))\"\nchecksum_url = \"https://a.example/s\"\n",
                     key: "sources.un", containing: "not both")
        Self.refused("[sources.un]\n\(u)files = [{ url = \"https://a.example/y.xml\" }]\n", key: "sources.un", containing: "either url")
        Self.refused("[sources.un]\nfiles = []\n", key: "sources.un.files", containing: "empty")
        Self.refused("[sources.un]\nfiles = [\"https://a.example/y.xml\"]\n", key: "sources.un.files[1]", containing: "must be a table")
        Self.refused("[sources.un]\nfiles = [{ url = \"https://a.example/y.xml\", sha = \"x\" }]\n", key: "sources.un.files[1].sha",
                     containing: "unknown key")
        Self.refused("[sources.ofac-sdn]\nfiles = [{ url = \"https://a.example/a/sdn.csv\" }, { url = \"https://b.example/sdn.csv\" }]\n",
                     key: "sources.ofac-sdn.files", containing: "same name")
        Self.refused("[sources.un]\nurl = \"https://a.example/download\"\n", key: "sources.un.format", containing: "cannot tell the format")
        Self.refused("[sources.un]\nurl = \"https://a.example/x.csv\"\nname = \"un.csv\"\nformat = \"xml\"\n", key: "sources.un.name",
                     containing: "does not end in .xml")
        Self.refused("[sources.un]\nurl = \"https://a.example/x.xml\"\nname = \"../x.xml\"\n", key: "sources.un.name", containing: "not a file name")
        Self.refused("# nothing yet\n", key: "sources", containing: "nothing to fetch")
        Self.refused("[sources]\n", key: "sources", containing: "nothing to fetch")
    }

    @Test("a checksum file's hash is found in sha256sum output and as a bare hash")
    func checksumText() {
        let h = String(repeating: "0f", count: 32)
        #expect(FetchConfig.checksumFromText("\(h)  sdn.csv\n") == h)
        #expect(FetchConfig.checksumFromText(h.uppercased()) == h)
        #expect(FetchConfig.checksumFromText("SHA256 (sdn.csv) = \(h)\n") == h)
        #expect(FetchConfig.checksumFromText("no hash here") == nil)
        #expect(FetchConfig.checksumFromText(String(h.dropLast())) == nil)
    }

    @Test("the shipped example, uncommented, is a valid config naming every published source")
    func shippedExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("systemd/lists.toml.example"), encoding: .utf8)
        // As commented out, it configures nothing (a bank chooses its sources).
        #expect(throws: FetchConfigError.self) { try Self.parse(text) }
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("#") && !line.hasPrefix("# ") && line != "#" ? String(line.dropFirst()) : String(line)
        }.joined(separator: "\n")
        let config = try Self.parse(uncommented)
        #expect(config.sources.map(\.name) == ["csl", "eu", "ofac-cons", "ofac-sdn", "opensanctions", "uk", "un"])
        #expect(config.sources.allSatisfy { $0.files.allSatisfy { $0.url.scheme == "https" } })
        #expect(config.sources.first { $0.name == "ofac-sdn" }?.files.map(\.name) == ["sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"])
        #expect(config.sources.first { $0.name == "eu" }?.files.map(\.name) == ["eu-fsf.xml"])
        #expect(config.sources.first { $0.name == "opensanctions" }?.maxBytes == 2_147_483_648)
    }
}
