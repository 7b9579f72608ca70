import CryptoCore
import Foundation
import Testing
import Transport

import Trust

/// The test PKI (Hardware/test-pki) and the responders of Tools/pki-responders.sh.
enum RevocationPKI {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Hardware/test-pki")
    /// Where Tools/pki-responders.sh writes its throw-away certificates.
    static let generated = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SLEUTEL_PKI_DIR"] ?? "/tmp/sleutel-pki")

    // Ports, as documented in Tools/pki-responders.sh.
    static let rsaOCSP = "http://127.0.0.1:8888"
    static let ecOCSP = "http://127.0.0.1:8889"
    static let files = "http://127.0.0.1:8890"
    static let rogueOCSP = "http://127.0.0.1:8891/citizen-ca"
    static let noEKUOCSP = "http://127.0.0.1:8892/citizen-ca"
    static let staleOCSP = "http://127.0.0.1:8893/citizen-ca"
    static let caSignedOCSP = "http://127.0.0.1:8894/citizen-ca"
    static let downOCSP = "http://127.0.0.1:8899/citizen-ca"

    static func certificate(_ path: String) throws -> Certificate {
        try Certificate(pem: String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8))
    }

    static func generatedCertificate(_ name: String) throws -> Certificate {
        try Certificate(pem: String(contentsOf: generated.appendingPathComponent(name), encoding: .utf8))
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(path)))
    }

    /// True when `SLEUTEL_PKI_RESPONDERS=1` (then the integration tests run and fail if the
    /// responders are down) or when the responders answer on 8888 and 8890.
    static let respondersRequested = ProcessInfo.processInfo.environment["SLEUTEL_PKI_RESPONDERS"] == "1"
    static let respondersEnabled: Bool = respondersRequested || respondersAnswer()

    static func respondersAnswer() -> Bool {
        let probe = HTTPClient(configuration: .init(connectTimeout: 1, totalTimeout: 3))
        // The proxy answers 404 on "/", the file server 200 on the README; neither is an openssl process.
        guard (try? probe.get("\(rsaOCSP)/"))?.status == 404 else { return false }
        return (try? probe.get("\(files)/README.md"))?.status == 200
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when the real test-PKI responders run (see ``RevocationPKI/respondersEnabled``).
    static var revocationResponders: Self {
        .enabled(if: RevocationPKI.respondersEnabled, "needs Tools/pki-responders.sh start (or SLEUTEL_PKI_RESPONDERS=1)")
    }
}

extension RevocationPKI {
    /// Flips one byte of `bytes` at the first occurrence of `pattern` (offset `at` inside it).
    static func tampered(_ bytes: [UInt8], at pattern: [UInt8], offset: Int = 0) -> [UInt8]? {
        guard pattern.count > offset, bytes.count >= pattern.count else { return nil }
        for i in 0...(bytes.count - pattern.count) where Array(bytes[i..<(i + pattern.count)]) == pattern {
            var copy = bytes
            copy[i + offset] ^= 0x01
            return copy
        }
        return nil
    }

    /// Expects `body` to throw a ``TrustError`` with `code`, and returns it.
    @discardableResult
    static func expectTrustError<R>(_ code: TrustError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R) -> TrustError? {
        do {
            _ = try body()
            Issue.record("expected TrustError.\(code), got success", sourceLocation: sourceLocation)
        } catch let error as TrustError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("expected TrustError.\(code), got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// Expects `body` to throw a ``CRLError`` with `code`.
    static func expect<R>(_ code: CRLError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R) {
        let error = #expect(throws: CRLError.self, sourceLocation: sourceLocation) { _ = try body() }
        if let error { #expect(error.code == code, "\(error)", sourceLocation: sourceLocation) }
    }

    /// Expects `body` to throw an ``OCSPError`` with `code`.
    static func expect<R>(_ code: OCSPError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R) {
        let error = #expect(throws: OCSPError.self, sourceLocation: sourceLocation) { _ = try body() }
        if let error { #expect(error.code == code, "\(error)", sourceLocation: sourceLocation) }
    }
}
