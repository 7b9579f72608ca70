import CryptoCore
import Foundation
import Testing
@testable import Trust

/// The repository's test PKI (TEST roots; never trusted in production).
enum TestPKI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Hardware/test-pki")

    static func cert(_ path: String) throws -> Certificate {
        try Certificate(pem: String(contentsOf: root.appendingPathComponent(path), encoding: .utf8))
    }

    static func configuration(trees: [String] = ["rsa", "ec"]) throws -> TrustConfiguration {
        try TrustConfiguration.test(roots: trees.map { try cert("\($0)/root.crt") })
    }

    static func validator(trees: [String] = ["rsa", "ec"]) throws -> PathValidator {
        PathValidator(configuration: try configuration(trees: trees))
    }

    /// 2026-06-01, inside every normal test certificate's validity.
    static let now = ISO8601DateFormatter().date(from: "2026-06-01T12:00:00Z")!

    /// Issues a throw-away leaf with the `openssl` CLI, signed by a test CA, with the given
    /// subject and extension lines (openssl x509 v3 config syntax). `keyGeneration` is the
    /// openssl command (without `-out`) that makes the leaf's key: P-256 by default.
    static func issue(
        subject: String, extensions: [String], ca: String = "rsa/citizen-ca",
        keyGeneration: [String] = ["ecparam", "-name", "prime256v1", "-genkey", "-noout"]
    ) throws -> Certificate {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ext = dir.appendingPathComponent("ext.cnf")
        try ("[leaf]\n" + extensions.joined(separator: "\n") + "\n").write(to: ext, atomically: true, encoding: .utf8)
        let key = dir.appendingPathComponent("leaf.key").path, csr = dir.appendingPathComponent("leaf.csr").path
        let crt = dir.appendingPathComponent("leaf.crt").path
        try openssl(keyGeneration + ["-out", key])
        try openssl(["req", "-new", "-key", key, "-subj", subject, "-out", csr])
        try openssl([
            "x509", "-req", "-in", csr, "-CA", root.appendingPathComponent("\(ca).crt").path,
            "-CAkey", root.appendingPathComponent("\(ca).key").path, "-set_serial", "\(Int.random(in: 1_000_000...9_999_999))",
            "-days", "3650", "-extfile", ext.path, "-extensions", "leaf", "-sha256", "-out", crt,
        ])
        return try Certificate(pem: String(contentsOfFile: crt, encoding: .utf8))
    }

    private static func openssl(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TrustError(.configuration, "openssl \(args[0]) failed") }
    }

    static let authExtensions = [
        "keyUsage = critical, digitalSignature",
        "certificatePolicies = 2.16.56.12.1.1.2.2",
        "basicConstraints = CA:FALSE",
    ]
}

@Suite("Certificate path validation")
struct PathValidatorTests {
    @Test("valid chains of every kind in both test trees", arguments: [
        ("persons/specimen-1.7/auth.crt", "rsa/citizen-ca.crt", CertificateKind.authentication, HolderType.citizen),
        ("persons/specimen-1.7/sign.crt", "rsa/citizen-ca.crt", .signature, .citizen),
        ("persons/foreigner-1.7/auth.crt", "rsa/foreigner-ca.crt", .authentication, .foreigner),
        ("persons/specimen-1.8/auth.crt", "ec/citizen-ca.crt", .authentication, .citizen),
        ("persons/specimen-1.8/sign.crt", "ec/citizen-ca.crt", .signature, .citizen),
        ("rsa/rrn.crt", "", .rrn, .registry),
        ("ec/rrn.crt", "", .rrn, .registry),
    ])
    func valid(leaf: String, ca: String, kind: CertificateKind, holder: HolderType) throws {
        let validator = try TestPKI.validator()
        let intermediates = ca.isEmpty ? [] : [try TestPKI.cert(ca)]
        let path = try validator.validate(try TestPKI.cert(leaf), kind: kind, intermediates: intermediates, at: TestPKI.now)
        #expect(path.holderType == holder)
        #expect(path.chain.count == (ca.isEmpty ? 1 : 2))
        #expect(path.anchor.isTest)
        if kind == .rrn {
            #expect(path.nationalNumber == nil)
        } else {
            #expect(path.nationalNumber?.count == 11)
            #expect(path.issuer.subject.commonName?.contains("CA") == true)
        }
        #expect(path.anchor.generation == (leaf.contains("1.8") || leaf.hasPrefix("ec") ? .brca6 : .brca4))
    }

    @Test("the card's own root certificate among the intermediates is ignored; the anchor comes from the configuration")
    func cardRootIgnored() throws {
        let validator = try TestPKI.validator(trees: ["ec"])
        let rsaRoot = try TestPKI.cert("rsa/root.crt")
        #expect(throws: TrustError(.noTrustAnchor, "")) {
            try validator.validate(try TestPKI.cert("persons/specimen-1.7/auth.crt"), kind: .authentication,
                                   intermediates: [try TestPKI.cert("rsa/citizen-ca.crt"), rsaRoot], at: TestPKI.now)
        }
    }

    @Test("expired and not-yet-valid certificates are refused; the expired card was valid in 2022")
    func validity() throws {
        let validator = try TestPKI.validator()
        let ca = try TestPKI.cert("rsa/citizen-ca.crt")
        let expired = try TestPKI.cert("persons/expired-1.7/auth.crt")
        #expect(throws: TrustError(.expired, "")) { try validator.validate(expired, kind: .authentication, intermediates: [ca], at: TestPKI.now) }
        let in2022 = ISO8601DateFormatter().date(from: "2022-06-01T00:00:00Z")!
        #expect(try validator.validate(expired, kind: .authentication, intermediates: [ca], at: in2022).holderType == .citizen)
        let specimen = try TestPKI.cert("persons/specimen-1.7/auth.crt")
        let in2019 = ISO8601DateFormatter().date(from: "2019-06-01T00:00:00Z")!
        #expect(throws: TrustError(.notYetValid, "")) { try validator.validate(specimen, kind: .authentication, intermediates: [ca], at: in2019) }
        let in2041 = ISO8601DateFormatter().date(from: "2041-06-01T00:00:00Z")!
        #expect(throws: TrustError(.expired, "")) { try validator.validate(specimen, kind: .authentication, intermediates: [ca], at: in2041) }
    }

    @Test("a chain to a root that is not configured is refused")
    func wrongRoot() throws {
        let ecOnly = try TestPKI.validator(trees: ["ec"])
        #expect(throws: TrustError(.noTrustAnchor, "")) {
            try ecOnly.validate(try TestPKI.cert("persons/specimen-1.7/auth.crt"), kind: .authentication,
                                intermediates: [try TestPKI.cert("rsa/citizen-ca.crt")], at: TestPKI.now)
        }
        // Missing intermediate.
        #expect(throws: TrustError(.noTrustAnchor, "")) {
            try TestPKI.validator().validate(try TestPKI.cert("persons/specimen-1.7/auth.crt"), kind: .authentication, at: TestPKI.now)
        }
        // The production roots do not accept the test card.
        let production = PathValidator(configuration: try .production())
        do {
            _ = try production.validate(try TestPKI.cert("persons/specimen-1.8/auth.crt"), kind: .authentication,
                                        intermediates: [try TestPKI.cert("ec/citizen-ca.crt")], at: TestPKI.now)
            Issue.record("a TEST card was accepted by the production roots")
        } catch let e as TrustError {
            #expect(e.code == .noTrustAnchor)
            #expect(e.reason.contains("Belgium Root CA6"))
        }
    }

    @Test("each certificate kind has its key usage", arguments: [
        ("persons/specimen-1.7/sign.crt", CertificateKind.authentication),
        ("persons/specimen-1.7/auth.crt", .signature),
        ("persons/specimen-1.7/auth.crt", .rrn),
    ])
    func keyUsage(leaf: String, kind: CertificateKind) throws {
        let intermediates = [try TestPKI.cert("rsa/citizen-ca.crt")]
        #expect(throws: TrustError(.keyUsage, "")) {
            try TestPKI.validator().validate(try TestPKI.cert(leaf), kind: kind, intermediates: intermediates, at: TestPKI.now)
        }
    }

    @Test("an RRN certificate is not accepted as an authentication certificate")
    func rrnAsAuth() throws {
        #expect(throws: TrustError(.keyUsage, "")) {
            try TestPKI.validator().validate(try TestPKI.cert("rsa/rrn.crt"), kind: .authentication, at: TestPKI.now)
        }
    }

    @Test("refusals for forged or malformed leaves name the rule", arguments: [
        ("/C=BE/CN=Test (Authentication)", TestPKI.authExtensions, TrustError.Code.missingNationalNumber),
        ("/C=BE/CN=Test (Authentication)/serialNumber=71715100071", TestPKI.authExtensions, .missingNationalNumber),
        ("/C=BE/CN=Test (Authentication)/serialNumber=71715100070",
         ["keyUsage = critical, digitalSignature", "certificatePolicies = 2.16.56.10.1.1.2.2"], .policy),
        ("/C=BE/CN=Test (Authentication)/serialNumber=71715100070",
         ["keyUsage = critical, digitalSignature", "basicConstraints = CA:TRUE", "certificatePolicies = 2.16.56.12.1.1.2.2"], .basicConstraints),
        ("/C=BE/CN=Test (Authentication)/serialNumber=71715100070",
         TestPKI.authExtensions + ["1.2.3.4.5 = critical, ASN1:NULL"], .unhandledCriticalExtension),
        ("/C=BE/CN=Test (Authentication)/serialNumber=71715100070",
         ["certificatePolicies = 2.16.56.12.1.1.2.2"], .keyUsage),
        ("/C=BE/CN=Test (Authentication)/serialNumber=71715100070", TestPKI.authExtensions, nil),
        ("/C=BE/CN=Test (Authentication)/serialNumber=71715100070",
         TestPKI.authExtensions + ["extendedKeyUsage = codeSigning, serverAuth"], .extendedKeyUsage),
        ("/C=BE/CN=Test (Authentication)/serialNumber=71715100070",
         TestPKI.authExtensions + ["extendedKeyUsage = clientAuth, emailProtection"], nil),
        ("/C=BE/CN=Test (Authentication)/serialNumber=71715100070",
         TestPKI.authExtensions + ["extendedKeyUsage = anyExtendedKeyUsage"], nil),
    ] as [(String, [String], TrustError.Code?)])
    func forged(subject: String, extensions: [String], expected: TrustError.Code?) throws {
        let leaf = try TestPKI.issue(subject: subject, extensions: extensions)
        let validator = try TestPKI.validator()
        let ca = try TestPKI.cert("rsa/citizen-ca.crt")
        do {
            // Issued just now, so validated a day later.
            let path = try validator.validate(leaf, kind: .authentication, intermediates: [ca], at: Date().addingTimeInterval(86_400))
            #expect(expected == nil, "accepted although \(String(describing: expected)) was expected")
            #expect(path.nationalNumber == "71715100070")
        } catch let e as TrustError {
            #expect(e.code == expected, "\(e)")
            #expect(!e.reason.contains("71715100071"))
        }
    }

    @Test("a tampered signature and a wrong issuer name are refused")
    func tampered() throws {
        let good = try TestPKI.cert("persons/specimen-1.7/auth.crt")
        var der = good.derEncoded
        der[der.count - 5] ^= 0x01
        let forged = try Certificate(der: der)
        let ca = try TestPKI.cert("rsa/citizen-ca.crt")
        #expect(throws: TrustError(.badSignature, "")) {
            try TestPKI.validator().validate(forged, kind: .authentication, intermediates: [ca], at: TestPKI.now)
        }
        // Issued by the Foreigner CA's name but offered with the Citizen CA: no issuer by that name.
        let foreigner = try TestPKI.cert("persons/foreigner-1.7/auth.crt")
        #expect(throws: TrustError(.noTrustAnchor, "")) {
            try TestPKI.validator().validate(foreigner, kind: .authentication, intermediates: [ca], at: TestPKI.now)
        }
    }
}

@Suite("Trust configuration")
struct TrustConfigurationTests {
    @Test("production trusts the seven public Belgium root files as five keys")
    func production() throws {
        let config = try TrustConfiguration.production()
        #expect(config.mode == .production)
        #expect(config.anchors.count == 5)
        #expect(Set(config.anchors.map(\.generation)) == Set(RootGeneration.allCases))
        #expect(config.anchors.allSatisfy { !$0.isTest })
        let ca2 = try #require(config.anchors.first { $0.generation == .brca2 })
        #expect(ca2.certificates.count == 2)  // original and the 2028 re-issue, one key
        let ca4 = try #require(config.anchors.first { $0.generation == .brca4 })
        #expect(ca4.certificates.count == 2)
    }

    @Test("a production configuration refuses to start with a test root")
    func testRootInProduction() throws {
        let testRoot = try TestPKI.cert("rsa/root.crt")
        #expect(throws: TrustError(.testRootInProduction, "")) { try TrustConfiguration.production(extraRoots: [testRoot]) }
        let anchors = try TrustAnchor.group([testRoot], isTest: true)
        #expect(throws: TrustError(.testRootInProduction, "")) { try TrustConfiguration(mode: .production, anchors: anchors) }
        let file = TestPKI.root.appendingPathComponent("ec/root.crt")
        #expect(throws: TrustError(.testRootInProduction, "")) { try TrustConfiguration.load(mode: .production, rootFiles: [file]) }
        #expect(try TrustConfiguration.load(mode: .test, rootFiles: [file]).anchors.count == 1)
    }

    @Test("configuration errors are typed")
    func errors() throws {
        #expect(throws: TrustError(.configuration, "")) { try TrustConfiguration(mode: .test, anchors: []) }
        #expect(throws: TrustError(.configuration, "")) {
            try TrustConfiguration.load(mode: .test, rootFiles: [URL(fileURLWithPath: "/nonexistent/root.pem")])
        }
        // A CA certificate that is not self-signed cannot be a root.
        #expect(throws: TrustError(.configuration, "")) { try TrustAnchor.group([try TestPKI.cert("rsa/citizen-ca.crt")], isTest: true) }
    }

    @Test("the real EC Citizen and Foreigner CAs verify under Belgium Root CA6")
    func realIntermediates() throws {
        let config = try TrustConfiguration.production()
        let ca6 = try #require(config.anchors.first { $0.generation == .brca6 })
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        for name in ["citizenca-202002-ec.pem", "foreignerca-202001-ec.pem"] {
            let ca = try Certificate(pem: String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8))
            #expect(ca.isSignedBy(ca6.certificates[0]))
            #expect(ca.issuerNameMatches(subjectOf: ca6.certificates[0]))
            #expect(ca.pathLengthConstraint == 0)
        }
    }

    @Test("national register numbers: check digits before and after 2000")
    func nationalNumbers() {
        #expect(PathValidator.isNationalNumber("71715100070"))
        #expect(!PathValidator.isNationalNumber("71715100071"))
        #expect(PathValidator.isNationalNumber("11051500732"))  // born 2011: the 2-prefix rule
        #expect(!PathValidator.isNationalNumber("7171510007"))
        #expect(!PathValidator.isNationalNumber("7171510007a"))
    }
}
