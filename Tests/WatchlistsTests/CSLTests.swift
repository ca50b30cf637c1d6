import Testing
@testable import Watchlists

enum CSLFixture {
    static let header = "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,end_date,standard_order,license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,source_information_url,ids"

    static func row(_ id: String, _ source: String, _ type: String, _ programs: String, _ name: String,
                    addresses: String = "", remarks: String = "", alt: String = "", citizenships: String = "", ids: String = "") -> String {
        let f = [id, source, id, type, programs, name, "", addresses, "", "", "", "", "", "", "", "", "", "", "", "",
                 remarks, "https://example.invalid/list", alt, citizenships, "", "", "", "https://example.invalid/info", ids]
        return f.map { "\"" + $0.replacingQuotes() + "\"" }.joined(separator: ",")
    }

    static let vtb = row("17013", "Sectoral Sanctions Identifications List (SSI) - Treasury Department", "Entity",
                         "UKRAINE-EO13662; RUSSIA-EO14024", "VTB BANK PUBLIC JOINT STOCK COMPANY",
                         addresses: "29, Bolshaya Morskaya str., St. Petersburg, 190000, RU; Vorontsovskaya str, Moscow, 109044, RU",
                         alt: "VTB BANK OJSC; BANK VTB", ids: "SWIFT/BIC, VTBRRUMM; Registration Number, 1027739609391, RU")
    static let meu = row("dcc742038bcb47f1bf9e805ef279484d", "Military End User (MEU) List - Bureau of Industry and Security", "",
                         "", "Academy of Aerospace Solid Propulsion Technology (AASPT)",
                         addresses: "Tian Wang te Zi #1, Baqiao District, Xian, China, CN")
    static let person = row("11474", "Specially Designated Nationals (SDN) - Treasury Department", "Individual", "SDNT",
                            "DURAN PORRAS, Gloria Amparo", addresses: "c/o FRANZUL S.A., Medellin, CO",
                            remarks: "Line one,\nline \"two\"; SWIFT/BIC ABCDCOBB", ids: "Cedula No., 42895110, CO")

    static var text: String { [header, vtb, meu, person].joined(separator: "\n") + "\n" }
}

@Suite("US Consolidated Screening List")
struct CSLTests {
    @Test func fixture() throws {
        let r = try ListParser.parse(source: .csl, contents: [file("csl.csv", CSLFixture.text)])
        #expect(r.warnings.isEmpty)
        #expect(r.entries.map(\.type) == [.entity, .entity, .person])
        let vtb = r.entries[0]
        #expect(vtb.sourceId == "17013")
        #expect(vtb.bics == ["VTBRRUMM"])
        #expect(vtb.names.map(\.name) == ["VTB BANK PUBLIC JOINT STOCK COMPANY", "VTB BANK OJSC", "BANK VTB"])
        #expect(vtb.programs == ["UKRAINE-EO13662", "RUSSIA-EO14024"])
        #expect(vtb.countries == ["RU"])
        #expect(vtb.addresses.count == 2)
        #expect(vtb.identifiers == [EntryIdentifier(type: "Registration Number", value: "1027739609391", country: "RU")])
        #expect(vtb.subList == "Sectoral Sanctions Identifications List (SSI) - Treasury Department")
        #expect(r.entries[1].countries == ["CN"])
        let p = r.entries[2]
        #expect(p.remarks == "Line one,\nline \"two\"; SWIFT/BIC ABCDCOBB")  // RFC 4180: embedded newline and quotes
        #expect(p.bics == ["ABCDCOBB"])
        #expect(p.identifiers == [EntryIdentifier(type: "Cedula No.", value: "42895110", country: "CO")])
    }

    @Test func repeatedHeaderAndCutOffLastRecordAreWarnings() throws {
        let cut = String(CSLFixture.person.prefix(120))
        let text = [CSLFixture.header, CSLFixture.header, CSLFixture.vtb, CSLFixture.meu, cut].joined(separator: "\r\n")
        let r = try ListParser.parse(source: .csl, contents: [file("partial.csv", text)])
        #expect(r.entries.count == 2)
        #expect(r.warnings.count == 2)
        #expect(r.warnings[0].contains("1 repeated header row"))
        #expect(r.warnings[1].contains("partial.csv:5: the last record is cut off"))
    }

    @Test func shortLastRecordWithoutOpenQuoteIsAlsoTolerated() throws {
        let text = [CSLFixture.header, CSLFixture.vtb, "\"1\",\"x\",\"1\""].joined(separator: "\n")
        let r = try ListParser.parse(source: .csl, contents: [file("csl.csv", text)])
        #expect(r.entries.count == 1)
        #expect(r.warnings.count == 1)
    }

    @Test func wrongColumnsInTheMiddleAreRefused() throws {
        let text = [CSLFixture.header, CSLFixture.vtb, "\"1\",\"x\",\"1\"", CSLFixture.meu].joined(separator: "\n")
        let e = try #require(expectRefused(.csl, [file("csl.csv", text)]))
        #expect(e.file == "csl.csv" && e.line == 3 && e.message.contains("expected 29 columns, found 3"))
    }

    @Test func notACSLHeader() throws {
        let e = try #require(expectRefused(.csl, [file("x.csv", "a,b,c\n1,2,3\n")]))
        #expect(e.line == 1)
    }
}

@Suite("US Consolidated Screening List, real files")
struct CSLRealFileTests {
    @Test(.enabled(if: SharedData.exists("csl/csl_2023-11-30_partial.csv"), SharedData.missing("csl/csl_2023-11-30_partial.csv")))
    func partialFile() throws {
        let r = try SharedData.parse(.csl, "csl/csl_2023-11-30_partial.csv")
        #expect(r.entries.count == 4_226)
        #expect(r.warnings.count == 2)
        #expect(r.warnings.contains { $0.contains("1 repeated header row") })
        #expect(r.warnings.contains { $0.contains("the last record is cut off") })
        func count(_ prefix: String) -> Int { r.entries.filter { $0.subList?.hasPrefix(prefix) == true }.count }
        // The README's 1,738 SDN records count the cut-off last one (an SDN individual), which is skipped.
        #expect(count("Specially Designated Nationals (SDN)") == 1_737)
        #expect(count("Entity List (EL)") == 919)
        #expect(count("Denied Persons List (DPL)") == 577)
        #expect(count("Sectoral Sanctions Identifications List (SSI)") == 288)
        #expect(count("Unverified List (UVL)") == 186)
        #expect(count("Military End User (MEU) List") == 71)
        let bics = Set(r.entries.flatMap(\.bics))
        for b in ["VTBRRUMM", "GAZPRUMM", "CBRFRUMM", "RUAGRUMM"] { #expect(bics.contains(b), "\(b)") }
        let vtb = try #require(r.entries.first { $0.sourceId == "17013" })
        #expect(vtb.bics.contains("VTBRRUMM"))
        #expect(vtb.countries.contains("RU"))
        #expect(r.entries.filter { $0.type == .person }.count == 1_124)
        // Gazprombank is on SSI and NS-MBS under the same ent_num: both records are kept with distinct ids.
        let gpb = r.entries.filter { $0.bics.contains("GAZPRUMM") }.map(\.sourceId).sorted()
        #expect(gpb.count == 2 && Set(gpb).count == 2 && gpb.contains("17016"))
        #expect(Set(r.entries.map(\.sourceId)).count == r.entries.count)
    }

    @Test(.enabled(if: SharedData.exists("csl/consolidated_2025-06_sample.csv"), SharedData.missing("csl/consolidated_2025-06_sample.csv")))
    func sample() throws {
        let r = try SharedData.parse(.csl, "csl/consolidated_2025-06_sample.csv")
        #expect(r.entries.count == 13)
        #expect(r.warnings.isEmpty)
    }
}

extension String {
    func replacingQuotes() -> String {
        var out = ""
        for ch in self { if ch == "\"" { out += "\"\"" } else { out.append(ch) } }
        return out
    }
}

@Suite("US Consolidated Screening List, JSON")
struct CSLJSONTests {
    /// The same three records as `CSLFixture`, as the trade.gov API returns them.
    static let json = #"""
        {"total": 4, "sources": [], "results": [
          {"id": "17013", "source": "Sectoral Sanctions Identifications List (SSI) - Treasury Department", "entity_number": 17013,
           "type": "Entity", "programs": ["UKRAINE-EO13662", "RUSSIA-EO14024"], "name": "VTB BANK PUBLIC JOINT STOCK COMPANY",
           "addresses": [{"address": "29, Bolshaya Morskaya str.", "city": "St. Petersburg", "postal_code": "190000", "country": "RU"},
                         {"address": "Vorontsovskaya str", "city": "Moscow", "postal_code": "109044", "country": "RU"}],
           "alt_names": ["VTB BANK OJSC", "BANK VTB"],
           "ids": [{"type": "SWIFT/BIC", "number": "VTBRRUMM"}, {"type": "Registration Number", "number": "1027739609391", "country": "RU"}]},
          {"id": "dcc742038bcb47f1bf9e805ef279484d", "source": "Military End User (MEU) List - Bureau of Industry and Security",
           "name": "Academy of Aerospace Solid Propulsion Technology (AASPT)",
           "addresses": [{"address": "Tian Wang te Zi #1, Baqiao District", "city": "Xian, China", "country": "CN"}]},
          {"id": "11474", "source": "Specially Designated Nationals (SDN) - Treasury Department", "type": "Individual", "programs": ["SDNT"],
           "name": "DURAN PORRAS, Gloria Amparo", "addresses": [{"address": "c/o FRANZUL S.A.", "city": "Medellin", "country": "CO"}],
           "remarks": "Line one,\nline \"two\"; SWIFT/BIC ABCDCOBB", "ids": [{"type": "Cedula No.", "number": "42895110", "country": "CO"}]},
          {"id": "99999", "source": "Entity List (EL) - Bureau of Industry and Security", "name": ""}
        ]}
        """#

    @Test("the API's JSON gives the same entries as the CSV of the same records; a record without a name is skipped with a warning")
    func sameAsCSV() throws {
        let fromJSON = try ListParser.parse(source: .csl, contents: [file("consolidated.json", Self.json)])
        let fromCSV = try ListParser.parse(source: .csl, contents: [file("csl.csv", CSLFixture.text)])
        #expect(fromJSON.entries.count == 3)
        for (j, c) in zip(fromJSON.entries, fromCSV.entries) {
            #expect(j.sourceId == c.sourceId && j.type == c.type && j.names == c.names && j.bics == c.bics)
            #expect(j.identifiers == c.identifiers && j.programs == c.programs && j.countries == c.countries && j.subList == c.subList)
            #expect(j.remarks == c.remarks)
        }
        #expect(fromJSON.warnings == ["consolidated.json: record 4 has no name and was skipped"])
        // A bare array of records is read too; anything else is refused.
        let bare = try ListParser.parse(source: .csl, contents: [file("csl.json", #"[{"id": "1", "name": "ORION TRADING LLC"}]"#)])
        #expect(bare.entries.map(\.primaryName) == ["ORION TRADING LLC"])
        #expect(throws: ListFileError.self) { try ListParser.parse(source: .csl, contents: [file("csl.json", #"{"data": []}"#)]) }
        #expect(throws: ListFileError.self) { try ListParser.parse(source: .csl, contents: [file("csl.json", "{not json")]) }
    }
}
