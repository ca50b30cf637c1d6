import Foundation

/// One line of JSON with sorted keys, as every benchmark prints.
public func jsonLine(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}

/// Progress for the operator on standard error (standard output carries only the JSON lines).
public func progress(_ message: String) {
    FileHandle.standardError.write(Data("[bench] \(message)\n".utf8))
}

/// A failure of the benchmark harness itself (not of the daemon under test), with a message for the operator.
public struct BenchFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
