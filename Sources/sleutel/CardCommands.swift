import ArgumentParser
import BelgianEID
import CryptoCore
import Foundation
import PCSC
import Trust

struct Card: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with card readers and Belgian eID cards through pcscd.",
        subcommands: [Readers.self, Watch.self, Read.self, VerifyPIN.self]
    )
}

struct ReaderOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "Reader name (default: the first reader holding a Belgian eID).")
    var reader: String?
    @Option(
        name: .customLong("wait"),
        help: "Wait up to this many seconds for a card (in --reader, else in any reader) instead of failing when there is none yet."
    )
    var waitSeconds: Double = 0

    func validate() throws {
        guard (0...3600).contains(waitSeconds) else { throw ValidationError("--wait must be 0…3600 seconds") }
    }

    /// Connects to the chosen reader, or to the first one with an eID card in it.
    func connect(_ context: PCSCContext) throws -> (String, CardConnection) {
        if waitSeconds > 0 { try waitForCard(context) }
        if let reader { return (reader, try Self.connect(context, reader)) }
        let readers = try context.readers()
        guard !readers.isEmpty else { throw ValidationError("no card reader found (is pcscd running with a reader?)") }
        var states = readers.map { ReaderState(reader: $0) }
        try context.waitForChange(&states, timeoutMilliseconds: 0)
        let withCard = states.filter(\.isPresent)
        guard let pick = withCard.first(where: { EIDCard.atrLooksLikeEID($0.atr) }) ?? withCard.first else {
            throw ValidationError("no card in any reader (\(readers.joined(separator: ", ")))")
        }
        return (pick.reader, try Self.connect(context, pick.reader))
    }

    /// Waits on pcscd's reader states (SCardGetStatusChange) until a card is in the reader (or in
    /// any reader), at most `--wait` seconds.
    private func waitForCard(_ context: PCSCContext) throws {
        let milliseconds = Int(waitSeconds * 1000)
        let deadline = ContinuousClock.now + .milliseconds(milliseconds)
        do {
            if let reader {
                try context.waitForCard(in: reader, present: true, timeoutMilliseconds: milliseconds)
                return
            }
            var states: [ReaderState] = []
            while true {
                let names = try context.readers()
                if names != states.map(\.reader) { states = names.map { ReaderState(reader: $0) } }
                let left = ContinuousClock.now.duration(to: deadline)
                let ms = max(0, Int(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
                // With no reader yet, poll for one; otherwise block until a reader's state changes.
                if states.isEmpty { Thread.sleep(forTimeInterval: min(0.2, Double(ms) / 1000)) } else {
                    try context.waitForChange(&states, timeoutMilliseconds: ms)
                }
                if states.contains(where: { $0.isPresent && !$0.isMute }) { return }
                for i in states.indices { states[i].acknowledge() }
                if ContinuousClock.now >= deadline { throw PCSCError(status: .timeout, function: "SCardGetStatusChange") }
            }
        } catch let error as PCSCError where error.status == .timeout {
            throw ValidationError("no card in \(reader ?? "any reader") after waiting \(waitSeconds) s")
        }
    }

    /// `SCardConnect`; when pcscd cannot connect to a card whose ATR is not a Belgian eID's (a
    /// garbled or foreign ATR ends in SCARD_E_PROTO_MISMATCH), the error says that first.
    private static func connect(_ context: PCSCContext, _ reader: String) throws -> CardConnection {
        do {
            return try context.connect(reader: reader)
        } catch let error as PCSCError {
            var states = [ReaderState(reader: reader)]
            guard (try? context.waitForChange(&states, timeoutMilliseconds: 0)) != nil, states[0].isPresent,
                  !EIDCard.atrLooksLikeEID(states[0].atr)
            else { throw error }
            throw EIDError.notBelgianEID("the card in \(reader) (ATR \(states[0].atr.hex)) is not a Belgian eID: \(error)")
        }
    }
}

extension Card {
    struct Readers: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List readers and whether a card is inserted.")

        func run() throws {
            let context = try PCSCContext()
            let readers = try context.readers()
            if readers.isEmpty { print("no readers"); return }
            var states = readers.map { ReaderState(reader: $0) }
            try context.waitForChange(&states, timeoutMilliseconds: 0)
            for s in states {
                let card = s.isPresent ? "card present, ATR \(s.atr.hex)\(EIDCard.atrLooksLikeEID(s.atr) ? " (Belgian eID)" : "")" : "empty"
                print("\(s.reader): \(card)")
            }
        }
    }

    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print reader and card events until interrupted.")

        @Option(help: "Stop after this many seconds (default: run until interrupted).")
        var seconds: Double?

        func run() throws {
            let context = try PCSCContext()
            var monitor = CardMonitor(context: context)
            let deadline = seconds.map { Date().addingTimeInterval($0) }
            while deadline.map({ Date() < $0 }) ?? true {
                let wait = deadline.map { max(0, Int($0.timeIntervalSinceNow * 1000)) } ?? 1000
                for event in try monitor.next(timeoutMilliseconds: min(wait, 1000)) {
                    Terminal.printLine(event.description)
                }
            }
        }
    }

    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a Belgian eID: identity, address, card data, certificates and integrity verdict."
        )

        @OptionGroup var readerOption: ReaderOption
        @Flag(help: "Print JSON instead of text.") var json = false
        @Option(help: "Write the photo (JPEG) to this file.") var photo: String?
        @Flag(help: "Judge the card's certificates (path, key strength, revocation with --revocation); exit 6 when any is refused.")
        var trust = false
        @Option(name: .customLong("test-roots"), help: ArgumentHelp(
            "Trust the self-signed certificates found under this directory as TEST roots (default: the public Belgium roots).",
            discussion: "The integrity check requires the card's root certificate to be one of the trusted roots; "
                + "--trust judges the certificates against them too."))
        var testRoots: String?
        @OptionGroup var checks: TrustCheckOptions

        func run() throws {
            let configuration = try testRoots.map { try TrustConfiguration.test(roots: try selfSignedCertificates(under: $0)) } ?? .production()
            let context = try PCSCContext()
            let (_, connection) = try readerOption.connect(context)
            defer { connection.disconnect() }
            let card = try EIDCard(channel: connection)
            let contents = try card.readAll(includePhoto: true)
            let report = try card.verifyIntegrity(of: contents, trustedRoots: configuration.anchors.flatMap(\.certificates))
            if let photo, let bytes = contents.photo {
                try Data(bytes).write(to: URL(fileURLWithPath: photo))
            }
            var summary = try CardSummary(card: card, contents: contents, report: report)
            if trust {
                summary.trust = try CardSummary.judge(contents, service: try checks.service(configuration: configuration))
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            } else {
                print(summary.text)
            }
            if !report.isValid {
                Terminal.error("integrity check failed: \(report.failureNames)")
                throw ExitCode(3)
            }
            if summary.trust?.contains(where: { $0.report.rule != nil }) == true { throw ExitCode(6) }
        }
    }

    struct VerifyPIN: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-pin",
            abstract: "Verify the cardholder PIN (prompted without echo, or on the reader's pin pad)."
        )

        @OptionGroup var readerOption: ReaderOption
        @Flag(help: "Let the reader's pin pad collect the PIN.") var pinpad = false
        @Flag(help: "Only show the tries left; does not spend a try.") var status = false

        func run() throws {
            let context = try PCSCContext()
            let (_, connection) = try readerOption.connect(context)
            defer { connection.disconnect(.reset) }
            let card = try EIDCard(channel: connection)
            if status {
                let s = try card.pinStatus()
                print(s.isBlocked ? "PIN blocked" : "PIN tries left: \(s.triesLeft.map(String.init) ?? "unknown (PIN verified)")")
                return
            }
            try Terminal.verifyPIN(on: card, pinpad: pinpad)
            try card.logOff()
            print("PIN correct")
        }
    }
}

/// What `sleutel card read` shows.
struct CardSummary: Encodable {
    struct CertificateInfo: Encodable {
        let file: String
        let subject: String
        let issuer: String
        let notBefore: Date
        let notAfter: Date
        let key: String
    }

    let reader: String?
    let applet: String
    let cardData: CardData
    let identity: Identity
    let address: Address
    let photoBytes: Int?
    let certificates: [CertificateInfo]
    let integrity: IntegrityReport
    let integrityValid: Bool
    /// Trust verdicts of the card's certificates, only with `--trust`.
    var trust: [CertificateTrust]?

    struct CertificateTrust: Encodable {
        let file: String
        let report: TrustReport
    }

    /// Judges the authentication, signature and RRN certificates (the card's CA certificate as intermediate).
    static func judge(_ contents: EIDCardContents, service: TrustService) throws -> [CertificateTrust] {
        let ca = try contents.certificate(.caCertificate)
        let targets: [(EIDFile, CertificateKind, [Certificate])] = [
            (.authenticationCertificate, .authentication, ca.map { [$0] } ?? []),
            (.signatureCertificate, .signature, ca.map { [$0] } ?? []),
            (.rrnCertificate, .rrn, []),
        ]
        return try targets.compactMap { file, kind, intermediates in
            guard let cert = try contents.certificate(file) else { return nil }
            return CertificateTrust(file: file.rawValue, report: TrustReport(service.evaluate(certificate: cert, intermediates: intermediates, kind: kind)))
        }
    }

    init(card: EIDCard, contents: EIDCardContents, report: IntegrityReport) throws {
        reader = nil
        applet = "\(card.applet)"
        cardData = contents.cardData
        identity = contents.identity
        address = contents.address
        photoBytes = contents.photo?.count
        certificates = try EIDFile.certificates.compactMap { file in
            guard let cert = try contents.certificate(file) else { return nil }
            return CertificateInfo(
                file: file.rawValue, subject: cert.subject.description, issuer: cert.issuer.description,
                notBefore: cert.notBefore, notAfter: cert.notAfter, key: "\((try? cert.publicKey().kind)?.description ?? "?")"
            )
        }
        integrity = report
        integrityValid = report.isValid
        trust = nil
    }

    var text: String {
        var lines: [String] = []
        lines.append("Card: applet \(applet), chip \(cardData.serialNumber.hex.replacingOccurrences(of: " ", with: ""))")
        lines.append("Name: \(identity.givenNames) \(identity.surname)")
        lines.append("National number: \(identity.nationalNumber)")
        lines.append("Born: \(identity.birthDate.isoString) in \(identity.birthLocation)")
        lines.append("Card number: \(identity.cardNumber), valid \(identity.validityBegin.isoString) to \(identity.validityEnd.isoString)")
        lines.append("Address: \(address.streetAndNumber), \(address.zipCode) \(address.municipality)")
        if let photoBytes { lines.append("Photo: \(photoBytes) bytes") }
        for c in certificates { lines.append("Certificate \(c.file): \(c.subject) [\(c.key)]") }
        for r in integrity.results { lines.append("Integrity \(r.check.rawValue): \(r.passed ? "ok" : "FAILED") (\(r.detail))") }
        lines.append("Integrity verdict: \(integrityValid ? "valid" : "INVALID")")
        for t in trust ?? [] {
            lines.append("Trust \(t.file): \(t.report.verdict == "valid" ? "trusted" : "REFUSED (\(t.report.rule ?? "?"): \(t.report.reason ?? ""))")")
            lines += t.report.lines.dropLast().map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

/// Every self-signed certificate in the PEM/DER files (`.crt`, `.pem`, `.der`) under `directory`,
/// each once: the TEST roots of a test PKI such as Hardware/test-pki.
func selfSignedCertificates(under directory: String) throws -> [Certificate] {
    let root = URL(fileURLWithPath: directory)
    guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
        throw ValidationError("cannot read directory \(directory)")
    }
    var seen = Set<[UInt8]>()
    var roots: [Certificate] = []
    for case let url as URL in walker where ["crt", "pem", "der"].contains(url.pathExtension) {
        for cert in (try? readCertificates(url.path)) ?? [] where cert.isSelfIssued && cert.isSignedBy(cert) {
            if seen.insert(cert.derEncoded).inserted { roots.append(cert) }
        }
    }
    guard !roots.isEmpty else { throw ValidationError("no self-signed certificate under \(directory)") }
    return roots
}
