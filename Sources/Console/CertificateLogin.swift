import Foundation
import HTTPTypes

/// Logging in with a client certificate checked by the bank's TLS reverse proxy.
///
/// The proxy verifies the browser's certificate and forwards its subject and the verification result in
/// request headers, with a secret of its own in a third header so that nothing else able to reach the
/// console's loopback port can claim a certificate. The console maps the subject to a PostgreSQL role with
/// a file the bank keeps (`roles`), and opens that role's connection without a password: the database
/// authenticates it by its own rule, `peer` on the unix socket with a `pg_ident.conf` map that names each
/// role the console's OS user may become. So `session_user` is still the person, and the database, not the
/// console, has the last word on which roles a certificate login can reach (README, "Certificate login").
public struct CertificateLogin: Sendable {
    /// The header carrying the verified certificate's subject DN as the proxy writes it (nginx `$ssl_client_s_dn`).
    public var subjectHeader: HTTPField.Name
    /// The header carrying the proxy's verification result; only `SUCCESS` is accepted (nginx `$ssl_client_verify`).
    public var verifyHeader: HTTPField.Name
    /// The header carrying `proxySecret`.
    public var secretHeader: HTTPField.Name
    /// A secret only the proxy knows (at least 32 characters): without it the other headers are ignored.
    public var proxySecret: String
    /// Certificate subject → role, exactly as written in the map file.
    public var roles: [String: String]

    public static let defaultSubjectHeader = "X-Client-Subject"
    public static let defaultVerifyHeader = "X-Client-Verify"
    public static let defaultSecretHeader = "X-Chokepoint-Proxy-Secret"

    public init(subjectHeader: String = defaultSubjectHeader, verifyHeader: String = defaultVerifyHeader,
                secretHeader: String = defaultSecretHeader, proxySecret: String, roles: [String: String]) throws(CertificateLoginError) {
        guard proxySecret.utf8.count >= 32, proxySecret.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw CertificateLoginError("the proxy secret must be at least 32 visible ASCII characters")
        }
        guard !roles.isEmpty else { throw CertificateLoginError("the certificate map names no role") }
        func name(_ text: String) throws(CertificateLoginError) -> HTTPField.Name {
            guard let name = HTTPField.Name(text) else { throw CertificateLoginError("'\(text)' is not a header name") }
            return name
        }
        self.subjectHeader = try name(subjectHeader)
        self.verifyHeader = try name(verifyHeader)
        self.secretHeader = try name(secretHeader)
        guard Set([self.subjectHeader, self.verifyHeader, self.secretHeader]).count == 3 else {
            throw CertificateLoginError("the subject, verification and secret headers must be three different headers")
        }
        self.proxySecret = proxySecret
        self.roles = roles
    }

    /// What a request's headers say about its certificate.
    public enum Identity: Equatable, Sendable {
        /// No certificate claim from the proxy (no secret header, or no subject): a password login, if allowed.
        case none
        /// A claim that cannot be used; `reason` is for the page and says nothing of which roles exist.
        case refused(reason: String)
        /// A verified certificate whose subject the map names.
        case mapped(subject: String, role: String)
    }

    public func identity(_ headers: HTTPFields) -> Identity {
        let secrets = headers[values: secretHeader]
        guard !secrets.isEmpty else {
            // A subject without the proxy's secret is somebody else's claim: refused, not ignored, so it shows.
            return headers[subjectHeader] == nil ? .none : .refused(reason: "The certificate headers did not come from the console's proxy.")
        }
        guard secrets.count == 1, Token.equal(secrets[0], proxySecret) else {
            return .refused(reason: "The certificate headers did not come from the console's proxy.")
        }
        // No certificate presented (the proxy sends an empty subject then): a password login, if allowed.
        let subjects = headers[values: subjectHeader].map { $0.trimmingCharacters(in: .whitespaces) }
        if subjects.isEmpty || subjects == [""] { return .none }
        guard subjects.count == 1 else { return .refused(reason: "The proxy sent the certificate's subject more than once.") }
        let subject = subjects[0]
        let verified = headers[values: verifyHeader]
        guard verified == ["SUCCESS"] else {
            return .refused(reason: "The proxy did not verify the certificate.")
        }
        guard let role = roles[subject] else {
            return .refused(reason: "No role is mapped to this certificate.")
        }
        return .mapped(subject: subject, role: role)
    }

    /// Reads a map file: one `ROLE SUBJECT` per line, the role first (a PostgreSQL role name), then the
    /// subject DN to the end of the line exactly as the proxy writes it; blank lines and `#` comments are skipped.
    /// A subject mapped twice, or a malformed role, is an error naming the line.
    public static func parseMap(_ text: String) throws(CertificateLoginError) -> [String: String] {
        var roles: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let space = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw CertificateLoginError("certificate map line \(number + 1): expected a role and a certificate subject")
            }
            let role = String(line[..<space])
            let subject = line[space...].trimmingCharacters(in: .whitespaces)
            do {
                _ = try Forms.role(role)
            } catch {
                throw CertificateLoginError("certificate map line \(number + 1): \(error.message)")
            }
            guard !subject.isEmpty, !subject.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw CertificateLoginError("certificate map line \(number + 1): expected a certificate subject after the role")
            }
            if roles[subject] != nil {
                throw CertificateLoginError("certificate map line \(number + 1): the subject is already mapped to \(roles[subject]!)")
            }
            roles[subject] = role
        }
        return roles
    }
}

public struct CertificateLoginError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
