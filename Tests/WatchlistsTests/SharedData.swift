#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import Watchlists

/// Locates the real list files in `../shared/data` (beside the package root), which are never copied into
/// the repository. Tests that need them are disabled, with a message naming the path, when they are absent.
enum SharedData {
    /// `<package root>/../shared/data`, found from this file's path (symlinks resolved), or
    /// `$CHOKEPOINT_SHARED_DATA` when set.
    static let root: String = {
        if let env = getenv("CHOKEPOINT_SHARED_DATA") { return String(cString: env) }
        var path = #filePath
        if let real = realpath(path, nil) {
            path = String(cString: real)
            free(real)
        }
        // <root>/Tests/WatchlistsTests/SharedData.swift → <root>
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/../shared/data"
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }

    static func exists(_ relatives: String...) -> Bool {
        relatives.allSatisfy { access(path($0), R_OK) == 0 }
    }

    static func missing(_ relative: String) -> Comment {
        "shared data absent: \(path(relative)) (tests on real files are skipped)"
    }

    static func parse(_ source: ListSource, _ relatives: String...) throws -> ParsedList {
        try ListParser.parse(source: source, files: relatives.map(path))
    }
}

import Testing

/// Builds an in-memory file from a string literal.
func file(_ name: String, _ text: String) -> ListFile { ListFile(name: name, text: text) }

/// Expects a ListFileError and returns it.
@discardableResult
func expectRefused(_ source: ListSource, _ files: [ListFile], sourceLocation: SourceLocation = #_sourceLocation) -> ListFileError? {
    do {
        let r = try ListParser.parse(source: source, contents: files)
        Issue.record("expected the file to be refused, parsed \(r.entries.count) entries", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// The list files written for these tests, in `Tests/WatchlistsTests/Fixtures` (read by path, so Package.swift
/// excludes the directory from the target instead of bundling it).
enum Fixtures {
    static let directory: String = {
        var path = #filePath
        if let real = realpath(path, nil) {
            path = String(cString: real)
            free(real)
        }
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast()
        return parts.joined(separator: "/") + "/Fixtures"
    }()

    /// The fixture's bytes, named by its path as `lists import` names a file.
    static func file(_ name: String) throws -> ListFile { try ListFile.read(path: directory + "/" + name) }

    /// The fixture's bytes under another name, as an operator might have saved the download.
    static func file(_ name: String, savedAs other: String) throws -> ListFile {
        ListFile(name: other, bytes: try file(name).bytes)
    }

    /// The fixture's text with `replacing` replaced once by `with`, for a refusal test; fails when absent.
    static func edited(_ name: String, replacing: String, with: String) throws -> ListFile {
        let text = String(decoding: try file(name).bytes, as: UTF8.self)
        guard let r = text.range(ofLiteral: replacing), text[r.upperBound...].range(ofLiteral: replacing) == nil else {
            throw ListFileError(file: name, message: "fixture edit: \(replacing) does not occur exactly once")
        }
        var edited = text
        edited.replaceSubrange(r, with: with)
        return ListFile(name: name, text: edited)
    }
}
