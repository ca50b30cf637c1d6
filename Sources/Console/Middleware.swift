import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// One access-log line per request: method, path, status and time, nothing else. The query string (filters)
/// and bodies (reasons, passwords) are left out, and no page's content is logged, so the access log never
/// holds message text, party names or who asked for what; the audit log in the database says who did what.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.info("request", metadata: [
            "method": "\(request.method.rawValue)",
            "path": "\(AccessLogMiddleware.loggedPath(request.uri.path))",
            "status": "\(response.status.code)",
            "ms": "\(Int(ms.rounded()))",
        ])
        return response
    }

    /// The path as logged: only the console's own path characters, so a crafted URL cannot smuggle text
    /// (or forged log lines) into the log.
    static func loggedPath(_ path: String) -> String {
        let allowed = path.prefix(200).unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0)
            || ("0"..."9").contains($0) || "/-_.".unicodeScalars.contains($0) }
        return allowed ? String(path.prefix(200)) : "(unusual path)"
    }
}

/// Headers on every response: no caching of pages with personal data, no framing, no scripts at all, forms
/// only to the console itself, no referrer leaving the console.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var frameOptions: HTTPField.Name { HTTPField.Name("X-Frame-Options")! }
    static var referrerPolicy: HTTPField.Name { HTTPField.Name("Referrer-Policy")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.frameOptions] = "DENY"
        response.headers[Self.referrerPolicy] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Turns whatever escaped the handlers (an unknown path, a method not routed) into a plain page: the
/// browser never sees a stack trace or an error's text.
struct ErrorPageMiddleware<Context: RequestContext>: RouterMiddleware {
    let console: Console

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            return ErrorPageMiddleware.page(for: error.status, console: console)
        } catch {
            console.logger.error("console: request failed", metadata: ["type": "\(type(of: error))"])
            return console.notice(.internalServerError, "Error", "Something went wrong. Look at the payment's history before trying again.", session: nil)
        }
    }

    /// The page for an HTTP-level refusal (no route, wrong method, a body over the limit).
    static func page(for status: HTTPResponse.Status, console: Console) -> Response {
        switch status {
        case .notFound: return console.notice(.notFound, "Not found", "There is no such page.", session: nil)
        case .methodNotAllowed: return console.notice(.methodNotAllowed, "Not allowed", "This page does not take that kind of request.", session: nil)
        case .contentTooLarge: return console.notice(.contentTooLarge, "Too large", "The form was too large.", session: nil)
        default: return console.notice(status, "Refused", "The request could not be handled (\(status.code)).", session: nil)
        }
    }
}
