/// Helpers for connection strings, in both forms libpq accepts.
public enum ConnInfo {
    /// The same connection pointed at another database: the path of a `postgresql://` URL is replaced
    /// (its query string, e.g. `host=/socket&user=x`, is kept); a `key=value` string gets `dbname=` appended
    /// (libpq takes the last value of a repeated key); an empty string (libpq's defaults) becomes `dbname=…`.
    public static func replacingDatabase(_ conninfo: String, with database: String) -> String {
        if conninfo.isEmpty { return "dbname=\(database)" }
        guard let schemeEnd = conninfo.range(of: "://") else { return conninfo + " dbname=\(database)" }
        let rest = conninfo[schemeEnd.upperBound...]
        let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
        let authority = rest[..<queryStart].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return String(conninfo[..<schemeEnd.upperBound]) + authority + "/" + database + String(rest[queryStart...])
    }
}
