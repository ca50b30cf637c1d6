import Messages
@testable import Screening
import Testing
import Watchlists

/// Small hand-made lists: every rule of the default policy has a case that must hold and one that must not.
enum PolicyFixtures {
    static let sanctions = ScreeningData.LoadedList(source: .ofacSDN, versionId: 1, entries: [
        ListEntry(sourceId: "1001", type: .entity, names: [
            EntryName(name: "VOLGA PRECISION INSTRUMENTS LLC", kind: "primary", strength: .strong),
            EntryName(name: "VPI", kind: "weak_aka", strength: .weak),
        ]),
        ListEntry(sourceId: "1002", type: .person, names: [EntryName(name: "KARPENKO, Dmitri Alexandrovich", kind: "primary", strength: .strong)]),
        ListEntry(sourceId: "1003", type: .entity, names: [EntryName(name: "GOLDEN HORIZON TRADING FZE", kind: "primary", strength: .strong)],
                  bics: ["GHTRAEAD"]),
        ListEntry(sourceId: "1004", type: .entity, names: [
            EntryName(name: "NOVGORODSKAYA AKKUMULYATORNAYA KOMPANIYA", kind: "primary", strength: .strong),
            EntryName(name: "NOVAK OOO", kind: "weak_aka", strength: .weak),
        ]),
        ListEntry(sourceId: "1005", type: .entity, names: [EntryName(name: "KAMAPRESS", kind: "primary", strength: .strong)]),
        ListEntry(sourceId: "1006", type: .entity, names: [EntryName(name: "KOTI CORP", kind: "primary", strength: .strong)]),
    ])
    static let banks = ScreeningData.LoadedList(source: .banks, versionId: 2, entries: [
        ListEntry(sourceId: "LENDRUMM", type: .bank, names: [EntryName(name: "LENDER BANK PJSC", kind: "primary", strength: .strong)],
                  bics: ["LENDRUMM"], countries: ["RU"]),
        ListEntry(sourceId: "IIBMHU22", type: .bank, names: [EntryName(name: "INTERNATIONAL INVESTMENT BANK", kind: "primary", strength: .strong)],
                  bics: ["IIBMHU22"], countries: ["RU"]),
    ])
    static let indicators = IndicatorSet(
        keywords: [.init(text: "INTEGRATED CIRCUITS", language: "en"), .init(text: "PROCESSORS", language: "en"),
                   .init(text: "МИКРОСХЕМЫ", language: "ru"), .init(text: "ENTEGRE DEVRE", language: "tr")],
        hsCodes: [.init(code: "854231", tier: "1", description: "processors"), .init(code: "901420", tier: "3.B", description: "navigation")],
        countrySets: ["risk": ["RU", "BY"], "transshipment": ["KZ", "AE", "AM"]],
        exclusions: [.init(text: "FOOD PROCESSORS", language: "en")])
    static let data = ScreeningData(lists: [sanctions, banks], indicators: indicators)

    static func mt103(orderingBIC: String = "DEUTDEFF", receiver: String = "BNPAFRPPXXX", beneficiary: [String] = ["/FR76300040", "DUPONT SARL", "PARIS"],
                      accountWith: String = "BNPAFRPP", intermediary: String? = nil, remittance: [String] = ["INVOICE 2211"]) -> String {
        var s = "{1:F01\(orderingBIC)AXXX0000000000}{2:I103\(receiver)N}{4:\r\n:20:REF1\r\n:23B:CRED\r\n:32A:251017EUR100,00\r\n"
        s += ":50K:/DE89370400440532013000\r\nMUELLER GMBH\r\nBERLIN\r\n"
        if let intermediary { s += ":56A:\(intermediary)\r\n" }
        s += ":57A:\(accountWith)\r\n:59:" + beneficiary.joined(separator: "\r\n") + "\r\n"
        s += ":70:" + remittance.joined(separator: "\r\n") + "\r\n:71A:SHA\r\n-}"
        return s
    }
}

@Suite("the default screening policy")
struct PolicyTests {
    let screener = PolicyScreener(data: PolicyFixtures.data)

    func decide(_ message: String, format: String = "mt103") -> Decision { screener.screen(format: format, message: message) }

    @Test("a clean payment is released with no hits")
    func clean() {
        let d = decide(PolicyFixtures.mt103())
        #expect(d.outcome == .release)
        #expect(d.hits.isEmpty)
    }

    @Test("sanctioned_party: the beneficiary's name, whatever its legal form, names the entry")
    func sanctionedName() {
        let d = decide(PolicyFixtures.mt103(beneficiary: ["/KZ123", "OOO VOLGA PRECISION INSTRUMENTS", "MOSCOW"]))
        #expect(d.outcome == .hold)
        #expect(d.reasons.contains("sanctioned_party"))
        let hit = d.hits.first { $0.kind == .sanctionedParty }
        #expect(hit?.field == "beneficiary")
        #expect(hit?.list == "ofac-sdn")
        #expect(hit?.entryId == "1001")
        #expect(hit?.entryName == "VOLGA PRECISION INSTRUMENTS LLC")
        #expect((hit?.score ?? 0) > 0.9)
        #expect(hit?.explanation.contains("1001") == true)
    }

    @Test("sanctioned_party: a person written first name first")
    func personReordered() {
        let d = decide(PolicyFixtures.mt103(beneficiary: ["/DE11", "DMITRI ALEXANDROVICH KARPENKO", "VIENNA"]))
        #expect(d.hits.contains { $0.kind == .sanctionedParty && $0.entryId == "1002" })
    }

    @Test("sanctioned_party: a listed BIC as an agent, 8 or 11 characters")
    func sanctionedBIC() {
        for bic in ["GHTRAEAD", "GHTRAEADXXX", "GHTRAEAD123"] {
            let d = decide(PolicyFixtures.mt103(accountWith: bic))
            #expect(d.hits.contains { $0.kind == .sanctionedParty && $0.entryId == "1003" && $0.field == "account_with_institution" }, "\(bic)")
        }
    }

    @Test("a listed BIC is found however it is written: the BIC8 prefilter never hides a listing")
    func bicPrefilterIsExact() {
        let list = ScreeningData.LoadedList(source: .ofacSDN, versionId: 1, entries: [
            ListEntry(sourceId: "2001", type: .entity, names: [EntryName(name: "KARAKUM LOGISTICS", kind: "primary", strength: .strong)],
                      bics: ["KRKMTMA1", "KRKMAEADXXX"]),
        ])
        let s = PolicyScreener(data: ScreeningData(lists: [list], indicators: PolicyFixtures.indicators))
        func listed(_ bic: String) -> Bool {
            let p = Payment(format: .pacs008, parties: [
                Party(role: "creditor_agent", kind: .agent, sourceField: "CdtrAgt", bic: bic),
            ])
            return s.screen(p).hits.contains { $0.kind == .sanctionedParty && $0.entryId == "2001" }
        }
        // 8, its 11-character form with XXX, any branch of it; an 11-character listing from its BIC8.
        for bic in ["KRKMTMA1", "KRKMTMA1XXX", "KRKMTMA1ABC", "krkmtma1", "KRKMAEAD", "KRKMAEADXXX"] { #expect(listed(bic), "\(bic)") }
        // The Kelvin sign is K to string equality (canonical equivalence), though not byte for byte.
        #expect(listed("\u{212A}R\u{212A}MTMA1"))
        for bic in ["KRKMTMA2", "KRKMAEADABC", "KRKMAEA", "XRKMTMA1"] { #expect(!listed(bic), "\(bic)") }
    }

    @Test("sanctioned_party: a name in the remittance text")
    func nameInRemittance() {
        let d = decide(PolicyFixtures.mt103(remittance: ["PAYMENT ON BEHALF OF GOLDEN HORIZON", "TRADING FZE INV 7"]))
        #expect(d.hits.contains { $0.kind == .sanctionedParty && $0.entryId == "1003" && $0.field == "remittance" })
    }

    @Test("sanctioned_party: a one-token a.k.a. only as the party's whole name; a primary one-token name anywhere")
    func singleTokenAliases() {
        func held(_ beneficiary: [String], remittance: [String] = ["INVOICE 2211"]) -> Bool {
            decide(PolicyFixtures.mt103(beneficiary: beneficiary, remittance: remittance)).reasons.contains("sanctioned_party")
        }
        #expect(held(["/PL123", "NOWAK", "UL. DLUGA 43", "WARSZAWA"]))
        #expect(held(["/PL123", "NOWAK OOO", "WARSZAWA"]))
        #expect(!held(["/PL123", "PIOTR NOWAK", "UL. DLUGA 43", "WARSZAWA"]))
        #expect(!held(["/PL123", "VIRORAT NOWAK SA", "WARSZAWA"]))
        #expect(!held(["/PL123", "NOWAK AB", "STOCKHOLM"]))
        #expect(held(["/PL123", "DUPONT SARL", "PARIS"], remittance: ["GOODS FROM KAMAPRESS"]))
        #expect(!held(["/PL123", "KALROSANTEKS LLC", "PARIS"], remittance: ["GOODS FROM KAMAPRESSA"]))
    }

    @Test("sanctioned_party: a short name with its legal form, in its family, wrapped or not")
    func shortNames() {
        func held(_ beneficiary: [String]) -> Bool {
            decide(PolicyFixtures.mt103(beneficiary: beneficiary)).reasons.contains("sanctioned_party")
        }
        #expect(held(["/PL123", "KOTI CORPORATION", "WARSZAWA"]))
        #expect(held(["/PL123", "KOTI CO", "RP", "WARSZAWA"]))
        #expect(!held(["/PL123", "KOTI GMBH", "WARSZAWA"]))
        #expect(!held(["/PL123", "KOTI", "WARSZAWA"]))
    }

    @Test("the primary name is the entry's first name or one marked primary; a.k.a.s are not")
    func primaryNames() {
        #expect(PolicyScreener.isPrimary(EntryName(name: "X", kind: "primary", strength: .strong), at: 0))
        #expect(PolicyScreener.isPrimary(EntryName(name: "X", kind: "original_script", strength: .strong), at: 3))
        #expect(!PolicyScreener.isPrimary(EntryName(name: "X", kind: "aka", strength: .strong), at: 1))
        #expect(!PolicyScreener.isPrimary(EntryName(name: "X", kind: "weak_aka", strength: .weak), at: 1))
        #expect(PolicyScreener.isPrimary(EntryName(name: "X", kind: "", strength: .strong), at: 0))
    }

    @Test("russian_lender: RU in BIC characters 5-6 anywhere in the chain, and only there")
    func russianBIC() {
        #expect(decide(PolicyFixtures.mt103(accountWith: "ABCDRUMM")).reasons.contains("russian_lender"))
        #expect(decide(PolicyFixtures.mt103(intermediary: "ABCDRUMMXXX")).reasons.contains("russian_lender"))
        #expect(decide(PolicyFixtures.mt103(receiver: "ABCDRU2PXXX")).reasons.contains("russian_lender"))
        // RU elsewhere in the BIC is not Russia.
        #expect(decide(PolicyFixtures.mt103(accountWith: "RUBKDEFF")).outcome == .release)
        #expect(decide(PolicyFixtures.mt103(accountWith: "ABCDDERU")).outcome == .release)
        #expect(decide(PolicyFixtures.mt103(accountWith: "ABCDDEFFRU1")).outcome == .release)
    }

    @Test("russian_lender: a bank of the banks list, even with a foreign BIC")
    func banksList() {
        let d = decide(PolicyFixtures.mt103(accountWith: "IIBMHU22"))
        let hit = d.hits.first { $0.kind == .russianLender }
        #expect(hit?.list == "banks")
        #expect(hit?.entryName == "INTERNATIONAL INVESTMENT BANK")
    }

    @Test("military_end_use: a CHPL code or keyword with risky geography holds")
    func endUse() {
        let kz = ["/KZ75125KZT2069100100", "ALMATY ELECTRONICS TOO", "ALMATY"]
        for text in ["GOODS HS 8542.31", "854231 QTY 100", "8542 31", "GTIP 8542.31.00.00.00", "HS 85423100", "INTEGRATED CIRCUITS LOT 7", "PROCESSORS",
                     // on stems: singular, Russian case endings (transliterated), Turkish suffixes
                     "INTEGRATED CIRCUIT LOT 7", "1 PROCESSOR", "MIKROSKHEM 10 SHT", "POSTAVKA MIKROSKHEMAMI", "ENTEGRE DEVRELERIN",
                     "HTS 8542.31.3579", "TN VED 8542.31.900.0"] {
            let d = decide(PolicyFixtures.mt103(beneficiary: kz, remittance: [text]))
            #expect(d.reasons.contains("military_end_use"), "\(text)")
        }
    }

    @Test("military_end_use: Russian Cyrillic keywords in pacs text")
    func cyrillicKeyword() {
        let xml = """
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf><GrpHdr><MsgId>M1</MsgId><CreDtTm>2025-10-17T09:44:00</CreDtTm><NbOfTxs>1</NbOfTxs><SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf></GrpHdr>
            <CdtTrfTxInf><PmtId><InstrId>I1</InstrId><EndToEndId>E1</EndToEndId></PmtId><IntrBkSttlmAmt Ccy="EUR">10</IntrBkSttlmAmt><IntrBkSttlmDt>2025-10-17</IntrBkSttlmDt><ChrgBr>SHAR</ChrgBr>
            <InstgAgt><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></InstgAgt><InstdAgt><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId></InstdAgt>
            <Dbtr><Nm>MUELLER GMBH</Nm></Dbtr><DbtrAgt><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></DbtrAgt>
            <CdtrAgt><FinInstnId><BICFI>HSBCHKHH</BICFI></FinInstnId></CdtrAgt><Cdtr><Nm>WING TAT LTD</Nm><PstlAdr><Ctry>HK</Ctry></PstlAdr></Cdtr>
            <RmtInf><Ustrd>МИКРОСХЕМЫ ПО ДОГОВОРУ 5</Ustrd></RmtInf></CdtTrfTxInf></FIToFICstmrCdtTrf></Document>
            """
        let withHK = PolicyScreener(data: ScreeningData(lists: PolicyFixtures.data.lists, indicators: {
            var i = PolicyFixtures.indicators; i.countrySets["transshipment"]!.append("HK"); return i }()))
        #expect(withHK.screen(format: "pacs.008", message: xml).reasons == ["military_end_use"])
        // Without HK in the sets, the same payment is released: the country sets are data.
        #expect(screener.screen(format: "pacs.008", message: xml).outcome == .release)
    }

    @Test("a sanctioned name only in the creditor's contact details is held; a schema-invalid party block is unparseable")
    func contactDetailsAndPartyStructure() {
        func pacs(_ creditor: String) -> String {
            """
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf><GrpHdr><MsgId>M1</MsgId><NbOfTxs>1</NbOfTxs></GrpHdr>
            <CdtTrfTxInf><PmtId><EndToEndId>E1</EndToEndId></PmtId><IntrBkSttlmAmt Ccy="EUR">10</IntrBkSttlmAmt>
            <Dbtr><Nm>MUELLER GMBH</Nm></Dbtr><DbtrAgt><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></DbtrAgt>
            <CdtrAgt><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId></CdtrAgt>\(creditor)</CdtTrfTxInf></FIToFICstmrCdtTrf></Document>
            """
        }
        #expect(screener.screen(format: "pacs.008", message: pacs("<Cdtr><Nm>DUPONT SARL</Nm></Cdtr>")).outcome == .release)
        let contact = screener.screen(format: "pacs.008",
                                      message: pacs("<Cdtr><Nm>DUPONT SARL</Nm><CtctDtls><Nm>KAMAPRESS</Nm></CtctDtls></Cdtr>"))
        #expect(contact.reasons == ["sanctioned_party"])
        #expect(contact.hits.first?.field == "creditor_contact")
        for bad in ["<Cdtr>KAMAPRESS</Cdtr>", "<Cdtr><Name>KAMAPRESS</Name></Cdtr>", "<Cdtr Nm=\"KAMAPRESS\"><Nm>DUPONT SARL</Nm></Cdtr>"] {
            let d = screener.screen(format: "pacs.008", message: pacs(bad))
            #expect(d.reasons == ["unparseable"], "\(bad)")
        }
    }

    @Test("military_end_use needs both goods and geography; benign goods and benign places release")
    func endUseNegatives() {
        let kz = ["/KZ75125KZT2069100100", "ALMATY FOODS TOO", "ALMATY"]
        let de = ["/DE11", "BERLIN TECH GMBH", "BERLIN"]
        #expect(decide(PolicyFixtures.mt103(beneficiary: de, remittance: ["INTEGRATED CIRCUITS"])).outcome == .release)
        #expect(decide(PolicyFixtures.mt103(beneficiary: kz, remittance: ["FRESH APRICOTS"])).outcome == .release)
        #expect(decide(PolicyFixtures.mt103(beneficiary: kz, remittance: ["FOOD PROCESSORS 20 UNITS"])).outcome == .release)
        #expect(decide(PolicyFixtures.mt103(beneficiary: kz, remittance: ["FOOD PROCESSOR 1 UNIT"])).outcome == .release)
        // An exclusion covers the occurrence it contains, not the keyword everywhere in the text.
        #expect(decide(PolicyFixtures.mt103(beneficiary: kz, remittance: ["PROCESSORS X86 AND FOOD PROCESSORS"])).outcome == .hold)
        for text in ["INV18542319", "REF 9533901420", "ACC 854231777", "854231-001", "2024/854231"] {
            #expect(decide(PolicyFixtures.mt103(beneficiary: kz, remittance: [text])).outcome == .release, "\(text)")
        }
    }

    @Test("unparseable: unknown formats, empty and broken messages are held, never released")
    func unparseable() {
        for (format, message) in [("mt999", PolicyFixtures.mt103()), ("pacs.002", "<Document/>"), ("mt103", ""), ("mt103", "   \r\n"),
                                  ("mt103", String(PolicyFixtures.mt103().dropLast(2))), ("pacs.008", "<Document><unclosed>"),
                                  ("mt103", "\u{0}\u{1}\u{2}garbage")] {
            let d = screener.screen(format: format, message: message)
            #expect(d.outcome == .hold)
            #expect(d.reasons == ["unparseable"])
            #expect(d.error != nil)
        }
    }

    @Test("one workspace reused from payment to payment (as a worker screens) gives each payment the decision it gets alone")
    func reusedWorkspace() {
        let long = (0..<4).map { "LINE \($0) OF A LONG REMITTANCE TEXT" }
        let messages: [(String, String)] = [
            ("mt103", PolicyFixtures.mt103(beneficiary: ["/KZ123", "VOLGA PRECISION", "INSTRUMENTS LLC", "ALMATY"], remittance: long)),
            ("mt103", PolicyFixtures.mt103()),
            ("mt103", PolicyFixtures.mt103(beneficiary: ["KARPENKO, DMITRI ALEKSANDROVICH"], remittance: ["ON BEHALF OF", "GOLDEN HORIZON TRADING FZE"])),
            ("mt103", PolicyFixtures.mt103(beneficiary: ["K"], remittance: ["X"])),
            ("mt103", PolicyFixtures.mt103(accountWith: "LENDRUMM", remittance: ["INTEGRATED CIRCUITS", "KAMA PRESS"])),
            ("mt103", "{1:F01BROKEN"),
            ("pacs.008", "<Document/>"),
            ("mt103", PolicyFixtures.mt103(beneficiary: ["DUPONT SARL"], remittance: long.prefix(2) + ["NOVGORODSKAYA AKKUMULYATORNAYA", "KOMPANIYA"])),
            ("mt103", PolicyFixtures.mt103()),
            // Typos: found through the typo tables the first time, and from the workspace's memory after that.
            ("mt103", PolicyFixtures.mt103(beneficiary: ["VOLGA PRECISON INSTRUMENTS LLC"], remittance: ["NOVGORODSKAYA", "AKUMULYATORNAYA KOMPANIYA"])),
        ]
        var workspace = ScreeningWorkspace()
        var outcomes = Set<Outcome>()
        for round in 0..<2 {
            for (i, (format, message)) in messages.enumerated() {
                let alone = screener.screen(format: format, message: message)
                let reused = screener.screen(format: format, message: message, recordingKeys: false, workspace: &workspace)
                #expect(reused == alone, "message \(i), round \(round)")
                let keyed = screener.screen(format: format, message: message, recordingKeys: true, workspace: &workspace)
                #expect(keyed == screener.screenRecordingKeys(format: format, message: message), "message \(i), round \(round)")
                outcomes.insert(alone.outcome)
            }
        }
        // The sequence mixes held and released payments (so a buffer left over from a hit could show).
        #expect(outcomes == [.hold, .release])
        #expect(workspace.names.answeredLookups > 0)
        // The names are found (the messages parse), and the clean one is released.
        for (i, entry) in [(0, "1001"), (2, "1003"), (7, "1004"), (9, "1001"), (9, "1004")] {
            #expect(screener.screen(format: "mt103", message: messages[i].1).hits.contains { $0.entryId == entry }, "message \(i)")
        }
        #expect(screener.screen(format: "mt103", message: messages[1].1).outcome == .release)
    }

    @Test("with no sanctions list loaded everything is held as lists_unavailable")
    func noLists() {
        let s = PolicyScreener(data: ScreeningData(lists: [PolicyFixtures.banks], indicators: PolicyFixtures.indicators))
        let d = s.screen(format: "mt103", message: PolicyFixtures.mt103())
        #expect(d.reasons == ["lists_unavailable"])
    }

    @Test("a good-guy record suppresses exactly that party, field and entry")
    func goodGuy() {
        var data = PolicyFixtures.data
        data.goodGuys = [.init(field: "beneficiary", matched: "VOLGA PRECISION INSTRUMENTS", list: "ofac-sdn", entryId: "1001")]
        let s = PolicyScreener(data: data)
        let name = ["/DE11", "VOLGA PRECISION INSTRUMENTS", "BERLIN"]
        #expect(s.screen(format: "mt103", message: PolicyFixtures.mt103(beneficiary: name)).outcome == .release)
        // The same name in another field is still a hit.
        #expect(s.screen(format: "mt103", message: PolicyFixtures.mt103(remittance: ["FOR VOLGA PRECISION INSTRUMENTS"])).outcome == .hold)
    }
}

@Suite("HS code writings")
struct HSCodeTests {
    @Test("every common writing of a listed code is found; digits inside longer numbers are not",
          arguments: [
            ("8542.31", "854231"), ("854231", "854231"), ("8542 31", "854231"), ("8542.31.00", "854231"),
            ("HS 85423100", "854231"), ("GTIP 8542.31.00.00.00", "854231"), ("CODE 8542.31, QTY 5", "854231"),
            ("INV18542319", nil), ("REF 9533901420", nil), ("ACCOUNT 85423199887766", nil), ("854231-001", nil),
            ("2024/854231", nil), ("12.854231", nil), ("8542.3", nil), ("85423", nil),
            ("HTS 8542.31.3579", "854231"), ("8542.31.3579", "854231"), ("TN VED 8542 31 900 0", "854231"),
            ("TN VED 8542.31.900.0", "854231"), ("KOD TN VED: 854231.9000", "854231"), ("GTIP 8542.31.00.00.19", "854231"),
            ("GTIP NO 854231000019", "854231"), ("8542.31.900.0", nil), ("854231.9000", nil), ("HTS 8542.31.3579.1", nil),
            ("REF 8542.31.35791", nil), ("TN VED 8542.31.900.0.123", nil),
          ] as [(String, String?)])
    func writings(text: String, expected: String?) {
        let s = PolicyScreener(data: PolicyFixtures.data)
        let kz = ["/KZ75125KZT2069100100", "ALMATY ELECTRONICS TOO", "ALMATY"]
        let d = s.screen(format: "mt103", message: PolicyFixtures.mt103(beneficiary: kz, remittance: [text]))
        let code = d.hits.first { $0.kind == .militaryEndUse }?.entryId
        #expect(code == expected, "\(text)")
    }
}
