import CryptoCore
import Foundation
import Sessions
import SleutelTestSupport
import Storage
import Testing
import Trust

/// The whole attack suite of issue 7. Its nested suites run in parallel; the ``AttackSummary``
/// trait prints the tally once all of them have finished.
@Suite("Attack suite (issue 7): every attack refused", AttackSummary())
struct AttackSuite {}

/// Rows in a table of the fixture's database.
func rows(_ table: String, in database: Storage.Database) throws -> Int {
    try database.read { db in try db.value("SELECT COUNT(*) FROM \(table)", as: Int.self) ?? 0 }
}

extension AttackSuite {
    /// eID logins with certificates Trust must refuse, end to end through ``SessionService``:
    /// challenge, the attacker's key signing it, Trust validating the chain.
    @Suite("Certificates: eID login through SessionService and Trust")
    struct CertificateAttacks {
        @Test("chain to a wrong root: test card on production roots; attacker's own root and CA copying the test names")
        func wrongRoot() throws {
            let attempts = Attempts(.wrongRoot)
            // A TEST card against a production configuration (the public Belgium roots only).
            let production = try SessionsFixture(at: Date(), production: true)
            for person in ["specimen-1.7", "foreigner-1.7"] {
                let card = try AttackerCard(TestCard(person, foreigner: person.hasPrefix("foreigner")))
                attempts.refused(.certificateRefused, trust: "trust.noTrustAnchor", "\(person) on production roots") {
                    try card.login(production.service)
                }
            }
            let ec = try AttackerCard(TestCard("specimen-1.8", ec: true))
            attempts.refused(.certificateRefused, trust: "trust.noTrustAnchor", "specimen-1.8 on production roots") {
                try ec.login(production.service)
            }
            #expect(try rows("session", in: production.database) == 0)

            // The attacker builds a root and a Citizen CA with exactly the test PKI's names, and a
            // leaf with the victim's national number for his own key: the card signature verifies, but
            // the look-alike CA names the configured root as its issuer and the root's key did not sign it.
            let fixture = try SessionsFixture(at: Date())
            let pki = try AttackPKI()
            let root = try pki.selfSignedRoot(subject: "/C=BE/CN=Sleutel TEST Belgium Root CA6")
            let ca = try pki.issue(subject: "/C=BE/serialNumber=202001/CN=Sleutel TEST Citizen CA", extensions: AttackPKI.caExtensions,
                                   caCertificate: root.path, caKey: root.key.path)
            let leaf = try pki.issue(subject: "/C=BE/CN=Bert Specimen (Authentication)/SN=Specimen/GN=Bert/serialNumber=82020200126",
                                     extensions: AttackPKI.authExtensions, caCertificate: ca.path, caKey: ca.key.path)
            let forged = AttackerCard(certificate: leaf.certificate.derEncoded, intermediates: [ca.certificate.derEncoded], key: leaf.key.key)
            attempts.refused(.certificateRefused, trust: "trust.badSignature", "look-alike root and CA") { try forged.login(fixture.service) }
            // … also with the look-alike root itself sent along as an intermediate.
            let withRoot = AttackerCard(certificate: forged.certificate, intermediates: [ca.certificate.derEncoded, root.certificate.derEncoded],
                                        key: forged.key)
            attempts.refused(.certificateRefused, trust: "trust.badSignature", "look-alike root sent along") { try withRoot.login(fixture.service) }
            // … and a self-signed leaf with the victim's number.
            let selfSigned = try pki.selfSignedRoot(subject: "/C=BE/CN=Bert Specimen (Authentication)/serialNumber=82020200126")
            let lone = AttackerCard(certificate: selfSigned.certificate.derEncoded, intermediates: [], key: selfSigned.key.key)
            attempts.refused(.certificateRefused, trust: "trust.noTrustAnchor", "self-signed leaf") { try lone.login(fixture.service) }
            // The victim's real CA certificate, but the leaf signed by the look-alike CA's key.
            let realCA = try TestCard("specimen-1.8", ec: true).intermediates
            let mixed = AttackerCard(certificate: forged.certificate, intermediates: realCA, key: forged.key)
            attempts.refused(.certificateRefused, trust: "trust.badSignature", "look-alike leaf with the real CA") { try mixed.login(fixture.service) }
            #expect(try rows("session", in: fixture.database) == 0)
            // Control: the genuine card logs in on the same service.
            #expect(try AttackerCard(TestCard("specimen-1.8", ec: true)).login(fixture.service).session.person == "82020200126")
        }

        @Test("expired certificate: the expired test card, and a fresh leaf whose notAfter has passed")
        func expired() throws {
            let attempts = Attempts(.expired)
            let fixture = try SessionsFixture(at: Date())
            let card = try AttackerCard(TestCard("expired-1.7"))
            attempts.refused(.certificateRefused, trust: "trust.expired", "expired-1.7") { try card.login(fixture.service) }
            let pki = try AttackPKI()
            let lapsed = try pki.citizenLeaf(notBefore: Date().addingTimeInterval(-400 * 86_400), notAfter: Date().addingTimeInterval(-60))
            attempts.refused(.certificateRefused, trust: "trust.expired", "leaf expired a minute ago") { try lapsed.login(fixture.service) }
            let lapsedCA = try pki.leafUnderCitizenCA(caNotBefore: Date().addingTimeInterval(-400 * 86_400), caNotAfter: Date().addingTimeInterval(-60))
            attempts.refused(.certificateRefused, trust: "trust.expired", "valid leaf under a CA that expired") { try lapsedCA.login(fixture.service) }
            #expect(try rows("session", in: fixture.database) == 0)
            // Control: the same kind of leaf, still valid, is accepted.
            let valid = try pki.citizenLeaf()
            #expect(try valid.login(fixture.service).session.level == AssuranceLevel(500))
        }

        @Test("not-yet-valid certificate: a leaf whose notBefore lies an hour ahead; the real card before its validity")
        func notYetValid() throws {
            let attempts = Attempts(.notYetValid)
            let fixture = try SessionsFixture(at: Date())
            let pki = try AttackPKI()
            let early = try pki.citizenLeaf(notBefore: Date().addingTimeInterval(3600), notAfter: Date().addingTimeInterval(400 * 86_400))
            attempts.refused(.certificateRefused, trust: "trust.notYetValid", "leaf valid from next hour") { try early.login(fixture.service) }
            let earlyCA = try pki.leafUnderCitizenCA(caNotBefore: Date().addingTimeInterval(3600), caNotAfter: Date().addingTimeInterval(400 * 86_400))
            attempts.refused(.certificateRefused, trust: "trust.notYetValid", "valid leaf under a CA valid from next hour") {
                try earlyCA.login(fixture.service)
            }
            // A server whose clock stands before the card's validity (2025-01-01).
            let past = try SessionsFixture(at: ISO8601DateFormatter().date(from: "2024-12-31T12:00:00Z")!)
            let card = try AttackerCard(TestCard("specimen-1.8", ec: true))
            attempts.refused(.certificateRefused, trust: "trust.notYetValid", "card before its notBefore") { try card.login(past.service) }
            #expect(try rows("session", in: fixture.database) == 0)
            #expect(try rows("session", in: past.database) == 0)
            // Control: a leaf under such a CA with the CA valid now is accepted.
            let current = try pki.leafUnderCitizenCA(caNotBefore: Date().addingTimeInterval(-86_400), caNotAfter: Date().addingTimeInterval(400 * 86_400))
            #expect(try current.login(fixture.service).session.level == AssuranceLevel(500))
        }

        @Test("revoked certificate whose revocation check the attacker blocks (hard-fail: no answer, no session)")
        func revocationBlocked() throws {
            let attempts = Attempts(.revoked)
            // A port nothing listens on, as when the attacker cuts the responder off; no CRL fallback.
            let checker = RevocationChecker(configuration: .init(ocspResponderURL: "http://127.0.0.1:1/citizen-ca", useCRL: false))
            let fixture = try SessionsFixture(revocation: checker, at: Date())
            for person in ["revoked-1.7", "specimen-1.7"] {
                let card = try AttackerCard(TestCard(person))
                attempts.refused(.certificateRefused, trust: "trust.revocationUnavailable", "\(person), responder unreachable") {
                    try card.login(fixture.service)
                }
            }
            #expect(try rows("session", in: fixture.database) == 0)
        }

        @Test("wrong key usage: the card's signature key, the RRN certificate, a leaf for key encipherment or code signing, a CA certificate")
        func wrongKeyUsage() throws {
            let attempts = Attempts(.wrongKeyUsage)
            let fixture = try SessionsFixture(at: Date())
            func pem(_ path: String) throws -> String { try String(contentsOf: TestCard.directory.appendingPathComponent(path), encoding: .utf8) }
            // The non-repudiation certificate and key of the same card, used to log in.
            for (person, tree) in [("specimen-1.7", "rsa"), ("specimen-1.8", "ec")] {
                let signing = AttackerCard(certificate: try Certificate(pem: pem("persons/\(person)/sign.crt")).derEncoded,
                                           intermediates: [try Certificate(pem: pem("\(tree)/citizen-ca.crt")).derEncoded],
                                           key: try PrivateKey(pem: pem("persons/\(person)/sign.key")))
                attempts.refused(.certificateRefused, trust: "trust.keyUsage", "\(person) signature certificate") { try signing.login(fixture.service) }
            }
            // The RRN's own certificate and key (issued by the root).
            let rrn = AttackerCard(certificate: try Certificate(pem: pem("rsa/rrn.crt")).derEncoded, intermediates: [],
                                   key: try PrivateKey(pem: pem("rsa/rrn.key")))
            attempts.refused(.certificateRefused, trust: "trust.keyUsage", "RRN certificate") { try rrn.login(fixture.service) }
            // Leaves issued by the real Citizen CA but for other uses.
            let pki = try AttackPKI()
            let wrongUsages: [(String, [String], String)] = [
                ("keyEncipherment only", ["basicConstraints = CA:FALSE", "keyUsage = critical, keyEncipherment",
                                          "certificatePolicies = 2.16.56.13.6.1.1.1000"], "trust.keyUsage"),
                ("nonRepudiation only", ["basicConstraints = CA:FALSE", "keyUsage = critical, nonRepudiation",
                                         "certificatePolicies = 2.16.56.13.6.1.1.1000"], "trust.keyUsage"),
                ("no key usage", ["basicConstraints = CA:FALSE", "certificatePolicies = 2.16.56.13.6.1.1.1000"], "trust.keyUsage"),
                ("signature-certificate policy", ["basicConstraints = CA:FALSE", "keyUsage = critical, digitalSignature",
                                                  "certificatePolicies = 2.16.56.13.6.1.2.1000"], "trust.policy"),
                ("extended key usage for code signing", AttackPKI.authExtensions + ["extendedKeyUsage = codeSigning"],
                 "trust.extendedKeyUsage"),
            ]
            for (what, extensions, code) in wrongUsages {
                let card = try pki.citizenLeaf(extensions: extensions)
                attempts.refused(.certificateRefused, trust: code, what) { try card.login(fixture.service) }
            }
            // The Citizen CA's own certificate and key as if it were a card.
            let ca = AttackerCard(certificate: try Certificate(pem: pem("ec/citizen-ca.crt")).derEncoded, intermediates: [],
                                  key: try PrivateKey(pem: pem("ec/citizen-ca.key")))
            attempts.refused(.certificateRefused, trust: "trust.basicConstraints", "CA certificate as a card") { try ca.login(fixture.service) }
            #expect(try rows("session", in: fixture.database) == 0)
        }

        @Test("forged card signature: another card's key, flipped bits, garbage, other hash, signature over the bare challenge")
        func forgedSignature() throws {
            let attempts = Attempts(.forgedSignature)
            let fixture = try SessionsFixture(at: Date())
            let service = fixture.service
            for (holder, thief) in [(try TestCard("specimen-1.7"), try TestCard("foreigner-1.7", foreigner: true)),
                                    (try TestCard("specimen-1.8", ec: true), try TestCard("german-1.8", ec: true))] {
                let forgeries: [(String, (EIDChallenge) throws -> [UInt8])] = [
                    ("thief's key", { try thief.sign($0.toBeSigned) }),
                    ("one bit flipped", { var s = try holder.sign($0.toBeSigned); s[s.count / 2] ^= 0x01; return s }),
                    ("random bytes", { _ in SecureRandom.bytes(holder.key.kind.isEC ? 104 : 256) }),
                    ("empty", { _ in [] }),
                    ("SHA-1 instead", { try holder.key.sign(data: $0.toBeSigned, algorithm: .sha1) }),
                    ("over the bare challenge", { try holder.sign($0.challenge) }),
                    ("truncated", { Array(try holder.sign($0.toBeSigned).dropLast(8)) }),
                ]
                for (what, forge) in forgeries {
                    let challenge = try service.beginEIDLogin(application: "eloket")
                    attempts.refused(.signatureInvalid, what) {
                        try service.completeEIDLogin(transactionID: challenge.transactionID, signature: forge(challenge),
                                                     certificate: holder.certificate, intermediates: holder.intermediates)
                    }
                }
                // The holder's genuine signature presented with the thief's certificate.
                let challenge = try service.beginEIDLogin(application: "eloket")
                attempts.refused(.signatureInvalid, "holder's signature, thief's certificate") {
                    try service.completeEIDLogin(transactionID: challenge.transactionID, signature: holder.sign(challenge.toBeSigned),
                                                 certificate: thief.certificate, intermediates: thief.intermediates)
                }
            }
            #expect(try rows("session", in: fixture.database) == 0)
        }
    }

    /// Revocation through the real `openssl ocsp` responders and CRLs of Tools/pki-responders.sh.
    @Suite("Certificates: revocation through the real OCSP responders and CRLs", .serialized,
           .enabled(if: respondersEnabled, "needs Tools/pki-responders.sh start (or SLEUTEL_PKI_RESPONDERS=1)"))
    struct RevocationAttacks {
        @Test("revoked certificate: OCSP says revoked; CRL only; a rogue responder's answer is not believed")
        func revoked() throws {
            let attempts = Attempts(.revoked)
            let card = try AttackerCard(TestCard("revoked-1.7"))
            let configurations: [(String, RevocationChecker.Configuration, String)] = [
                ("OCSP (AIA) then CRL", .init(), "trust.revoked"),
                ("CRL only", .init(useOCSP: false), "trust.revoked"),
                ("OCSP only", .init(useCRL: false), "trust.revoked"),
                ("rogue responder, no CRL", .init(ocspResponderURL: "http://127.0.0.1:8891/citizen-ca", useCRL: false), "trust.revocationUnavailable"),
                ("rogue responder, then CRL", .init(ocspResponderURL: "http://127.0.0.1:8891/citizen-ca"), "trust.revoked"),
            ]
            for (what, configuration, code) in configurations {
                let fixture = try SessionsFixture(revocation: RevocationChecker(configuration: configuration), at: Date())
                attempts.refused(.certificateRefused, trust: code, what) { try card.login(fixture.service) }
                #expect(try rows("session", in: fixture.database) == 0)
            }
            // Control: a good card passes the same checks.
            let fixture = try SessionsFixture(revocation: RevocationChecker(), at: Date())
            #expect(try AttackerCard(TestCard("specimen-1.7")).login(fixture.service).session.level == AssuranceLevel(500))
        }
    }
}
