import Postgres
import Store
import Watchlists

public enum ListFixtures {
    /// A tiny OFAC legacy CSV set (no header, `-0- ` nulls, CRLF, 0x1A last line).
    public static func sdn(extraEntity: String? = nil, more: [String] = []) -> [ListFile] {
        var sdn = "1001,\"VOLGA PRECISION INSTRUMENTS LLC\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"Website www.vpi.example; a.k.a. 'VPI'.\"\r\n"
        sdn += "1002,\"KARPENKO, Dmitri Alexandrovich\",\"individual\",\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 01 Jan 1970.\"\r\n"
        sdn += "1003,\"GOLDEN HORIZON TRADING FZE\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"SWIFT/BIC GHTRAEAD; Website x.example; Legal Entity Number 529900T8BM49AURSDO55.\"\r\n"
        if let extraEntity {
            sdn += "1004,\"\(extraEntity)\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        }
        for (i, name) in more.enumerated() {
            sdn += "\(2000 + i),\"\(name)\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        }
        sdn += "\u{1A}\r\n"
        let alt = "1001,501,\"aka\",\"VOLGAPRIBOR\",-0- \r\n\u{1A}\r\n"
        return [ListFile(name: "sdn.csv", text: sdn), ListFile(name: "alt.csv", text: alt)]
    }

    public static func importSDN(_ c: Connection, extraEntity: String? = nil, more: [String] = []) throws -> ListStore.ImportResult {
        let files = sdn(extraEntity: extraEntity, more: more)
        return try ListStore.importList(c, parsed: ListParser.parse(source: .ofacSDN, contents: files), files: files)
    }

    public static func banks() -> [ListFile] {
        [ListFile(name: "banks.csv", text: "bic,name,is_russia\nLENDRUMM,LENDER BANK PJSC,yes\n")]
    }
}
