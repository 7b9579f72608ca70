import Foundation
import Testing

/// `sleutel rights …` end to end on a database file: KBO full and update imports, the
/// representatives feed, configuration, appointment, grant, resolution and profile.
@Suite("`sleutel rights` on a database file")
struct RightsCLITests {
    /// The header line of the KBO open data's enterprise file.
    static let enterpriseHeader = "\"EnterpriseNumber\",\"Status\",\"JuridicalSituation\",\"TypeOfEnterprise\",\"JuridicalForm\","
        + "\"JuridicalFormCAC\",\"StartDate\""

    /// Valid national register numbers (pre-2000 rule) built from 9 digits.
    static func rrn(_ base: Int) -> String { String(format: "%09d%02d", base, 97 - base % 97) }

    func write(_ directory: URL, _ name: String, _ lines: [String]) throws {
        try (lines.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func sleutel(_ arguments: [String], database: String) throws -> ProcessResult {
        try runProcess(Rig.binary, ["rights"] + arguments + ["--database", database])
    }

    @Test("define-application stores the minimum level and accepted keys (no --demo needed); unknown keys and levels are refused")
    func applicationPolicy() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rights-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("sleutel.sqlite").path
        let defined = try sleutel(["define-application", "--id", "btb", "--name", "BTB", "--minimum-level", "450", "--accepted-keys", "eid"],
                                  database: database)
        #expect(defined.status == 0, "\(defined.stderr)")
        let portaal = try sleutel(["define-application", "--id", "portaal", "--name", "Portaal", "--minimum-level", "200",
                                   "--accepted-keys", "eid, totp,sms,email,password"], database: database)
        #expect(portaal.status == 0, "\(portaal.stderr)")
        let stored = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", """
            import sqlite3, sys
            for row in sqlite3.connect(sys.argv[1]).execute("SELECT id, minimum_assurance, accepted_keys FROM application ORDER BY id"):
                print(*row)
            """, database])
        #expect(stored.stdout == "btb 450 eid\nportaal 200 eid,totp,sms,email,password\n", "\(stored.stdout)\(stored.stderr)")
        let unknown = try sleutel(["define-application", "--id", "x", "--name", "X", "--accepted-keys", "eid,fingerprint"], database: database)
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown key 'fingerprint'"))
        let level = try sleutel(["define-application", "--id", "x", "--name", "X", "--minimum-level", "600"], database: database)
        #expect(level.status != 0)
        #expect(level.stderr.contains("--minimum-level"))
    }

    @Test("import, configure, appoint, grant, resolve, refuse, profile; an update extract deactivates the organisation")
    func endToEnd() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rights-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("sleutel.sqlite").path
        let full = directory.appendingPathComponent("full"), update = directory.appendingPathComponent("update")
        try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: update, withIntermediateDirectories: true)
        try write(full, "meta.csv", ["\"Variable\",\"Value\"", "\"ExtractType\",\"full\"", "\"ExtractNumber\",\"7\""])
        try write(full, "enterprise.csv", [Self.enterpriseHeader,
                                           "\"0441.928.931\",\"AC\",\"000\",\"2\",\"014\",,\"09-08-1960\""])
        try write(full, "denomination.csv", ["\"EntityNumber\",\"Language\",\"TypeOfDenomination\",\"Denomination\"",
                                             "\"0441.928.931\",\"2\",\"001\",\"FN HERSTAL\""])
        let wv = Self.rrn(850730033), hlb = Self.rrn(930518223), employee = Self.rrn(880101001)
        try write(directory, "wv.csv", ["EnterpriseNumber,INSZ,GivenName,FamilyName,Function,ValidFrom,ValidUntil",
                                        "0441.928.931,\(wv),An,Peeters,Bestuurder,01-01-2010,"])

        let imported = try sleutel(["import-kbo", full.path, "--quiet"], database: database)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("full extract 7: 2 rows"))
        #expect(try sleutel(["import-representatives", directory.appendingPathComponent("wv.csv").path], database: database).status == 0)
        #expect(try sleutel(["define-application", "--id", "wex", "--name", "WEX eLoket"], database: database).status == 0)
        #expect(try sleutel(["define-right", "--application", "wex", "--code", "gebruiker", "--label", "WEX eLoket Gebruiker"],
                            database: database).status == 0)
        let appointed = try sleutel(["appoint", "--as", wv, "--level", "500", "--role", "flemish.hlb", "--person", hlb,
                                     "--organisation", "BE 441.928.931", "--from", "2020-01-01", "--until", "2099-12-31"], database: database)
        #expect(appointed.status == 0, "\(appointed.stderr)")
        let granted = try sleutel(["grant", "--as", hlb, "--person", employee, "--organisation", "0441928931", "--application", "wex",
                                   "--right", "gebruiker", "--from", "2020-01-01", "--until", "2099-12-31", "--with-work-relation",
                                   "--phone", "+3212345678", "--email", "medewerker@example.be"], database: database)
        #expect(granted.status == 0, "\(granted.stderr)")
        #expect(granted.stdout.hasPrefix("grant "))

        let resolved = try sleutel(["resolve", "--person", employee], database: database)
        #expect(resolved.status == 0, "\(resolved.stderr)")
        #expect(resolved.stdout.contains("\"application\" : \"wex\""))
        #expect(resolved.stdout.contains("FN HERSTAL"))
        #expect(!resolved.stdout.contains(employee))

        // The employee is no manager: the §5 refusal, with its code, and no national number in the message.
        let refused = try sleutel(["grant", "--as", employee, "--person", hlb, "--organisation", "0441928931", "--application", "wex",
                                   "--right", "gebruiker", "--from", "2020-01-01", "--until", "2099-12-31"], database: database)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("rights.notAManager"))
        #expect(refused.stderr.contains("U beschikt niet over de rechten om aan te melden op de toepassing"))
        #expect(!refused.stderr.contains(employee) && !refused.stderr.contains(hlb))

        let profile = try sleutel(["profile", "--person", employee], database: database)
        #expect(profile.status == 0, "\(profile.stderr)")
        #expect(profile.stdout.contains("WEX eLoket Gebruiker"))

        // Update 8 deletes the enterprise: no rights any more, the grant row stays.
        try write(update, "meta.csv", ["\"Variable\",\"Value\"", "\"ExtractType\",\"update\"", "\"ExtractNumber\",\"8\""])
        try write(update, "enterprise_delete.csv", ["\"EnterpriseNumber\"", "\"0441.928.931\""])
        try write(update, "enterprise_insert.csv", [Self.enterpriseHeader])
        let updated = try sleutel(["import-kbo", update.path, "--quiet"], database: database)
        #expect(updated.status == 0, "\(updated.stderr)")
        #expect(updated.stdout.contains("update extract 8"))
        #expect(updated.stdout.contains("1 organisations"))
        let after = try sleutel(["resolve", "--person", employee], database: database)
        #expect(after.stdout.contains("\"organisations\" : [\n\n  ]") || after.stdout.contains("\"organisations\" : []"))
        let export = try sleutel(["export", "--person", employee], database: database)
        #expect(export.stdout.contains("rightGrant"))
        // Re-applying the same update is refused.
        let again = try sleutel(["import-kbo", update.path, "--quiet"], database: database)
        #expect(again.status != 0)
        #expect(again.stderr.contains("import.outOfOrder"))
    }
}
