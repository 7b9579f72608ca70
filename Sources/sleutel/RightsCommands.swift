import ArgumentParser
import Foundation
import Rights
import Sessions
import Storage

struct RightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rights",
        abstract: "Organisations, appointments and application rights.",
        subcommands: [ImportKBO.self, ImportRepresentatives.self, DefineApplication.self, DefineRight.self, Appoint.self, Grant.self,
                      Resolve.self, ProfileCommand.self, Export.self]
    )
}

/// Shared options: where the database is.
struct RightsDatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "SQLite database file (default: $SLEUTEL_DATABASE or ./sleutel.sqlite).")
    var database: String?

    func open() throws -> RightsService {
        let path = database ?? ProcessInfo.processInfo.environment["SLEUTEL_DATABASE"] ?? "sleutel.sqlite"
        let db = try Storage.Database.open(path: path, migrations: MigrationRegistry(RightsSchema.migrations))
        return RightsService(database: db)
    }
}

/// The acting person and their session level, for writes from the CLI.
struct RightsActorOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: "National register or BIS number of the acting manager.")
    var actor: String

    @Option(name: .long, help: "FAS level of the actor's session (e.g. 500 for eID).")
    var level: Int = 400

    func make() throws -> Actor { Actor(person: try INSZ(actor), sessionLevel: level) }
}

private func parseDate(_ text: String?) throws -> LocalDate? {
    guard let text else { return nil }
    guard let date = LocalDate(text) else { throw ValidationError("not a date: use YYYY-MM-DD or DD-MM-YYYY") }
    return date
}

private func fail(_ error: any Error) -> ExitCode {
    Terminal.error("\(error)")
    return ExitCode.failure
}

extension RightsCommand {
    struct ImportKBO: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-kbo",
            abstract: "Import a KBO Open Data extract (unzipped directory): full, or an update (*_delete.csv / *_insert.csv).",
            discussion: """
                Full and update extracts are told apart by meta.csv (ExtractType) and the file names. An update must \
                follow the last applied extract number; after a gap, import a full extract. Organisations that vanish \
                are marked inactive, never deleted; appointments, werkrelaties and grants stay. One transaction: on a \
                malformed row nothing is written and the error names the file and row.
                """)
        @OptionGroup var options: RightsDatabaseOptions
        @Argument(
            help: "Directory with meta.csv, code.csv, enterprise.csv, establishment.csv, denomination.csv, address.csv, … (or their _delete/_insert files)"
        )
        var directory: String
        @Flag(help: "Skip activity.csv (the largest file).") var skipActivities = false
        @Flag(help: "No progress display on standard error.") var quiet = false

        func run() throws {
            do {
                let service = try options.open()
                let start = Date()
                let showProgress = !quiet
                let report = try service.importKBO(directory: directory, skipActivities: skipActivities) { file, rows, bytes, size in
                    guard showProgress else { return }
                    let percent = size > 0 ? min(100, Int(Double(bytes) / Double(size) * 100)) : 100
                    let seconds = Date().timeIntervalSince(start)
                    Terminal.writeStandardError("\r\(file): \(rows) rows (\(percent)%), \(Int(seconds)) s elapsed   ")
                    if bytes >= size { Terminal.writeStandardError("\n") }
                }
                try service.database.checkpoint()
                let seconds = Date().timeIntervalSince(start)
                print("\(report.extractType.rawValue) extract \(report.extractNumber.map(String.init) ?? "?"): \(report.totalRows) rows in "
                      + "\(String(format: "%.1f", seconds)) s (\(Int(Double(report.totalRows) / max(seconds, 0.001))) rows/s); "
                      + "\(report.deactivatedOrganisations) organisations and \(report.deactivatedEstablishments) establishment units deactivated")
            } catch { throw fail(error) }
        }
    }

    struct ImportRepresentatives: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import-representatives",
                                                        abstract: "Import the legal-representatives feed (CSV, full snapshot).")
        @OptionGroup var options: RightsDatabaseOptions
        @Argument(help: "CSV: EnterpriseNumber,INSZ,GivenName,FamilyName,Function,ValidFrom,ValidUntil")
        var file: String

        func run() throws {
            do {
                let result = try options.open().importRepresentatives(file: file)
                print("\(result.read) mandates read, \(result.ended) ended")
            } catch { throw fail(error) }
        }
    }

    struct DefineApplication: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "define-application",
                                                        abstract: "Register or update an application that relies on Sleutel for rights.")
        @OptionGroup var options: RightsDatabaseOptions
        @Option(help: "Application id.") var id: String
        @Option(help: "Display name.") var name: String
        @Option(help: "Minimum FAS level of a session (100–500, default 400).") var minimumLevel: Int = 400
        @Option(help: "The only keys accepted, comma-separated: eid, totp, sms, email, password (default: every key reaching the level).")
        var acceptedKeys: String?
        @Flag(help: "This is the rights administration (Gebruikersbeheer): managers only.") var administration = false
        @Option(help: "Right a legal representative (WV) holds automatically (§4).") var legalRepresentativeRight: String?

        func validate() throws {
            guard (100...500).contains(minimumLevel) else { throw ValidationError("--minimum-level must be between 100 and 500") }
            for key in keys ?? [] where !AuthMethod.keys.contains(key) {
                throw ValidationError("unknown key '\(key)' in --accepted-keys; use \(AuthMethod.keys.joined(separator: ", "))")
            }
        }

        var keys: [String]? {
            acceptedKeys.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } }
        }

        func run() throws {
            do {
                try options.open().registerApplication(ApplicationDefinition(
                    id: id, name: name, minimumAssurance: minimumLevel, acceptedKeys: keys,
                    legalRepresentativeHasAccess: legalRepresentativeRight != nil,
                    baseRight: legalRepresentativeRight, isRightsAdministration: administration))
                print("application \(id)")
            } catch { throw fail(error) }
        }
    }

    struct DefineRight: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "define-right", abstract: "Define or update a right of an application.")
        @OptionGroup var options: RightsDatabaseOptions
        @Option(help: "Application id.") var application: String
        @Option(help: "Right code.") var code: String
        @Option(help: "Label as managers and Mijn Profiel show it.") var label: String
        @Option(help: "Fixed context values, comma-separated.") var contexts: String?
        @Flag(help: "Context values are the organisation's establishment units.") var establishments = false
        @Flag(help: "The application owner must approve each organisation first.") var ownerApproval = false

        func run() throws {
            do {
                if contexts != nil, establishments { throw ValidationError("use either --contexts or --establishments") }
                let values = contexts.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
                let kind: ContextKind = establishments ? .establishments : (values.isEmpty ? .none : .fixed)
                try options.open().defineRight(RightDefinition(application: application, code: code, label: label, contextKind: kind,
                                                                contextValues: values, requiresOwnerApproval: ownerApproval))
                print("right \(application)/\(code)")
            } catch let error as ValidationError { throw error } catch { throw fail(error) }
        }
    }

    struct Appoint: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Appoint a manager (HTB, HLB, LB-VO, VTE, co-VTE, LB-F, LMB).")
        @OptionGroup var options: RightsDatabaseOptions
        @OptionGroup var actor: RightsActorOptions
        @Option(help: "Role: \(ManagerRole.allCases.map(\.rawValue).joined(separator: ", "))") var role: String
        @Option(help: "National register or BIS number of the appointee.") var person: String
        @Option(help: "Enterprise number.") var organisation: String
        @Option(help: "First day (YYYY-MM-DD).") var from: String
        @Option(help: "Last day, inclusive (required for HLB and LB-VO).") var until: String?
        @Option(help: "Hoedanigheid (federal LB-F and LMB).") var capacity: String?

        func run() throws {
            do {
                guard let role = ManagerRole(rawValue: role) else { throw ValidationError("unknown role") }
                let id = try options.open().appoint(role, person: try INSZ(person), organisation: try KBONumber.enterprise(organisation),
                                                    validFrom: try parseDate(from)!, validUntil: try parseDate(until), capacity: capacity,
                                                    by: try actor.make())
                print("appointment \(id)")
            } catch let error as ValidationError { throw error } catch { throw fail(error) }
        }
    }

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Grant an application right (needs a werkrelatie).")
        @OptionGroup var options: RightsDatabaseOptions
        @OptionGroup var actor: RightsActorOptions
        @Option(help: "National register or BIS number of the employee.") var person: String
        @Option(help: "Enterprise number.") var organisation: String
        @Option(help: "Application id.") var application: String
        @Option(help: "Right code.") var right: String
        @Option(help: "Context value, if the right has contexts.") var context: String?
        @Option(help: "First day.") var from: String
        @Option(help: "Last day, inclusive.") var until: String
        @Flag(help: "Also create a werkrelatie first (category Vaste Medewerker).") var withWorkRelation = false
        @Option(help: "Phone for the werkrelatie.") var phone: String?
        @Option(help: "E-mail for the werkrelatie.") var email: String?

        func run() throws {
            do {
                let service = try options.open()
                let person = try INSZ(person), organisation = try KBONumber.enterprise(organisation)
                let from = try parseDate(from)!, until = try parseDate(until)!
                let actor = try actor.make()
                if withWorkRelation {
                    try service.createWorkRelation(WorkRelationInput(person: person, organisation: organisation, category: .permanentEmployee,
                                                                     phone: phone ?? "", email: email ?? "", validFrom: from, validUntil: until),
                                                   by: actor)
                }
                let result = try service.grant(GrantInput(person: person, organisation: organisation, application: application, right: right,
                                                          context: context, validFrom: from, validUntil: until), by: actor)
                print("grant \(result.grantID)")
                for warning in result.warnings { Terminal.error("warning: \(warning)") }
            } catch { throw fail(error) }
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Organisations, roles and rights of a person at an instant (JSON).")
        @OptionGroup var options: RightsDatabaseOptions
        @Option(help: "National register or BIS number.") var person: String
        @Option(help: "Day (YYYY-MM-DD, evaluated at noon Brussels) or ISO instant; default now.") var at: String?

        func run() throws {
            do {
                var instant: Date?
                if let at {
                    if let date = LocalDate(at) { instant = date.startInstant.addingTimeInterval(12 * 3600) } else {
                        guard let parsed = ISO8601DateFormatter().date(from: at) else { throw ValidationError("not a date or instant") }
                        instant = parsed
                    }
                }
                let resolution = try options.open().resolve(person: try INSZ(person), at: instant)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(resolution), as: UTF8.self))
            } catch let error as ValidationError { throw error } catch { throw fail(error) }
        }
    }

    struct ProfileCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "profile", abstract: "Mijn Profiel of a person (JSON).")
        @OptionGroup var options: RightsDatabaseOptions
        @Option(help: "National register or BIS number.") var person: String

        func run() throws {
            do {
                let profile = try options.open().profile(person: try INSZ(person))
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(profile), as: UTF8.self))
            } catch { throw fail(error) }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export everything held about one person (JSON).")
        @OptionGroup var options: RightsDatabaseOptions
        @Option(help: "National register or BIS number.") var person: String

        func run() throws {
            do {
                print(String(decoding: try options.open().exportPerson(person: try INSZ(person)), as: UTF8.self))
            } catch { throw fail(error) }
        }
    }
}
