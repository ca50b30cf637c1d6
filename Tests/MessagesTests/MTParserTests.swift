import Messages
import Testing

@Suite("MT parser: fields and parties")
struct MTParserTests {
    @Test("a full MT103 gives reference, amount, UETR, header agents, parties and texts")
    func fullMT103() throws {
        let message = mt([
            ":20:REF123", ":13C:/SNDTIME/1249+0100", ":23B:CRED", ":23E:SDVA", ":26T:K90", ":32A:250101EUR1234,56",
            ":33B:EUR1234,56", ":36:1,0",
            ":50F:/DE89370400440532013000", "1/IVANOV IVAN", "1/IVANOVICH", "2/LENINA 1", "3/RU/MOSCOW",
            ":51A:SNDRDEFF", ":52A:/D/12345", "ORDRDEFF", ":53B:/ACC53", "FRANKFURT", ":54D:RECEIVERS CORRESPONDENT", "LONDON",
            ":55A:THRDDEFF", ":56C://FW021000021", ":57D:/ACC57", "SBERBANK OF RUSSIA MOSCOW BRA", "NCH",
            ":59A:/ACC59", "BENEFRMMXXX", ":70:/INV/12345", "PAYMENT FOR GOODS", ":71A:OUR", ":71F:EUR10,", ":71F:EUR5,",
            ":71G:EUR1,", ":72:/INS/PREVDEFF", "/ACC/ABC", ":77B:/ORDERRES/DE//MEILAN",
        ])
        let p = try MessageParser.parse(format: "mt103", message: message)
        #expect(p.format == .mt103)
        #expect(p.reference == "REF123")
        #expect(p.amount == "1234.56")
        #expect(p.currency == "EUR")
        #expect(p.uetr == "1fa0dc26-b52e-4c29-8a7b-6baf070dc389")
        #expect(p.transactionCount == 1)
        #expect(p.party("sender")?.bic == "BANKDEFF")
        #expect(p.party("receiver")?.bic == "BANKGB2L")

        let oc = try #require(p.party("ordering_customer"))
        #expect(oc.kind == .party)
        #expect(oc.sourceField == "50F")
        #expect(oc.account == "DE89370400440532013000")
        #expect(oc.nameLines == ["IVANOV IVAN", "IVANOVICH"])
        #expect(oc.addressLines == ["LENINA 1", "MOSCOW"])
        #expect(oc.country == "RU")

        #expect(p.party("sending_institution")?.bic == "SNDRDEFF")
        let oi = try #require(p.party("ordering_institution"))
        #expect(oi.bic == "ORDRDEFF")
        #expect(oi.account == "12345")
        let sc = try #require(p.party("senders_correspondent"))
        #expect(sc.account == "ACC53")
        #expect(sc.addressLines == ["FRANKFURT"])
        #expect(p.party("receivers_correspondent")?.nameLines == ["RECEIVERS CORRESPONDENT", "LONDON"])
        #expect(p.party("third_reimbursement_institution")?.bic == "THRDDEFF")
        #expect(p.party("intermediary")?.identifiers == ["CLR:FW021000021"])
        let awi = try #require(p.party("account_with_institution"))
        #expect(awi.kind == .agent)
        #expect(awi.account == "ACC57")
        #expect(awi.nameLines == ["SBERBANK OF RUSSIA MOSCOW BRA", "NCH"])
        #expect(awi.rawLines == ["/ACC57", "SBERBANK OF RUSSIA MOSCOW BRA", "NCH"])
        let ben = try #require(p.party("beneficiary"))
        #expect(ben.bic == "BENEFRMMXXX")
        #expect(ben.account == "ACC59")
        #expect(p.party("previous_instructing_agent_1")?.bic == "PREVDEFF")

        #expect(p.text("remittance") == ["/INV/12345", "PAYMENT FOR GOODS"])
        #expect(p.text("sender_to_receiver") == ["/INS/PREVDEFF", "/ACC/ABC"])
        #expect(p.text("regulatory_reporting") == ["/ORDERRES/DE//MEILAN"])
        #expect(p.text("instructions") == ["SDVA"])
        for party in p.parties { #expect(roleVocabulary.contains(party.role), "role \(party.role)") }
    }

    @Test("option K and 59 without a letter keep every line after the account as name lines")
    func freeTextParties() throws {
        let p = try MessageParser.parse(format: "mt103", message: mt(mt103Fields))
        let oc = try #require(p.party("ordering_customer"))
        #expect(oc.sourceField == "50K")
        #expect(oc.account == "DE89370400440532013000")
        #expect(oc.nameLines == ["JOHN SMITH", "1 HIGH STREET", "LONDON"])
        #expect(oc.rawLines == ["/DE89370400440532013000", "JOHN SMITH", "1 HIGH STREET", "LONDON"])
        #expect(oc.addressLines.isEmpty)
        let ben = try #require(p.party("beneficiary"))
        #expect(ben.sourceField == "59")
        #expect(ben.nameLines == ["ACME TRADING LTD", "BERLIN"])
    }

    @Test("a name wrapped mid-word keeps its line structure")
    func wrappedName() throws {
        var fields = mt103Fields
        fields.replaceSubrange(3...6, with: [":50K:/GB0408678050273558526", "STATE ENTERPRISE MAGARACH OF THE NA", "TIONAL INSTITUTE OF WINE", "54 KINGS ROAD"])
        let p = try MessageParser.parse(format: "mt103", message: mt(fields))
        #expect(p.party("ordering_customer")?.nameLines == ["STATE ENTERPRISE MAGARACH OF THE NA", "TIONAL INSTITUTE OF WINE", "54 KINGS ROAD"])
        var f = mt103Fields
        f.replaceSubrange(7...9, with: [":59F:/TR781808229272092735", "1/GRUPPA ROD", "1/INA OOO", "2/11 PARK AVENUE", "3/US/94105 SAN FRANCISCO CA"])
        let q = try MessageParser.parse(format: "mt103", message: mt(f))
        let ben = try #require(q.party("beneficiary"))
        #expect(ben.nameLines == ["GRUPPA ROD", "INA OOO"])
        #expect(ben.addressLines == ["11 PARK AVENUE", "94105 SAN FRANCISCO CA"])
        #expect(ben.country == "US")
    }

    @Test("option F lines 4 to 8: birth date and place, customer and national ids, more")
    func optionFIdentities() throws {
        var f = mt103Fields
        f.replaceSubrange(3...6, with: [":50F:/12345", "1/IVANOV IVAN", "4/19700101", "5/RU/TULA", "7/BY/7701234567"])
        let p = try MessageParser.parse(format: "mt103", message: mt(f))
        let oc = try #require(p.party("ordering_customer"))
        #expect(oc.identifiers == ["DOB:19700101", "POB:RU/TULA", "NIDN:BY/7701234567"])
        #expect(oc.otherCountries == ["RU", "BY"])
        f.replaceSubrange(3...7, with: [":50F:/12345", "1/IVANOV IVAN", "6/KZ/FMS/1234567", "8/MORE"])
        let q = try MessageParser.parse(format: "mt103", message: mt(f))
        #expect(q.party("ordering_customer")?.identifiers == ["CUST:KZ/FMS/1234567", "ADDL:MORE"])
        #expect(q.party("ordering_customer")?.otherCountries == ["KZ"])
    }

    @Test("option F with a coded party identifier, and 59F without an account")
    func optionFIdentifier() throws {
        var f = mt103Fields
        f.replaceSubrange(3...9, with: [":50F:NIDN/DE/121231234", "1/JOHANN WILLEM", "3/DE/BERLIN", ":59F:1/B CREDITOR CO", "3/ES"])
        let p = try MessageParser.parse(format: "mt103", message: mt(f))
        let oc = try #require(p.party("ordering_customer"))
        #expect(oc.identifiers == ["NIDN/DE/121231234"])
        #expect(oc.otherCountries == ["DE"])
        #expect(oc.account == nil)
        let ben = try #require(p.party("beneficiary"))
        #expect(ben.account == nil)
        #expect(ben.country == "ES")
        #expect(ben.addressLines.isEmpty)
    }

    @Test("LF line ends parse like CRLF")
    func lfLineEnds() throws {
        let crlf = try MessageParser.parse(format: "mt103", message: mt(mt103Fields))
        let lf = try MessageParser.parse(format: "mt103", message: mt(mt103Fields, eol: "\n"))
        #expect(crlf == lf)
    }

    @Test("block 2 output form: sender from the MIR, receiver from block 1; LT terminal code dropped",
          arguments: [
            ("{1:F01RZBRROBUXXXX0000000000}", "{2:O1030945221020INGBROBUAXXX00000000002210200945N}", "INGBROBU", "RZBRROBU"),
            ("{1:F01VZYAGBMXAMAD9202229515}", "{2:O1031555250925SABBESBBAXXX03067909142509251555N}", "SABBESBB", "VZYAGBMXMAD"),
            ("{1:F01BANKDEFFXABC0000000000}", "{2:I103PASCITMMXNDZN}", "BANKDEFFABC", "PASCITMMNDZ"),
            ("{1:F01BANKDEFFAXXX0000000000}", "{2:I103BANKGB2LXXXX}", "BANKDEFF", "BANKGB2L"),
          ])
    func headerBICs(block1: String, block2: String, sender: String, receiver: String) throws {
        let p = try MessageParser.parse(format: "mt103", message: mt(mt103Fields, block1: block1, block2: block2))
        #expect(p.party("sender")?.bic == sender)
        #expect(p.party("receiver")?.bic == receiver)
        #expect(p.party("sender")?.kind == .agent)
    }

    @Test("amounts: comma decimal becomes a point, a trailing comma means a whole amount",
          arguments: [("250101EUR1234,56", "1234.56"), ("250101EUR15,", "15"), ("250101EUR0,5", "0.5"), ("250101JPY100000000,", "100000000")])
    func amounts(field: String, amount: String) throws {
        var f = mt103Fields
        f[2] = ":32A:" + field
        #expect(try MessageParser.parse(format: "mt103", message: mt(f)).amount == amount)
    }

    @Test("MT202: agents 52a–58a, 72 text, no customers")
    func mt202() throws {
        let message = mt([":20:REF202", ":21:REL202", ":32A:250101USD1000,", ":52A:ORDRUS33", ":53A:SNDRUS33", ":54A:RCVRUS33",
                          ":56A:INTMRUMM", ":57D:ACCOUNT WITH BANK", ":58A:/12345", "BENEUS33XXX", ":72:/BNF/INVOICE 1"], type: "202")
        let p = try MessageParser.parse(format: "mt202", message: message)
        #expect(p.format == .mt202)
        #expect(p.amount == "1000")
        #expect(p.party("ordering_institution")?.bic == "ORDRUS33")
        #expect(p.party("senders_correspondent")?.bic == "SNDRUS33")
        #expect(p.party("receivers_correspondent")?.bic == "RCVRUS33")
        #expect(p.party("intermediary")?.bic == "INTMRUMM")
        #expect(p.party("account_with_institution")?.nameLines == ["ACCOUNT WITH BANK"])
        let bi = try #require(p.party("beneficiary_institution"))
        #expect(bi.bic == "BENEUS33XXX")
        #expect(bi.account == "12345")
        #expect(p.parties.allSatisfy { $0.kind == .agent })
        #expect(p.text("sender_to_receiver") == ["/BNF/INVOICE 1"])
    }

    @Test("MT202COV: sequence B customers and agents get the underlying_ prefix")
    func mt202cov() throws {
        let message = mt([":20:REFCOV", ":21:REL", ":32A:250101USD1000,", ":52A:ORDRUS33", ":57A:ACWIUS33", ":58A:BENEUS33",
                          ":72:/INS/INSTUS33", ":50K:/GB1150787895161366", "OLIVER ROBERTS", "LONDON", ":52A:UORDGB2L",
                          ":56A:UINTDEFF", ":57A:UACWRUMM", ":59F:/RU959695088710758310", "1/OOO ZENISTA", "3/RU/MOSCOW",
                          ":70:OPLATA ZA MIKROSKHEMY", ":72:/ACC/INFO", ":33B:USD1000,"],
                         type: "202", block3: "{3:{119:COV}{121:1fa0dc26-b52e-4c29-8a7b-6baf070dc389}}")
        for format in ["mt202cov", "mt202"] {
            let p = try MessageParser.parse(format: format, message: message)
            #expect(p.format == .mt202cov)
            #expect(p.party("ordering_institution")?.bic == "ORDRUS33")
            #expect(p.party("account_with_institution")?.bic == "ACWIUS33")
            #expect(p.party("beneficiary_institution")?.bic == "BENEUS33")
            #expect(p.party("previous_instructing_agent_1")?.bic == "INSTUS33")
            #expect(p.party("underlying_ordering_customer")?.nameLines == ["OLIVER ROBERTS", "LONDON"])
            #expect(p.party("underlying_ordering_institution")?.bic == "UORDGB2L")
            #expect(p.party("underlying_intermediary")?.bic == "UINTDEFF")
            #expect(p.party("underlying_account_with_institution")?.bic == "UACWRUMM")
            let ben = try #require(p.party("underlying_beneficiary"))
            #expect(ben.country == "RU")
            #expect(ben.kind == .party)
            #expect(p.text("underlying_remittance") == ["OPLATA ZA MIKROSKHEMY"])
            #expect(p.text("underlying_sender_to_receiver") == ["/ACC/INFO"])
            #expect(p.parties.count == 11)
        }
    }

    @Test("tolerated: whitespace around blocks, a stray brace after the last block, no block 3 or 5")
    func toleratedShapes() throws {
        let base = mt(mt103Fields, block3: nil, trailer: "")
        #expect(parseError("mt103", "\r\n  " + base + "}\r\n") == nil)
        #expect(parseError("mt103", base + "{\n") == nil)
        #expect(parseError("mt103", mt(mt103Fields, trailer: "{5:{CHK:ABC}{TNG:}}{S:{SAC:}{COP:P}}")) == nil)
    }
}
