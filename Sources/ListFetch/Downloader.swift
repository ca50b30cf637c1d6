import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Store

/// Downloads one list file over HTTP(S) to a temporary file, with a size limit, a timeout and a conditional GET.
///
/// URLSession (on Linux FoundationNetworking, which drives the system's libcurl) does the HTTP and the TLS,
/// with certificate verification always on: no delegate here answers a server-trust challenge, and a
/// process started with FoundationNetworking's switch for turning verification off is refused. Redirects
/// are followed only to https (or back to the loopback host of a plain-http local mirror).
///
/// Blocking: the caller's thread waits for the transfer (the CLI's main thread; never Swift's cooperative pool).
public struct Downloader: Sendable {
    public struct Options: Sendable {
        public var timeoutSeconds: Double
        public var maxBytes: Int
        /// `http://host:port` and the like; nil: libcurl's own environment (`https_proxy`) applies.
        public var proxy: URL?
        public init(timeoutSeconds: Double, maxBytes: Int, proxy: URL?) {
            self.timeoutSeconds = timeoutSeconds
            self.maxBytes = maxBytes
            self.proxy = proxy
        }
    }

    public enum Result: Sendable, Equatable {
        case notModified
        case downloaded(path: String, bytes: Int, validator: ListFetchStatus.Validator)
    }

    public init() {}

    /// FoundationNetworking reads this variable and turns certificate verification off when it says so.
    static let insecureSwitch = "URLSessionCertificateAuthorityInfoFile"

    /// Downloads `url` into `path`; sends `validator` as If-None-Match / If-Modified-Since when given.
    /// Throws FetchError naming the URL for any network error, HTTP status other than 200/304, a body over the
    /// limit or shorter than its Content-Length, or a timeout.
    public func download(_ url: URL, to path: String, options: Options, validator: ListFetchStatus.Validator?) throws(FetchError) -> Result {
        if let v = ProcessInfo.processInfo.environment[Self.insecureSwitch], v.uppercased().contains("INSECURE") {
            throw FetchError("\(Self.insecureSwitch)=\(v) would turn TLS certificate verification off: refusing to fetch lists")
        }
        Self.applyProxy(options.proxy)
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw FetchError("cannot create the temporary file \(path)")
        }
        defer { try? handle.close() }

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = options.timeoutSeconds
        configuration.timeoutIntervalForResource = options.timeoutSeconds
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.urlCredentialStorage = nil
        let delegate = Transfer(file: handle, maxBytes: options.maxBytes, origin: url)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        defer { session.invalidateAndCancel() }

        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: options.timeoutSeconds)
        request.setValue("chokepoint-lists-fetch", forHTTPHeaderField: "User-Agent")
        // No compression: the size limit and the Content-Length check are about the bytes of the file itself.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        if let etag = validator?.etag { request.setValue(etag, forHTTPHeaderField: "If-None-Match") }
        if let modified = validator?.lastModified { request.setValue(modified, forHTTPHeaderField: "If-Modified-Since") }
        let task = session.dataTask(with: request)
        task.resume()
        // The session's own timeouts should end the transfer; this bound holds even if they do not.
        if delegate.done.wait(timeout: .now() + options.timeoutSeconds + 5) == .timedOut {
            task.cancel()
            _ = delegate.done.wait(timeout: .now() + 5)
            throw FetchError("\(url.absoluteString): timed out after \(Self.seconds(options.timeoutSeconds))")
        }
        let outcome = delegate.outcome
        if let failure = outcome.failure { throw FetchError("\(url.absoluteString): \(failure)") }
        guard let response = outcome.response else { throw FetchError("\(url.absoluteString): no HTTP response") }
        if response.statusCode == 304 {
            guard validator != nil else { throw FetchError("\(url.absoluteString): HTTP 304 to a request that was not conditional") }
            return .notModified
        }
        guard response.statusCode == 200 else {
            throw FetchError("\(url.absoluteString): HTTP \(response.statusCode) \(HTTPURLResponse.localizedString(forStatusCode: response.statusCode))")
        }
        let headers = response.allHeaderFields
        func header(_ name: String) -> String? {
            headers.first { ($0.key as? String)?.lowercased() == name.lowercased() }?.value as? String
        }
        // A connection closed early can end "successfully" with fewer bytes than announced: a truncated file.
        // (A compressed body, sent despite `identity`, announces its compressed length: libcurl checks that one.)
        let encoded = header("Content-Encoding").map { $0.lowercased() != "identity" } ?? false
        if !encoded, response.expectedContentLength >= 0, Int64(outcome.received) != response.expectedContentLength {
            throw FetchError("\(url.absoluteString): truncated: received \(outcome.received) of \(response.expectedContentLength) bytes")
        }
        return .downloaded(path: path, bytes: outcome.received,
                           validator: .init(etag: header("ETag"), lastModified: header("Last-Modified")))
    }

    static func seconds(_ s: Double) -> String { String(format: "%g s", s) }

    static let proxyVariables = ["http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"]
    /// The process's own proxy variables, as it started: a source without a proxy gets them back.
    static let startingProxyEnvironment: [String: String] = {
        let env = ProcessInfo.processInfo.environment
        return env.filter { proxyVariables.contains($0.key) }
    }()

    /// FoundationNetworking does not apply `connectionProxyDictionary`; libcurl takes the proxy from the
    /// environment (`http_proxy`, `https_proxy`, lower case first). A configured proxy is set there for
    /// every request, `no_proxy` cleared, so that nothing goes around it; without one, the variables the
    /// process started with apply (a previous source's proxy must not linger). Called between transfers only.
    static func applyProxy(_ proxy: URL?) {
        let original = startingProxyEnvironment
        for name in proxyVariables {
            if let proxy, !name.lowercased().hasPrefix("no_") {
                setenv(name, proxy.absoluteString, 1)
            } else if proxy == nil, let value = original[name] {
                setenv(name, value, 1)
            } else {
                unsetenv(name)
            }
        }
    }

    /// What the delegate saw, read once the transfer ended.
    struct Outcome {
        var response: HTTPURLResponse?
        var received = 0
        var failure: String?
    }

    /// The session's delegate: writes the body to the file as it arrives and stops at the size limit.
    ///
    /// `@unchecked Sendable`: `state` is touched on the session's serial delegate queue while the transfer
    /// runs and by the waiting thread only after `done` was signalled; the lock makes that visible.
    final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let file: FileHandle
        let maxBytes: Int
        let origin: URL
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var state = Outcome()

        init(file: FileHandle, maxBytes: Int, origin: URL) {
            self.file = file
            self.maxBytes = maxBytes
            self.origin = origin
        }

        var outcome: Outcome { lock.withLock { state } }

        private func fail(_ message: String) { lock.withLock { if state.failure == nil { state.failure = message } } }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            guard let http = response as? HTTPURLResponse else {
                fail("not an HTTP response")
                completionHandler(.cancel)
                return
            }
            lock.withLock { state.response = http }
            if http.statusCode == 200, http.expectedContentLength > Int64(maxBytes) {
                fail("the file is \(http.expectedContentLength) bytes, over the limit of \(maxBytes) bytes (max_bytes)")
                completionHandler(.cancel)
                return
            }
            completionHandler(http.statusCode == 200 ? .allow : .cancel)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            let over: Bool = lock.withLock {
                state.received += data.count
                return state.received > maxBytes
            }
            if over {
                fail("the file is over the limit of \(maxBytes) bytes (max_bytes)")
                dataTask.cancel()
                return
            }
            do { try file.write(contentsOf: data) } catch {
                fail("cannot write the temporary file: \(error.localizedDescription)")
                dataTask.cancel()
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            // Never from https down to http: the file would arrive without TLS.
            let to = request.url
            let safe = to?.scheme?.lowercased() == "https"
                || (to?.scheme?.lowercased() == "http" && origin.scheme?.lowercased() == "http" && to?.host == origin.host)
            if !safe {
                fail("redirected to \(to?.absoluteString ?? "nothing"), which is not https: refused")
                completionHandler(nil)
                task.cancel()
                return
            }
            completionHandler(request)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            if let error {
                let state = outcome
                // A cancel of our own (non-200 status, size limit) already says why.
                if state.failure == nil, !(state.response.map { $0.statusCode != 200 } ?? false) {
                    fail(Self.describe(error))
                }
            }
            done.signal()
        }

        static func describe(_ error: Error) -> String {
            if let e = error as? URLError {
                switch e.code {
                case .timedOut: return "timed out"
                case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed: return "cannot connect (\(e.localizedDescription))"
                case .networkConnectionLost: return "connection lost before the end of the file (truncated)"
                case .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateHasUnknownRoot,
                     .serverCertificateNotYetValid, .secureConnectionFailed:
                    return "TLS failed, certificate not trusted (\(e.localizedDescription))"
                default: return "network error \(e.code.rawValue) (\(e.localizedDescription))"
                }
            }
            return "network error (\(error.localizedDescription))"
        }
    }
}

/// A failed fetch, with a message that names the source or URL and what went wrong.
public struct FetchError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
