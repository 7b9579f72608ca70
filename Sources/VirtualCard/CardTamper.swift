import CryptoCore
import Foundation

/// A forgery of the virtual card's data, for integrity tests through the real pcscd: each one
/// changes what the card holds the way a tampered or cloned card would, so that exactly one
/// integrity check of the reader side (card spec §4) must catch it.
///
/// Text form (`sleutel virtual-card run --tamper …`) is the raw value:
///
/// | tamper | the card holds… | check that must fail |
/// |---|---|---|
/// | `identity` | an identity file with one letter of the surname changed; signatures as issued | `identitySignature` |
/// | `address` | an address file with one letter of the street changed, zero padded as usual | `addressSignature` |
/// | `address-unpadded` | the same changed address without its trailing zero bytes | `addressSignature` |
/// | `photo` | a photo with one byte changed | `photoHash` |
/// | `identity-other-rrn` | the identity file signed by another RRN key of the same kind | `identitySignature` (and `addressSignature`, which covers it) |
/// | `rrn-other-root` | the RRN certificate of the other test tree (not issued by the card's root), data signed with its key | `rrnCertificate` |
/// | `rogue-root` | a rogue root and RRN certificate (`Hardware/rogue-pki`), data re-signed: a consistent forgery | `rootCertificate` |
/// | `basic-key-file` | (1.8) another basic key in `4040`, and the chip answers with it | `basicKeyHash` |
/// | `basic-key-challenge` | (1.8) the genuine `4040`, but the chip answers INTERNAL AUTHENTICATE with another key | `basicKeyChallenge` |
public enum CardTamper: String, Sendable, CaseIterable, CustomStringConvertible {
    case identity
    case address
    case addressUnpadded = "address-unpadded"
    case photo
    case identityOtherRRN = "identity-other-rrn"
    case rrnOtherRoot = "rrn-other-root"
    case rogueRoot = "rogue-root"
    case basicKeyFile = "basic-key-file"
    case basicKeyChallenge = "basic-key-challenge"

    public var description: String { rawValue }

    /// Parses the text form.
    /// - Throws: ``VirtualCardError`` `.badField` listing the known tampers.
    public init(parsing text: String) throws(VirtualCardError) {
        guard let tamper = CardTamper(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw VirtualCardError(.badField, "tamper \"\(text)\": not one of \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = tamper
    }

    /// The card `image` forged this way.
    /// - Parameter hardware: the folder holding `test-pki/` and `rogue-pki/` (the parent of the
    ///   profiles' folder `Hardware/cards`), for the tampers that use other keys and certificates.
    /// - Throws: ``VirtualCardError`` `.unsupported` (a 1.8 tamper on a 1.7 card), `.missingFile`, `.crypto`.
    public func apply(to image: CardImage, hardware: URL) throws(VirtualCardError) -> CardImage {
        var card = image
        typealias Path = CardImage.Path
        switch self {
        case .identity:
            card.tree.replace(Path.identity, with: try Self.changeLetter(of: 0x07, in: Self.file(card, Path.identity), "surname"))
        case .address, .addressUnpadded:
            var address = try Self.changeLetter(of: 0x01, in: Self.file(card, Path.address), "street")
            if self == .addressUnpadded { address = Self.trimmingTrailingZeros(address) }
            card.tree.replace(Path.address, with: address)
        case .photo:
            var photo = try Self.file(card, Path.photo)
            guard photo.count > 4 else { throw VirtualCardError(.unsupported, "tamper photo: the photo is too short") }
            photo[photo.count / 2] ^= 0x01
            card.tree.replace(Path.photo, with: photo)
        case .identityOtherRRN:
            let other = try Self.crypto("another RRN key") {
                try Self.rrnIsEC(card) ? try PrivateKey.generateEC(curve: .p384) : try PrivateKey.generateRSA(bits: 2048)
            }
            let signature = try CardImage.rrnSign(Self.file(card, Path.identity), key: other, rsaHash: .sha256)
            card.tree.replace(Path.identitySignature, with: signature)
        case .rrnOtherRoot:
            let tree = card.applet == .v18 ? "rsa" : "ec"  // the other test tree: a root that is not on this card
            try Self.replaceRRN(&card, certificate: hardware.appendingPathComponent("test-pki/\(tree)/rrn.crt"),
                                key: hardware.appendingPathComponent("test-pki/\(tree)/rrn.key"), root: nil)
        case .rogueRoot:
            try Self.replaceRRN(&card, certificate: hardware.appendingPathComponent("rogue-pki/rrn.crt"),
                                key: hardware.appendingPathComponent("rogue-pki/rrn.key"),
                                root: hardware.appendingPathComponent("rogue-pki/root.crt"))
        case .basicKeyFile, .basicKeyChallenge:
            guard card.applet == .v18 else { throw VirtualCardError(.unsupported, "tamper \(self) needs an applet 1.8 card (a basic key)") }
            let other = try Self.crypto("another basic key") { try PrivateKey.generateEC(curve: .p384) }
            card.basicKey = other
            if self == .basicKeyFile {
                card.tree.replace(Path.basicPublicKey, with: try Self.crypto("basic public key") { try other.publicKey().spkiDER() })
            }
        }
        return card
    }

    // MARK: - Building blocks

    private static func file(_ card: CardImage, _ path: [UInt16]) throws(VirtualCardError) -> [UInt8] {
        guard let content = card.file(path) else { throw VirtualCardError(.unsupported, "the card has no file \(path)") }
        return content
    }

    private static func rrnIsEC(_ card: CardImage) throws -> Bool {
        try Certificate(paddedDER: file(card, CardImage.Path.rrnCertificate)).publicKey().kind.isEC
    }

    /// Changes the first byte of TLV field `tag` to another ASCII letter (the file keeps its
    /// length and stays valid UTF-8, so only the signature can tell).
    static func changeLetter(of tag: UInt8, in file: [UInt8], _ what: String) throws(VirtualCardError) -> [UInt8] {
        var i = 0
        while i + 2 <= file.count {
            let t = file[i], length = Int(file[i + 1])
            if t == tag {
                guard length > 0, i + 2 + length <= file.count, file[i + 2] < 0x80 else { break }
                var out = file
                let byte = out[i + 2]
                switch byte {
                case UInt8(ascii: "A")..<UInt8(ascii: "Z"), UInt8(ascii: "a")..<UInt8(ascii: "z"): out[i + 2] = byte + 1
                case UInt8(ascii: "Z"), UInt8(ascii: "z"): out[i + 2] = byte - 25
                default: out[i + 2] = byte ^ 0x01
                }
                return out
            }
            i += 2 + length
        }
        throw VirtualCardError(.unsupported, "cannot change the \(what) (tag \(tag)): absent, empty or not ASCII")
    }

    static func trimmingTrailingZeros(_ bytes: [UInt8]) -> [UInt8] {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0 { end -= 1 }
        return Array(bytes[..<end])
    }

    /// Puts another RRN certificate (and, with `root`, another root certificate) on the card and
    /// re-signs the identity and address files with the matching key.
    private static func replaceRRN(_ card: inout CardImage, certificate: URL, key: URL, root: URL?) throws(VirtualCardError) {
        let rrn = try crypto("RRN certificate \(certificate.path)") { try Certificate(pem: String(contentsOf: certificate, encoding: .utf8)) }
        let rrnKey = try crypto("RRN key \(key.path)") { try PrivateKey(pem: String(contentsOf: key, encoding: .utf8)) }
        let padding = [UInt8](repeating: 0, count: card.applet == .v18 ? 1100 : 50)
        card.tree.replace(CardImage.Path.rrnCertificate, with: rrn.derEncoded + padding)
        if let root {
            let rootCertificate = try crypto("root certificate \(root.path)") { try Certificate(pem: String(contentsOf: root, encoding: .utf8)) }
            card.tree.replace(CardImage.Path.rootCertificate, with: rootCertificate.derEncoded + padding)
        }
        let identitySignature = try CardImage.rrnSign(file(card, CardImage.Path.identity), key: rrnKey, rsaHash: .sha256)
        let address = trimmingTrailingZeros(try file(card, CardImage.Path.address))
        card.tree.replace(CardImage.Path.identitySignature, with: identitySignature)
        card.tree.replace(CardImage.Path.addressSignature,
                          with: try CardImage.rrnSign(address + identitySignature, key: rrnKey, rsaHash: .sha256))
    }

    private static func crypto<T>(_ what: String, _ body: () throws -> T) throws(VirtualCardError) -> T {
        do {
            return try body()
        } catch let error as VirtualCardError {
            throw error
        } catch {
            throw VirtualCardError(.crypto, "tamper: \(what): \(error)")
        }
    }
}
