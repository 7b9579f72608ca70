import ArgumentParser
import CryptoCore
import Foundation
import Trust

/// Options that choose the trusted roots.
struct TrustOptions: ParsableArguments {
    @Flag(help: "Trust the given --roots as TEST roots (never in production).") var test = false
    @Option(name: .customLong("roots"), help: "Root certificate files (PEM/DER). Production: only public Belgium roots are accepted.")
    var roots: [String] = []

    func configuration() throws -> TrustConfiguration {
        let files = roots.map { URL(fileURLWithPath: $0) }
        if test {
            guard !files.isEmpty else { throw ValidationError("--test needs --roots FILE...") }
            return try TrustConfiguration.load(mode: .test, rootFiles: files)
        }
        return files.isEmpty ? try .production() : try TrustConfiguration.load(mode: .production, rootFiles: files)
    }
}

extension CertificateKind: ExpressibleByArgument {}

struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Validate eID certificates against the Belgium Root CAs (or test roots).",
        subcommands: [Verify.self, Roots.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate one certificate's path to a trusted root.")

        @Argument(help: "The certificate to validate (PEM or DER).") var certificate: String
        @Option(help: "Certificate kind: authentication, signature or rrn.") var kind: CertificateKind = .authentication
        @Option(name: .customLong("intermediate"), help: "Issuing CA certificates (PEM or DER).") var intermediates: [String] = []
        @Option(help: "Validation time (ISO 8601, default now).") var at: String?
        @OptionGroup var trust: TrustOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let validator = PathValidator(configuration: try trust.configuration())
            let leaf = try readCertificates(certificate)[0]
            let chain = try intermediates.flatMap { try readCertificates($0) }
            var time = Date()
            if let at {
                guard let parsed = ISO8601DateFormatter().date(from: at) else { throw ValidationError("--at must be ISO 8601, e.g. 2026-06-01T12:00:00Z") }
                time = parsed
            }
            do {
                let path = try validator.validate(leaf, kind: kind, intermediates: chain, at: time)
                let summary: [String: String] = [
                    "verdict": "valid", "kind": kind.rawValue, "root": path.anchor.name, "generation": path.anchor.generation.rawValue,
                    "holder": path.holderType.rawValue, "policy": path.policy, "testRoot": String(path.anchor.isTest),
                ]
                if json { try printJSON(summary) } else {
                    print("valid: \(kind.rawValue) certificate of a \(path.holderType.rawValue) under \(path.anchor.name) (policy \(path.policy))\(path.anchor.isTest ? " [TEST root]" : "")")
                }
            } catch let error as TrustError {
                if json { try printJSON(["verdict": "refused", "rule": "\(error.code)", "reason": error.reason]) } else {
                    Terminal.error("refused (\(error.code)): \(error.reason)")
                }
                throw ExitCode(2)
            }
        }
    }

    struct Roots: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the trusted roots.")
        @OptionGroup var trust: TrustOptions

        func run() throws {
            for anchor in try trust.configuration().anchors {
                let validity = anchor.certificates.map { "\(ISO8601DateFormatter().string(from: $0.notBefore).prefix(10))…\(ISO8601DateFormatter().string(from: $0.notAfter).prefix(10))" }
                let fp = try anchor.certificates[0].publicKeyFingerprint().prefix(8).map { String(format: "%02x", $0) }.joined()
                print("\(anchor.name) [\(anchor.generation.rawValue)] key \(fp)… \(validity.joined(separator: ", "))\(anchor.isTest ? " TEST" : "")")
            }
        }
    }
}

/// Reads one or more certificates from a PEM bundle or a DER file.
func readCertificates(_ path: String) throws -> [Certificate] {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    if bytes.first == 0x30 { return [try Certificate(der: bytes)] }
    let certs = try Certificate.all(pem: String(decoding: bytes, as: UTF8.self))
    guard !certs.isEmpty else { throw ValidationError("no certificate in \(path)") }
    return certs
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
