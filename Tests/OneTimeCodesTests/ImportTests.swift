import Foundation
import OneTimeCodes
import SleutelTestSupport
import Storage
import Testing

/// Importing TOTP tokens from another system, and validating one token by its serial.
@Suite struct ImportTests {
    let now = Date(timeIntervalSince1970: 1_795_348_800)

    func service() throws -> OneTimeCodesService {
        let database = try Storage.Database.inMemory(migrations: MigrationRegistry(OneTimeCodesSchema.migrations))
        let keyring = try SecretKeyring(keys: [(id: "k1", bytes: Array(repeating: 3, count: 32))])
        let instant = now
        return OneTimeCodesService(database: database, keyring: keyring, clock: { instant })
    }

    @Test func importedTokenValidatesBySerialOnceAndIsCappedAtSubstantial() throws {
        let codes = try service()
        let seed = Array("12345678901234567890".utf8)
        #expect(try codes.importTOTP([ImportedTOTP(person: "p1", serial: "TOTP0001", seed: seed)]) == 1)
        let code = TestSecrets.totp(secret: seed, date: now)
        let verified = try codes.verifyTOTP(credentialID: "TOTP0001", code: code, source: "t")
        #expect(verified.person == "p1" && verified.enrolledAtLevel == 400 && verified.kind == .totp)
        #expect(throws: OneTimeCodesError(.rejected, "")) { try codes.verifyTOTP(credentialID: "TOTP0001", code: code, source: "t") }
        #expect(throws: OneTimeCodesError(.rejected, "")) { try codes.verifyTOTP(credentialID: "nope", code: code, source: "t") }
        // The person's own check finds the imported key too (the step is spent now).
        #expect(throws: OneTimeCodesError(.rejected, "")) { try codes.verifyTOTP(person: "p1", code: code, source: "t") }
        let next = TestSecrets.totp(secret: seed, date: now.addingTimeInterval(30))
        #expect(try codes.verifyTOTP(person: "p1", code: next, source: "t").credentialID == "TOTP0001")
    }

    @Test func aBadOrDuplicateTokenImportsNothing() throws {
        let codes = try service()
        let seed = Array("12345678901234567890".utf8)
        try codes.importTOTP([ImportedTOTP(person: "p1", serial: "A", seed: seed)])
        #expect(throws: OneTimeCodesError(.alreadyExists, "")) {
            try codes.importTOTP([ImportedTOTP(person: "p2", serial: "B", seed: seed), ImportedTOTP(person: "p2", serial: "A", seed: seed)])
        }
        #expect(try codes.credentials(person: "p2").isEmpty, "B was rolled back with A")
        #expect(throws: OneTimeCodesError(.invalidInput, "")) { try codes.importTOTP([ImportedTOTP(person: "p3", serial: "C", seed: [1, 2, 3])]) }
        #expect(throws: OneTimeCodesError(.invalidInput, "")) { try codes.importTOTP([ImportedTOTP(person: "p3", serial: "a,b", seed: seed)]) }
        #expect(throws: OneTimeCodesError(.invalidInput, "")) {
            try codes.importTOTP([ImportedTOTP(person: "p3", serial: "D", seed: seed, parameters: TOTPParameters(digits: 7))])
        }
        #expect(try codes.credentials(person: "p3").isEmpty)
    }
}
