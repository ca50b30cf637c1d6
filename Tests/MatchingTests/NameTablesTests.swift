import Testing
@testable import Matching

/// Issue #14 items 5 and 6: romanisation equivalences, one-token vessel and aircraft names, common given names
/// and payment vocabulary (DESIGN.md §3, `NameTables`), on hand-made lists.
@Suite("Name tables: romanisations, one-token vessels and aircraft, given names, payment words")
struct NameTablesTests {
    @Test("every member of an equivalence group folds to the group's canonical form, and no two groups meet")
    func equivalenceTable() {
        var canonicalOf = [[UInt8]: Int]()
        for (g, group) in NameTables.equivalenceGroups.enumerated() {
            let canonical = Normalizer.fold(Array(group[0].utf8))
            #expect(Normalizer.fold(canonical) == canonical, "\(group[0]) is not a fixed point of fold")
            for name in group {
                let f = Normalizer.fold(Array(name.utf8))
                #expect(f == canonical, "\(name) folds to \(String(decoding: f, as: UTF8.self))")
                #expect(Normalizer.fold(f) == f)
                if let other = canonicalOf[Normalizer.foldLetters(Array(name.utf8))] { #expect(other == g, "\(name) in two groups") }
                canonicalOf[Normalizer.foldLetters(Array(name.utf8))] = g
            }
        }
        // Text is folded in place the same way (`foldAppend`).
        for name in NameTables.equivalenceGroups.joined() {
            var out: [UInt8] = [0x20]
            Array(name.utf8).withUnsafeBufferPointer { Normalizer.foldAppend($0, to: &out) }
            #expect(Array(out.dropFirst()) == Normalizer.fold(Array(name.utf8)), "\(name)")
        }
    }

    @Test("a person is found with a given name in another standard romanisation, on either side")
    func romanisations() {
        let index = NameIndex(aliases: [
            .init(entry: 1, name: "AL-ZAWAHIRI, Muhammad Ahmad", isPerson: true, weak: false),
            .init(entry: 2, name: "NASRALLAH, Hossein", isPerson: true, weak: false),
            .init(entry: 3, name: "KOVALEV, Pyotr Semyonovich", isPerson: true, weak: false),
            .init(entry: 4, name: "SAYYID HASHEMI, Yusuf", isPerson: true, weak: false),
            .init(entry: 5, name: "ABDUL RAHIM AL-TALIBI", isPerson: true, weak: false),
        ])
        let table: [(String, Int?)] = [
            ("MOHAMMED AHMED AL ZAWAHIRI", 1), ("MOHAMAD AL-ZAWAHIRI", 1), ("MUHAMMED AHMAD ALZAWAHIRI", 1),
            ("HUSAYN NASRALLAH", 2), ("HUSSEIN NASRALLAH", 2), ("NASRALLAH HOSEIN", 2),
            ("PETR KOVALEV", 3), ("PETR SEMENOVICH KOVALEV", 3), ("FEDOR KOVALEV", nil),
            ("YOUSEF SEYED HASHEMI", 4), ("YOUSSEF SAYED HASHEMI", 4),
            ("ABDEL RAHIM AL-TALIBI", 5),
            // Only the given name shared: nobody.
            ("MOHAMMED VOGEL", nil), ("HOSSEIN", nil), ("PETR NOVAK", nil),
        ]
        for (text, entry) in table {
            let found = index.search(text).map(\.entry)
            if let entry { #expect(found.contains(entry), "\(text)") } else { #expect(found.isEmpty, "\(text): \(found)") }
        }
    }

    static let crafts: [NameIndex.Alias] = [
        .init(entry: 1, name: "GLADIATOR", isPerson: false, weak: false, craft: .vessel),
        .init(entry: 2, name: "PASSAT", isPerson: false, weak: false, craft: .vessel),
        .init(entry: 3, name: "CONRAD", isPerson: false, weak: false, craft: .vessel),
        .init(entry: 4, name: "PAWELL", isPerson: false, weak: false, craft: .vessel),
        .init(entry: 5, name: "YI-BAN", isPerson: false, weak: false, craft: .aircraft),
        .init(entry: 6, name: "KAMAPRESS", isPerson: false, weak: false),                 // an entity: alone anywhere
        .init(entry: 7, name: "MARINA", isPerson: false, weak: false),                    // an entity named like a person
        .init(entry: 8, name: "TRANSFERO GLOBAL", isPerson: false, weak: false),
        .init(entry: 9, name: "SEA BREEZE", isPerson: false, weak: false, craft: .vessel), // two tokens: as before
        .init(entry: 10, name: "NOVOROSSIYSK", isPerson: false, weak: true, primary: false, craft: .vessel),
    ]

    @Test("a one-token vessel or aircraft name hits as the whole name or next to its context, not as a word")
    func oneTokenCraft() {
        let index = NameIndex(aliases: Self.crafts)
        let table: [([String], Int?)] = [
            (["GLADIATOR"], 1), (["MV GLADIATOR"], 1), (["M/V GLADIATOR"], 1), (["VESSEL GLADIATOR"], 1),
            (["GLADIATOR (IMO 7621011)"], 1), (["FREIGHT IMO 7621011 GLADIATOR"], 1), (["THE TANKER PASSAT"], 2),
            (["M.T. PASSAT"], 2), (["PASSAT", "HAMBURG"], 2),
            (["TICKETS GLADIATOR FILM"], nil), (["VW PASSAT 2019 DOWN PAYMENT"], nil), (["MY PASSAT"], nil),
            (["CONRAD VOGEL", "BERLIN"], nil), (["MS CONRAD"], nil), (["MV CONRAD"], 3),
            // A given name never becomes another one-token name by folding or a typo, context or not.
            (["PAVEL"], nil), (["MV PAVEL"], nil), (["PAVEL IVANOV"], nil), (["MV PAWELL"], 4), (["PAWELL"], 4),
            // Payment words likewise.
            (["IBAN DE89370400440532013000"], nil), (["IBAN"], nil), (["AIRCRAFT YI-BAN"], 5), (["YI-BAN", "BAGHDAD"], 5),
            (["YIBAN JET"], 5),
            // Entities: a one-token primary alone anywhere, unless it is a common given name.
            (["GOODS FROM KAMAPRESS"], 6), (["MARINA SCHMIDT"], nil), (["MARINA", "ODESSA"], 7),
            (["TRANSFER GLOBAL"], nil), (["TRANSFERO GLOBAL"], 8), (["TRANSFEROO GLOBAL"], 8),
            (["FREIGHT SEA BREEZE"], 9),
            // A weak a.k.a. keeps the whole-name rule alone.
            (["NOVOROSSIYSK"], 10), (["MV NOVOROSSIYSK"], nil),
        ]
        for (lines, entry) in table {
            let found = index.search(lines: lines).map(\.entry)
            if let entry { #expect(found.contains(entry), "\(lines)") } else { #expect(found.isEmpty, "\(lines): \(found)") }
        }
    }
}
