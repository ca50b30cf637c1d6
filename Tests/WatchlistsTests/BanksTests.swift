import Testing
@testable import Watchlists

@Suite("Banks list")
struct BanksTests {
    @Test func fixture() throws {
        let text = """
        bic,name,source,is_russia,bic_country,address_countries,list_entry_id,programs\r
        SABRRUMM,PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA,ofac,yes,RU,Russia,17018,UKRAINE-EO13662|RUSSIA-EO14024\r
        IIBMHU22,INTERNATIONAL INVESTMENT BANK,ofac,yes,HU,Hungary;Russia,27345,RUSSIA-EO14024\r
        KDBKKPPY,"KOREA DAESONG BANK, PYONGYANG",un,no,KP,,110426,\r
        sabrrumm,SBERBANK,csl,yes,RU,,17018,\r
        \r
        """
        let r = try ListParser.parse(source: .banks, contents: [file("banks.csv", text)])
        #expect(r.entries.count == 3)
        let sber = r.entries[0]
        #expect(sber.type == .bank && sber.sourceId == "SABRRUMM" && sber.bics == ["SABRRUMM"])
        #expect(sber.names.map(\.name) == ["PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA", "SBERBANK"])
        #expect(sber.countries == ["RU"])
        #expect(sber.programs == ["UKRAINE-EO13662", "RUSSIA-EO14024"])
        #expect(r.entries[1].countries == ["RU", "HU"])  // flagged Russian, Hungarian BIC
        #expect(r.entries[2].countries == ["KP"])
        #expect(r.entries[2].primaryName == "KOREA DAESONG BANK, PYONGYANG")
    }

    @Test func minimalHeaderAndOtherColumnOrder() throws {
        let r = try ListParser.parse(source: .banks, contents: [file("b.csv", "name,BIC\nVTB BANK,VTBRRUMMXXX\n")])
        #expect(r.entries.map(\.bics) == [["VTBRRUMMXXX"]])
        #expect(r.entries[0].countries.isEmpty)
    }

    @Test func refusals() throws {
        let noHeader = try #require(expectRefused(.banks, [file("b.csv", "SABRRUMM,SBERBANK\n")]))
        #expect(noHeader.line == 1 && noHeader.message.contains("bic and name"))
        let badBIC = try #require(expectRefused(.banks, [file("b.csv", "bic,name\nSABRRUMM,SBER\nSABR-RUMM,SBER\n")]))
        #expect(badBIC.line == 3 && badBIC.message.contains("not a BIC"))
        let cols = try #require(expectRefused(.banks, [file("b.csv", "bic,name\nSABRRUMM,SBER,extra\n")]))
        #expect(cols.line == 2)
    }

    @Test(.enabled(if: SharedData.exists("russia/russian_bank_bics.csv"), SharedData.missing("russia/russian_bank_bics.csv")))
    func realFile() throws {
        let r = try SharedData.parse(.banks, "russia/russian_bank_bics.csv")
        #expect(r.entries.count == 179)  // 182 rows, 179 distinct BICs
        #expect(r.entries.filter { $0.countries.contains("RU") }.count == 91)
        #expect(r.entries.allSatisfy { $0.type == .bank && $0.bics == [$0.sourceId] && !$0.names.isEmpty })
        let sber = try #require(r.entries.first { $0.sourceId == "SABRRUMM" })
        #expect(sber.countries.first == "RU")
        let iib = try #require(r.entries.first { $0.sourceId == "IIBMHU22" })
        #expect(iib.countries.contains("RU"))
        #expect(r.entries.contains { $0.sourceId == "GAZPRUMM" })
    }
}
