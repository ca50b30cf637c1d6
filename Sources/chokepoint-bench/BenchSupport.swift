import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What every benchmark reports the same way: the build it ran, durations in seconds, this process's memory.
enum BenchBuild {
    #if DEBUG
    static let name = "debug"
    #else
    static let name = "release"
    #endif
}

enum BenchClock {
    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// This process's resident memory from `/proc/self/status`, in kB: now (`VmRSS`) and the peak (`VmHWM`).
enum ProcessMemory {
    static func read() -> (rss: Int, peak: Int) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    /// Hands freed heap back to the system (glibc `malloc_trim`), so that RSS counts what is live.
    static func trim() {
        // Not in the Glibc module's headers: looked up by name, skipped where absent.
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
    }

    /// Sets the peak back to the current RSS (Linux: `5` into `/proc/self/clear_refs`), so that the next
    /// reading's peak is that of what ran in between.
    static func resetPeak() {
        guard let f = fopen("/proc/self/clear_refs", "w") else { return }
        fputs("5", f)
        fclose(f)
    }
}
