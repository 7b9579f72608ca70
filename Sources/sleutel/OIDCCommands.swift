import ArgumentParser
import CryptoCore
import Foundation
import OIDC
import Storage

/// `sleutel oidc`: the relying applications (OIDC clients) registered in the database. A running
/// `sleutel serve` on the same database sees every change at once.
struct OIDCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oidc",
        abstract: "OpenID Connect clients in the database (seen by a running server at once).",
        subcommands: [ClientCommand.self, RotateKey.self])

    struct ClientCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "client", abstract: "Register, list, remove clients; rotate a client's secret; import a JSON file.",
            subcommands: [Add.self, List.self, Remove.self, RotateSecret.self, Import.self])
    }
}

/// The database the OIDC commands work on.
struct OIDCDatabaseOption: ParsableArguments {
    @Option(help: "SQLite database file (default: $SLEUTEL_DATABASE or ./sleutel.sqlite).") var database: String?

    var path: String { database ?? ProcessInfo.processInfo.environment["SLEUTEL_DATABASE"] ?? "sleutel.sqlite" }

    func open() throws -> Storage.Database {
        try Storage.Database.open(path: path, migrations: MigrationRegistry(OIDCSchema.migrations))
    }

    func registry() throws -> ClientRegistry { ClientRegistry(database: try open()) }
}

extension OIDCCommand {
    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Rotate the ID-token signing key: the new key is published at once and signs after --publish-ahead seconds.",
            discussion: """
                The keys signing before keep being published for --keep-old seconds after the new key's turn, so that \
                relying parties can check every token they signed. Every server on the database follows within seconds, \
                without a restart. A database without keys first takes the server's key file (DATABASE.oidc-key.pem).
                """)
        @OptionGroup var options: OIDCDatabaseOption
        @Option(help: "Seconds the new key is published before it signs (relying parties cache the JWKS).") var publishAhead: Double = 600
        @Option(help: "Seconds the previous keys stay published after the new key's turn (≥ the token lifetime).") var keepOld: Double = 3600
        @Option(help: "The server's key file, used when the database holds no key yet (default: DATABASE.oidc-key.pem).") var keyFile: String?

        func run() async throws {
            try await oidcOutcome {
                let database = try options.open()
                let file = keyFile ?? options.path + ".oidc-key.pem"
                if FileManager.default.fileExists(atPath: file) {
                    try SigningKeyRotation.seed(try OIDCConfiguration.signingKey(at: file), database: database)
                }
                let (keyID, signsFrom) = try SigningKeyRotation.rotate(database: database, publishAhead: publishAhead, keepOld: keepOld)
                print("key \(keyID) published; it signs from \(ISO8601DateFormatter().string(from: signsFrom))")
            }
        }
    }
}

extension OIDCClient.Claim: ExpressibleByArgument {}

extension OIDCCommand.ClientCommand {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a client (or replace its registration).",
            discussion: "With --confidential a random secret is made and printed once; only its SHA-256 is stored.")
        @OptionGroup var options: OIDCDatabaseOption
        @Option(name: .customLong("id"), help: "The client_id.") var clientID: String
        @Option(help: "The Sleutel application it logs people in to (its access rule and rights).") var application: String
        @Option(name: .customLong("redirect-uri"), help: "An exact redirect URI (repeatable).") var redirectURIs: [String] = []
        @Option(name: .customLong("claim"), help: "A claim it receives: rrn, name, organisation, roles, rights (repeatable).")
        var claims: [OIDCClient.Claim] = []
        @Option(name: .customLong("post-logout-redirect-uri"), help: "A URI the logout may return to (repeatable).")
        var postLogoutURIs: [String] = []
        @Option(name: .customLong("backchannel-logout-uri"), help: "Where logout tokens are POSTed when a session ends.")
        var backchannelURI: String?
        @Flag(help: "Make a client secret (confidential client); PKCE is required either way.") var confidential = false

        func run() async throws {
            try await oidcOutcome {
                let registry = try options.registry()
                var secret: String?
                var hash: String?
                if confidential {
                    secret = Base64URL.encode(SecureRandom.bytes(32))
                    hash = Hex.encode(DigestAlgorithm.sha256.hash(Array(secret!.utf8)))
                } else {
                    hash = try registry.client(clientID)?.secretSHA256
                }
                try registry.register(OIDCClient(clientId: clientID, redirectUris: redirectURIs, application: application, claims: Set(claims),
                                                 secretSHA256: hash, postLogoutRedirectUris: postLogoutURIs.isEmpty ? nil : postLogoutURIs,
                                                 backchannelLogoutUri: backchannelURI))
                print("client \(clientID) registered")
                if let secret { print("secret \(secret)  (shown once)") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the clients: id, application, kind, redirect URIs, claims.")
        @OptionGroup var options: OIDCDatabaseOption
        @Flag(help: "Print the registrations as a JSON array (the import format, secrets as hashes).") var json = false

        func run() async throws {
            try await oidcOutcome {
                let clients = try options.registry().all()
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                    print(String(decoding: try encoder.encode(clients), as: UTF8.self))
                    return
                }
                for client in clients {
                    let kind = client.secretSHA256 == nil ? "public" : "confidential"
                    let claims = client.claims.map(\.rawValue).sorted().joined(separator: ",")
                    print("\(client.clientId)\t\(client.application)\t\(kind)\t\(client.redirectUris.joined(separator: " "))\t\(claims)")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a client; its codes and tokens stop working.")
        @OptionGroup var options: OIDCDatabaseOption
        @Option(name: .customLong("id"), help: "The client_id.") var clientID: String

        func run() async throws {
            try await oidcOutcome {
                guard try options.registry().remove(clientID) else {
                    Terminal.error("no client \(clientID) is registered")
                    throw ExitCode(1)
                }
                print("client \(clientID) removed")
            }
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret", abstract: "Give a client a new secret (printed once); the old one stops working at once.")
        @OptionGroup var options: OIDCDatabaseOption
        @Option(name: .customLong("id"), help: "The client_id.") var clientID: String

        func run() async throws {
            try await oidcOutcome {
                let secret = try options.registry().rotateSecret(clientID)
                print("secret \(secret)  (shown once)")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register the clients of a JSON file (the format of serve --oidc-clients), replacing those of the same id.")
        @OptionGroup var options: OIDCDatabaseOption
        @Argument(help: "The JSON file: an array of {clientId, redirectUris, application, claims, …}.") var file: String

        func run() async throws {
            try await oidcOutcome {
                let clients = try OIDCConfiguration.clients(at: file)
                let registry = try options.registry()
                for client in clients { try registry.register(client) }
                print("\(clients.count) client(s) imported")
            }
        }
    }
}

/// Runs `body`; a failure prints its message and exits 2.
private func oidcOutcome(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        Terminal.error("\(error)")
        throw ExitCode(2)
    }
}
