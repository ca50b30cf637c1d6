import Console
import Foundation
import HummingbirdTesting
import IntegrationSupport
import Postgres
import TestSupport
import Testing

/// A W3C WebDriver client, as far as the end-to-end test needs one: a headless Chromium session through
/// the chromedriver that `scripts/test` starts (CHOKEPOINT_TEST_WEBDRIVER_URL), with its own profile, so
/// two sessions are two browsers with their own cookies.
struct WebDriver {
    static var url: String? {
        let v = ProcessInfo.processInfo.environment["CHOKEPOINT_TEST_WEBDRIVER_URL"]
        return (v?.isEmpty ?? true) ? nil : v
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    let base: String
    let session: String

    static func start(_ base: String) async throws -> WebDriver {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chokepoint-e2e-\(UUID().uuidString)").path
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": [
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(profile)"],
        ]]]]
        let value = try await call(base, "POST", "/session", capabilities)
        guard let id = (value as? [String: Any])?["sessionId"] as? String else { throw Failure(description: "no WebDriver session: \(value)") }
        return WebDriver(base: base, session: id)
    }

    @discardableResult
    static func call(_ base: String, _ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        guard let port = URL(string: base)?.port else { throw Failure(description: "no port in \(base)") }
        // A blocking exchange, so on a thread of its own rather than the cooperative pool.
        let data: Data = try await withCheckedThrowingContinuation { done in
            Thread {
                do {
                    done.resume(returning: try LoopbackHTTP.request(port: port, method: method, path: path, body: payload,
                                                                    contentType: "application/json", timeout: 90).body)
                } catch {
                    done.resume(throwing: error)
                }
            }.start()
        }
        let json = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        let value = (json as? [String: Any])?["value"] ?? NSNull()
        if let error = (value as? [String: Any])?["error"] as? String {
            throw Failure(description: "WebDriver \(path): \(error): \((value as? [String: Any])?["message"] ?? "")")
        }
        return value
    }

    func go(_ url: String) async throws { try await Self.call(base, "POST", "/session/\(session)/url", ["url": url]) }

    func element(_ css: String) async throws -> String {
        let value = try await Self.call(base, "POST", "/session/\(session)/element", ["using": "css selector", "value": css])
        guard let id = (value as? [String: Any])?["element-6066-11e4-a52e-4f735466cecf"] as? String else {
            throw Failure(description: "no element \(css)")
        }
        return id
    }

    func type(_ css: String, _ text: String) async throws {
        try await Self.call(base, "POST", "/session/\(session)/element/\(try await element(css))/value", ["text": text])
    }

    func click(_ css: String) async throws {
        try await Self.call(base, "POST", "/session/\(session)/element/\(try await element(css))/click", [:])
    }

    func source() async throws -> String { try await Self.call(base, "GET", "/session/\(session)/source") as? String ?? "" }

    /// Whether the page shows `text` within `timeout` seconds: a click's navigation may still be under way
    /// when WebDriver answers the click.
    func shows(_ text: String, timeout: Double = 15) async throws -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if try await source().contains(text) { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await source().contains(text)
    }

    func quit() async { _ = try? await Self.call(base, "DELETE", "/session/\(session)") }
}

@Suite("console in a real browser", .enabled(if: TestDatabase.enabled))
struct BrowserTests {
    @Test("two operators in headless Chromium release a sanctions hold with four eyes; the audit log names both",
          .enabled(if: WebDriver.url != nil,
                   "needs Debian's chromium and chromium-driver: scripts/test starts chromedriver when they are installed"))
    func fourEyesInABrowser() async throws {
        let driver = try #require(WebDriver.url)
        let s = try Setup.make()
        defer { s.db.drop() }
        let id = try s.standardPayments()["Z1"]!
        let console = try s.console()
        try await console.application().test(.live) { client in
            let site = "http://127.0.0.1:\(try #require(client.port))"
            for (role, reason, expected) in [(s.operatorA, "beneficiary is another company", "release requested: a second operator must confirm"),
                                             (s.operatorB, "agreed after checking the registry", "released (confirmed by a second operator after")] {
                let browser = try await WebDriver.start(driver)
                do {
                    try await browser.go(site + "/login")
                    try await browser.type("input[name=role]", role)
                    try await browser.type("input[name=password]", "secret")
                    try await browser.click("form.login button")
                    #expect(try await browser.shows("Open holds"), "\(role) sees the queue")
                    try await browser.click("a[href='/holds/\(id)']")
                    #expect(try await browser.shows("<h2>History</h2>"), "\(role) sees the hold")
                    try await browser.type("form[action='/holds/\(id)/release'] textarea[name=reason]", reason)
                    try await browser.click("form[action='/holds/\(id)/release'] button")
                    #expect(try await browser.shows(expected), "\(role)")
                } catch {
                    // What the browser showed, to tell a console fault from a browser one.
                    Issue.record("page at failure: \((try? await browser.source())?.prefix(1500) ?? "none")")
                    await browser.quit()
                    throw error
                }
                await browser.quit()
            }
        }
        await console.endSessions()
        let c = try s.connect()
        defer { c.close() }
        #expect(try c.query("SELECT status FROM chokepoint.payments WHERE id = $1", [id]).scalar == "released")
        #expect(try c.query("SELECT actor, action, reason FROM chokepoint.audit_log WHERE payment_id = $1 AND action <> 'decision' ORDER BY id",
                            [id]).rows.map(\.values) == [
            [s.operatorA, "release_requested", "beneficiary is another company"],
            [s.operatorB, "release_hold", "agreed after checking the registry"],
        ])
    }
}
