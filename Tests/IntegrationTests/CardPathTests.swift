import BelgianEID
import CryptoCore
import Foundation
import PCSC
import Testing
import VirtualCard

/// An in-process virtual card served on its own thread into one vpcd slot.
final class InsertedCard {
    let connection: VirtualCardConnection
    let thread: ServingThread
    let reader: String

    init(
        _ profile: String, slot: Int = 1, dropAfterAPDUs: Int? = nil, apduDelay: Duration? = nil, fault: CardFault? = nil,
        reconnect: Bool = false, tamper: CardTamper? = nil
    ) throws {
        var image = try CardImage.load(profileURL: Rig.profile(profile))
        if let tamper { image = try tamper.apply(to: image, hardware: Rig.root.appendingPathComponent("Hardware")) }
        reader = Rig.readers[slot]
        let options = VirtualCardConnection.Options(
            port: Rig.ports[slot], connectTimeout: .seconds(5), reconnect: reconnect, apduDelay: apduDelay,
            dropAfterAPDUs: dropAfterAPDUs, fault: fault)
        connection = VirtualCardConnection(emulator: EIDCardEmulator(image: image), options: options)
        try connection.connect()
        thread = connection.serveInBackground()
        try Rig.waitFor(reader, present: true)
    }

    /// Pulls the card and waits until pcscd reports the reader empty.
    func remove() throws {
        connection.remove()
        thread.wait(timeout: .seconds(5))
        try Rig.waitFor(reader, present: false)
    }

    /// Connects through pcscd and recognises the eID.
    func open(_ context: PCSCContext) throws -> (CardConnection, EIDCard) {
        let c = try context.connect(reader: reader)
        return (c, try EIDCard(channel: c))
    }
}

@Suite("Card path through the real pcscd + vpcd", .serialized, .enabled(if: Rig.enabled, "needs the pcscd + vpcd rig (Tools/test.sh)"))
struct CardPathTests {
    @Test("read a 1.7 card: identity, address, photo, certificates, integrity", arguments: ["specimen-1.7", "foreigner-1.7", "expired-1.7"])
    func read17(profile: String) throws {
        let card = try InsertedCard(profile)
        defer { try? card.remove() }
        let context = try PCSCContext()
        let (connection, eid) = try card.open(context)
        defer { connection.disconnect() }
        #expect(connection.activeProtocol == .t0)
        #expect(eid.applet == .v1_7)
        let contents = try eid.readAll()
        let json = try profileJSON(profile)
        let identity = try #require(json["identity"] as? [String: Any])
        #expect(contents.identity.surname == identity["surname"] as? String)
        #expect(contents.identity.givenNames == identity["givenNames"] as? String)
        #expect(contents.identity.nationalNumber == identity["nationalNumber"] as? String)
        #expect(contents.identity.cardNumber == identity["cardNumber"] as? String)
        #expect(contents.identity.chipNumber == contents.cardData.serialNumber)
        #expect(contents.address.municipality == (json["address"] as? [String: Any])?["municipality"] as? String)
        let report = contents.verifyIntegrity()
        #expect(report.isValid, "failures: \(report.failures)")
        #expect(report.results.contains { $0.check == .photoHash && $0.passed })
        #expect(contents.photo?.starts(with: [0xFF, 0xD8]) == true)
        let auth = try #require(try contents.certificate(.authenticationCertificate))
        #expect(auth.subject.value(of: DistinguishedName.serialNumberOID) == contents.identity.nationalNumber)
        #expect(try contents.certificate(.signatureCertificate) != nil)
        let ca = try #require(try contents.certificate(.caCertificate))
        #expect(auth.isSignedBy(ca))
        if profile == "foreigner-1.7" {
            #expect(contents.identity.documentType.isForeignerCard)
            #expect(contents.identity.birthDate.precision == .year)
            #expect(ca.subject.commonName?.contains("Foreigner") == true)
        }
    }

    @Test("read a 1.8 card: EC integrity, basic-key hash and INTERNAL AUTHENTICATE", arguments: ["specimen-1.8", "german-1.8", "minor-1.8"])
    func read18(profile: String) throws {
        let card = try InsertedCard(profile)
        defer { try? card.remove() }
        let context = try PCSCContext()
        let (connection, eid) = try card.open(context)
        defer { connection.disconnect() }
        #expect(eid.applet == .v1_8)
        let contents = try eid.readAll()
        let report = contents.verifyIntegrity()
        #expect(report.isValid, "failures: \(report.failures)")
        #expect(report.results.contains { $0.check == .basicKeyHash && $0.passed })
        #expect(report.results.contains { $0.check == .identitySignature && $0.detail.contains("ECDSA") })
        #expect(try eid.verifyBasicKey(contents: contents))
        if profile == "german-1.8" {
            #expect(contents.identity.birthDate.month == 3)
            #expect(contents.identity.birthDate.isoString == "1980-03-15")
        }
        if profile == "minor-1.8" {
            #expect(try contents.certificate(.signatureCertificate) == nil)
        }
    }

    @Test("wrong PIN then right PIN, then an authentication signature that verifies (RSA 1.7)")
    func pinAndSign17() throws {
        let card = try InsertedCard("specimen-1.7")
        defer { try? card.remove() }
        let context = try PCSCContext()
        let (connection, eid) = try card.open(context)
        defer { connection.disconnect(.reset) }
        let pin = try #require(try profileJSON("specimen-1.7")["pin"] as? String)
        #expect(try eid.pinStatus() == PINStatus(triesLeft: 3, verified: false))
        let challenge = SecureRandom.bytes(32)
        #expect(throws: EIDError.securityNotSatisfied("")) { try eid.signChallenge(challenge) }
        do {
            try eid.verifyPIN(PIN(pin == "0000" ? "1111" : "0000"))
            Issue.record("a wrong PIN was accepted")
        } catch let e as EIDError {
            #expect(e.code == .pinIncorrect)
            #expect(e.triesLeft == 2)
        }
        #expect(try eid.pinStatus().triesLeft == 2)
        try eid.verifyPIN(PIN(pin))
        #expect(try eid.pinStatus().verified == true)
        let signature = try eid.signChallenge(challenge)
        #expect(signature.algorithm == .rsaPKCS1SHA256)
        let contents = try eid.read(.authenticationCertificate)
        let key = try Certificate(der: contents).publicKey()
        #expect(signature.verify(challenge: challenge, with: key))
        #expect(!signature.verify(challenge: challenge + [0], with: key))
        try eid.logOff()
        #expect(throws: EIDError.securityNotSatisfied("")) { try eid.signChallenge(challenge) }
        // A right PIN restores the counter.
        try eid.verifyPIN(PIN(pin))
        try eid.logOff()
        #expect(try eid.pinStatus().triesLeft == 3)
    }

    @Test("EC P-384 signature on a 1.8 card with one try left; DER output verifies")
    func pinAndSign18() throws {
        let card = try InsertedCard("pin-one-try-1.8")
        defer { try? card.remove() }
        let context = try PCSCContext()
        let (connection, eid) = try card.open(context)
        defer { connection.disconnect(.reset) }
        #expect(try eid.pinStatus().triesLeft == 1)
        let pin = try #require(try profileJSON("pin-one-try-1.8")["pin"] as? String)
        try eid.verifyPIN(PIN(pin))
        let challenge = SecureRandom.bytes(48)
        let signature = try eid.signChallenge(challenge)
        #expect(signature.algorithm == .ecdsaSHA384)
        #expect(signature.bytes.first == 0x30)
        let key = try Certificate(der: eid.read(.authenticationCertificate)).publicKey()
        #expect(signature.verify(challenge: challenge, with: key))
        #expect(try eid.pinStatus().triesLeft == 3)
    }

    @Test("the last wrong PIN blocks the card; a blocked card refuses every PIN")
    func blocking() throws {
        let card = try InsertedCard("pin-one-try-1.8")
        defer { try? card.remove() }
        let context = try PCSCContext()
        let (connection, eid) = try card.open(context)
        defer { connection.disconnect(.reset) }
        let pin = try #require(try profileJSON("pin-one-try-1.8")["pin"] as? String)
        #expect(throws: EIDError.pinBlocked("")) { try eid.verifyPIN(PIN(pin == "9999" ? "9998" : "9999")) }
        #expect(throws: EIDError.pinBlocked("")) { try eid.verifyPIN(PIN(pin)) }
        #expect(try eid.pinStatus().isBlocked)

        let blocked = try InsertedCard("pin-blocked-1.7", slot: 0)
        defer { try? blocked.remove() }
        let (c2, eid2) = try blocked.open(context)
        defer { c2.disconnect() }
        #expect(try eid2.pinStatus().isBlocked)
        let pin2 = try #require(try profileJSON("pin-blocked-1.7")["pin"] as? String)
        #expect(throws: EIDError.pinBlocked("")) { try eid2.verifyPIN(PIN(pin2)) }
    }

    @Test("PIN change: old PIN checked, new PIN works")
    func changePIN() throws {
        let card = try InsertedCard("specimen-1.7")
        defer { try? card.remove() }
        let context = try PCSCContext()
        let (connection, eid) = try card.open(context)
        defer { connection.disconnect(.reset) }
        let pin = try #require(try profileJSON("specimen-1.7")["pin"] as? String)
        let newPIN = pin == "975310" ? "864200" : "975310"
        #expect(throws: EIDError.pinIncorrect("")) { try eid.changePIN(old: PIN("0000" == pin ? "1111" : "0000"), new: PIN(newPIN)) }
        try eid.changePIN(old: PIN(pin), new: PIN(newPIN))
        try eid.logOff()
        try eid.verifyPIN(PIN(newPIN))
        #expect(throws: EIDError.pinIncorrect("")) { try eid.verifyPIN(PIN(pin)) }
    }

    @Test("a card pulled in the middle of a read gives a clear error, no hang; the next card works")
    func removedMidRead() throws {
        let context = try PCSCContext()
        let card = try InsertedCard("specimen-1.7", dropAfterAPDUs: 12)
        let started = ContinuousClock.now
        do {
            let (connection, eid) = try card.open(context)
            defer { connection.disconnect() }
            _ = try eid.readAll()
            Issue.record("the read succeeded although the card was pulled")
        } catch let e as EIDError {
            #expect(e.code == .transport)
            #expect(e.reason.contains("removed") || e.reason.contains("stopped answering"), "\(e)")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        card.thread.wait(timeout: .seconds(5))
        try Rig.waitFor(card.reader, present: false)

        let next = try InsertedCard("specimen-1.8")
        defer { try? next.remove() }
        let (connection, eid) = try next.open(context)
        defer { connection.disconnect() }
        #expect(try eid.readAll().verifyIntegrity().isValid)
    }

    @Test("a card reset by another application: the connection recovers and counts the reset")
    func resetByOther() throws {
        let card = try InsertedCard("specimen-1.8")
        defer { try? card.remove() }
        let context = try PCSCContext()
        let (connection, eid) = try card.open(context)
        defer { connection.disconnect() }
        _ = try eid.read(.identity)
        let other = try context.connect(reader: card.reader)
        try other.reconnect(initialization: .reset)
        other.disconnect()
        let identity = try eid.read(.identity)
        #expect(!identity.isEmpty)
        #expect(connection.resetCount == 1)
    }

    @Test("insert and remove events through the status-change monitor")
    func events() throws {
        let context = try PCSCContext()
        var monitor = CardMonitor(context: context)
        let initial = try monitor.next(timeoutMilliseconds: 0)
        #expect(initial.contains(.readerAttached(reader: Rig.readers[1])))
        let card = try InsertedCard("specimen-1.8")
        var seen: [ReaderEvent] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while !seen.contains(where: { if case .cardInserted(Rig.readers[1], _) = $0 { true } else { false } }), ContinuousClock.now < deadline {
            seen += try monitor.next(timeoutMilliseconds: 500)
        }
        #expect(seen.contains(.cardInserted(reader: Rig.readers[1], atr: EIDCard.atrV18)))
        try card.remove()
        seen = []
        while !seen.contains(.cardRemoved(reader: Rig.readers[1])), ContinuousClock.now < deadline + .seconds(5) {
            seen += try monitor.next(timeoutMilliseconds: 500)
        }
        #expect(seen.contains(.cardRemoved(reader: Rig.readers[1])))
    }

    @Test("a slow card still completes a read (bounded by its delay)")
    func slowCard() throws {
        let card = try InsertedCard("specimen-1.7", apduDelay: .milliseconds(5))
        defer { try? card.remove() }
        let context = try PCSCContext()
        let (connection, eid) = try card.open(context)
        defer { connection.disconnect() }
        #expect(try eid.read(.identity).count > 100)
    }

    @Test("without pcscd the error says so")
    func noPcscd() throws {
        let process = Process()
        process.executableURL = Rig.binary
        process.arguments = ["card", "readers"]
        process.environment = ["PCSCLITE_CSOCK_NAME": "/tmp/sleutel-no-such-pcscd.comm"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(text.contains("SCARD_E_NO_SERVICE"))
        #expect(text.contains("pcscd is not running"))
    }
}
