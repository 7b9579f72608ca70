import ArgumentParser
import CardBinding
import CryptoCore
import Foundation
import Logging
import OIDC
import OneTimeCodes
import PCSC
import Rights
import Server
import ServiceLifecycle
import Sessions
import Storage
import Trust

/// `sleutel serve`: the HTTP API.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP API (eID login, sessions, organisation choice, rights, key checks).",
        discussion: """
            Listens on plain HTTP, on loopback by default: put a TLS-terminating proxy in front when \
            clients are remote. The database holds sessions and rights (SQLite, created when missing).
            """
    )

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind (0: any free port, printed at start).") var port = 8080
    @Option(help: "SQLite database file (default: $SLEUTEL_DATABASE or ./sleutel.sqlite).") var database: String?
    @OptionGroup var trust: TrustOptions
    @Option(help: "Revocation policy: hard-fail (default), soft-fail, or off (only with --test roots).")
    var revocation: RevocationMode = .hardFail
    @Option(help: "Soft-fail window in seconds: how long an earlier good answer stands in when no responder answers.")
    var softFailWindow: Double = 3600
    @Option(help: "OCSP responder URL overriding the certificates' AIA URLs.") var ocspURL: String?
    @Flag(help: "Report the local pcscd and readers on /health (kiosk servers).") var localReader = false
    @Flag(help: "Load demo organisations, applications and rights for the demo cards (with --test roots only).")
    var demo = false
    @Option(help: "Requests per second allowed per client address.") var rateLimit: Double = 50
    @Option(parsing: .upToNextOption,
            help: "Reverse proxies (CIDR networks or addresses) whose forwarding header names the client; without it the header is ignored.")
    var trustedProxy: [String] = []
    @Option(help: "The header the trusted proxies write: x-forwarded-for (nginx, haproxy) or forwarded (RFC 7239).")
    var proxyHeader = "x-forwarded-for"
    @Option(help: "OIDC issuer URL (default: http://HOST:PORT).") var issuer: String?
    @Option(help: "OIDC signing key (PEM, EC P-256); created with mode 0600 when missing. Default: DATABASE.oidc-key.pem")
    var oidcKey: String?
    @Option(help: "OIDC clients (JSON array of {clientId, redirectUris, application, claims, secretSHA256?}).")
    var oidcClients: String?

    @Option(help: """
        Key file sealing TOTP seeds and SMS/e-mail destinations (`keyid:base64` lines, newest last); created with mode 0600 when \
        missing. Default: $SLEUTEL_OTP_KEY_FILE or DATABASE.otp-keys
        """)
    var otpKeyFile: String?
    @OptionGroup var delivery: CodeDeliveryOptions
    @Option(help: "File holding the bearer key services present to POST /v1/otp/validate (absent: endpoint disabled).")
    var validateKeyFile: String?
    @Flag(help: "Offer no password and security-code login (eID only).") var noCodes = false
    @Option(help: "Cost units (one RSA-2048 key each) one POST /v1/keys/check may spend without the service key.")
    var keyCheckCost: Double = 128
    @Option(help: "Cost units of key checks allowed per client address a minute without the service key.")
    var keyCheckBudget: Double = 256
    @Option(help: "Password checks (scrypt, 32 MiB each) running at once (default: one per core).")
    var passwordChecks: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Password checks that may wait for a free thread before more are answered 503 at once (default: two per core).")
    var passwordCheckBacklog: Int = 2 * ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Seconds an ended or expired session is kept before the scheduled purge deletes it (audit rows are kept).")
    var sessionRetention: Double = 86_400
    @Option(help: "Seconds between purges of expired challenges, transactions, sessions, codes and tokens.")
    var purgeInterval: Double = 60
    @Option(help: "The card agent the login page calls for eID (sleutel agent or sleutel kiosk): http://127.0.0.1:PORT or http://[::1]:PORT.")
    var cardAgent = "http://127.0.0.1:24680"

    enum RevocationMode: String, ExpressibleByArgument {
        case hardFail = "hard-fail", softFail = "soft-fail", off
    }

    @Flag(help: "Log as plain text instead of JSON lines.") var textLogs = false

    func run() async throws {
        if !textLogs { LoggingSystem.bootstrap { label in JSONLogHandler(label: label) } }
        let trustConfiguration = try trust.configuration()
        if revocation == .off && !trust.test { throw ValidationError("--revocation off is only allowed with --test roots") }
        if demo && !trust.test { throw ValidationError("--demo needs --test --roots (the demo cards chain to the TEST roots)") }
        let path = database ?? ProcessInfo.processInfo.environment["SLEUTEL_DATABASE"] ?? "sleutel.sqlite"
        let store = try Storage.Database.open(path: path, migrations: MigrationRegistry(SessionsSchema.migrations, RightsSchema.migrations,
                                                                                        OIDCSchema.migrations,
                                                                                        OneTimeCodesSchema.migrations))
        let rights = RightsService(database: store)
        if demo { try DemoData.load(into: rights) }

        var checker: RevocationChecker?
        if revocation != .off {
            let policy: RevocationPolicy = revocation == .hardFail ? .hardFail : .softFail(window: softFailWindow)
            checker = RevocationChecker(configuration: .init(policy: policy, ocspResponderURL: ocspURL))
        }
        let verifier = EIDProofVerifier(trust: TrustService(configuration: trustConfiguration, revocation: checker))
        let sessionsConfiguration = SessionsConfiguration()
        let codes = noCodes ? nil : try oneTimeCodes(store: store, databasePath: path)
        let sessions = SessionService(database: store, trust: verifier, rights: rights, codes: codes, configuration: sessionsConfiguration)

        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.cardAgentURL = try Self.checkedCardAgent(cardAgent)
        guard let header = TrustedProxies.Header(rawValue: proxyHeader.lowercased()) else {
            throw ValidationError("--proxy-header must be x-forwarded-for or forwarded, not '\(proxyHeader)'")
        }
        configuration.trustedProxies = TrustedProxies(try trustedProxy.map { text in
            guard let network = IPNetwork(text) else { throw ValidationError("--trusted-proxy '\(text)' is not an IP address or CIDR network") }
            return network
        }, header: header)
        configuration.rateLimitPerSecond = rateLimit
        configuration.rateLimitBurst = max(rateLimit * 2, 10)
        guard keyCheckCost > 0, keyCheckBudget >= keyCheckCost else {
            throw ValidationError("--key-check-cost must be > 0 and --key-check-budget at least as large")
        }
        configuration.keyCheckCostPerRequest = keyCheckCost
        configuration.keyCheckCostPerMinute = keyCheckBudget
        guard passwordChecks >= 1, passwordCheckBacklog >= 0 else {
            throw ValidationError("--password-checks must be ≥ 1 and --password-check-backlog ≥ 0")
        }
        configuration.passwordCheckThreads = passwordChecks
        configuration.passwordCheckBacklog = passwordCheckBacklog
        guard sessionRetention >= 0, purgeInterval > 0 else { throw ValidationError("--session-retention must be ≥ 0 and --purge-interval > 0") }
        configuration.sessionRetention = sessionRetention
        configuration.housekeepingInterval = purgeInterval
        if let validateKeyFile {
            let key = try String(contentsOfFile: validateKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard key.utf8.count >= 32 else { throw ValidationError("the validate key in \(validateKeyFile) must be at least 32 characters") }
            configuration.validateKeySHA256 = DigestAlgorithm.sha256.hash(Array(key.utf8))
        }
        let keyPath = oidcKey ?? path + ".oidc-key.pem"
        var clients = try oidcClients.map { try OIDCConfiguration.clients(at: $0) } ?? []
        if demo { clients.append(DemoData.oidcClient) }
        let oidcConfiguration = try OIDCConfiguration(
            issuer: issuer ?? "http://\(host):\(port)", signingKey: OIDCConfiguration.signingKey(at: keyPath), clients: clients,
            pairwiseKey: OIDCConfiguration.secret(at: path + ".pairwise.key")
        )
        // The key file's key becomes the database's first signing key (shared by the instances, rotated by `sleutel oidc rotate-key`).
        try SigningKeyRotation.seed(oidcConfiguration.signingKey, database: store)
        let oidc = try OIDCProvider(configuration: oidcConfiguration, sessions: sessions, rights: rights)
        var health: (@Sendable () -> ReaderHealth)?
        // Tells the clients with a back-channel logout URI when their sessions end.
        var services: [any Service] = [BackChannelLogout(provider: oidc)]
        if localReader {
            health = { ReaderHealth.probe() }
            services.append(CardRemovalWatcher(sessions: sessions))
        }
        let server = SleutelServer(configuration: configuration, sessions: sessions, rights: rights, oidc: oidc, readerHealth: health,
                                   services: services)
        let host = self.host
        try await server.run { port in
            Terminal.printLine("sleutel: listening on http://\(host):\(port) (OpenAPI at /openapi.json)")
        }
    }

    /// The OneTimeCodes service with its key file and the configured senders.
    func oneTimeCodes(store: Storage.Database, databasePath: String) throws -> OneTimeCodesService {
        let environment = ProcessInfo.processInfo.environment
        let keyPath = otpKeyFile ?? environment["SLEUTEL_OTP_KEY_FILE"] ?? databasePath + ".otp-keys"
        if !FileManager.default.fileExists(atPath: keyPath) { try SecretKeyring.generateKey(path: keyPath) }
        let keyring = try SecretKeyring.load(path: keyPath)
        let senders = try delivery.senders()
        return OneTimeCodesService(database: store, keyring: keyring, senders: senders)
    }
}

extension DemoData {
    /// A public demo client (PKCE) receiving every claim, with a loopback redirect.
    static let oidcClient = OIDCClient(clientId: "demo-client", redirectUris: ["http://127.0.0.1:9999/callback"],
                                       application: "eloket", claims: Set(OIDCClient.Claim.allCases))
}

extension Serve {
    /// The card agent URL, when it names a loopback agent: the page's CSP lets the browser reach
    /// that one origin, and an agent elsewhere would see the person's login challenges.
    static func checkedCardAgent(_ text: String) throws -> String {
        guard let url = URLComponents(string: text), url.scheme == "http", let host = url.host, let port = url.port,
            ["127.0.0.1", "[::1]", "::1", "localhost"].contains(host), url.path.isEmpty || url.path == "/",
            url.query == nil, url.fragment == nil, url.user == nil
        else {
            throw ValidationError("--card-agent must be http://127.0.0.1:PORT (or [::1], localhost) without a path, not '\(text)'")
        }
        return "http://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host):\(port)"
    }
}
