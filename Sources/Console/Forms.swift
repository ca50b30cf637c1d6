import Foundation

/// A refused form field or query parameter: the page says which and why, and nothing reaches the database.
struct InputError: Error, Sendable {
    var message: String
}

/// Reads and validates what browsers send. Every field the console accepts is checked here, before any
/// database call: a malformed value is refused with a clear page, never passed on to be guessed at.
enum Forms {
    /// Largest form body the console reads (a reason is short; this bounds what a client can make us buffer).
    static let maximumBodyBytes = 16 * 1024

    /// Parses `application/x-www-form-urlencoded`. A repeated field or bad percent-encoding is refused:
    /// two values for one field would leave the console to guess which was meant.
    static func parse(_ body: String) throws(InputError) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else {
                throw InputError(message: "the form could not be read")
            }
            guard fields[key] == nil else { throw InputError(message: "the form sent \(key) twice") }
            fields[key] = value
        }
        return fields
    }

    private static func decode(_ s: Substring) -> String? {
        String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// A reason for an action: required, with a visible character, at most 2000 characters, and no control
    /// characters but line breaks and tabs (a NUL would cut the text short on its way through libpq).
    static func reason(_ fields: [String: String]) throws(InputError) -> String {
        let raw = fields["reason"] ?? ""
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw InputError(message: "a reason is required") }
        guard text.count <= 2000 else { throw InputError(message: "the reason is longer than 2000 characters") }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !"\n\r\t".unicodeScalars.contains($0) }) else {
            throw InputError(message: "the reason contains control characters")
        }
        return text
    }

    /// A positive database id from a URL path.
    static func id(_ text: String?, what: String) throws(InputError) -> Int64 {
        guard let text, text.count <= 19, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), let id = Int64(text), id > 0 else {
            throw InputError(message: "\(what) must be a positive whole number")
        }
        return id
    }

    /// A PostgreSQL role name as typed at login: 1 to 63 letters, digits, `_`, `.`, `-` or `@`.
    static func role(_ text: String?) throws(InputError) -> String {
        guard let text, (1...63).contains(text.utf8.count),
              text.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                                               || "_.-@".unicodeScalars.contains($0) }) else {
            throw InputError(message: "a role name is 1 to 63 letters, digits, '_', '.', '-' or '@'")
        }
        return text
    }

    static func password(_ text: String?) throws(InputError) -> String {
        guard let text, !text.isEmpty else { throw InputError(message: "a password is required") }
        guard text.utf8.count <= 1024, !text.unicodeScalars.contains("\0") else { throw InputError(message: "the password cannot be used") }
        return text
    }

    /// The hold reasons a filter may name.
    static let holdReasons = ["sanctioned_party", "russian_lender", "military_end_use", "unparseable", "lists_unavailable",
                              "screening_error", "policy_invalid"]
    /// The list sources a filter may name (the schema's list_versions_source_check).
    static let listSources = ["ofac-sdn", "ofac-cons", "csl", "eu", "uk", "un", "opensanctions", "indicators", "banks"]

    /// The queue's filters, from its query string; an empty parameter means "any".
    struct QueueFilter: Sendable, Equatable {
        var reason: String?
        var minAgeHours: Int?
        var list: String?
        var minAmount: Decimal?
        var maxAmount: Decimal?
        /// Which page of the matching holds, from 1 (each page holds the console's queue limit).
        var page: Int = 1

        /// The same filter on its first page: whether anything but the page is set.
        var isFiltering: Bool {
            var first = self
            first.page = 1
            return first != QueueFilter()
        }
    }

    /// Percent-encodes a value for a query string (everything but unreserved characters).
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(0x80)))
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    static func queueFilter(_ query: [String: String]) throws(InputError) -> QueueFilter {
        func value(_ key: String) -> String? {
            guard let v = query[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        var filter = QueueFilter()
        if let r = value("reason") {
            guard holdReasons.contains(r) else { throw InputError(message: "unknown hold reason") }
            filter.reason = r
        }
        if let l = value("list") {
            guard listSources.contains(l) else { throw InputError(message: "unknown list source") }
            filter.list = l
        }
        if let a = value("min_age_hours") {
            guard a.count <= 6, a.allSatisfy({ $0.isASCII && $0.isNumber }), let hours = Int(a) else {
                throw InputError(message: "the minimum age is a whole number of hours (at most 999999)")
            }
            filter.minAgeHours = hours
        }
        filter.minAmount = try amount(value("min_amount"), what: "minimum amount")
        filter.maxAmount = try amount(value("max_amount"), what: "maximum amount")
        if let p = value("page") {
            guard p.count <= 6, p.allSatisfy({ $0.isASCII && $0.isNumber }), let page = Int(p), page >= 1 else {
                throw InputError(message: "the page is a whole number from 1 (at most 999999)")
            }
            filter.page = page
        }
        return filter
    }

    /// An amount as operators type it: digits with at most one decimal point (a comma is taken as one).
    static func amount(_ text: String?, what: String) throws(InputError) -> Decimal? {
        guard let text else { return nil }
        let t = text.replacingOccurrences(of: ",", with: ".")
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), t.count <= 20, !parts[0].isEmpty,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let d = Decimal(string: t, locale: Locale(identifier: "en_US_POSIX")) else {
            throw InputError(message: "the \(what) must be a number such as 10000 or 2500.50")
        }
        return d
    }

    /// A day as YYYY-MM-DD, a real calendar date.
    static func day(_ text: String?) throws(InputError) -> String? {
        guard let text, !text.isEmpty else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        guard text.count == 10, let date = f.date(from: text), f.string(from: date) == text else {
            throw InputError(message: "the day must be a date written as YYYY-MM-DD")
        }
        return text
    }
}
