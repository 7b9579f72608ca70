import Foundation
import Storage

extension RightsService {
    /// The registered name of an organisation (KBO denomination or the name given at
    /// registration), nil when unknown.
    public func organisationName(_ number: KBONumber) throws -> String? {
        try database.read { db in try Registry.name(db, number.digits) }
    }
}
