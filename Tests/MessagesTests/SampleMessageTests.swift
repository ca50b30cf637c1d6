import Foundation
import Messages
import Testing

/// The real sample messages of `../shared/data/messages`: every MT file and every pacs.008/pacs.009 parses,
/// pacs.004 returns are refused, and one sample per format is checked against what the file says.
@Suite("Real sample messages", .enabled(if: SharedData.available, SharedData.skipNote))
struct SampleMessageTests {
    static func format(forKind kind: String) -> String? {
        switch kind {
        case "MT103": "mt103"
        case "MT202": "mt202"
        case "MT202COV": "mt202cov"
        case _ where kind.hasPrefix("pacs.008"): "pacs.008"
        case _ where kind.hasPrefix("pacs.009"): "pacs.009"
        default: nil
        }
    }

    @Test("every single MT file and every pacs.008/pacs.009 in the manifest parses as its kind")
    func everySampleParses() throws {
        var parsed = 0
        for (file, kind) in try SharedData.manifestKinds() where !file.hasSuffix(".rje") {
            guard let format = Self.format(forKind: kind) else { continue }
            let message = try SharedData.read(file)
            do {
                let p = try MessageParser.parse(format: format, message: message)
                #expect(p.format.rawValue == format, "\(file)")
                #expect(!p.parties.isEmpty, "\(file)")
                #expect(p.reference != nil, "\(file)")
                #expect(p.amount != nil && p.currency != nil, "\(file)")
                for party in p.parties { #expect(roleVocabulary.contains(party.role), "\(file): role \(party.role)") }
                parsed += 1
            } catch {
                Issue.record("\(file) (\(kind)) did not parse: \(error)")
            }
        }
        // 20 FIN files, 21 + 7 + 1 pacs.008, 13 + 8 + 1 pacs.009.
        #expect(parsed == 71)
    }

    @Test("pacs.004 returns are refused as the wrong message type, not half-parsed")
    func returnsRefused() throws {
        var seen = 0
        for (file, kind) in try SharedData.manifestKinds() where kind.hasPrefix("pacs.004") {
            let message = try SharedData.read(file)
            for format in ["pacs.008", "pacs.009"] {
                #expect(parseError(format, message)?.code == .wrongMessageType, "\(file)")
            }
            seen += 1
        }
        #expect(seen == 5)
    }

    @Test("the RJE batches split into 16 MT103s, ACKs dropped, and all parse")
    func rjeBatches() throws {
        var messages: [String] = []
        for file in try SharedData.files("mt", suffix: ".rje") {
            messages += MTStream.split(try SharedData.read(file))
        }
        #expect(messages.count == 16)
        for m in messages {
            #expect(!m.hasPrefix("{1:F21"))
            #expect(parseError("mt103", m) == nil)
        }
        let first = try MessageParser.parse(format: "mt103", message: try #require(messages.first { $0.contains(":20:234234233") }))
        #expect(first.party("sender")?.bic == "BBBBUS33")
        #expect(first.party("receiver")?.bic == "AAAAUSLA")
        #expect(first.party("ordering_customer")?.nameLines == ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "NO. 62/64 FOO ROAD BENIN CITY", "EDO STATE"])
        #expect(first.party("senders_correspondent")?.account == "00000000000000")
        #expect(first.amount == "3700")
        #expect(first.text("sender_to_receiver") == ["/INS/DEUTSCHE BANK TRUST CO.", "//AMERICAS NEW YORK, NY 10015"])
    }

    @Test("MT103 c_53_5: header, 50F, agents and 59F as the file says")
    func mt103Sample() throws {
        let p = try MessageParser.parse(format: "mt103", message: try SharedData.read("mt/c_53_5_535_A_B_MT103.fin"))
        #expect(p.reference == "pacs8bizmsgidr01")
        #expect(p.uetr == "174c245f-2682-4291-ad67-2a41e530cd27")
        #expect(p.amount == "500000")
        #expect(p.currency == "SGD")
        #expect(p.party("sender")?.bic == "WPACAU2S")   // O-form block 2 MIR
        #expect(p.party("receiver")?.bic == "DBSSSGSG") // block 1 of an output message
        let oc = try #require(p.party("ordering_customer"))
        #expect(oc.account == "458756241")
        #expect(oc.nameLines == ["Australian Submarine"])
        #expect(oc.addressLines == ["694 Mersey Rd", "Adelaide"])
        #expect(oc.country == "AU")
        #expect(p.party("ordering_institution")?.bic == "WPACAU2S")
        #expect(p.party("intermediary")?.bic == "DBSSSGSG")
        #expect(p.party("account_with_institution")?.bic == "UOVBSGSG")
        let ben = try #require(p.party("beneficiary"))
        #expect(ben.account == "985412687")
        #expect(ben.nameLines == ["Agoda Company"])
        #expect(ben.addressLines == ["30 Cecil Street", "Singapore"])
        #expect(ben.country == "SG")
        #expect(p.text("remittance") == ["/ROC/E2E04044506271305"])
    }

    @Test("MT103 custom pmtTpInf: 50K free text, 52A with party identifier, 59 without letter, trailing '}'")
    func mt103FreeTextSample() throws {
        let p = try MessageParser.parse(format: "mt103", message: try SharedData.read("mt/custom_pacs008_test_pmtTpInf_MT103.fin"))
        #expect(p.party("sender")?.bic == "ABCDLKL0")
        #expect(p.party("receiver")?.bic == "HANYUS33")
        let oc = try #require(p.party("ordering_customer"))
        #expect(oc.account == "100811000148")
        #expect(oc.nameLines == ["RASA ENGINEERING SERVICES (PVT) L", "NO 852-60", "SHARUK PURA", "SRI LANKA"])
        let oi = try #require(p.party("ordering_institution"))
        #expect(oi.account == "NAGODA BRANCH")
        #expect(oi.bic == "ABCDLKLXXXX")
        #expect(p.party("beneficiary")?.nameLines == ["KATAYAMA CHAIN THAILAND", "CO LTD"])
        #expect(p.text("remittance") == ["IMPORT OF ROLLER CHAINS", "INV NIO : SO2508107SRI", "INV DATE : 26.08.2025"])
        #expect(p.amount == "7138.40")
    }

    @Test("MT202 c_29_4_1: agents 52A, 53A, 54A, 57A, 58A as the file says")
    func mt202Sample() throws {
        let p = try MessageParser.parse(format: "mt202", message: try SharedData.read("mt/c_29_4_1_c2941_B_E_MT202.fin"))
        #expect(p.format == .mt202)
        #expect(p.party("sender")?.bic == "TDOMUS33")
        #expect(p.party("receiver")?.bic == "NWBKGB2L")
        #expect(p.party("ordering_institution")?.bic == "HKBCCATTCLS")
        #expect(p.party("senders_correspondent")?.bic == "TDOMCATT")
        #expect(p.party("receivers_correspondent")?.bic == "ROYCCAT2")
        #expect(p.party("account_with_institution")?.bic == "NWBKGB2L")
        #expect(p.party("beneficiary_institution")?.bic == "RBOSGB2L")
        #expect(p.party("previous_instructing_agent_1")?.bic == "TDOMUS33")
        #expect(p.amount == "2565972")
        #expect(p.currency == "CAD")
    }

    @Test("MT202COV c_29_2_2: sequence A agents and sequence B customers as the file says")
    func mt202covSample() throws {
        let p = try MessageParser.parse(format: "mt202cov", message: try SharedData.read("mt/c_29_2_2_2922_A_B_MT202COV.fin"))
        #expect(p.format == .mt202cov)
        #expect(p.party("sender")?.bic == "MYMBGB2L")
        #expect(p.party("receiver")?.bic == "INGBROBU")
        #expect(p.party("account_with_institution")?.bic == "RZBRROBUXXX")
        #expect(p.party("beneficiary_institution")?.bic == "GEBABEBBXXX")
        let uoc = try #require(p.party("underlying_ordering_customer"))
        #expect(uoc.nameLines == ["Debtor Co"])
        #expect(uoc.country == "GB")
        #expect(uoc.account == "25698745")
        #expect(p.party("underlying_ordering_institution")?.bic == "MYMBGB2LXXX")
        #expect(p.party("underlying_account_with_institution")?.bic == "GEBABEBBXXX")
        let ub = try #require(p.party("underlying_beneficiary"))
        #expect(ub.nameLines == ["Ardent Finance"])
        #expect(ub.addressLines == ["Main Street", "Bucharest"])
        #expect(ub.country == "RO")
    }

    @Test("pacs.008 c.105.1.1 (Envelope, head:/pacs: prefixes, licence comment): parties and agents as the file says")
    func pacs008Sample() throws {
        let p = try MessageParser.parse(format: "pacs.008", message: try SharedData.read("iso20022/CBPRplus_c.105.1.1_pacs.008_AtoB.xml"))
        #expect(p.reference == "pacs008bzmsgid-1")
        #expect(p.uetr == "7a562c67-ca16-48ba-b074-65581be6f001")
        #expect(p.amount == "2450")
        #expect(p.currency == "GBP")
        #expect(p.party("sender")?.bic == "CBRLGB2LXXX")
        #expect(p.party("receiver")?.bic == "RBOSGBCHXXX")
        #expect(p.party("instructing_agent")?.bic == "CBRLGB2LXXX")
        #expect(p.party("instructed_agent")?.bic == "RBOSGBCHXXX")
        #expect(p.party("intermediary_agent_1")?.bic == "DEUTGB2LXXX")
        let d = try #require(p.party("debtor"))
        #expect(d.nameLines == ["S Baldrick"])
        #expect(d.addressLines == ["10 Bean Street", "London"])
        #expect(d.country == "GB")
        #expect(d.account == "25698745")
        #expect(p.party("debtor_agent")?.bic == "CBRLGB2LXXX")
        #expect(p.party("creditor_agent")?.bic == "DEUTDEFFXXX")
        let c = try #require(p.party("creditor"))
        #expect(c.nameLines == ["A Tate"])
        #expect(c.country == "RO")
        #expect(c.account == "65479512")
    }

    @Test("pacs.008 prowide .07 (message wrapper, agents in GrpHdr, CtryOfRes): as the file says")
    func pacs008ProwideSample() throws {
        let p = try MessageParser.parse(format: "pacs.008", message: try SharedData.read("iso20022/prowide_pacs.008.001.07.xml"))
        #expect(p.amount == "10000")
        let ia = try #require(p.party("instructing_agent"))
        #expect(ia.bic == "CITTGB2LPBG")
        #expect(ia.nameLines == ["Lionel Messi"])
        #expect(ia.identifiers == ["ID:2342342342"])
        let d = try #require(p.party("debtor"))
        #expect(d.nameLines == ["JOHN DOE"])
        #expect(d.country == "AR")
        #expect(d.otherCountries == ["AR"])
        #expect(p.party("debtor_agent")?.nameLines == ["Juan Perez"])
        #expect(p.party("creditor")?.nameLines == ["Mike Smith"])
    }

    @Test("pacs.009 COV p.2.3.1.a: institutions and the underlying customers as the file says")
    func pacs009CovSample() throws {
        let p = try MessageParser.parse(format: "pacs.009", message: try SharedData.read("iso20022/CBPRplus_p.2.3.1.a_pacs.009.cov-AtoB.xml"))
        #expect(p.party("sender")?.bic == "CLYDGB2S")
        #expect(p.party("receiver")?.bic == "BOFSGB2L")
        #expect(p.party("debtor_institution")?.bic == "CLYDGB2S")
        #expect(p.party("debtor_institution")?.kind == .agent)
        #expect(p.party("creditor_institution")?.bic == "CAIXESBB")
        #expect(p.party("debtor_agent")?.bic == "BOFSGB2L")
        #expect(p.party("creditor_agent")?.bic == "BSCHESMM")
        let ud = try #require(p.party("underlying_debtor"))
        #expect(ud.nameLines == ["A Debiter"])
        #expect(ud.country == "GB")
        #expect(ud.account == "25698745")
        #expect(p.party("underlying_debtor_agent")?.bic == "CLYDGB2S")
        #expect(p.party("underlying_creditor_agent")?.bic == "CAIXESBB")
        let uc = try #require(p.party("underlying_creditor"))
        #expect(uc.nameLines == ["B Creditor Co"])
        #expect(uc.country == "ES")
        #expect(uc.account == "65479512")
    }

    @Test("pacs.009 c.56.4.1 (bank-to-bank with InstrForCdtrAgt): as the file says")
    func pacs009Sample() throws {
        let p = try MessageParser.parse(format: "pacs.009", message: try SharedData.read("iso20022/mt_pair_c_56_4_1_mt202-pacs009_B_C.xml"))
        #expect(p.parties.allSatisfy { $0.kind == .agent })
        #expect(p.party("sender")?.bic == "TDOMUS33XXX")
        #expect(p.party("receiver")?.bic == "TDOMCATTXXX")
        #expect(p.party("previous_instructing_agent_1")?.bic == "TDOMCATT")
        #expect(p.party("instructing_agent")?.bic == "TDOMUS33XXX")
        #expect(p.party("instructed_agent")?.bic == "TDOMCATTXXX")
        #expect(p.party("debtor_institution")?.bic == "TDOMUS33")
        #expect(p.party("creditor_agent")?.bic == "ROYCCAT2")
        #expect(p.party("creditor_institution")?.bic == "NWBKGB2L")
        #expect(p.text("instructions") == ["/UDLC/RBOSGB2L"])
    }
}

/// The public test deck: every message labelled unparseable (U1–U5) is refused, every other one parses.
@Suite("Test deck parse classification",
       .enabled(if: FileManager.default.fileExists(atPath: SharedData.deck), "test deck not found at ../shared/testdeck/deck.jsonl"))
struct DeckTests {
    @Test("U categories are refused, all others parse")
    func deckClassification() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: SharedData.deck))
        var parsed = 0
        var refused = 0
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            let row = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            let (ref, category) = (row["ref"] as? String ?? "?", row["category"] as? String ?? "")
            let error = parseError(row["format"] as? String ?? "", row["message"] as? String ?? "")
            if category.hasPrefix("U") {
                #expect(error != nil, "\(ref) (\(category)) should be refused")
                refused += 1
            } else {
                #expect(error == nil, "\(ref) (\(category)) refused: \(error?.description ?? "")")
                parsed += 1
            }
        }
        #expect(parsed > 0 && refused > 0)
    }
}
