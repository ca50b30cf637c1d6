import Foundation
import Harness
import Postgres
import Screening
import Store
import Watchlists


/// The lists a load run or a drill screens against.
///
/// The real OFAC SDN (2024-05-03 with the 2025-12-24 `alt.csv`) and the Russian banks list when `--shared`
/// holds them, otherwise a synthetic OFAC-format list of made-up entities (also what the quick tests use).
struct BenchLists: Sendable {
    var sanctions: ParsedList
    var sanctionsFiles: [ListFile]
    var banks: ParsedList?
    var banksFiles: [ListFile]
    /// `real` or `synthetic`.
    var origin: String

    static func load(mode: String, shared: String) throws -> BenchLists {
        let sdn = shared + "/ofac/sdn_full_2024-05-03/sdn.csv"
        let alt = shared + "/ofac/watchman_2025-12-24/alt.csv"
        let banks = shared + "/russia/russian_bank_bics.csv"
        let haveReal = FileManager.default.fileExists(atPath: sdn) && FileManager.default.fileExists(atPath: alt)
        if mode == "real" && !haveReal { throw BenchFailure("no OFAC files under \(shared)/ofac (use --lists synthetic)") }
        if mode != "synthetic" && haveReal {
            let files = [try ListFile.read(path: sdn), try ListFile.read(path: alt)]
            var out = BenchLists(sanctions: try ListParser.parse(source: .ofacSDN, contents: files), sanctionsFiles: files,
                                 banks: nil, banksFiles: [], origin: "real")
            if FileManager.default.fileExists(atPath: banks) {
                let b = [try ListFile.read(path: banks)]
                out.banks = try ListParser.parse(source: .banks, contents: b)
                out.banksFiles = b
            }
            return out
        }
        let files = [ListFile(name: "sdn.csv", text: synthetic(count: 400)), ListFile(name: "alt.csv", text: "\u{1A}\r\n")]
        let bankFile = ListFile(name: "banks.csv", text: "bic,name\nLENDRUMM,LENDER BANK PJSC\nOTHRRUMM,OTHER BANK AO\n")
        return BenchLists(sanctions: try ListParser.parse(source: .ofacSDN, contents: files), sanctionsFiles: files,
                          banks: try ListParser.parse(source: .banks, contents: [bankFile]), banksFiles: [bankFile],
                          origin: "synthetic")
    }

    /// An OFAC legacy CSV of `count` made-up entities (no real person or company).
    static func synthetic(count: Int) -> String {
        let a = ["VOLK", "ZAR", "KRAS", "BEL", "TOR", "MIR", "GRAN", "SEV", "OST", "DUN", "KAM", "YAR", "LUG", "VYAT", "PECH", "TAG"]
        let b = ["OGRAD", "NEFT", "AVIA", "STAL", "TEKH", "PROM", "MASH", "KHIM", "ENERG", "LES", "FLOT", "TRANS"]
        let c = ["HOLDING", "TRADING", "INDUSTRIES", "SHIPPING", "ELECTRONICS", "PRECISION", "LOGISTICS", "RESOURCES"]
        let forms = ["LLC", "JSC", "OOO", "PJSC", "AO", "LIMITED", "FZE"]
        var out = ""
        var rng = SeededRandom(seed: 42)
        var seen = Set<String>()
        var id = 90_000
        while seen.count < count {
            let name = "\(a.randomElement(using: &rng)!)\(b.randomElement(using: &rng)!) \(c.randomElement(using: &rng)!) \(forms.randomElement(using: &rng)!)"
            guard seen.insert(name).inserted else { continue }
            id += 1
            out += "\(id),\"\(name)\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        }
        return out + "\u{1A}\r\n"
    }

    /// Imports the sanctions list without the entries whose ids are in `excluding` (a distinct version per
    /// exclusion set), and the banks list; returns the sanctions version id. Same code path as `lists import`.
    @discardableResult
    func importLists(_ c: Connection, excluding: Set<String> = [], banksToo: Bool = true) throws -> Int64 {
        var parsed = sanctions
        var files = sanctionsFiles
        if !excluding.isEmpty {
            parsed.entries.removeAll { excluding.contains($0.sourceId) }
            files.append(ListFile(name: "bench-excluded.txt", text: excluding.sorted().joined(separator: "\n")))
        }
        let v = try ListStore.importList(c, parsed: parsed, files: files).versionId
        if banksToo, let banks { _ = try ListStore.importList(c, parsed: banks, files: banksFiles) }
        try ListStore.installDefaultIndicatorsIfMissing(c)
        return v
    }

    /// The screening data the daemon would load, for checking generated payments before they are used.
    func screeningData(excluding: Set<String> = []) -> ScreeningData {
        var lists = [ScreeningData.LoadedList(source: .ofacSDN, versionId: 1,
                                              entries: sanctions.entries.filter { !excluding.contains($0.sourceId) })]
        if let banks { lists.append(.init(source: .banks, versionId: 2, entries: banks.entries)) }
        return ScreeningData(lists: lists, indicators: DefaultIndicators.set)
    }
}

/// Realistic payments: MT103 and pacs.008 in equal shares, ordinary European and US parties, banks and
/// remittance texts, and a share naming a real (or synthetic) sanctioned party taken from the imported list.
///
/// Every pool element is screened once with the daemon's own policy before use: clean names, addresses,
/// banks and remittance texts that would be held are dropped, and sanctioned names the policy would not
/// catch are dropped, so a payment's intended outcome (its reference prefix) is its correct outcome.
struct PaymentGenerator: Sendable {
    struct Party: Sendable { var name: String; var street: String; var town: String; var country: String; var account: String; var bic: String }
    /// A sanctioned name with the list entry it comes from.
    struct ListedName: Sendable { var name: String; var entryId: String }

    private(set) var companies: [String]
    private(set) var persons: [String]
    private(set) var listed: [ListedName]
    private var rng: SeededRandom
    private let banks: [String: [String]] = [
        "DE": ["DEUTDEFFXXX", "COBADEFFXXX"], "FR": ["BNPAFRPPXXX", "SOGEFRPPXXX"], "NL": ["ABNANL2AXXX", "INGBNL2AXXX"],
        "FI": ["NDEAFIHHXXX", "HELSFIHHXXX"], "GB": ["RBOSGB2LXXX", "BARCGB22XXX"], "US": ["CHASUS33XXX", "CITIUS33XXX"],
        "IT": ["UNCRITMMXXX"], "ES": ["BBVAESMMXXX"], "SE": ["ESSESESSXXX"], "CH": ["UBSWCHZHXXX"],
    ]
    private let addresses: [(String, String, String, String)] = [
        ("HAUPTSTRASSE 1", "10115 BERLIN", "DE", "DE89370400440532013000"), ("12 RUE DE LA PAIX", "75002 PARIS", "FR", "FR1420041010050500013M02606"),
        ("KEIZERSGRACHT 100", "1015 AMSTERDAM", "NL", "NL91ABNA0417164300"), ("ALEKSANTERINKATU 19", "00100 HELSINKI", "FI", "FI2112345600000785"),
        ("10 HIGH STREET", "EPPING CM16 4AA", "GB", "GB29NWBK60161331926819"), ("350 FIFTH AVENUE", "NEW YORK NY 10118", "US", "000123456789"),
        ("VIA ROMA 5", "20121 MILANO", "IT", "IT60X0542811101000000123456"), ("CALLE MAYOR 3", "28013 MADRID", "ES", "ES9121000418450200051332"),
        ("DROTTNINGGATAN 50", "111 21 STOCKHOLM", "SE", "SE4550000000058398257466"), ("BAHNHOFSTRASSE 10", "8001 ZURICH", "CH", "CH9300762011623852957"),
    ]
    private(set) var remittances = [
        "INVOICE 2025-0113", "INV 44871 OFFICE SUPPLIES", "RENT OCTOBER 2025", "CONSULTING FEES Q3", "ORDER 5512 FURNITURE",
        "LICENCE RENEWAL 2026", "FREIGHT CHARGES CONTAINER 40FT", "SUBSCRIPTION ANNUAL", "REFUND ORDER 9981", "SERVICE CONTRACT 2025/77",
    ]
    private let currencies = ["EUR", "USD", "GBP", "CHF", "SEK"]

    /// Builds the pools and checks them against `data` with the production screener.
    init(lists: BenchLists, data: ScreeningData, seed: UInt64, maxListed: Int = 3000) {
        rng = SeededRandom(seed: seed)
        let stems = ["MUELLER MASCHINENBAU", "DUPONT ET FILS", "VAN DER BERG LOGISTICS", "NORDIC TIMBER", "HELIOS SOLAR",
                     "BLUE HARBOUR FOODS", "ALPINE DAIRY", "ROSSI CERAMICHE", "GARCIA TEXTILES", "SCHMIDT AUTOTEILE",
                     "LINDQVIST MARINE", "OAKWOOD FURNITURE", "BRIGHTON PRINTING", "JANSSEN BLOEMEN", "MOREAU VINS",
                     "FISCHER OPTIK", "SILVA CORTICA", "OLSEN FISKERI", "MURPHY PLUMBING", "WEBER BAUSTOFFE"]
        let forms = ["GMBH", "SARL", "BV", "OY", "LTD", "SPA", "SA", "AB", "NV", "AG", "PLC", "INC"]
        let first = ["ANNA", "JOHN", "MARIE", "PETER", "LUCA", "SOFIA", "THOMAS", "EMMA", "JAN", "CLAIRE", "DAVID", "LAURA"]
        let last = ["SMITH", "MUELLER", "DUBOIS", "JANSEN", "ROSSI", "NIELSEN", "VIRTANEN", "BROWN", "FISCHER", "BERNARD", "DE VRIES", "WILSON"]
        companies = stems.flatMap { s in forms.prefix(4).map { "\(s) \($0)" } }
        persons = first.flatMap { f in last.map { "\(f) \($0)" } }
        listed = []
        let screener = PolicyScreener(data: data)
        // Clean pools: each element alone in an otherwise clean payment must be released, in both formats.
        func releases(_ name: String, remittance: String = "INVOICE 2025-0113") -> Bool {
            let p = Party(name: name, street: "HAUPTSTRASSE 1", town: "10115 BERLIN", country: "DE", account: "DE89370400440532013000", bic: "DEUTDEFFXXX")
            let q = Party(name: "DUPONT ET FILS SARL", street: "12 RUE DE LA PAIX", town: "75002 PARIS", country: "FR", account: "FR1420041010050500013M02606", bic: "BNPAFRPPXXX")
            return screener.screen(format: "mt103", message: Self.mt103(ref: "CHECK", debtor: q, creditor: p, amount: "100,00", currency: "EUR", remittance: remittance)).outcome == .release
                && screener.screen(format: "pacs.008", message: Self.pacs008(ref: "CHECK", debtor: q, creditor: p, amount: "100.00", currency: "EUR", remittance: remittance)).outcome == .release
        }
        companies = companies.filter { releases($0) }
        persons = persons.filter { releases($0) }
        remittances = remittances.filter { releases("DUPONT ET FILS SARL", remittance: $0) }
        // Sanctioned names: entities and persons (written given names first, as payments do), in the SWIFT X set.
        var candidates = lists.sanctions.entries.filter { $0.type == .entity || $0.type == .person || $0.type == .other }
        candidates.shuffle(using: &rng)
        for e in candidates where listed.count < maxListed {
            var name = e.primaryName
            if e.type == .person, let comma = name.firstIndex(of: ",") {
                name = name[name.index(after: comma)...].trimmingCharacters(in: .whitespaces) + " " + name[..<comma]
            }
            name = Self.xCharset(name)
            let words = name.split(separator: " ")
            guard words.count >= 2, words.count <= 8, name.count >= 8, name.count <= 70 else { continue }
            let p = Party(name: name, street: "HAUPTSTRASSE 1", town: "10115 BERLIN", country: "DE", account: "DE89370400440532013000", bic: "DEUTDEFFXXX")
            let q = Party(name: "DUPONT ET FILS SARL", street: "12 RUE DE LA PAIX", town: "75002 PARIS", country: "FR", account: "FR1420041010050500013M02606", bic: "BNPAFRPPXXX")
            let mt = screener.screen(format: "mt103", message: Self.mt103(ref: "CHECK", debtor: q, creditor: p, amount: "100,00", currency: "EUR", remittance: "INVOICE 1"))
            let mx = screener.screen(format: "pacs.008", message: Self.pacs008(ref: "CHECK", debtor: p, creditor: q, amount: "100.00", currency: "EUR", remittance: "INVOICE 1"))
            if mt.reasons.contains("sanctioned_party") && mx.reasons.contains("sanctioned_party") {
                listed.append(ListedName(name: name, entryId: e.sourceId))
            }
        }
    }

    /// Keeps only listed names that `data` (a list without some entries) does not catch: names that only
    /// their own entry matches, for the import drill.
    mutating func keepListedNamesReleasedBy(_ data: ScreeningData, ids: Set<String>) {
        let screener = PolicyScreener(data: data)
        listed = listed.filter { l in
            guard ids.contains(l.entryId) else { return true }
            let p = Party(name: l.name, street: "HAUPTSTRASSE 1", town: "10115 BERLIN", country: "DE", account: "DE89370400440532013000", bic: "DEUTDEFFXXX")
            let q = Party(name: "DUPONT ET FILS SARL", street: "12 RUE DE LA PAIX", town: "75002 PARIS", country: "FR", account: "FR1420041010050500013M02606", bic: "BNPAFRPPXXX")
            return screener.screen(format: "mt103", message: Self.mt103(ref: "CHECK", debtor: q, creditor: p, amount: "1,00", currency: "EUR", remittance: "INVOICE 1")).outcome == .release
                && screener.screen(format: "pacs.008", message: Self.pacs008(ref: "CHECK", debtor: p, creditor: q, amount: "1.00", currency: "EUR", remittance: "INVOICE 1")).outcome == .release
        }
    }

    /// Uppercase, SWIFT X character set only (`A-Z 0-9 / - ? : ( ) . , ' +` and space), single spaces.
    static func xCharset(_ s: String) -> String {
        let folded = s.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
        var out = ""
        var space = false
        for ch in folded.uppercased().unicodeScalars {
            let ok = (ch >= "A" && ch <= "Z") || (ch >= "0" && ch <= "9") || "/-?:().,'+".unicodeScalars.contains(ch)
            if ok { out.unicodeScalars.append(ch); space = false } else if !space && !out.isEmpty { out += " "; space = true }
        }
        while out.hasSuffix(" ") { out.removeLast() }
        return out
    }

    private mutating func party(name: String) -> Party {
        let a = addresses.randomElement(using: &rng)!
        return Party(name: name, street: a.0, town: a.1, country: a.2, account: a.3, bic: banks[a.2]!.randomElement(using: &rng)!)
    }

    private mutating func cleanName() -> String {
        Bool.random(using: &rng) ? companies.randomElement(using: &rng)! : persons.randomElement(using: &rng)!
    }

    /// A payment naming `listedName` as debtor or creditor (chosen at random), or a clean one when nil.
    mutating func payment(ref: String, naming listedName: String?) -> PaymentRow {
        var debtor = party(name: cleanName())
        var creditor = party(name: cleanName())
        if let listedName {
            if Bool.random(using: &rng) { creditor.name = listedName } else { debtor.name = listedName }
        }
        let cents = Int.random(in: 1_000...25_000_000, using: &rng)
        let currency = currencies.randomElement(using: &rng)!
        let remittance = remittances.randomElement(using: &rng)!
        if Bool.random(using: &rng) {
            return PaymentRow(ref: ref, format: "mt103", message: Self.mt103(
                ref: ref, debtor: debtor, creditor: creditor, amount: "\(cents / 100),\(String(format: "%02d", cents % 100))",
                currency: currency, remittance: remittance))
        }
        return PaymentRow(ref: ref, format: "pacs.008", message: Self.pacs008(
            ref: ref, debtor: debtor, creditor: creditor, amount: "\(cents / 100).\(String(format: "%02d", cents % 100))",
            currency: currency, remittance: remittance))
    }

    /// `count` payments `prefix-0 …`: a `hitShare` of them name a listed party (`H-`), the rest are clean (`C-`).
    mutating func batch(count: Int, hitShare: Double, start: Int = 0) -> [PaymentRow] {
        (start..<start + count).map { i in
            if !listed.isEmpty && Double.random(in: 0..<1, using: &rng) < hitShare {
                return payment(ref: "H-\(i)", naming: listed.randomElement(using: &rng)!.name)
            }
            return payment(ref: "C-\(i)", naming: nil)
        }
    }

    /// Lines of at most 35 characters, cut at a space where one is near (real MT line wrapping).
    static func mtLines(_ s: String, max: Int = 35) -> [String] {
        var out: [String] = []
        var rest = Substring(s)
        while rest.count > max {
            let head = rest.prefix(max)
            let cut = head.lastIndex(of: " ").map { rest.distance(from: rest.startIndex, to: $0) } ?? max
            let n = cut >= max / 2 ? cut : max
            out.append(String(rest.prefix(n)))
            rest = rest.dropFirst(n).drop { $0 == " " }
        }
        if !rest.isEmpty { out.append(String(rest)) }
        return out
    }

    static func mt103(ref: String, debtor: Party, creditor: Party, amount: String, currency: String, remittance: String) -> String {
        let r20 = String(xCharset(ref).replacingOccurrences(of: " ", with: "").suffix(16))
        var s = "{1:F01\(debtor.bic.prefix(8))AXXX0000000000}{2:I103\(creditor.bic.prefix(8))XXXXN}{3:{121:\(UUID().uuidString.lowercased())}}{4:\r\n"
        s += ":20:\(r20)\r\n:23B:CRED\r\n:32A:251017\(currency)\(amount)\r\n"
        s += ":50K:/\(debtor.account)\r\n" + (mtLines(debtor.name).prefix(2) + [debtor.street, "\(debtor.town) \(debtor.country)"]).joined(separator: "\r\n") + "\r\n"
        s += ":52A:\(debtor.bic)\r\n:57A:\(creditor.bic)\r\n"
        s += ":59:/\(creditor.account)\r\n" + (mtLines(creditor.name).prefix(2) + [creditor.street, "\(creditor.town) \(creditor.country)"]).joined(separator: "\r\n") + "\r\n"
        s += ":70:\(remittance)\r\n:71A:SHA\r\n-}"
        return s
    }

    static func xmlEscape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&apos;")
    }

    static func pacs008(ref: String, debtor: Party, creditor: Party, amount: String, currency: String, remittance: String) -> String {
        func agent(_ tag: String, _ bic: String) -> String { "<\(tag)><FinInstnId><BICFI>\(bic)</BICFI></FinInstnId></\(tag)>" }
        func party(_ tag: String, _ p: Party) -> String {
            "<\(tag)><Nm>\(xmlEscape(p.name))</Nm><PstlAdr><StrtNm>\(p.street)</StrtNm><TwnNm>\(p.town)</TwnNm><Ctry>\(p.country)</Ctry></PstlAdr></\(tag)>"
        }
        let id = xmlEscape(ref)
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <Envelope xmlns="urn:swift:xsd:envelope"><AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02"><Fr><FIId><FinInstnId><BICFI>\(debtor.bic)</BICFI></FinInstnId></FIId></Fr><To><FIId><FinInstnId><BICFI>\(creditor.bic)</BICFI></FinInstnId></FIId></To><BizMsgIdr>\(id)</BizMsgIdr><MsgDefIdr>pacs.008.001.08</MsgDefIdr><CreDt>2025-10-17T09:00:00Z</CreDt></AppHdr>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf><GrpHdr><MsgId>\(id)</MsgId><CreDtTm>2025-10-17T09:00:00Z</CreDtTm><NbOfTxs>1</NbOfTxs><SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf></GrpHdr>
            <CdtTrfTxInf><PmtId><InstrId>\(id)</InstrId><EndToEndId>\(id)</EndToEndId><UETR>\(UUID().uuidString.lowercased())</UETR></PmtId><IntrBkSttlmAmt Ccy="\(currency)">\(amount)</IntrBkSttlmAmt><IntrBkSttlmDt>2025-10-17</IntrBkSttlmDt><ChrgBr>SHAR</ChrgBr>
            \(agent("InstgAgt", debtor.bic))\(agent("InstdAgt", creditor.bic))\(party("Dbtr", debtor))<DbtrAcct><Id><Othr><Id>\(debtor.account)</Id></Othr></Id></DbtrAcct>\(agent("DbtrAgt", debtor.bic))\(agent("CdtrAgt", creditor.bic))\(party("Cdtr", creditor))<CdtrAcct><Id><Othr><Id>\(creditor.account)</Id></Othr></Id></CdtrAcct><RmtInf><Ustrd>\(xmlEscape(remittance))</Ustrd></RmtInf></CdtTrfTxInf></FIToFICstmrCdtTrf></Document></Envelope>
            """
    }

    /// Hostile or broken input, always to be held as unparseable: junk, cut-off messages, unknown formats,
    /// entity-expansion bombs, deep nesting, huge text.
    mutating func garbage(ref: String) -> PaymentRow {
        let clean = payment(ref: ref, naming: nil)
        switch Int.random(in: 0..<10, using: &rng) {
        case 0:
            var s = ""
            for _ in 0..<Int.random(in: 1...400, using: &rng) {
                s.unicodeScalars.append(Unicode.Scalar(UInt8.random(in: 1...126, using: &rng)))
            }
            return PaymentRow(ref: ref, format: Bool.random(using: &rng) ? "mt103" : "pacs.008", message: s)
        case 1:
            return PaymentRow(ref: ref, format: clean.format, message: String(clean.message.prefix(clean.message.count / 3)))
        case 2:
            return PaymentRow(ref: ref, format: "mt999", message: clean.message)
        case 3:
            let bomb = """
                <?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\
                <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">\
                <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol9 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">]>\
                <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf><CdtTrfTxInf><Cdtr><Nm>&lol9;</Nm></Cdtr></CdtTrfTxInf></FIToFICstmrCdtTrf></Document>
                """
            return PaymentRow(ref: ref, format: "pacs.008", message: bomb)
        case 4:
            let depth = 20_000
            return PaymentRow(ref: ref, format: "pacs.008", message: String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth))
        case 5:
            return PaymentRow(ref: ref, format: "pacs.008", message: "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Document>&x;</Document>")
        case 6:
            return PaymentRow(ref: ref, format: "mt103", message: "{1:F01" + String(repeating: "A", count: 200_000))
        case 7:
            return PaymentRow(ref: ref, format: "pacs.008", message: "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\"><FIToFICstmrCdtTrf>" + String(repeating: "<CdtTrfTxInf attr=\"", count: 3))
        case 8:
            return PaymentRow(ref: ref, format: "pacs.008", message: " ")
        default:
            return PaymentRow(ref: ref, format: Bool.random(using: &rng) ? "MT103" : "fin", message: clean.message)
        }
    }

    mutating func uniform(_ n: Int) -> Int { Int.random(in: 0..<max(1, n), using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
}
