import ArgumentParser
import Dispatch
import Foundation
import OneTimeCodes
import Storage

/// `sleutel otp …`: one-time codes and passwords, enough to try every flow by hand.
///
/// Enrolment from the CLI is an operator action: the operator stands in for the eID session that
/// §10.4 asks for, so the commands act with an ``ActivationAuthority`` at level 500, authenticated now.
/// Codes, seeds (beyond the enrolment output itself), passwords, phone numbers and e-mail addresses
/// are never printed.
struct OTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "otp",
        abstract: "One-time codes (authenticator app, SMS, e-mail) and passwords.",
        subcommands: [Keygen.self, Rekey.self, Enroll.self, Confirm.self, Verify.self, PasswordCommand.self, Challenge.self, OTPImport.self]
    )
}

/// How SMS and e-mail codes leave: shared by `sleutel otp` and `sleutel serve`.
struct CodeDeliveryOptions: ParsableArguments {
    @Option(help: "E-mail sender configuration, JSON {smtp:{host,port,security,…}, from, fromName?, subject?, body?} (default: $SLEUTEL_OTP_EMAIL_CONFIG).")
    var emailConfig: String?

    @Option(help: "SMS gateway configuration, JSON {url, method, bodyTemplate, …} (default: $SLEUTEL_OTP_SMS_GATEWAY).")
    var smsGateway: String?

    /// The senders that are configured.
    func senders() throws -> [OutgoingCode.Channel: any CodeSender] {
        let environment = ProcessInfo.processInfo.environment
        var senders: [OutgoingCode.Channel: any CodeSender] = [:]
        if let path = emailConfig ?? environment["SLEUTEL_OTP_EMAIL_CONFIG"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            senders[.email] = try EmailCodeSender(configuration: JSONDecoder().decode(EmailCodeSender.Configuration.self, from: data))
        }
        if let path = smsGateway ?? environment["SLEUTEL_OTP_SMS_GATEWAY"] {
            senders[.sms] = try SMSGatewaySender(configuration: SMSGatewayConfiguration.load(contentsOf: URL(fileURLWithPath: path)))
        }
        return senders
    }
}

/// Where the database, the key file and the senders are.
struct OTPOptions: ParsableArguments {
    @Option(help: "SQLite database file (default: $SLEUTEL_DATABASE or ./sleutel.sqlite).")
    var database: String?

    @Option(help: "Key file for secrets at rest, keyid:base64key lines (default: $SLEUTEL_OTP_KEY_FILE or DATABASE.otp-keys).")
    var keyFile: String?

    @OptionGroup var delivery: CodeDeliveryOptions

    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    var databasePath: String { database ?? environment["SLEUTEL_DATABASE"] ?? "sleutel.sqlite" }
    var keyFilePath: String { keyFile ?? environment["SLEUTEL_OTP_KEY_FILE"] ?? databasePath + ".otp-keys" }

    /// The service over the database, with the senders that are configured.
    func open() throws -> OneTimeCodesService {
        let keyring = try SecretKeyring.load(path: keyFilePath)
        let store = try Storage.Database.open(path: databasePath, migrations: MigrationRegistry(OneTimeCodesSchema.migrations))
        return OneTimeCodesService(database: store, keyring: keyring, senders: try delivery.senders())
    }
}

/// The operator's authority for CLI enrolment (§10.4: level 500, fresh).
private func operatorAuthority(person: String) -> ActivationAuthority {
    ActivationAuthority(person: person, fasLevel: 500, authenticatedAt: Date())
}

/// Runs `body`; a rejected code or password exits 1, any other failure exits 2.
private func outcome(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as OneTimeCodesError where error.code == .rejected {
        print("rejected")
        throw ExitCode(1)
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        Terminal.error("\(error)")
        throw ExitCode(2)
    }
}

extension OutgoingCode.Channel: ExpressibleByArgument {}
extension OTPAlgorithm: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
}

extension OTPCommand {
    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append a new random key to the key file (created with mode 0600); the newest key seals new secrets.",
            discussion: "After adding a key, run `sleutel otp rekey`, then old keys may be removed from the file.")
        @OptionGroup var options: OTPOptions

        func run() async throws {
            try await outcome {
                let id = try SecretKeyring.generateKey(path: options.keyFilePath)
                print("key \(id) added to \(options.keyFilePath)")
            }
        }
    }

    struct Rekey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-encrypt every stored secret under the newest key of the key file.")
        @OptionGroup var options: OTPOptions

        func run() async throws {
            try await outcome {
                let count = try options.open().rekey()
                print("\(count) credentials re-encrypted")
            }
        }
    }

    struct Enroll: AsyncParsableCommand {
        enum Kind: String, ExpressibleByArgument { case totp, sms, email }

        static let configuration = CommandConfiguration(
            abstract: "Enrol a key for a person as operator (authority level 500, now): TOTP, SMS or e-mail.",
            discussion: """
                TOTP prints the credential id, the secret, the otpauth URI and the QR code (confirm with \
                `sleutel otp confirm --credential`). SMS and e-mail read the destination from --destination or \
                standard input and send it a confirmation code (confirm with `sleutel otp confirm --challenge`).
                """)
        @OptionGroup var options: OTPOptions
        @Option(help: "The person (national register number).") var person: String
        @Option(help: "totp (default), sms or email.") var kind: Kind = .totp
        @Option(help: "TOTP: account name shown in the app (e.g. the username).") var account: String?
        @Option(help: "TOTP: issuer shown in the app.") var issuer = "Sleutel"
        @Option(help: "TOTP: SHA1, SHA256 or SHA512.") var algorithm: OTPAlgorithm = .sha1
        @Option(help: "TOTP: 6 or 8.") var digits = 6
        @Option(help: "TOTP: 30 or 60 seconds.") var period = 30
        @Option(help: "TOTP: also write the QR code as PNG to this file (mode 0600: it holds the seed).") var png: String?
        @Option(help: "SMS/e-mail: phone number (E.164) or address; read from standard input when absent.") var destination: String?

        func validate() throws {
            if kind == .totp && account == nil { throw ValidationError("--account is needed for TOTP") }
        }

        func run() async throws {
            try await outcome {
                let service = try options.open()
                switch kind {
                case .totp:
                    let enrollment = try service.enrollTOTP(
                        authority: operatorAuthority(person: person),
                        parameters: TOTPParameters(algorithm: algorithm, digits: digits, period: period), issuer: issuer, account: account ?? "")
                    if let png {
                        guard FileManager.default.createFile(atPath: png, contents: Data(enrollment.qrPNG), attributes: [.posixPermissions: 0o600]) else {
                            throw ValidationError("cannot write \(png)")
                        }
                    }
                    print("credential \(enrollment.credentialID) (pending until confirmed with a first code)")
                    print("secret     \(enrollment.secret)")
                    print("uri        \(enrollment.uri)")
                    print(enrollment.qrTerminal, terminator: "")
                case .sms, .email:
                    let channel: OutgoingCode.Channel = kind == .sms ? .sms : .email
                    guard let destination = destination ?? Terminal.readSecret(prompt: kind == .sms ? "Phone number: " : "E-mail address: "),
                          !destination.isEmpty else { throw ValidationError("no destination given") }
                    let ticket = try await service.enrollDestination(authority: operatorAuthority(person: person), channel: channel,
                                                                     destination: destination)
                    print("challenge \(ticket.id): code sent to \(ticket.maskedDestination), valid until \(ticket.expiresAt)")
                }
            }
        }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Activate a pending key with its first code: a TOTP credential (--credential) or an SMS/e-mail challenge (--challenge).")
        @OptionGroup var options: OTPOptions
        @Option(help: "The person.") var person: String
        @Option(help: "Pending TOTP credential id.") var credential: String?
        @Option(help: "Challenge id of an SMS/e-mail enrolment.") var challenge: String?
        @Argument(help: "The code.") var code: String

        func validate() throws {
            guard (credential == nil) != (challenge == nil) else { throw ValidationError("give one of --credential or --challenge") }
        }

        func run() async throws {
            try await outcome {
                let service = try options.open()
                if let credential {
                    try service.confirmTOTP(person: person, credentialID: credential, code: code)
                } else if let challenge {
                    try service.confirmDestination(person: person, challengeID: challenge, code: code)
                }
                print("confirmed")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a code: a TOTP code of the person, or (with --challenge) an SMS/e-mail code.",
            discussion: "Exit status 0 when accepted, 1 when rejected (wrong, replayed, expired or locked: one answer), 2 on other errors.")
        @OptionGroup var options: OTPOptions
        @Option(help: "The person.") var person: String
        @Option(help: "Challenge id of an SMS/e-mail code.") var challenge: String?
        @Option(help: "Source address recorded in the audit trail and rate limits.") var source = "cli"
        @Argument(help: "The code.") var code: String

        func run() async throws {
            try await outcome {
                let service = try options.open()
                let verified: VerifiedCode
                if let challenge {
                    verified = try service.verifyChallenge(id: challenge, person: person, code: code, source: source)
                } else {
                    verified = try service.verifyTOTP(person: person, code: code, source: source)
                }
                print("accepted: \(verified.kind.rawValue) credential \(verified.credentialID), enrolled at level \(verified.enrolledAtLevel)")
            }
        }
    }

    struct PasswordCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "password", abstract: "Usernames and passwords.",
                                                        subcommands: [Set.self, Check.self])

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "set",
                abstract: "Set or replace a person's password as operator; the password is read without echo (or from standard input).")
            @OptionGroup var options: OTPOptions
            @Option(help: "The username.") var username: String
            @Option(help: "The person.") var person: String

            func run() async throws {
                try await outcome {
                    let service = try options.open()
                    guard let password = Terminal.readSecret(prompt: "New password: ") else { throw ValidationError("no password given") }
                    if isatty(STDIN_FILENO) == 1 {
                        guard Terminal.readSecret(prompt: "Again: ") == password else { throw ValidationError("the passwords differ") }
                    }
                    try service.setPassword(username: username, password: password, authority: operatorAuthority(person: person))
                    print("password set for \(username)")
                }
            }
        }

        struct Check: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "verify",
                abstract: "Check a password read without echo (or from standard input).",
                discussion: "Exit status 0 when accepted, 1 when rejected, 2 on other errors.")
            @OptionGroup var options: OTPOptions
            @Option(help: "The username.") var username: String
            @Option(help: "Source address recorded in the audit trail and rate limits.") var source = "cli"

            func run() async throws {
                try await outcome {
                    let service = try options.open()
                    guard let password = Terminal.readSecret(prompt: "Password: ") else { throw ValidationError("no password given") }
                    _ = try service.verifyPassword(username: username, password: password, source: source)
                    print("accepted")
                }
            }
        }
    }

    struct Challenge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a login code to the person's active SMS or e-mail destination (needs --sms-gateway / --email-config).",
            discussion: "Check the code with `sleutel otp verify --person P --challenge ID CODE`.")
        @OptionGroup var options: OTPOptions
        @Option(help: "The person.") var person: String
        @Option(help: "sms or email.") var channel: OutgoingCode.Channel

        func run() async throws {
            try await outcome {
                let ticket = try await options.open().startChallenge(person: person, channel: channel)
                print("challenge \(ticket.id): code sent to \(ticket.maskedDestination), valid until \(ticket.expiresAt)")
            }
        }
    }
}
