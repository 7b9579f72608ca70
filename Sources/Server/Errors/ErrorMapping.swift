import Foundation
import Hummingbird
import OneTimeCodes
import Rights
import Sessions
import Trust

/// Turns module errors into ``APIError``s with stable codes and HTTP statuses. Storage and
/// unexpected failures become a 500 with a generic message; their detail stays out of replies.
enum ErrorMapping {
    static func map<T>(_ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch {
            throw translate(error)
        }
    }

    /// ``map(_:)`` for async work (code delivery over SMTP or the SMS gateway).
    static func map<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch {
            throw translate(error)
        }
    }

    static func translate(_ error: any Error) -> any Error {
        switch error {
        case let error as any HTTPResponseError: error
        case let error as SessionsError: apiError(error)
        case let error as TrustError: APIError(.badRequest, code: "trust.\(error.code)", message: error.reason)
        case let error as RightsError: APIError(.badRequest, code: "rights.\(error.code)", message: error.reason)
        case let error as OneTimeCodesError: apiError(error)
        default: APIError(.internalServerError, code: "server.internal", message: "internal error")
        }
    }

    static func apiError(_ error: OneTimeCodesError) -> APIError {
        let status: HTTPResponse.Status
        var message = error.reason
        switch error.code {
        case .rejected: status = .unauthorized
        case .invalidInput, .passwordPolicy: status = .badRequest
        case .notFound: status = .notFound
        case .alreadyExists: status = .conflict
        case .activationNotAllowed: status = .forbidden
        case .quotaExceeded: status = .tooManyRequests
        case .delivery: status = .badGateway
        default:
            status = .internalServerError
            message = "internal error"
        }
        return APIError(status, code: error.code.description, message: message)
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
        case .quotaExceeded: status = .tooManyRequests
        case .deliveryFailed: status = .badGateway
        default:
            status = .internalServerError
            message = "internal error"
        }
        return APIError(status, code: error.code.description, message: message, details: details)
    }
}
