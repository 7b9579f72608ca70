import Foundation
import Hummingbird
import Rights
import Sessions
import Trust

/// Turns module errors into ``APIError``s with stable codes and HTTP statuses. Storage and
/// unexpected failures become a 500 with a generic message; their detail stays out of replies.
enum ErrorMapping {
    static func map<T>(_ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch let error as any HTTPResponseError {
            throw error
        } catch let error as SessionsError {
            throw apiError(error)
        } catch let error as TrustError {
            throw APIError(.badRequest, code: "trust.\(error.code)", message: error.reason)
        } catch let error as RightsError {
            throw APIError(.badRequest, code: "rights.\(error.code)", message: error.reason)
        } catch {
            throw APIError(.internalServerError, code: "server.internal", message: "internal error")
        }
    }

    static func apiError(_ error: SessionsError) -> APIError {
        var details: [String: String] = [:]
        if let trustCode = error.trustCode { details["trustCode"] = trustCode }
        if let level = error.requiredLevel { details["requiredLevel"] = String(level.fasLevel) }
        let status: HTTPResponse.Status
        var message = error.reason
        switch error.code {
        case .invalidInput: status = .badRequest
        case .challengeInvalid, .signatureInvalid, .certificateRefused, .sessionInvalid, .credentialsRejected: status = .unauthorized
        case .stepUpRequired, .methodNotAccepted, .personMismatch, .organisationRefused: status = .forbidden
        default:
            status = .internalServerError
            message = "internal error"
        }
        return APIError(status, code: error.code.description, message: message, details: details)
    }
}
