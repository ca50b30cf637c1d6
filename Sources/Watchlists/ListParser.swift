/// Turns the files of one `lists import` into entries (or, for `indicators`, an indicator set).
///
/// Each source has its own parser in its own file; this type only reads the files and dispatches.
/// A malformed file is refused as a whole with a `ListFileError` naming the file and the line, so that a
/// failed import changes nothing. Tolerated defects (orphan OFAC rows, a repeated CSL header, a cut-off
/// last CSL record) become counted `warnings` on the result.
public enum ListParser {
    /// Parses the files of one import; throws ListFileError naming the file and line on malformed input.
    public static func parse(source: ListSource, files: [String]) throws(ListFileError) -> ParsedList {
        var loaded: [ListFile] = []
        for path in files { loaded.append(try ListFile.read(path: path)) }
        return try parse(source: source, contents: loaded)
    }

    /// Parses files already in memory (tests, or a caller that checksums the bytes it read).
    ///
    /// A list source whose files yield no entry at all is refused: importing it would replace a working list
    /// with an empty one, and screening against nothing must not look like screening.
    public static func parse(source: ListSource, contents files: [ListFile]) throws(ListFileError) -> ParsedList {
        guard !files.isEmpty else {
            throw ListFileError(file: "(none)", message: "no files given for source \(source.rawValue)")
        }
        let result = try parseFiles(source: source, files)
        if source != .indicators, result.entries.isEmpty {
            throw ListFileError(file: files[0].name, message: "no entries found: refusing to import an empty \(source.rawValue) list")
        }
        return result
    }

    private static func parseFiles(source: ListSource, _ files: [ListFile]) throws(ListFileError) -> ParsedList {
        switch source {
        case .ofacSDN, .ofacCons:
            // The SDN list and the consolidated (non-SDN) list are two sources: a file of one, recognised by its
            // published name, is refused under the other rather than silently replacing it.
            for f in files {
                let consolidated = f.baseName.hasPrefix("cons_") || f.baseName.hasPrefix("consolidated")
                let sdn = ["sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv", "sdn.xml", "sdn_advanced.xml"].contains(f.baseName)
                if source == .ofacSDN && consolidated {
                    throw f.error(line: nil, "\(f.baseName) is OFAC's consolidated (non-SDN) list: import it with --source ofac-cons "
                        + "(a list of its own, so it never replaces the SDN list)")
                }
                if source == .ofacCons && sdn {
                    throw f.error(line: nil, "\(f.baseName) is OFAC's SDN list: import it with --source ofac-sdn")
                }
            }
            var parsed: ParsedList
            if files.count == 1, files[0].fileExtension == "xml" {
                // Two XML schemas, told apart by the root: sdn.xml/consolidated.xml (`sdnList`) and the structured
                // sdn_advanced.xml/cons_advanced.xml (`Sanctions`), which also says which list each party is on.
                let root = try ListXML.parse(files[0])
                if root.name == "Sanctions" {
                    parsed = try OFACAdvancedParser.parse(root, files[0], source: source)
                } else {
                    parsed = try OFACXMLParser.parse(root, files[0])
                }
            } else if let xml = files.first(where: { $0.fileExtension == "xml" }) {
                throw xml.error(line: nil, "an OFAC XML file is imported on its own, not together with other files")
            } else {
                parsed = try OFACCSVParser.parse(files)
            }
            parsed.source = source
            return parsed
        case .csl:
            return try merge(source, files.map { (f) throws(ListFileError) in try CSLParser.parse(f) })
        case .un:
            return try merge(source, files.map { (f) throws(ListFileError) in try UNParser.parse(f) })
        case .eu:
            return try merge(source, files.map { (f) throws(ListFileError) in try EUParser.parse(f) })
        case .uk:
            // The FCDO publishes the list as XML and as CSV (OFSI's ConList is CSV too): the extension decides, or,
            // without a known one, whether the file starts with markup.
            return try merge(source, files.map { (f) throws(ListFileError) in
                let xml = f.fileExtension == "xml" || (f.fileExtension != "csv" && f.startsWithMarkup)
                return try xml ? UKParser.parse(f) : UKCSVParser.parse(f)
            })
        case .openSanctions:
            return try merge(source, files.map { (f) throws(ListFileError) in try OpenSanctionsParser.parse(f) })
        case .banks:
            return try merge(source, files.map { (f) throws(ListFileError) in try BanksParser.parse(f) })
        case .indicators:
            var set = IndicatorSet()
            for f in files {
                let one = try IndicatorsFile.parse(f)
                set.keywords.append(contentsOf: one.keywords.filter { !set.keywords.contains($0) })
                set.exclusions.append(contentsOf: one.exclusions.filter { !set.exclusions.contains($0) })
                set.hsCodes.append(contentsOf: one.hsCodes.filter { h in !set.hsCodes.contains { $0.code == h.code } })
                for (k, v) in one.countrySets {
                    var cur = set.countrySets[k] ?? []
                    for c in v { cur.appendUnique(c) }
                    set.countrySets[k] = cur
                }
            }
            return ParsedList(source: .indicators, entries: [], indicators: set, warnings: [])
        }
    }

    /// Concatenates the results of several files of one source. Entries keep their source ids;
    /// a source id seen twice is kept once (the first) with a warning, since ids must identify a hit.
    private static func merge(_ source: ListSource, _ parts: [ParsedList]) -> ParsedList {
        if parts.count == 1 { return parts[0] }
        var out = ParsedList(source: source)
        var seen = Set<String>()
        var dup = 0
        for p in parts {
            out.warnings.append(contentsOf: p.warnings)
            for e in p.entries {
                if seen.insert(e.sourceId).inserted { out.entries.append(e) } else { dup += 1 }
            }
        }
        if dup > 0 { out.warnings.append("\(dup) entries repeated a source id already read from an earlier file and were skipped") }
        return out
    }
}
