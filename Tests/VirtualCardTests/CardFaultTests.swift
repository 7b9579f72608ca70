import Foundation
import Testing
@testable import VirtualCard

@Suite("card faults", .serialized)
struct CardFaultTests {
    @Test("text forms parse and print back", arguments: [
        ("garbage", "garbage=random"), ("garbage=short@read", "garbage=short@read"), ("garbage=status", "garbage=status"),
        ("slow=1500", "slow=1500"), ("slow=20@signature", "slow=20@signature"), ("pull@apdu=3", "pull@apdu=3"),
        ("pull-during-read", "pull@read"), ("PULL-DURING-SIGNATURE", "pull@signature"),
        ("garbage@atr", "garbage=random@atr"), ("garbage=short@atr", "garbage=short@atr"),
    ])
    func parse(text: String, printed: String) throws {
        #expect(try CardFault(parsing: text).description == printed)
    }

    @Test("bad text forms are refused with badField", arguments: [
        "", "explode", "slow", "slow=0", "slow=x", "garbage=loud", "pull@never", "pull@apdu=-1", "@read",
        "pull@atr", "slow=100@atr", "garbage=status@atr", "garbage@atr=1",
    ])
    func refuse(text: String) {
        #expect(throws: VirtualCardError(.badField, "")) { try CardFault(parsing: text) }
    }

    @Test("garbage repeats from run to run and never sends an empty frame")
    func garbageIsDeterministic() {
        for index in UInt64(1)...200 {
            let bytes = CardFault.garbage(.random, index: index)
            #expect((1...64).contains(bytes.count))
            #expect(bytes == CardFault.garbage(.random, index: index))
        }
        #expect(CardFault.garbage(.short, index: 1) == [0x6F])
        #expect(CardFault.garbage(.status, index: 9) == [0x6F, 0x00])
    }

    @Test("garbage@atr: every ATR request gets the same 1…33 garbage bytes; APDUs are answered normally")
    func garbageATR() throws {
        let fault = try CardFault(parsing: "garbage@atr")
        let atr = try #require(fault.garbageATR)
        #expect((1...33).contains(atr.count))
        #expect(atr != CardApplet.v18.atr)
        #expect(CardFault(.garbage(.short), at: .atr).garbageATR == [0x3B])
        #expect(CardFault(.garbage(.random), at: .read).garbageATR == nil, "only the atr trigger touches the ATR")

        let server = try LoopbackServer()
        let connection = VirtualCardConnection(emulator: Fixtures.emulator(.v18), options: .init(port: server.port, fault: fault))
        let serving = connection.serveInBackground()
        try server.accept()
        server.sendFrame([0x04])
        #expect(server.readFrame() == atr)
        server.sendFrame([0x01])
        server.sendFrame([0x04])
        #expect(server.readFrame() == atr, "the same garbage at the next request")
        server.sendFrame(apdu("00 A4 08 0C 06 3F 00 DF 01 40 31"))
        #expect(server.readFrame() == [0x90, 0x00], "APDUs are not touched")
        connection.remove()
        #expect(serving.wait(timeout: .seconds(5)).map { try? $0.get() } == .removed)
    }

    @Test("pull@signature: the card answers until PSO arrives, then leaves without answering and stays out")
    func pullAtSignature() throws {
        let server = try LoopbackServer()
        let connection = VirtualCardConnection(
            emulator: Fixtures.emulator(.v18),
            options: .init(port: server.port, retryInterval: .milliseconds(20), reconnect: true, fault: .pullDuringSignature)
        )
        let serving = connection.serveInBackground()
        try server.accept()
        server.sendFrame(apdu("80 E4 00 00 1C"))
        #expect(server.readFrame().map { sw($0) } == 0x9000)
        server.sendFrame(psoAPDU(Array(repeating: 1, count: 48)))
        #expect(server.seesEOF(), "PSO: the card is pulled without answering")
        #expect(serving.wait(timeout: .seconds(5)).map { try? $0.get() } == .pulled, "no reconnect after a pull")
        #expect(connection.insertions == 1)
    }

    @Test("garbage=status@read: answers normally until READ BINARY, then 6F00 to everything; control messages stay intact")
    func garbageFromRead() throws {
        let server = try LoopbackServer()
        let connection = VirtualCardConnection(
            emulator: Fixtures.emulator(.v17), options: .init(port: server.port, fault: CardFault(.garbage(.status), at: .read))
        )
        let serving = connection.serveInBackground()
        try server.accept()
        server.sendFrame(apdu("00 A4 08 0C 06 3F 00 DF 01 40 31"))
        #expect(server.readFrame() == [0x90, 0x00])
        server.sendFrame(apdu("00 B0 00 00 10"))
        #expect(server.readFrame() == [0x6F, 0x00])
        server.sendFrame(apdu("80 E4 00 00 1C"))
        #expect(server.readFrame() == [0x6F, 0x00], "garbage lasts")
        server.sendFrame([0x04])
        #expect(server.readFrame() == CardApplet.v17.atr, "the ATR is never garbled")
        connection.remove()
        #expect(serving.wait(timeout: .seconds(5)).map { try? $0.get() } == .removed)
    }

    @Test("slow: each APDU is answered late; a removal ends the wait at once")
    func slow() throws {
        let server = try LoopbackServer()
        let connection = VirtualCardConnection(
            emulator: Fixtures.emulator(.v17), options: .init(port: server.port, fault: CardFault(.delay(.seconds(30))))
        )
        let serving = connection.serveInBackground()
        try server.accept()
        server.sendFrame(apdu("80 E4 00 00 1C"))
        #expect(server.read(2, timeoutMs: 300) == nil, "no answer within 300 ms")
        let pulled = ContinuousClock.now
        connection.remove()
        #expect(serving.wait(timeout: .seconds(2)).map { try? $0.get() } == .removed)
        #expect(ContinuousClock.now - pulled < .seconds(1))
    }
}
