/// Why the Rights module refused something. Each code names one rule (`insz.invalidChecksum`,
/// `rights.noWorkRelation`, …); `reason` says which rule failed and never contains a national
/// register number or a name. Import errors carry the CSV file name and 1-based row number.
public struct RightsError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The rule that failed. Compare with the static members; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let value: String
        private init(_ value: String) { self.value = value }

        // MARK: national register / BIS numbers (INSZ)
        /// Not 11 digits after removing spaces, dots and dashes, or all zeros.
        public static let inszInvalidFormat = Code("insz.invalidFormat")
        /// The check digits fit neither the pre-2000 nor the 2000 rule.
        public static let inszInvalidChecksum = Code("insz.invalidChecksum")
        /// The month field is not 0–12 (RRN), 20–32 or 40–52 (BIS).
        public static let inszInvalidMonth = Code("insz.invalidMonth")
        /// RRN counter 000 or 999.
        public static let inszInvalidCounter = Code("insz.invalidCounter")
        /// Manual entry whose birth date lies in the future.
        public static let inszBirthDateInFuture = Code("insz.birthDateInFuture")

        // MARK: enterprise and establishment unit numbers
        /// Not 9 or 10 digits after normalisation, or all zeros.
        public static let kboInvalidFormat = Code("kbo.invalidFormat")
        /// The mod-97 check fails.
        public static let kboInvalidChecksum = Code("kbo.invalidChecksum")
        /// A number starting with 9: a KBO branch ID, not an official number.
        public static let kboNotAnOfficialNumber = Code("kbo.notAnOfficialNumber")
        /// An establishment unit number where an enterprise number is required.
        public static let kboNotAnEnterprise = Code("kbo.notAnEnterprise")
        /// An enterprise number where an establishment unit number is required.
        public static let kboNotAnEstablishment = Code("kbo.notAnEstablishment")

        // MARK: rights
        /// The exact refusal of the rights administration application (§5).
        public static let notAManager = Code("rights.notAManager")
        /// No effective right for the application (and organisation).
        public static let none = Code("rights.none")
        /// The person has no linked national register or BIS number (INV-2).
        public static let noLinkedIdentity = Code("rights.noLinkedIdentity")
        /// A grant needs a werkrelatie with the organisation (INV-3, E5).
        public static let noWorkRelation = Code("rights.noWorkRelation")
        /// An overlapping grant for the same person, organisation, right and context exists (E31, E32).
        public static let duplicateGrant = Code("rights.duplicateGrant")
        /// Dates missing or `validUntil < validFrom` (INV-6).
        public static let invalidPeriod = Code("rights.invalidPeriod")
        /// The right needs a current owner approval for the organisation (INV-7, E14).
        public static let ownerApprovalRequired = Code("rights.ownerApprovalRequired")
        /// The right defines contexts and none was given.
        public static let contextRequired = Code("rights.contextRequired")
        /// The context is not one of the right's allowed values, or the right has no contexts (INV-8).
        public static let contextNotAllowed = Code("rights.contextNotAllowed")
        /// The actor may not perform this appointment or write (§2.2, §3.2).
        public static let notAllowed = Code("rights.notAllowed")
        /// E22.
        public static let coVteCannotAppointCoVte = Code("rights.coVteCannotAppointCoVte")
        /// E23.
        public static let lmbCannotAppointLmb = Code("rights.lmbCannotAppointLmb")
        /// E24: only the VTE or a co-VTE activates a Hoedanigheid.
        public static let onlyVteCanActivateCapacity = Code("rights.onlyVteCanActivateCapacity")
        /// A federal local administrator needs an activated Hoedanigheid.
        public static let capacityNotActive = Code("rights.capacityNotActive")
        /// The actor is not an owner of the application.
        public static let notAnApplicationOwner = Code("rights.notAnApplicationOwner")
        /// Unknown person, organisation, application, right, grant, invitation…
        public static let notFound = Code("rights.notFound")
        /// The organisation is inactive or absent in the registry (INV-10).
        public static let organisationInactive = Code("rights.organisationInactive")
        /// The invitation is expired, revoked or already used.
        public static let invitationNotUsable = Code("rights.invitationNotUsable")
        /// Invalid input (phone, e-mail, empty field…).
        public static let invalidInput = Code("rights.invalidInput")
        /// The session's level is below what the action or application needs (§11.2).
        public static let stepUpRequired = Code("assurance.stepUpRequired")

        // MARK: imports
        /// A CSV row could not be read or holds an invalid value.
        public static let importMalformedRow = Code("import.malformedRow")
        /// A required file or column is missing.
        public static let importMissingFile = Code("import.missingFile")
        /// An update extract does not follow the last applied extract.
        public static let importOutOfOrder = Code("import.outOfOrder")

        public var description: String { value }
    }

    public let code: Code
    public let reason: String
    /// For import errors: the CSV file name.
    public let source: String?
    /// For import errors: the 1-based row number in the file (the header is row 1).
    public let row: Int?
    /// For `stepUpRequired`: the minimum FAS level needed.
    public let requiredLevel: Int?
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String, source: String? = nil, row: Int? = nil, requiredLevel: Int? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.source = source
        self.row = row
        self.requiredLevel = requiredLevel
        self.file = file
        self.line = line
    }

    /// The Dutch text shown to a person refused by the rights administration application or
    /// by an application they hold no right for [S 001, §5], without the typographic quotes.
    public static let refusalText = "U beschikt niet over de rechten om aan te melden op de toepassing"

    public static func == (lhs: RightsError, rhs: RightsError) -> Bool { lhs.code == rhs.code }

    public var description: String {
        var text = "RightsError.\(code): \(reason)"
        if let source { text += " [\(source)\(row.map { " row \($0)" } ?? "")]" }
        return text
    }
}
