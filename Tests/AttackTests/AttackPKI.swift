import CryptoCore
import Foundation
import Sessions
import SleutelTestSupport

/// What an attacker holds in place of a card: an authentication certificate, the CA certificates
/// it sends along, and a private key that signs challenges the way the card would.
struct AttackerCard: Sendable {
    let certificate: [UInt8]
    let intermediates: [[UInt8]]
    let key: PrivateKey

    init(certificate: [UInt8], intermediates: [[UInt8]], key: PrivateKey) {
        self.certificate = certificate
        self.intermediates = intermediates
        self.key = key
    }

    /// A test-PKI card (`Hardware/test-pki/persons/<person>`), optionally with its signature
    /// (non-repudiation) certificate and key instead of the authentication ones.
    init(_ card: TestCard) {
        self.init(certificate: card.certificate, intermediates: card.intermediates, key: card.key)
    }

    /// Signs like the card: SHA-256 PKCS#1 v1.5 with RSA, SHA-384 ECDSA with EC.
    func sign(_ message: [UInt8]) throws -> [UInt8] {
        try key.sign(data: message, algorithm: key.kind.challengeDigest)
    }

    /// A full eID login attempt: a fresh challenge, this card's answer.
    func login(_ service: SessionService, application: String = "eloket") throws -> IssuedSession {
        let challenge = try service.beginEIDLogin(application: application)
        return try service.completeEIDLogin(transactionID: challenge.transactionID, signature: sign(challenge.toBeSigned),
                                            certificate: certificate, intermediates: intermediates)
    }
}

/// Certificates the test PKI lacks, made with the `openssl` CLI (`openssl req` and `openssl ca`,
/// as Tools/make-test-pki.sh does) in a temporary directory: leaves with chosen dates and
/// extensions under a real test CA, and an attacker's own root and CA that copy the test names.
final class AttackPKI: @unchecked Sendable {
    let directory: URL
    private var counter = 0

    /// The EC authentication profile of the test PKI's Citizen CA (applet 1.8 cards).
    static let authExtensions = [
        "basicConstraints = CA:FALSE",
        "keyUsage = critical, digitalSignature",
        "certificatePolicies = 2.16.56.13.6.1.1.1000",
    ]
    static let caExtensions = [
        "basicConstraints = critical, CA:TRUE, pathlen:0",
        "keyUsage = critical, keyCertSign, cRLSign",
        "certificatePolicies = 2.5.29.32.0",
    ]
    static let testPKI = TestCard.directory

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-attack-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// A P-384 key pair (PKCS#8 PEM file) and its PrivateKey.
    func newKey() throws -> (path: String, key: PrivateKey) {
        counter += 1
        let path = directory.appendingPathComponent("key\(counter).pem").path
        try Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", path])
        return (path, try PrivateKey(pem: String(contentsOfFile: path, encoding: .utf8)))
    }

    /// Issues a certificate for `subject` (openssl `-subj` form) with `extensions`, signed by the CA
    /// at `caCertificate`/`caKey` (files), valid from `notBefore` to `notAfter`.
    func issue(subject: String, extensions: [String], caCertificate: String, caKey: String,
               notBefore: Date = Date().addingTimeInterval(-86_400), notAfter: Date = Date().addingTimeInterval(365 * 86_400),
               key: (path: String, key: PrivateKey)? = nil) throws -> (certificate: Certificate, path: String, key: (path: String, key: PrivateKey)) {
        let key = try key ?? newKey()
        counter += 1
        let base = directory.appendingPathComponent("cert\(counter)")
        let ca = base.appendingPathExtension("ca")
        try FileManager.default.createDirectory(at: ca, withIntermediateDirectories: true)
        try "".write(to: ca.appendingPathComponent("index.txt"), atomically: true, encoding: .utf8)
        try String(format: "%016llX\n", UInt64.random(in: 1...UInt64.max / 2)).write(to: ca.appendingPathComponent("serial"), atomically: true, encoding: .utf8)
        let config = """
            [ca]
            default_ca = attack
            [attack]
            database = \(ca.path)/index.txt
            new_certs_dir = \(ca.path)
            serial = \(ca.path)/serial
            default_md = sha384
            policy = anything
            unique_subject = no
            email_in_dn = no
            [anything]
            countryName = optional
            commonName = optional
            serialNumber = optional
            surname = optional
            givenName = optional
            [ext]
            \(extensions.joined(separator: "\n"))

            """
        let configPath = base.appendingPathExtension("cnf").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let csr = base.appendingPathExtension("csr").path, crt = base.appendingPathExtension("crt").path
        try Self.openssl(["req", "-new", "-key", key.path, "-subj", subject, "-utf8", "-out", csr])
        try Self.openssl(["ca", "-batch", "-config", configPath, "-cert", caCertificate, "-keyfile", caKey, "-in", csr, "-out", crt,
                          "-startdate", Self.stamp(notBefore), "-enddate", Self.stamp(notAfter), "-extensions", "ext",
                          "-notext", "-preserveDN", "-utf8"])
        return (try Certificate(pem: String(contentsOfFile: crt, encoding: .utf8)), crt, key)
    }

    /// An attacker's self-signed root with the subject of a real root (`/C=BE/CN=…`).
    func selfSignedRoot(subject: String) throws -> (certificate: Certificate, path: String, key: (path: String, key: PrivateKey)) {
        let key = try newKey()
        counter += 1
        let crt = directory.appendingPathComponent("root\(counter).crt").path
        try Self.openssl(["req", "-x509", "-new", "-key", key.path, "-subj", subject, "-days", "3650", "-sha384", "-out", crt,
                          "-addext", "basicConstraints = critical, CA:TRUE, pathlen:1",
                          "-addext", "keyUsage = critical, keyCertSign, cRLSign",
                          "-addext", "certificatePolicies = 2.16.56.1.40.40.40.1"])
        return (try Certificate(pem: String(contentsOfFile: crt, encoding: .utf8)), crt, key)
    }

    /// A leaf under the test PKI's EC Citizen CA, for the attacker's own key, naming `person`.
    func citizenLeaf(person: String = "82020200126", extensions: [String] = AttackPKI.authExtensions,
                     notBefore: Date = Date().addingTimeInterval(-86_400),
                     notAfter: Date = Date().addingTimeInterval(365 * 86_400)) throws -> AttackerCard {
        let ca = Self.testPKI.appendingPathComponent("ec/citizen-ca")
        let leaf = try issue(subject: "/C=BE/CN=Eve Attacker (Authentication)/SN=Attacker/GN=Eve/serialNumber=\(person)",
                             extensions: extensions, caCertificate: ca.path + ".crt", caKey: ca.path + ".key",
                             notBefore: notBefore, notAfter: notAfter)
        let caCertificate = try Certificate(pem: String(contentsOf: ca.appendingPathExtension("crt"), encoding: .utf8))
        return AttackerCard(certificate: leaf.certificate.derEncoded, intermediates: [caCertificate.derEncoded], key: leaf.key.key)
    }

    /// A card under a new Citizen CA that the test PKI's EC root really signed (its key is in the
    /// repository), with the CA's validity chosen: the leaf itself is valid now.
    func leafUnderCitizenCA(caNotBefore: Date, caNotAfter: Date) throws -> AttackerCard {
        let root = Self.testPKI.appendingPathComponent("ec/root")
        let ca = try issue(subject: "/C=BE/serialNumber=202001/CN=Sleutel TEST Citizen CA", extensions: Self.caExtensions,
                           caCertificate: root.path + ".crt", caKey: root.path + ".key", notBefore: caNotBefore, notAfter: caNotAfter)
        let leaf = try issue(subject: "/C=BE/CN=Eve Attacker (Authentication)/SN=Attacker/GN=Eve/serialNumber=82020200126",
                             extensions: Self.authExtensions, caCertificate: ca.path, caKey: ca.key.path)
        return AttackerCard(certificate: leaf.certificate.derEncoded, intermediates: [ca.certificate.derEncoded], key: leaf.key.key)
    }

    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }

    static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw AttackSetupError("openssl \(arguments[0]) failed: \(String(decoding: message, as: UTF8.self))")
        }
    }
}

/// The test's own set-up failed (not a refusal by the product).
struct AttackSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
