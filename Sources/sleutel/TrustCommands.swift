import ArgumentParser
import CryptoCore
import Foundation
import Transport
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

/// Options for the key-strength and revocation rules of `TrustService`.
struct TrustCheckOptions: ParsableArguments {
    @Option(help: "Key-strength policy: nist (default), bsi, anssi.") var policy = "nist"
    @Flag(help: "Check revocation: OCSP (the certificate's AIA URL or --ocsp-url), then its CRLs.") var revocation = false
    @Flag(name: .customLong("hard-fail"), help: "Refuse when no revocation source answers (the default).") var hardFail = false
    @Option(
        name: .customLong("soft-fail"),
        help: "Accept when no source answers but a good answer for the same certificate was obtained within this many seconds (by this process)."
    )
    var softFail: Double?
    @Option(name: .customLong("ocsp-url"), help: "Ask this OCSP responder instead of the certificate's AIA URL.") var ocspURL: String?
    @Flag(name: .customLong("no-ocsp"), help: "Do not ask OCSP.") var noOCSP = false
    @Flag(name: .customLong("no-crl"), help: "Do not fall back to CRLs.") var noCRL = false
    @Option(name: .customLong("revocation-timeout"), help: "Seconds per OCSP/CRL fetch.") var revocationTimeout: Double = 10

    func validate() throws {
        guard KeyStrengthPolicy.named(policy) != nil else { throw ValidationError("unknown policy '\(policy)'; choose nist, bsi or anssi") }
        if hardFail && softFail != nil { throw ValidationError("--hard-fail and --soft-fail exclude each other") }
        if let softFail, softFail < 0 { throw ValidationError("--soft-fail needs a window of 0 seconds or more") }
        if !revocation && (hardFail || softFail != nil || ocspURL != nil || noOCSP || noCRL) {
            throw ValidationError("revocation options need --revocation")
        }
    }

    func service(configuration: TrustConfiguration) throws -> TrustService {
        let keys = KeyStrengthChecker(policy: KeyStrengthPolicy.named(policy) ?? .loginDefault)
        guard revocation else { return TrustService(configuration: configuration, keyStrength: keys, revocation: nil) }
        let checker = RevocationChecker(
            configuration: .init(
                policy: softFail.map { .softFail(window: $0) } ?? .hardFail,
                ocspResponderURL: ocspURL, useOCSP: !noOCSP, useCRL: !noCRL
            ),
            httpClient: HTTPClient(configuration: .init(connectTimeout: min(5, revocationTimeout), totalTimeout: revocationTimeout))
        )
        return TrustService(configuration: configuration, keyStrength: keys, revocation: checker)
    }
}

/// One `TrustVerdict` as flat text fields, for text and JSON output (no personal data: the
/// subject is not shown, only rules, key and revocation evidence).
struct TrustReport: Encodable {
    /// `valid` when every rule passed, else `refused`.
    let verdict: String
    let kind: String
    let rule: String?
    let reason: String?
    let root: String?
    let generation: String?
    let holder: String?
    let policy: String?
    let testRoot: String?
    let key: String?
    let keyVerdict: String?
    let keyLifetime: String?
    let keyProfile: String?
    let keyFailures: String?
    let revocation: String
    let revocationSource: String?
    let revocationOrigin: String?

    init(_ v: TrustVerdict) {
        let failure = v.failure
        verdict = failure == nil ? "valid" : "refused"
        kind = v.kind.rawValue
        rule = failure.map { "\($0.code)" }
        reason = failure?.reason
        let path = v.validatedPath
        root = path?.anchor.name
        generation = path?.anchor.generation.rawValue
        holder = path?.holderType.rawValue
        policy = path?.policy
        testRoot = path.map { String($0.anchor.isTest) }
        let k = v.keyVerdict
        key = k?.key
        keyVerdict = k.map { $0.isAcceptable ? "acceptable" : "weak" }
        keyLifetime = k.map { "\($0.lifetime)" }
        keyProfile = k?.profile
        keyFailures = k.flatMap { $0.failures.isEmpty ? nil : $0.failures.map(\.id).joined(separator: ",") }
        switch v.revocation {
        case .status(let status):
            switch status {
            case .good: revocation = "good"
            case .revoked: revocation = "revoked"
            case .unknown: revocation = "unknown"
            }
            let e = status.evidence
            revocationSource = "\(e.source == .ocsp ? "ocsp" : "crl") \(e.url)"
            revocationOrigin = switch e.origin {
            case .fetched: "fetched"
            case .cache: "cache"
            case .softFail(let at): "soft-fail (last good answer \(ISO8601DateFormatter().string(from: at)))"
            }
        case .failed(let error):
            revocation = error.code == .revocationUnavailable ? "unavailable" : "error"
            revocationSource = nil
            revocationOrigin = nil
        case .notChecked:
            revocation = "not checked"
            revocationSource = nil
            revocationOrigin = nil
        }
    }

    /// Human-readable lines (the refusal itself goes to standard error).
    var lines: [String] {
        var out: [String] = []
        if let root, let holder, let policy {
            out.append("path: valid \(kind) certificate of a \(holder) under \(root) (policy \(policy))\(testRoot == "true" ? " [TEST root]" : "")")
        } else {
            out.append("path: refused")
        }
        if let key, let keyVerdict, let keyLifetime, let keyProfile {
            out.append("key: \(key): \(keyVerdict), \(keyLifetime) under \(keyProfile)\(keyFailures.map { " (failed: \($0))" } ?? "")")
        }
        out.append("revocation: \(revocation)\(revocationSource.map { " (\($0)\(revocationOrigin.map { ", \($0)" } ?? ""))" } ?? "")")
        out.append("verdict: \(verdict == "valid" ? "trusted" : "refused")")
        return out
    }
}

struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Validate eID certificates against the Belgium Root CAs (or test roots).",
        subcommands: [Verify.self, Roots.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge one certificate: path to a trusted root, key strength and (with --revocation) revocation.",
            discussion: "Exit status 0 when trusted, 2 when a rule refuses it (the first failed rule is named)."
        )

        @Argument(help: "The certificate to validate (PEM or DER).") var certificate: String
        @Option(help: "Certificate kind: authentication, signature or rrn.") var kind: CertificateKind = .authentication
        @Option(name: .customLong("intermediate"), help: "Issuing CA certificates (PEM or DER).") var intermediates: [String] = []
        @Option(help: "Validation time (ISO 8601, default now).") var at: String?
        @OptionGroup var trust: TrustOptions
        @OptionGroup var checks: TrustCheckOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let service = try checks.service(configuration: try trust.configuration())
            let leaf = try readCertificates(certificate)[0]
            let chain = try intermediates.flatMap { try readCertificates($0) }
            var time = Date()
            if let at {
                guard let parsed = ISO8601DateFormatter().date(from: at) else { throw ValidationError("--at must be ISO 8601, e.g. 2026-06-01T12:00:00Z") }
                time = parsed
            }
            let report = TrustReport(service.evaluate(certificate: leaf, intermediates: chain, kind: kind, at: time))
            if json { try printJSON(report) } else {
                for line in report.lines { print(line) }
                if let rule = report.rule { Terminal.error("refused (\(rule)): \(report.reason ?? "")") }
            }
            if report.rule != nil { throw ExitCode(2) }
        }
    }

    struct Roots: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the trusted roots.")
        @OptionGroup var trust: TrustOptions

        func run() throws {
            for anchor in try trust.configuration().anchors {
                let validity = anchor.certificates.map {
                    "\(ISO8601DateFormatter().string(from: $0.notBefore).prefix(10))…\(ISO8601DateFormatter().string(from: $0.notAfter).prefix(10))"
                }
                let fp = Hex.encode(try anchor.certificates[0].publicKeyFingerprint().prefix(8))
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
