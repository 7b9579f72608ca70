import Foundation

/// The Belpic applet version a virtual card emulates.
public enum CardApplet: String, Sendable, Codable, CaseIterable {
    /// Applet 1.7: RSA-2048 user keys, ATR `3B 98 13 40 0A A5 03 01 01 01 AD 13 11`.
    case v17 = "1.7"
    /// Applet 1.8: ECDSA P-384 user keys and basic key, ATR `3B 7F 96 00 … 82 90 00`.
    case v18 = "1.8"

    /// The answer-to-reset of a card with this applet.
    public var atr: [UInt8] {
        switch self {
        case .v17: [0x3B, 0x98, 0x13, 0x40, 0x0A, 0xA5, 0x03, 0x01, 0x01, 0x01, 0xAD, 0x13, 0x11]
        case .v18:
            [0x3B, 0x7F, 0x96, 0x00, 0x00, 0x80, 0x31, 0x80, 0x65, 0xB0, 0x85, 0x04, 0x01, 0x20, 0x12, 0x0F, 0xFF, 0x82, 0x90, 0x00]
        }
    }

    /// The applet-version byte of GET CARD DATA (offset 21).
    public var cardDataByte: UInt8 { self == .v17 ? 0x17 : 0x18 }

    /// True for the EC (1.8) applet.
    public var isEC: Bool { self == .v18 }
}

/// A virtual card's description as stored in `Hardware/cards/*.json`.
///
/// Paths in ``photo`` and ``certificates`` are relative to the profile file's directory.
/// `description` never shows the PIN.
public struct CardProfile: Codable, Sendable, CustomStringConvertible {
    /// Identity-file fields (`3F00/DF01/4031`), as text exactly as written on the card.
    public struct Identity: Codable, Sendable, Equatable {
        public var cardNumber: String
        public var validityBegin: String
        public var validityEnd: String
        public var deliveryMunicipality: String
        public var nationalNumber: String
        public var surname: String
        public var givenNames: String
        public var thirdInitial: String
        public var nationality: String
        public var birthLocation: String
        public var birthDate: String
        public var sex: String
        public var nobleCondition: String
        public var documentType: String
        public var specialStatus: String
        /// Additional tags: hex tag (`"12"`) → hex value (`"3030"`). They must not collide
        /// with tags the card generates (`01`–`11`, `1A`).
        public var extraTags: [String: String]?

        public init(
            cardNumber: String, validityBegin: String, validityEnd: String, deliveryMunicipality: String,
            nationalNumber: String, surname: String, givenNames: String, thirdInitial: String = "",
            nationality: String = "BELG", birthLocation: String, birthDate: String, sex: String,
            nobleCondition: String = "", documentType: String = "1", specialStatus: String = "0",
            extraTags: [String: String]? = nil
        ) {
            self.cardNumber = cardNumber
            self.validityBegin = validityBegin
            self.validityEnd = validityEnd
            self.deliveryMunicipality = deliveryMunicipality
            self.nationalNumber = nationalNumber
            self.surname = surname
            self.givenNames = givenNames
            self.thirdInitial = thirdInitial
            self.nationality = nationality
            self.birthLocation = birthLocation
            self.birthDate = birthDate
            self.sex = sex
            self.nobleCondition = nobleCondition
            self.documentType = documentType
            self.specialStatus = specialStatus
            self.extraTags = extraTags
        }
    }

    /// Address-file fields (`3F00/DF01/4033`).
    public struct Address: Codable, Sendable, Equatable {
        public var streetAndNumber: String
        public var zip: String
        public var municipality: String

        public init(streetAndNumber: String, zip: String, municipality: String) {
            self.streetAndNumber = streetAndNumber
            self.zip = zip
            self.municipality = municipality
        }
    }

    /// Paths of the PEM keys and certificates; `nil` = absent on this card.
    public struct Certificates: Codable, Sendable, Equatable {
        public var auth: String?
        public var authKey: String?
        public var sign: String?
        public var signKey: String?
        public var ca: String?
        public var root: String?
        public var rrn: String?
        public var rrnKey: String?
        public var basicKey: String?

        public init(
            auth: String? = nil, authKey: String? = nil, sign: String? = nil, signKey: String? = nil,
            ca: String? = nil, root: String? = nil, rrn: String? = nil, rrnKey: String? = nil, basicKey: String? = nil
        ) {
            self.auth = auth
            self.authKey = authKey
            self.sign = sign
            self.signKey = signKey
            self.ca = ca
            self.root = root
            self.rrn = rrn
            self.rrnKey = rrnKey
            self.basicKey = basicKey
        }
    }

    public var name: String
    public var description: String { "CardProfile(\(name), applet \(applet.rawValue), PIN redacted)" }
    /// Free text from the profile's `description` key.
    public var summary: String?
    public var applet: CardApplet
    /// 4–12 decimal digits. Never logged.
    public var pin: String
    /// 0…3; 0 = blocked.
    public var pinTriesLeft: Int
    /// 16 bytes as 32 hex digits: GET CARD DATA serial = ID tag `02` = TokenInfo serial.
    public var chipSerial: String
    /// `sha1` or `sha256` for 1.7 (default `sha256`); 1.8 always uses `sha384`.
    public var photoHash: String?
    /// Hash of the RRN RSA signatures (`sha1`/`sha256`); default: `sha1` when the photo hash is
    /// SHA-1, else `sha256`. Ignored when the RRN key is EC (always SHA-384).
    public var rrnSignatureHash: String?
    /// Commands allowed between VERIFY and a non-repudiation PSO:CDS; default 0 (1.7), 1 (1.8).
    public var nonRepudiationWindow: Int?
    public var identity: Identity
    public var address: Address
    /// JPEG path; `nil` = a small built-in greyscale placeholder.
    public var photo: String?
    public var certificates: Certificates

    enum CodingKeys: String, CodingKey {
        case name, summary = "description", applet, pin, pinTriesLeft, chipSerial, photoHash, rrnSignatureHash
        case nonRepudiationWindow, identity, address, photo, certificates
    }

    public init(
        name: String, summary: String? = nil, applet: CardApplet, pin: String, pinTriesLeft: Int = 3,
        chipSerial: String, photoHash: String? = nil, rrnSignatureHash: String? = nil,
        nonRepudiationWindow: Int? = nil, identity: Identity, address: Address, photo: String? = nil,
        certificates: Certificates = Certificates()
    ) {
        self.name = name
        self.summary = summary
        self.applet = applet
        self.pin = pin
        self.pinTriesLeft = pinTriesLeft
        self.chipSerial = chipSerial
        self.photoHash = photoHash
        self.rrnSignatureHash = rrnSignatureHash
        self.nonRepudiationWindow = nonRepudiationWindow
        self.identity = identity
        self.address = address
        self.photo = photo
        self.certificates = certificates
    }

    /// Reads and decodes a profile file.
    /// - Throws: ``VirtualCardError`` `.missingFile` or `.badJSON` (naming the key path).
    public static func load(from url: URL) throws(VirtualCardError) -> CardProfile {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw VirtualCardError(.missingFile, "cannot read profile \(url.path)")
        }
        do {
            return try JSONDecoder().decode(CardProfile.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw VirtualCardError(.badJSON, "\(url.lastPathComponent): missing field \(Self.path(context.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw VirtualCardError(.badJSON, "\(url.lastPathComponent): wrong type at \(Self.path(context.codingPath))")
        } catch let DecodingError.valueNotFound(_, context) {
            throw VirtualCardError(.badJSON, "\(url.lastPathComponent): null at \(Self.path(context.codingPath))")
        } catch let DecodingError.dataCorrupted(context) {
            // Covers an unknown `applet` value as well as malformed JSON; never echo values.
            let at = context.codingPath.isEmpty ? "document" : Self.path(context.codingPath)
            throw VirtualCardError(.badJSON, "\(url.lastPathComponent): invalid value or syntax at \(at)")
        } catch {
            throw VirtualCardError(.badJSON, "\(url.lastPathComponent): not a card profile")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
