import Foundation
import Messages
@testable import Screening
import Testing
import Watchlists

/// Identifier screening: check digits, the list wording → kind table, structured and free-text matches,
/// and the screener end to end (a party with a benign name and a listed identifier is held).
@Suite("identifiers: IMO, LEI, INN, OGRN, passports and other numbers of listed parties")
struct IdentifierTests {
    typealias Checks = IdentifierKind.Checks

    @Test("check digits of real identifiers pass; every other last digit fails")
    func checkDigits() {
        let valid: [(String, (String) -> Bool)] = [
            ("9074729", Checks.isIMO), ("9321483", Checks.isIMO),
            ("7707083893", Checks.isINN), ("7736050003", Checks.isINN), ("500100732259", Checks.isINN),
            ("1027700132195", Checks.isOGRN), ("1027739609391", Checks.isOGRN), ("304500116000157", Checks.isOGRN),
            ("529900T8BM49AURSDO55", Checks.isLEI), ("5493001KJTIIGC8Y1R12", Checks.isLEI), ("253400JT3MQWNDKMJE44", Checks.isLEI),
        ]
        for (value, check) in valid {
            #expect(check(value), "\(value)")
            // One check digit (the last) is determined: the nine other endings all fail.
            let stem = value.dropLast()
            let others = (0...9).map { "\(stem)\($0)" }.filter { $0 != value && check($0) }
            #expect(others.isEmpty, "\(value): also \(others)")
        }
        for bad in ["", "123", "90747290", "ABCDEFG", "770708389X", "1027700132195 ", "529900T8BM49AURSDO5"] {
            #expect(!Checks.isIMO(bad) && !Checks.isINN(bad) && !Checks.isOGRN(bad) && !Checks.isLEI(bad), "\(bad)")
        }
    }

    @Test("generated: a tenth of random seven-digit runs pass the IMO check, and so on; none of the wrong lengths")
    func checkDigitRates() {
        var rng = SystemRandomNumberGenerator()
        var imo = 0, inn = 0, ogrn = 0
        let n = 20_000
        for _ in 0..<n {
            let d = (0..<15).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
            if Checks.isIMO(String(d.prefix(7))) { imo += 1 }
            if Checks.isINN(String(d.prefix(10))) { inn += 1 }
            if Checks.isOGRN(String(d.prefix(13))) { ogrn += 1 }
            #expect(!Checks.isIMO(String(d.prefix(8))) && !Checks.isINN(String(d.prefix(11))) && !Checks.isOGRN(String(d.prefix(14))))
        }
        // About 1 in 10 each (binomial, n = 20,000: 10 % ± 0.7 % at four standard deviations).
        for (name, k) in [("IMO", imo), ("INN", inn), ("OGRN", ogrn)] {
            #expect(abs(Double(k) / Double(n) - 0.1) < 0.012, "\(name): \(k) of \(n)")
        }
    }

    @Test("the lists' wording of identifier types maps to the kinds screened; what is not the party's own is left out",
          arguments: [
              ("Legal Entity Number", "529900T8BM49AURSDO55", IdentifierKind.lei), ("LEI", "529900T8BM49AURSDO55", .lei),
              ("leiCode", "529900T8BM49AURSDO55", .lei), ("IMO", "9074729", .imo), ("Vessel Registration Identification", "IMO 9074729", .imo),
              ("imoNumber", "9074729", .imo), ("MMSI", "273212130", .mmsi), ("Tax ID No.", "7707083893", .inn),
              ("Tax ID No.", "98-7654321", .taxId), ("innCode", "7707083893", .inn), ("taxNumber", "123456789", .taxId),
              ("Registration Number", "1027700132195", .ogrn), ("Registration ID", "HRB 12345", .registration),
              ("ogrnCode", "1027700132195", .ogrn), ("registrationNumber", "CH-123.4.567.890-1", .registration),
              ("Passport", "A1234567", .passport), ("passportNumber", "A1234567", .passport),
              ("National ID No.", "12345678", .nationalId), ("Identification Number", "X1234567", .nationalId),
              ("Digital Currency Address - XBT", "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h", .digitalCurrency),
              ("Cedula No.", "1234567", .nationalId), ("SSN", "123-45-6789", .other), ("Trade License No.", "12345", .other),
              ("D-U-N-S Number", "123456789", .registration), ("uscCode", "91110000100000000X", .registration),
              ("USCC", "91110000100000000X", .registration), ("idNumber", "X1234567", .nationalId),
              ("Número de pasaporte", "A1234567", .passport), ("Numéro de passeport ", "A1234567", .passport),
              ("National passport", "A1234567", .passport), ("National identification no.", "12345678", .nationalId),
          ])
    func classification(type: String, value: String, kind: IdentifierKind) {
        #expect(IdentifierKind.classify(type: type, value: value) == kind)
    }

    @Test("flags, owners, titles, call signs, list reference numbers and BICs are not screened as identifiers",
          arguments: ["Vessel Flag", "Vessel Owner", "Title", "Call Sign", "UN Reference Number", "EU Reference Number", "Gender",
                      "Website", "Email Address", "SWIFT/BIC", "swiftBic", "Nationality Country", "OFSI Group ID", "kppCode",
                      "Aircraft Tail Number", "Chinese Commercial Code", "Organization Established Date", "callSign", "isin", "ISIN",
                      "Government Gazette Number", "Equity Ticker", "Issuer Name", "Target Type", "Secondary sanctions risk:",
                      "Executive Order 13662 Directive Determination -", "Executive Order 14024 Directive Information",
                      "Listing Date (CMIC)"])
    func notScreened(type: String) {
        #expect(IdentifierKind.classify(type: type, value: "ABC1234567") == nil)
    }

    @Test("normalised: upper case, letters and digits only, a written IMO prefix dropped")
    func normalisation() {
        #expect(IdentifierKind.normalize("imo 9074729") == "9074729")
        #expect(IdentifierKind.normalize("IMO9074729") == "9074729")
        #expect(IdentifierKind.normalize("5299 00t8-bm49.aursdo55") == "529900T8BM49AURSDO55")
        #expect(IdentifierKind.normalize("CH-123.4.567.890-1") == "CH12345678901")
        #expect(IdentifierKind.normalize("IMOGEN12") == "IMOGEN12")
    }

    // MARK: - The index

    static func index(_ ids: [EntryIdentifier]) -> IdentifierIndex {
        var index = IdentifierIndex()
        index.add(entry: 0, identifiers: ids)
        return index
    }

    static let listed = index([
        EntryIdentifier(type: "IMO", value: "9074729"), EntryIdentifier(type: "Legal Entity Number", value: "529900T8BM49AURSDO55"),
        EntryIdentifier(type: "Tax ID No.", value: "7707083893", country: "RU"), EntryIdentifier(type: "Registration Number", value: "1027700132195"),
        EntryIdentifier(type: "Passport", value: "1234567"), EntryIdentifier(type: "Passport", value: "AB7654321"),
        EntryIdentifier(type: "Digital Currency Address - XBT", value: "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"),
        EntryIdentifier(type: "Vessel Flag", value: "Russia"), EntryIdentifier(type: "Registration ID", value: "123"),
    ])

    @Test("structured party identifiers match exactly, with or without country and issuer parts")
    func structured() {
        func types(_ ids: [String], account: String? = nil) -> [String] {
            Self.listed.structured(ids, account: account).map(\.ref.typeName)
        }
        #expect(types(["LEI:529900T8BM49AURSDO55"]) == ["LEI"])
        #expect(types(["TXID:7707083893"]) == ["INN"])
        #expect(types(["NIDN:RU/7707083893"]) == ["INN"])
        #expect(types(["TXID/RU/7707083893"]) == ["INN"])
        #expect(types(["CUST:RU/FNS/1027700132195"]) == ["OGRN"])
        #expect(types(["CCPT:1234567"]) == ["Passport"])
        #expect(types([], account: "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h") == ["Digital Currency Address"])
        // Not the party's identifiers, or not listed, or too short to have been indexed.
        #expect(types(["DOB:1970-01-01", "CLR:USABA:7707083893", "BIC:SABRRUMM", "LEI:529900T8BM49AURSDO56", "ID:123"]).isEmpty)
        #expect(types([], account: "7707083893").isEmpty)
    }

    @Test("free text: check digits or a label make an occurrence trustworthy; digits inside longer runs never fire",
          arguments: [
              ("VESSEL MV SEA STAR IMO 9074729", "IMO"), ("IMO9074729 CHARTER", "IMO"), ("IMO: 9074729.", "IMO"),
              ("LEI 529900T8BM49AURSDO55", "LEI"), ("INN 7707083893 KPP 770701001", "INN"), ("ИНН 7707083893", "INN"),
              ("OGRN1027700132195", "OGRN"), ("PASSPORT 1234567", "Passport"), ("PASSPORT NO 1234567", "Passport"),
              ("HOLDER AB7654321 VIA AGENT", "Passport"), ("TO WALLET 12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h", "Digital Currency Address"),
              ("ACCOUNT 40702810077070838930001", nil), ("REF 770708389312", nil), ("INVOICE 1234567", nil), ("PO 9074729X", nil),
              ("ORDER 19074729", nil), ("CONTRACT 77070838 93", nil), ("FLAG RUSSIA", nil), ("REG 123", nil),
          ] as [(String, String?)])
    func freeText(text: String, expected: String?) {
        #expect(Self.listed.scan([text]).map(\.ref.typeName).first == expected, "\(text)")
    }

    @Test("an identifier wrapped at a line end is joined with the next line's first token; separate words are not")
    func wrapped() {
        #expect(Self.listed.scan(["CHARTER OF MV SEA STAR IMO 90747", "29 FOR VOYAGE"]).map(\.ref.typeName) == ["IMO"])
        #expect(Self.listed.scan(["PAYMENT TO LEI 529900T8BM49", "AURSDO55"]).map(\.ref.typeName) == ["LEI"])
        #expect(Self.listed.scan(["PASSPORT 1234", "567"]).map(\.ref.typeName) == ["Passport"])
        // A space at the end of the line, or at the start of the next, separates the words.
        #expect(Self.listed.scan(["CHARTER IMO 90747 ", "29 FOR VOYAGE"]).isEmpty)
        #expect(Self.listed.scan(["CHARTER IMO 90747", " 29 FOR VOYAGE"]).isEmpty)
        #expect(Self.listed.scan(["INVOICE 1234", "567"]).isEmpty)
    }

    @Test("a listed identifier whose own check digit is wrong never fires in free text (only structured)")
    func invalidListedValue() {
        let index = Self.index([EntryIdentifier(type: "IMO", value: "9074720")])
        #expect(index.scan(["IMO 9074720"]).isEmpty)
        #expect(index.structured(["ID:9074720"], account: nil).count == 1)
    }

    // MARK: - The screener

    static let data = ScreeningData(lists: [ScreeningData.LoadedList(source: .ofacSDN, versionId: 1, entries: [
        ListEntry(sourceId: "2001", type: .vessel, names: [EntryName(name: "SEA STAR", kind: "primary", strength: .strong)],
                  identifiers: [EntryIdentifier(type: "Vessel Registration Identification", value: "IMO 9074729")]),
        ListEntry(sourceId: "2002", type: .entity, names: [EntryName(name: "ZORBEX HEAVY INDUSTRIES", kind: "primary", strength: .strong)],
                  identifiers: [EntryIdentifier(type: "Legal Entity Number", value: "529900T8BM49AURSDO55"),
                                EntryIdentifier(type: "Tax ID No.", value: "7707083893", country: "RU"),
                                EntryIdentifier(type: "Passport", value: "AB7654321")]),
    ])], indicators: IndicatorSet())

    @Test("a benign name with a listed identifier is held, and the hit names the identifier's type")
    func screenerHolds() {
        let screener = PolicyScreener(data: Self.data)
        func pacs(_ creditor: String, remittance: String = "INVOICE 22") -> String {
            """
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf><GrpHdr><MsgId>M1</MsgId><NbOfTxs>1</NbOfTxs></GrpHdr>
            <CdtTrfTxInf><PmtId><EndToEndId>E1</EndToEndId></PmtId><IntrBkSttlmAmt Ccy="EUR">10</IntrBkSttlmAmt>
            <Dbtr><Nm>MUELLER GMBH</Nm></Dbtr><DbtrAgt><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></DbtrAgt>
            <CdtrAgt><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId></CdtrAgt>\(creditor)<RmtInf><Ustrd>\(remittance)</Ustrd></RmtInf>
            </CdtTrfTxInf></FIToFICstmrCdtTrf></Document>
            """
        }
        let clean = screener.screen(format: "pacs.008", message: pacs("<Cdtr><Nm>DUPONT SARL</Nm></Cdtr>"))
        #expect(clean.outcome == .release)
        let lei = screener.screen(format: "pacs.008",
                                  message: pacs("<Cdtr><Nm>DUPONT SARL</Nm><Id><OrgId><LEI>529900T8BM49AURSDO55</LEI></OrgId></Id></Cdtr>"))
        #expect(lei.reasons == ["sanctioned_party"])
        #expect(lei.hits.map(\.identifierType) == ["LEI"])
        #expect(lei.hits.first?.entryId == "2002")
        #expect(lei.hits.first?.field == "creditor")
        let othr = screener.screen(format: "pacs.008", message: pacs("""
            <Cdtr><Nm>DUPONT SARL</Nm><Id><OrgId><Othr><Id>7707083893</Id><SchmeNm><Cd>TXID</Cd></SchmeNm></Othr></OrgId></Id></Cdtr>
            """))
        #expect(othr.hits.map(\.identifierType) == ["INN"])
        let person = screener.screen(format: "pacs.008", message: pacs("""
            <Cdtr><Nm>JOHN SMITH</Nm><Id><PrvtId><Othr><Id>AB7654321</Id><SchmeNm><Cd>CCPT</Cd></SchmeNm></Othr></PrvtId></Id></Cdtr>
            """))
        #expect(person.hits.map(\.identifierType) == ["Passport"])
        let text = screener.screen(format: "pacs.008", message: pacs("<Cdtr><Nm>DUPONT SARL</Nm></Cdtr>", remittance: "FREIGHT MV OCEAN IMO 9074729"))
        #expect(text.hits.map(\.identifierType) == ["IMO"])
        #expect(text.hits.first?.explanation.contains("IMO 9074729") == true)
        #expect(text.hits.first?.matched == "9074729")
        let mt = screener.screen(format: "mt103", message: PolicyFixtures.mt103(remittance: ["PAYMENT FOR INN 7707083893"]))
        #expect(mt.hits.map(\.identifierType) == ["INN"])
        // A digit run that is not a valid IMO, or a listed number inside an account, is not a hit.
        for remittance in ["IMO 9074728", "ACC 40702810077070838930001", "INV 907472900"] {
            #expect(screener.screen(format: "mt103", message: PolicyFixtures.mt103(remittance: [remittance])).outcome == .release, "\(remittance)")
        }
    }
}
