import CryptoCore

extension PKCS15 {
    // MARK: - EF(CDF)

    /// An X.509 certificate object of EF(CDF).
    public struct CertificateObject: Sendable, Hashable {
        /// Common attributes (label, authId `01`).
        public var common: CommonObjectAttributes
        /// Certificate identifier (`02`, `03`, `04`, `06`).
        public var id: [UInt8]
        /// `authority` (CA certificates); encoded only when true (DEFAULT FALSE).
        public var authority: Bool
        /// Path of the certificate file (`3F00DF005038` …).
        public var path: [UInt8]

        /// Creates a certificate object.
        public init(common: CommonObjectAttributes, id: [UInt8], authority: Bool = false, path: [UInt8]) {
            self.common = common
            self.id = id
            self.authority = authority
            self.path = path
        }

        private static func belpic(_ label: String, _ id: UInt8, _ file: UInt8, authority: Bool) -> CertificateObject {
            CertificateObject(
                common: CommonObjectAttributes(label: label, authID: [0x01]),
                id: [id],
                authority: authority,
                path: PKCS15.belpicPath + [0x50, file]
            )
        }

        /// "Authentication", id `02` → `5038`.
        public static let belpicAuthentication = belpic("Authentication", 0x02, 0x38, authority: false)
        /// "Signature", id `03` → `5039`.
        public static let belpicSignature = belpic("Signature", 0x03, 0x39, authority: false)
        /// "CA", id `04` → `503A`, authority.
        public static let belpicCA = belpic("CA", 0x04, 0x3A, authority: true)
        /// "Root", id `06` → `503B`, authority.
        public static let belpicRoot = belpic("Root", 0x06, 0x3B, authority: true)

        /// The DER bytes of the object.
        public func derBytes() -> [UInt8] {
            var certificateAttributes = [DER.octetString(id)]
            if authority { certificateAttributes.append(DER.boolean(true)) }
            return DER.sequence(
                common.derBytes(),
                DER.element(DER.Tag.sequence, parts: certificateAttributes),
                DER.element(0xA1, DER.sequence(PKCS15.pathSequence(path)))
            )
        }

        init(_ element: DERElement) throws(EIDError) {
            guard element.tag == DER.Tag.sequence else {
                throw .invalidTag(
                    "EF(CDF): certificate type tag \(Hex.byte(element.tag)) at offset \(element.offset) not supported"
                )
            }
            var children = element.children()
            common = try CommonObjectAttributes(try children.read())
            var attributes = try children.read(tag: DER.Tag.sequence, "CommonCertificateAttributes").children()
            id = try attributes.read(tag: DER.Tag.octetString, "iD").content
            authority = try attributes.readIfPresent(tag: DER.Tag.boolean)?.booleanValue() ?? false
            _ = try children.readIfPresent(tag: 0xA0)
            var typeWrapper = try children.read(tag: 0xA1, "[1] typeAttributes").children()
            var x509 = try typeWrapper.read(tag: DER.Tag.sequence, "X509CertificateAttributes").children()
            path = try PKCS15.readPath(&x509)
        }
    }

    /// Encodes EF(CDF) from certificate objects, zero-filled to `paddedTo` bytes.
    public static func encodeCDF(_ certificates: [CertificateObject], paddedTo: Int? = nil) throws(EIDError) -> [UInt8]
    {
        try pad(certificates.flatMap { $0.derBytes() }, to: paddedTo, "EF(CDF)")
    }

    /// The card's CDF with the entries of the certificates present, in card order, absent
    /// ones omitted and the tail zero-filled to `paddedTo`.
    /// - Throws: ``EIDError/Code/invalidLength`` when the entries do not fit.
    public static func belpicCDF(
        authentication: Bool = true,
        signature: Bool = true,
        ca: Bool = true,
        root: Bool = true,
        paddedTo: Int? = nil
    ) throws(EIDError) -> [UInt8] {
        var entries: [CertificateObject] = []
        if authentication { entries.append(.belpicAuthentication) }
        if signature { entries.append(.belpicSignature) }
        if ca { entries.append(.belpicCA) }
        if root { entries.append(.belpicRoot) }
        return try encodeCDF(entries, paddedTo: paddedTo)
    }

    /// Parses EF(CDF).
    /// - Throws: ``EIDError`` for malformed DER or non-X.509 certificate objects.
    public static func parseCDF(_ bytes: [UInt8]) throws(EIDError) -> [CertificateObject] {
        try objects(bytes, "EF(CDF)").map { (element) throws(EIDError) in try CertificateObject(element) }
    }
}
