import ArgumentParser
import BelgianEID
import Foundation
import PCSC

/// A channel that counts the APDUs that really cross the reader (incl. GET RESPONSE and 6C re-sends).
final class CountingChannel: CardChannel, @unchecked Sendable {
    let connection: CardConnection
    private(set) var apdus = 0
    init(_ connection: CardConnection) { self.connection = connection }
    var atr: [UInt8] { connection.atr }
    func transmit(_ command: CommandAPDU) throws -> ResponseAPDU {
        try CardConnection.exchange(command) { raw in
            apdus += 1
            return try connection.transmitRaw(raw)
        }
    }
    func control(code: UInt32, input: [UInt8]) throws -> [UInt8] { try connection.control(code: code, input: input) }
    func withTransaction<R>(_ body: () throws -> R) throws -> R { try connection.withTransaction(body) }
}

/// `sleutel-dev bench-card`: a full card read against the single-APDU floor (Tools/bench-card-read.sh).
struct CardBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-card",
        abstract: "Measure a full card read against the single-APDU round trip through pcscd."
    )

    @Option(name: .shortAndLong, help: "Reader holding the card.") var reader: String
    @Option(help: "Full reads to time.") var iterations = 50
    @Option(help: "Single APDUs to time for the round-trip floor.") var roundTrips = 2000
    @Flag(help: "Read only the certificates (what pkcs15-tool reads).") var certificatesOnly = false
    @Flag(help: "Also time each file on its own.") var perFile = false
    @Flag(help: "Call PC/SC directly on this thread, without the card-timeout worker (to measure its cost).")
    var unbounded = false

    func run() throws {
        let context = try PCSCContext(cardTimeout: unbounded ? nil : .seconds(5))
        let connection = try context.connect(reader: reader)
        defer { connection.disconnect() }
        let channel = CountingChannel(connection)
        let card = try EIDCard(channel: channel)

        // Round-trip floor: a SELECT of DF01 answers 90 00 with no data.
        let select = CommandAPDU(cla: 0, ins: 0xA4, p1: 0x08, p2: 0x0C, data: [0x3F, 0x00, 0xDF, 0x01]).bytes
        for _ in 0..<50 { _ = try connection.transmitRaw(select) }
        var rtt: [Double] = []
        rtt.reserveCapacity(roundTrips)
        for _ in 0..<roundTrips {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try connection.transmitRaw(select)
            rtt.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
        }
        rtt.sort()
        let rttMean = rtt.reduce(0, +) / Double(rtt.count)

        // Reads alternate with bursts of single APDUs, so drift in machine load hits both alike.
        var times: [Double] = []
        var burstRTT: [Double] = []
        var apdusPerRead = 0
        let burst = max(10, roundTrips / max(1, iterations))
        for i in 0..<(iterations + 3) {
            let r0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<burst { _ = try connection.transmitRaw(select) }
            let rttHere = Double(DispatchTime.now().uptimeNanoseconds - r0) / 1000 / Double(burst)
            let before = channel.apdus
            let t0 = DispatchTime.now().uptimeNanoseconds
            if certificatesOnly {
                _ = try connection.withTransaction { try EIDFile.certificates.map { try card.read($0) } }
            } else {
                _ = try card.readAll(includePhoto: true)
            }
            let us = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000
            apdusPerRead = channel.apdus - before
            if i >= 3 {  // three warm-up rounds
                times.append(us)
                burstRTT.append(rttHere)
            }
        }
        let interleavedRTT = burstRTT.reduce(0, +) / Double(burstRTT.count)
        times.sort()
        let mean = times.reduce(0, +) / Double(times.count)
        let floor = Double(apdusPerRead) * interleavedRTT
        let result: [String: Any] = [
            "what": certificatesOnly ? "certificates" : "full read (identity, signatures, address, photo, certificates)",
            "applet": "\(card.applet)",
            "apdus_per_read": apdusPerRead,
            "rtt_us_mean": (rttMean * 10).rounded() / 10,
            "rtt_us_interleaved": (interleavedRTT * 10).rounded() / 10,
            "rtt_us_p50": rtt[rtt.count / 2],
            "read_us_mean": mean.rounded(),
            "read_us_p50": times[times.count / 2].rounded(),
            "floor_us": floor.rounded(),
            "ratio_to_floor": (mean / floor * 100).rounded() / 100,
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        guard perFile else { return }
        for file in EIDFile.allCases where card.applet.isEC || file != .basicPublicKey {
            var fileTimes: [Double] = []
            var fileAPDUs = 0
            var bytes = 0
            for _ in 0..<iterations {
                let before = channel.apdus
                let t0 = DispatchTime.now().uptimeNanoseconds
                bytes = try card.read(file).count
                fileTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
                fileAPDUs = channel.apdus - before
            }
            fileTimes.sort()
            let p50 = fileTimes[fileTimes.count / 2]
            print("\(file.rawValue): \(bytes) bytes, \(fileAPDUs) APDUs, p50 \(Int(p50)) µs, \(Int(p50 / Double(max(1, fileAPDUs)))) µs/APDU")
        }
    }
}
