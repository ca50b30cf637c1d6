import Foundation
import Watchlists

/// What each template shows, built from what `Queries` read. Plain stored properties only: Mustache reads
/// them by reflection, and escapes each one as it writes it.
enum Views {
    struct Layout {
        var title: String
        var signedIn: Bool
        var role: String
        var csrf: String
        var hasFlash: Bool
        var flash: String
        var body: String
    }

    struct Login {
        var csrf: String
        var role: String
        var hasError: Bool
        var error: String
        /// Whether the role-and-password form is shown.
        var password: Bool
        /// The role the request's certificate maps to ("" when none): a button logs in as it.
        var certificateRole: String = ""
        /// Why the request's certificate cannot be used ("" when it can, or when there is none).
        var certificateNote: String = ""
        // Stored, not computed: the templates read properties by reflection.
        var hasCertificateRole = false
        var hasCertificateNote = false
    }

    struct Notice {
        var heading: String
        var kind: String
        var message: String
        var back: String
        var backLabel: String
    }

    // MARK: Queue

    struct Option { var value: String; var selected: Bool }
    struct ReasonCount { var reason: String; var count: Int }

    struct QueueRow {
        var id: String, ref: String, format: String, receivedAt: String, age: String, amount: String
        var reasons: String, lists: String, hits: Int, fourEyes: String
    }

    struct Queue {
        var total: Int
        var shown: Int
        var filtered: Bool
        /// More holds match than one page shows: the page says which it shows, with links to its neighbours.
        var paged: Bool
        var limit: Int
        var from: Int
        var to: Int
        var hasPrevious: Bool
        var previousHref: String
        var hasNext: Bool
        var nextHref: String
        var byReason: [ReasonCount]
        var reasons: [Option]
        var lists: [Option]
        var minAgeHours: String
        var minAmount: String
        var maxAmount: String
        var hasRows: Bool
        var rows: [QueueRow]
    }

    static func age(seconds: Double) -> String {
        let s = max(0, Int(seconds))
        if s < 3600 { return "\(s / 60) min" }
        if s < 86400 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        return "\(s / 86400) d \(s % 86400 / 3600) h"
    }

    static func fourEyes(_ hold: Queries.Hold) -> String {
        guard hold.needsFourEyes else { return "" }
        return hold.releaseRequestedBy.isEmpty ? "needed" : "requested by " + hold.releaseRequestedBy.joined(separator: ", ")
    }

    static func queue(holds: [Queries.Hold], limit: Int, total: Int, counts: [(reason: String, count: Int)], lists: [String],
                      filter: Forms.QueueFilter, raw: [String: String]) -> Queue {
        let start = min((filter.page - 1) * limit, holds.count)
        let rows = holds.dropFirst(start).prefix(limit).map { h in
            QueueRow(id: String(h.paymentId), ref: h.externalRef, format: h.format, receivedAt: h.receivedAt, age: age(seconds: h.ageSeconds),
                     amount: [h.currency, h.amount].compactMap { $0 }.joined(separator: " "),
                     reasons: h.reasons.joined(separator: ", "), lists: h.lists.joined(separator: ", "), hits: h.hitCount,
                     fourEyes: fourEyes(h))
        }
        // The page links keep the filter as the operator typed it.
        func href(page: Int) -> String {
            let keys = ["reason", "list", "min_age_hours", "min_amount", "max_amount"]
            let pairs = keys.compactMap { k in raw[k].flatMap { $0.isEmpty ? nil : "\(k)=\(Forms.encode($0))" } } + ["page=\(page)"]
            return "/holds?" + pairs.joined(separator: "&")
        }
        return Queue(total: total, shown: holds.count, filtered: filter.isFiltering, paged: holds.count > limit || filter.page > 1, limit: limit,
                     from: rows.isEmpty ? 0 : start + 1, to: start + rows.count,
                     hasPrevious: filter.page > 1, previousHref: href(page: min(filter.page - 1, max(1, (holds.count + limit - 1) / limit))),
                     hasNext: start + limit < holds.count, nextHref: href(page: filter.page + 1),
                     byReason: counts.map { ReasonCount(reason: $0.reason, count: $0.count) },
                     reasons: Forms.holdReasons.map { Option(value: $0, selected: $0 == filter.reason) },
                     lists: Array(Set(lists + (filter.list.map { [$0] } ?? []))).sorted().map { Option(value: $0, selected: $0 == filter.list) },
                     minAgeHours: raw["min_age_hours"] ?? "", minAmount: raw["min_amount"] ?? "", maxAmount: raw["max_amount"] ?? "",
                     hasRows: !rows.isEmpty, rows: rows)
    }

    // MARK: Hold

    struct Request { var by: String; var at: String; var reason: String }
    struct Name { var name: String; var kind: String }
    struct Identifier { var type: String; var value: String; var hasCountry: Bool; var country: String }
    struct History { var at: String; var actor: String; var action: String; var reason: String; var detail: String }

    struct Hit {
        var id: String, number: Int, kind: String, field: String, matched: String, score: String
        var hasExplanation: Bool, explanation: String, hasIdentifierType: Bool, identifierType: String
        var hasList: Bool, list: String, entryId: String, entryName: String
        var hasEntry: Bool, entryVersion: String, entryIsCurrent: Bool, entryType: String, names: [Name]
        var hasPrograms: Bool, programs: String, hasIdentifiers: Bool, identifiers: [Identifier]
        var hasBICs: Bool, bics: String, hasCountries: Bool, countries: String
        var hasBirthDates: Bool, birthDates: String, hasAddresses: Bool, addresses: [String]
        var hasSubList: Bool, subList: String, hasRemarks: Bool, remarks: String
        var canGoodGuy: Bool, hasGoodGuyRequests: Bool, goodGuyRequestedBy: String, goodGuyLabel: String
    }

    struct Hold {
        var id: String, status: String, ref: String, format: String, receivedAt: String, decidedAt: String, reasons: String
        var hasError: Bool, error: String
        var fourEyes: Bool, hasRequests: Bool, requests: [Request]
        var canAct: Bool, releaseLabel: String, csrf: String
        var messageHTML: String, hasNotFound: Bool, notFound: String
        var hits: [Hit]
        var history: [History]
    }

    /// Dates of birth as the lists give them: identifiers of a birth-date type, and OFAC's `DOB …;` remarks.
    static func birthDates(_ entry: ListEntry) -> [String] {
        var out = entry.identifiers.filter { $0.type.lowercased().contains("birth") || $0.type.uppercased() == "DOB" }.map(\.value)
        if let remarks = entry.remarks {
            for part in remarks.split(separator: ";") {
                let p = part.trimmingCharacters(in: .whitespaces)
                if p.hasPrefix("DOB ") { out.append(String(p.dropFirst(4))) }
            }
        }
        return out
    }

    static func hold(payment: Queries.Payment, hits: [Queries.Hit], requests: [Queries.ReleaseRequest],
                     history: [Queries.AuditEntry], role: String, isOperator: Bool, csrf: String) -> Hold {
        let highlighted = HTML.highlighted(message: payment.message, hits: hits.enumerated().map { ($0.offset + 1, $0.element.matched) })
        let fourEyes = payment.reasons.contains("sanctioned_party") || hits.contains { $0.kind == "sanctioned_party" }
        let requestedByMe = requests.contains { $0.requestedBy == role }
        let releaseLabel: String
        if !fourEyes {
            releaseLabel = "Release"
        } else if let other = requests.first(where: { $0.requestedBy != role }) {
            releaseLabel = "Confirm release (second operator after \(other.requestedBy))"
        } else if requestedByMe {
            releaseLabel = "Release (you asked already: a second operator must confirm)"
        } else {
            releaseLabel = "Request release (four eyes)"
        }
        let hitViews = hits.enumerated().map { (i, h) -> Hit in
            let e = h.entry
            let dobs = e.map(birthDates) ?? []
            let others = h.goodGuyRequestedBy.filter { $0 != role }
            return Hit(id: String(h.id), number: i + 1, kind: h.kind, field: h.field, matched: h.matched, score: String(format: "%.2f", h.score),
                       hasExplanation: h.explanation?.isEmpty == false, explanation: h.explanation ?? "",
                       hasIdentifierType: h.identifierType != nil, identifierType: h.identifierType ?? "",
                       hasList: h.list != nil, list: h.list ?? "", entryId: h.entryId ?? "", entryName: h.entryName ?? "",
                       hasEntry: e != nil, entryVersion: h.entryVersion.map(String.init) ?? "", entryIsCurrent: h.entryIsCurrent,
                       entryType: e?.type.rawValue ?? "", names: (e?.names ?? []).map { Name(name: $0.name, kind: $0.kind) },
                       hasPrograms: !(e?.programs.isEmpty ?? true), programs: (e?.programs ?? []).joined(separator: ", "),
                       hasIdentifiers: !(e?.identifiers.isEmpty ?? true),
                       identifiers: (e?.identifiers ?? []).map { Identifier(type: $0.type, value: $0.value, hasCountry: $0.country != nil, country: $0.country ?? "") },
                       hasBICs: !(e?.bics.isEmpty ?? true), bics: (e?.bics ?? []).joined(separator: ", "),
                       hasCountries: !(e?.countries.isEmpty ?? true), countries: (e?.countries ?? []).joined(separator: ", "),
                       hasBirthDates: !dobs.isEmpty, birthDates: dobs.joined(separator: "; "),
                       hasAddresses: !(e?.addresses.isEmpty ?? true), addresses: e?.addresses ?? [],
                       hasSubList: e?.subList != nil, subList: e?.subList ?? "", hasRemarks: e?.remarks?.isEmpty == false, remarks: e?.remarks ?? "",
                       canGoodGuy: isOperator && h.kind == "sanctioned_party" && h.list != nil && h.entryId != nil,
                       hasGoodGuyRequests: !h.goodGuyRequestedBy.isEmpty, goodGuyRequestedBy: h.goodGuyRequestedBy.joined(separator: ", "),
                       goodGuyLabel: others.isEmpty ? "Not this entry: request a good-guy record (four eyes)"
                                                    : "Confirm good-guy record (second operator)")
        }
        return Hold(id: String(payment.id), status: payment.status, ref: payment.externalRef, format: payment.format,
                    receivedAt: payment.receivedAt, decidedAt: payment.decidedAt ?? "", reasons: payment.reasons.joined(separator: ", "),
                    hasError: payment.error != nil, error: payment.error ?? "",
                    fourEyes: fourEyes, hasRequests: !requests.isEmpty,
                    requests: requests.map { Request(by: $0.requestedBy, at: $0.requestedAt, reason: $0.reason) },
                    canAct: isOperator, releaseLabel: releaseLabel, csrf: csrf,
                    messageHTML: highlighted.html, hasNotFound: !highlighted.notFound.isEmpty,
                    notFound: highlighted.notFound.map(String.init).joined(separator: ", "),
                    hits: hitViews,
                    history: history.map { History(at: $0.at, actor: $0.actor, action: $0.action, reason: $0.reason ?? "", detail: $0.detail) })
    }

    // MARK: Alerts, lists, summary

    struct OpenAlert {
        var id: String, paymentId: String, ref: String, status: String, kind: String, field: String, matched: String
        var list: String, entryId: String, entryName: String, score: String, createdAt: String
    }
    struct DoneAlert {
        var id: String, paymentId: String, ref: String, kind: String, field: String, matched: String, by: String, at: String, reason: String
    }
    struct Alerts {
        var openCount: Int, hasOpen: Bool, open: [OpenAlert], hasDone: Bool, done: [DoneAlert], csrf: String
    }

    static func alerts(open: [Queries.Alert], done: [Queries.Alert], csrf: String) -> Alerts {
        Alerts(openCount: open.count, hasOpen: !open.isEmpty,
               open: open.map { a in
                   OpenAlert(id: String(a.id), paymentId: String(a.paymentId), ref: a.externalRef, status: a.status, kind: a.kind,
                             field: a.field, matched: a.matched, list: a.list ?? "", entryId: a.entryId ?? "", entryName: a.entryName ?? "",
                             score: String(format: "%.2f", a.score), createdAt: a.createdAt)
               },
               hasDone: !done.isEmpty,
               done: done.map { a in
                   DoneAlert(id: String(a.id), paymentId: String(a.paymentId), ref: a.externalRef, kind: a.kind, field: a.field,
                             matched: a.matched, by: a.acknowledgedBy ?? "", at: a.acknowledgedAt ?? "", reason: a.acknowledgeReason ?? "")
               },
               csrf: csrf)
    }

    struct ListRow {
        var source: String, version: String, entries: Int, loadedAt: String, loadedBy: String, warnings: Int
        var hasPrevious: Bool, previous: String, previousLoadedAt: String, added: Int, removed: Int, changed: Int
    }
    struct Lists { var hasRows: Bool; var rows: [ListRow] }

    static func lists(_ rows: [Queries.ListStatus]) -> Lists {
        Lists(hasRows: !rows.isEmpty, rows: rows.map { r in
            ListRow(source: r.source, version: String(r.versionId), entries: r.entries, loadedAt: r.loadedAt, loadedBy: r.loadedBy,
                    warnings: r.warnings, hasPrevious: r.previousVersionId != nil, previous: r.previousVersionId.map(String.init) ?? "",
                    previousLoadedAt: r.previousLoadedAt ?? "", added: r.added, removed: r.removed, changed: r.changed)
        })
    }

    struct SeriesDay { var label: String; var screened: Int; var held: Int; var decided: Int }
    struct Summary {
        var day: String, screened: Int, held: Int, releasedAutomatically: Int, releasedByOperators: Int, rejected: Int, median: String
        var hasReasons: Bool, byReason: [ReasonCount], chartDays: Int, chart: String, series: [SeriesDay]
    }

    static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "no operator decisions" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }

    static func summary(day: String, _ s: Queries.DaySummary, series: [HTML.ChartDay]) -> Summary {
        Summary(day: day, screened: s.screened, held: s.held, releasedAutomatically: s.releasedAutomatically,
                releasedByOperators: s.releasedByOperators, rejected: s.rejected, median: duration(s.medianSecondsToDecision),
                hasReasons: !s.heldByReason.isEmpty, byReason: s.heldByReason.map { ReasonCount(reason: $0.reason, count: $0.count) },
                chartDays: series.count, chart: HTML.barChart(series),
                series: series.map { SeriesDay(label: $0.label, screened: $0.screened, held: $0.held, decided: $0.decided) })
    }
}
