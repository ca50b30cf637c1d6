/// Exponential reconnect backoff with full jitter, as a pure value: the caller asks for the next
/// delay after each failure and resets after a success. Pure so it is tested without a network.
public struct Backoff: Sendable, Equatable {
    public let initial: Double
    public let maximum: Double
    public private(set) var failures: Int = 0

    public init(initial: Double = 0.05, maximum: Double = 5.0) {
        precondition(initial > 0 && maximum >= initial)
        self.initial = initial
        self.maximum = maximum
    }

    /// The ceiling of the next delay, in seconds: initial·2^failures, capped at `maximum`.
    public var ceiling: Double {
        let exp = min(failures, 30)
        return min(maximum, initial * Double(1 << exp))
    }

    /// Records a failure and returns how long to wait before the next attempt (seconds).
    /// `unit` is a number in [0, 1) used as jitter (pass `Double.random(in: 0..<1)` in production).
    public mutating func nextDelay(unit: Double) -> Double {
        let c = ceiling
        failures += 1
        // Half fixed, half jittered: never zero, never above the ceiling.
        return c / 2 + c / 2 * max(0, min(unit, 1))
    }

    public mutating func reset() { failures = 0 }
}
