import Foundation
import Rescreen

/// The rescreen's progress on a terminal: one line, rewritten every second, erased at the end.
enum RescreenProgressLine {
    static func text(_ p: RescreenProgress) -> String {
        let percent = p.total > 0 ? min(100, Double(p.screened) * 100 / Double(p.total)) : 100
        return String(format: "rescreen: %d / %d payments (%.1f%%), %.0f/s, ETA %@", p.screened, p.total, percent, p.rate,
                      p.secondsLeft.map(duration) ?? "-") + ", \(p.alerts) alerts, \(p.hits) hits"
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, t % 3600 / 60) : String(format: "%dm%02ds", t / 60, t % 60)
    }

    /// Draws on stderr when it is a terminal; nil (nothing drawn) otherwise.
    static var onTerminal: (@Sendable (RescreenProgress) -> Void)? {
        guard isatty(STDERR_FILENO) != 0 else { return nil }
        return { p in
            FileHandle.standardError.write(Data((p.finished ? "\r\u{1B}[K" : "\r" + text(p) + "\u{1B}[K").utf8))
        }
    }
}
