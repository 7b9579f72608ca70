/// A key-size and curve policy with end years, after a published recommendation.
///
/// Years are *last acceptable years*: a key is acceptable in every year up to and including it.
/// `nil` means the document sets no end for that size (it is fine beyond its horizon).
public struct KeyStrengthPolicy: Sendable, Hashable, Codable {
    /// Short name used on the command line: `nist`, `bsi`, `anssi`.
    public let name: String
    /// The document the figures come from.
    public let document: String
    /// RSA tiers, largest first: a modulus of at least `minimumBits` is acceptable through `lastYear`.
    public let rsaTiers: [Tier]
    /// Curves accepted, by name (`P-256`, `brainpoolP256r1`, `Ed25519` …), with their last year.
    public let curves: [String: Int?]
    /// Why other curves are refused (shown in the check detail).
    public let curveNote: String

    /// One RSA size tier.
    public struct Tier: Sendable, Hashable, Codable {
        public let minimumBits: Int
        public let lastYear: Int?
    }

    /// The last year an RSA modulus of `bits` bits is acceptable: `.some(nil)` = no end,
    /// `nil` = never acceptable.
    public func rsaLastYear(bits: Int) -> Int?? {
        rsaTiers.first { bits >= $0.minimumBits }.map(\.lastYear)
    }

    /// NIST SP 800-57 Part 1 Rev. 5 (Table 4, security-strength time frames) with
    /// SP 800-131A Rev. 2: 112-bit strength (RSA ≥ 2048, EC order 224–255 bits) is acceptable
    /// through 2030 and disallowed after; 128-bit and above (RSA ≥ 3072, EC ≥ 256) have no end
    /// date ("2031 and beyond"). Curves: FIPS 186-5 / SP 800-186 — P-224…P-521, Ed25519, Ed448,
    /// and the Brainpool curves of RFC 5639, which SP 800-186 allows for interoperability (their
    /// strength decides their end year like the P-curves'). secp256k1 is not approved.
    public static let nist = KeyStrengthPolicy(
        name: "nist",
        document: "NIST SP 800-57 Part 1 Rev. 5 / SP 800-131A Rev. 2",
        rsaTiers: [Tier(minimumBits: 3072, lastYear: nil), Tier(minimumBits: 2048, lastYear: 2030)],
        curves: [
            "P-224": 2030, "P-256": nil, "P-384": nil, "P-521": nil, "Ed25519": nil, "Ed448": nil,
            "brainpoolP224r1": 2030, "brainpoolP256r1": nil, "brainpoolP320r1": nil, "brainpoolP384r1": nil,
            "brainpoolP512r1": nil,
        ],
        curveNote: "FIPS 186-5 / SP 800-186 allow P-224…P-521, Ed25519, Ed448 and the Brainpool r1 curves (for interoperability)"
    )

    /// BSI TR-02102-1 "Cryptographic Mechanisms: Recommendations and Key Lengths", version
    /// 2025-01: RSA moduli of at least 2000 bits were conformant only through 2023 (transition
    /// rule); from 2024 on at least 3000 bits. EC keys need a group order of at least 250 bits;
    /// the Brainpool curves (BSI's own, RFC 5639) and the NIST P-curves are recommended;
    /// secp256k1 is not.
    public static let bsi = KeyStrengthPolicy(
        name: "bsi",
        document: "BSI TR-02102-1 (2025-01)",
        rsaTiers: [Tier(minimumBits: 3000, lastYear: nil), Tier(minimumBits: 2000, lastYear: 2023)],
        curves: [
            "brainpoolP256r1": nil, "brainpoolP320r1": nil, "brainpoolP384r1": nil, "brainpoolP512r1": nil,
            "P-256": nil, "P-384": nil, "P-521": nil, "Ed25519": nil, "Ed448": nil,
        ],
        curveNote: "TR-02102-1 recommends Brainpool and NIST P-curves with an order of at least 250 bits"
    )

    /// ANSSI "Guide des mécanismes cryptographiques" (v2.04, successor of RGS annexe B1):
    /// RSA moduli of at least 2048 bits for use through 2030, at least 3072 bits beyond 2030.
    /// EC: order of at least 256 bits on FRP256v1, the NIST P-curves or the Brainpool curves.
    public static let anssi = KeyStrengthPolicy(
        name: "anssi",
        document: "ANSSI Guide des mécanismes cryptographiques v2.04 (RGS B1)",
        rsaTiers: [Tier(minimumBits: 3072, lastYear: nil), Tier(minimumBits: 2048, lastYear: 2030)],
        curves: [
            "P-256": nil, "P-384": nil, "P-521": nil, "brainpoolP256r1": nil, "brainpoolP320r1": nil,
            "brainpoolP384r1": nil, "brainpoolP512r1": nil, "FRP256v1": nil, "Ed25519": nil, "Ed448": nil,
        ],
        curveNote: "ANSSI accepts FRP256v1, NIST P-curves and Brainpool curves of at least 256 bits"
    )

    /// All built-in profiles.
    public static let all: [KeyStrengthPolicy] = [.nist, .bsi, .anssi]

    /// The profile used on the login path: NIST (the eID card keys, RSA-2048 and P-384, pass it through 2030).
    public static let loginDefault = KeyStrengthPolicy.nist

    /// Looks a profile up by ``name`` (case-insensitive).
    public static func named(_ name: String) -> KeyStrengthPolicy? {
        all.first { $0.name == name.lowercased() }
    }
}
