import Foundation
import Postgres
import Synchronization
import Testing

@Suite("ConnectionThread: start, stop flag, interruptible sleep, join")
struct ConnectionThreadTests {
    @Test("the body runs once; join waits for it, any number of times")
    func runsOnceAndJoins() {
        let t = ConnectionThread(name: "test-thread")
        let runs = Atomic<Int>(0)
        t.start {
            Thread.sleep(forTimeInterval: 0.05)
            runs.add(1, ordering: .relaxed)
        }
        t.start { runs.add(100, ordering: .relaxed) }  // a second start does nothing
        #expect(t.join(timeout: 10))
        #expect(t.join(timeout: 0))
        #expect(t.join())
        #expect(t.isFinished)
        #expect(runs.load(ordering: .relaxed) == 1)
    }

    @Test("a stop request ends a long sleep within a fraction of a second, and the loop sees it")
    func stopCutsSleepShort() {
        let t = ConnectionThread(name: "test-sleeper")
        let loops = Atomic<Int>(0)
        t.start {
            while !t.isStopping {
                loops.add(1, ordering: .relaxed)
                t.sleep(60)
            }
        }
        Thread.sleep(forTimeInterval: 0.1)
        #expect(!t.join(timeout: 0.05))
        let start = Date()
        t.stop()
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(t.isFinished)
        #expect(loops.load(ordering: .relaxed) == 1)
    }

    @Test("a thread never started counts as finished; sleep without a stop request sleeps")
    func neverStarted() {
        let t = ConnectionThread(name: "idle")
        #expect(t.join(timeout: 0))
        t.stop()
        let u = ConnectionThread(name: "sleeper")
        let start = Date()
        u.sleep(0.12)
        #expect(Date().timeIntervalSince(start) >= 0.1)
    }
}
