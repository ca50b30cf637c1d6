import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 request to 127.0.0.1 over a plain socket, for tests that talk to a real server (the metrics
/// endpoint, chromedriver) without a client library: FoundationNetworking refuses headers written without
/// a space after the colon, as chromedriver writes them. Blocking, with a receive timeout.
public enum LoopbackHTTP {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Sends the request with `Connection: close` and returns the status line and headers (as sent) and the
    /// body: `Content-Length` bytes of it, or all until the server closed or `timeout` seconds passed.
    public static func request(port: Int, method: String = "GET", path: String, body: Data = Data(),
                               contentType: String? = nil, timeout: Int = 5) throws -> (head: String, body: Data) {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let connected = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "cannot connect to 127.0.0.1:\(port)") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if !body.isEmpty || method != "GET" { head += "Content-Length: \(body.count)\r\n" }
        let request = Array((head + "\r\n").utf8) + Array(body)
        _ = request.withUnsafeBytes { send(s, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let (headers, start) = split(response), let length = contentLength(headers), response.count - start >= length {
                return (headers, Data(response[start..<(start + length)]))
            }
            let n = recv(s, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        guard let (headers, start) = split(response) else { throw Failure(description: "no answer to \(method) \(path)") }
        return (headers, Data(response[start...]))
    }

    /// The headers' text and where the body starts, once the blank line has arrived.
    private static func split(_ response: [UInt8]) -> (String, Int)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = response.indices.first(where: { response[$0...].starts(with: separator) }) else { return nil }
        return (String(decoding: response[..<end], as: UTF8.self), end + 4)
    }

    private static func contentLength(_ headers: String) -> Int? {
        headers.lowercased().split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
    }
}
