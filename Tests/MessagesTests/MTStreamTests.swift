import Messages
import Testing

@Suite("MTStream: RJE batches")
struct MTStreamTests {
    let ack = "{1:F21BANKDEFFAXXX0000000001}{4:{177:2501011200}{451:0}}"
    let nak = "{1:F21BANKDEFFAXXX0000000002}{4:{177:2501011200}{451:1}{405:T13}}"

    @Test("messages between '$' come out in order; blank segments are skipped")
    func plainBatch() {
        let a = mt(mt103Fields)
        let b = mt(mt202Fields, type: "202")
        #expect(MTStream.split(a + "$" + b) == [a, b])
        #expect(MTStream.split("$\r\n" + a + "\r\n$$\n$" + b + "\n$") == [a, b])
        #expect(MTStream.split("") == [])
        #expect(MTStream.split("$ $\n$") == [])
    }

    @Test("ACK and NAK service messages are dropped, alone or glued in front of the message")
    func serviceMessages() {
        let a = mt(mt103Fields)
        #expect(MTStream.split(ack + a + "$" + nak + "$" + a) == [a, a])
        #expect(MTStream.split(ack + "$" + ack + nak + a) == [a])
        #expect(MTStream.split(ack) == [])
    }

    @Test("garbage segments are handed to the parser, which refuses them")
    func garbage() {
        let parts = MTStream.split("hello$" + mt(mt103Fields))
        #expect(parts.count == 2)
        #expect(parseError("mt103", parts[0]) != nil)
        #expect(parseError("mt103", parts[1]) == nil)
    }

    @Test("split messages parse like the originals")
    func roundTrip() throws {
        let a = mt(mt103Fields, eol: "\n")
        let parts = MTStream.split(ack + a + "$" + a)
        #expect(try parts.map { try MessageParser.parse(format: "mt103", message: $0) }
            == [try MessageParser.parse(format: "mt103", message: a), try MessageParser.parse(format: "mt103", message: a)])
    }
}
