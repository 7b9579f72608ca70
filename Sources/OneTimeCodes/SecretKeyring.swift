import CryptoCore
import Foundation

/// The keys for secrets at rest, loaded from a key file outside the database: one key per line,
/// `keyid:base64key` (32 bytes). The last line is the newest key, used for writes; older keys
/// stay to read rows not yet re-encrypted (``OneTimeCodesService/rekey()``).
public struct SecretKeyring: Sendable {
    public struct Key: Sendable {
        public let id: String
        let bytes: [UInt8]
    }

    /// All keys, oldest first.
    public let keys: [Key]

    /// The key used for new rows.
    public var newest: Key { keys[keys.count - 1] }

    /// A keyring from `(id, 32-byte key)` pairs, oldest first.
    public init(keys: [(id: String, bytes: [UInt8])]) throws(OneTimeCodesError) {
        guard !keys.isEmpty else { throw OneTimeCodesError(.secretKey, "key ring is empty") }
        var seen = Set<String>()
        var parsed: [Key] = []
        for key in keys {
            guard !key.id.isEmpty, !key.id.contains(":"), seen.insert(key.id).inserted else {
                throw OneTimeCodesError(.secretKey, "bad or duplicate key id")
            }
            guard key.bytes.count == AESGCM.keyLength else { throw OneTimeCodesError(.secretKey, "key \(key.id) is not 32 bytes") }
            parsed.append(Key(id: key.id, bytes: key.bytes))
        }
        self.keys = parsed
    }

    /// Parses key-file text (blank lines and `#` comments ignored).
    public init(text: String) throws(OneTimeCodesError) {
        var pairs: [(id: String, bytes: [UInt8])] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"), let data = Data(base64Encoded: String(line[line.index(after: colon)...])) else {
                throw OneTimeCodesError(.secretKey, "key file line \(number + 1) is not keyid:base64")
            }
            pairs.append((String(line[..<colon]), Array(data)))
        }
        try self.init(keys: pairs)
    }

    /// Loads the key file at `path`.
    public static func load(path: String) throws(OneTimeCodesError) -> SecretKeyring {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw OneTimeCodesError(.secretKey, "cannot read key file")
        }
        return try SecretKeyring(text: text)
    }

    /// Appends a new random key to the key file at `path` (creating it with mode 0600); returns its id.
    @discardableResult
    public static func generateKey(path: String, clock: Date = Date()) throws(OneTimeCodesError) -> String {
        var existing = ""
        if FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw OneTimeCodesError(.secretKey, "cannot read key file")
            }
            existing = text
            _ = try SecretKeyring(text: existing)
        }
        let id = "k\(Int(clock.timeIntervalSince1970))-\(Base32.encode(SecureRandom.bytes(3)).lowercased())"
        let line = "\(id):\(Data(SecureRandom.bytes(AESGCM.keyLength)).base64EncodedString())\n"
        if !existing.isEmpty && !existing.hasSuffix("\n") { existing += "\n" }
        let created = FileManager.default.createFile(atPath: path, contents: Data((existing + line).utf8),
                                                     attributes: [.posixPermissions: 0o600])
        guard created else { throw OneTimeCodesError(.secretKey, "cannot write key file") }
        return id
    }

    func key(id: String) throws(OneTimeCodesError) -> Key {
        guard let key = keys.first(where: { $0.id == id }) else { throw OneTimeCodesError(.secretKey, "key id \(id) is not in the key ring") }
        return key
    }

    /// Encrypts under the newest key; returns the key id and the sealed bytes.
    func seal(_ plaintext: [UInt8], context: String) throws(OneTimeCodesError) -> (keyID: String, sealed: [UInt8]) {
        do {
            return (newest.id, try AESGCM.seal(plaintext, key: newest.bytes, associatedData: Array(context.utf8)))
        } catch {
            throw OneTimeCodesError(.crypto, "cannot encrypt secret: \(error.code)")
        }
    }

    /// Decrypts a row sealed under `keyID`.
    func open(_ sealed: [UInt8], keyID: String, context: String) throws(OneTimeCodesError) -> [UInt8] {
        let key = try key(id: keyID)
        do {
            return try AESGCM.open(sealed, key: key.bytes, associatedData: Array(context.utf8))
        } catch {
            throw OneTimeCodesError(.secretKey, "secret does not decrypt under key \(keyID)")
        }
    }

    /// HMAC-SHA256 of `data` under the key `keyID` (lookup hashes of codes and destinations).
    func mac(_ data: String, keyID: String) throws(OneTimeCodesError) -> [UInt8] {
        HMAC.mac(.sha256, key: try key(id: keyID).bytes, data: Array(data.utf8))
    }
}
