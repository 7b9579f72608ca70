import CryptoCore
import Foundation

/// Which roots Sleutel trusts. Production trusts exactly the public Belgium Root CAs (all
/// generations, re-issues grouped by key); test roots are accepted only in `.test` mode,
/// and a production configuration that names any other root refuses to start.
public struct TrustConfiguration: Sendable {
    public enum Mode: String, Sendable, Codable {
        case production, test
    }

    public let mode: Mode
    public let anchors: [TrustAnchor]

    /// Validates and builds a configuration.
    /// - Throws: ``TrustError`` `.testRootInProduction` when a production configuration holds
    ///   a root that is not a public Belgium root; `.configuration` when there are no roots.
    public init(mode: Mode, anchors: [TrustAnchor]) throws {
        guard !anchors.isEmpty else { throw TrustError(.configuration, "no trusted roots configured") }
        if mode == .production {
            let official = Set(try Self.belgiumRootAnchors().map(\.keyFingerprint))
            if let stray = anchors.first(where: { $0.isTest || !official.contains($0.keyFingerprint) }) {
                throw TrustError(
                    .testRootInProduction,
                    "production configuration refuses root '\(stray.name)': only the public Belgium Root CAs may be trusted in production"
                )
            }
        }
        self.mode = mode
        self.anchors = anchors
    }

    /// The public Belgium Root CAs shipped with Sleutel, plus `extraRoots` (which must be
    /// public Belgium roots too, e.g. a future re-issue).
    public static func production(extraRoots: [Certificate] = []) throws -> TrustConfiguration {
        let official = try belgiumRootCertificates()
        let extra = try TrustAnchor.group(extraRoots, isTest: false)
        let known = Set(try belgiumRootAnchors().map(\.keyFingerprint))
        if let stray = extra.first(where: { !known.contains($0.keyFingerprint) }) {
            throw TrustError(
                .testRootInProduction,
                "production configuration refuses root '\(stray.name)': its key is not a public Belgium root key"
            )
        }
        return try TrustConfiguration(mode: .production, anchors: try TrustAnchor.group(official + extraRoots, isTest: false))
    }

    /// A test configuration over `roots` (e.g. the TEST roots of `Hardware/test-pki`).
    public static func test(roots: [Certificate]) throws -> TrustConfiguration {
        let official = Set(try belgiumRootAnchors().map(\.keyFingerprint))
        let grouped = try TrustAnchor.group(roots, isTest: true)
        let anchors = grouped.map {
            TrustAnchor(certificates: $0.certificates, keyFingerprint: $0.keyFingerprint, generation: $0.generation,
                        isTest: !official.contains($0.keyFingerprint))
        }
        return try TrustConfiguration(mode: .test, anchors: anchors)
    }

    /// Reads root certificates (PEM bundles or DER files) and builds a configuration.
    public static func load(mode: Mode, rootFiles: [URL]) throws -> TrustConfiguration {
        var certs: [Certificate] = []
        for url in rootFiles {
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw TrustError(.configuration, "cannot read root file \(url.path): \(error.localizedDescription)")
            }
            do {
                let bytes = [UInt8](data)
                if bytes.first == 0x30 {
                    certs.append(try Certificate(der: bytes))
                } else {
                    let found = try Certificate.all(pem: String(decoding: bytes, as: UTF8.self))
                    guard !found.isEmpty else { throw TrustError(.configuration, "no certificate in \(url.path)") }
                    certs += found
                }
            } catch let e as TrustError {
                throw e
            } catch {
                throw TrustError(.configuration, "root file \(url.path) is not a certificate: \(error)")
            }
        }
        switch mode {
        case .production: return try production(extraRoots: certs)
        case .test: return try test(roots: certs)
        }
    }

    /// The public Belgium Root CA certificates bundled as resources.
    public static func belgiumRootCertificates() throws -> [Certificate] {
        guard let dir = Bundle.module.resourceURL?.appendingPathComponent("Roots") else {
            throw TrustError(.configuration, "bundled Belgium roots not found")
        }
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { ["der", "pem"].contains($0.pathExtension) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { url in
            let bytes = [UInt8](try Data(contentsOf: url))
            return bytes.first == 0x30 ? try Certificate(der: bytes) : try Certificate(pem: String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Loaded once: the bundled roots never change while the process runs.
    private static let bundledAnchors = Result { try TrustAnchor.group(belgiumRootCertificates(), isTest: false) }

    static func belgiumRootAnchors() throws -> [TrustAnchor] { try bundledAnchors.get() }
}
