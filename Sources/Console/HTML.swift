/// The few pieces of HTML the console builds in Swift rather than in a template: the message with its
/// matched spans marked, and the summary's chart. Everything that came from a message, a list or a user
/// goes through `HTML.escape` first; the templates escape every other value themselves.
enum HTML {
    /// Escapes text for an element's content or a quoted attribute value.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// A span of the message that a hit matched, and the hit's number on the page.
    struct Span: Equatable {
        var start: Int
        var end: Int
        var hit: Int
    }

    /// Where `needle` occurs in `text`, in `Character` offsets: letters compared without case, and as
    /// payment text does to names, a line break may fall inside a word and any run of spaces, line breaks
    /// or punctuation may stand between two words.
    static func occurrences(of needle: String, in text: [Character]) -> [Range<Int>] {
        // Compared one Character at a time, each lowered on its own: lowering may turn one character into
        // several, so the needle is never lowered as a whole.
        let words = needle.split(whereSeparator: { $0.isWhitespace }).map { $0.map { $0.lowercased() } }
        guard !words.isEmpty, !text.isEmpty else { return [] }
        let lower = text.map { $0.lowercased() }
        func isLineBreak(_ c: Character) -> Bool { c == "\n" || c == "\r" || c == "\r\n" }
        func isGap(_ c: Character) -> Bool { c.isWhitespace || c.isPunctuation }
        // Matches from `start`; returns the end offset or nil.
        func match(at start: Int) -> Int? {
            var i = start
            for (w, word) in words.enumerated() {
                if w > 0 {
                    var skipped = 0
                    while i < text.count, isGap(text[i]) { i += 1; skipped += 1 }
                    if skipped == 0 { return nil }
                }
                var k = 0
                while k < word.count {
                    guard i < text.count else { return nil }
                    if lower[i] == word[k] {
                        i += 1; k += 1
                    } else if k > 0, isLineBreak(text[i]) {
                        i += 1
                    } else {
                        return nil
                    }
                }
            }
            return i
        }
        var found: [Range<Int>] = []
        var start = 0
        while start < text.count {
            // A match must not begin or end inside another word.
            if start > 0, text[start - 1].isLetter || text[start - 1].isNumber { start += 1; continue }
            if let end = match(at: start), end == text.count || !(text[end].isLetter || text[end].isNumber) {
                found.append(start..<end)
                start = end
            } else {
                start += 1
            }
        }
        return found
    }

    /// The message as escaped HTML with each hit's matched text in a `<mark>` naming the hit; also says
    /// which hits were found nowhere verbatim (a match after transliteration, say).
    static func highlighted(message: String, hits: [(number: Int, matched: String)]) -> (html: String, notFound: [Int]) {
        let text = Array(message)
        var owner = [Int?](repeating: nil, count: text.count)
        var notFound: [Int] = []
        for hit in hits {
            let ranges = occurrences(of: hit.matched, in: text)
            if ranges.isEmpty { notFound.append(hit.number) }
            for r in ranges { for i in r where owner[i] == nil { owner[i] = hit.number } }
        }
        var html = ""
        var i = 0
        while i < text.count {
            var j = i
            while j < text.count, owner[j] == owner[i] { j += 1 }
            let piece = escape(String(text[i..<j]))
            if let n = owner[i] {
                html += "<mark id=\"span-\(i)\" title=\"hit \(n)\">" + piece + "<sup>\(n)</sup></mark>"
            } else {
                html += piece
            }
            i = j
        }
        return (html, notFound)
    }

    /// One day of the summary chart.
    struct ChartDay {
        var label: String
        var screened: Int
        var held: Int
        var decided: Int
    }

    /// A grouped bar chart as inline SVG (no script, no style attribute, so the page's CSP holds).
    static func barChart(_ days: [ChartDay]) -> String {
        let width = 640, height = 200, top = 10, bottom = 30, left = 40
        let plotHeight = height - top - bottom
        let maxValue = max(1, days.map { max($0.screened, $0.held, $0.decided) }.max() ?? 1)
        let slot = days.isEmpty ? 0 : (width - left) / days.count
        let bar = max(2, slot / 4)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(width) \(height)\" "
            + "role=\"img\" aria-label=\"payments screened, held and decided by operators per day\">"
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(width)\" y2=\"\(top + plotHeight)\" stroke=\"#555\"/>"
        svg += "<text x=\"2\" y=\"\(top + 10)\" font-size=\"10\">\(maxValue)</text>"
        svg += "<text x=\"2\" y=\"\(top + plotHeight)\" font-size=\"10\">0</text>"
        let series: [(KeyPath<ChartDay, Int>, String, String)] = [
            (\.screened, "#8aa4c8", "screened"), (\.held, "#d9822b", "held"), (\.decided, "#3b8f4e", "decided by operators"),
        ]
        for (d, day) in days.enumerated() {
            let x0 = left + d * slot + bar / 2
            for (s, (path, colour, name)) in series.enumerated() {
                let value = day[keyPath: path]
                let h = value * plotHeight / maxValue
                svg += "<rect x=\"\(x0 + s * bar)\" y=\"\(top + plotHeight - h)\" width=\"\(bar)\" height=\"\(h)\" fill=\"\(colour)\">"
                    + "<title>\(escape(day.label)): \(value) \(name)</title></rect>"
            }
            if days.count <= 16 || d % 2 == 0 {
                svg += "<text x=\"\(x0)\" y=\"\(height - 12)\" font-size=\"9\">\(escape(day.label))</text>"
            }
        }
        svg += "</svg>"
        return svg
    }
}
