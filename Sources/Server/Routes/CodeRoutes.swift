import CryptoCore
import Dispatch
import Foundation
import Hummingbird
import Logging
import OneTimeCodes
import Sessions

extension SleutelServer {
    /// Routes of the security-code login (password, then a TOTP, SMS or e-mail code), of the
    /// person's own keys ("Mijn digitale sleutels": enrolment needs a fresh eID session, §10.4)
    /// and of the service validation endpoint. Registered only when the sessions have a
    /// OneTimeCodes service.
    func addCodeRoutes(to router: Router<ServerContext>, codes: OneTimeCodesService, passwords: WorkerPool) {
        let limit = configuration.maxBodySize
        let v1 = router.group("v1")

        v1.post("code/login") { request, context in
            let started = DispatchTime.now()
            do {
                try passwords.admitOrRefuse()  // before the body is read: refusing a flood costs little
            } catch let error as APIError {
                Self.audit(login: error.code, method: "password", started: started, metadata: ["status": "\(error.status.code)", "step": "password"])
                throw error
            }
            let body = try await JSON.decode(CodeLoginRequest.self, from: request, limit: limit)
            do {
                let start = try await passwords.run {
                    try sessions.beginCodeLogin(application: body.application, username: body.username, password: body.password,
                                                source: context.peer)
                }
                return JSONReply(CodeLoginReply(start), status: .created)
            } catch let error as APIError {
                Self.audit(login: error.code, method: "password", started: started, metadata: ["status": "\(error.status.code)", "step": "password"])
                throw error
            }
        }
        v1.post("code/login/send") { request, _ in
            let body = try await JSON.decode(CodeSendRequest.self, from: request, limit: limit)
            let ticket = try await ErrorMapping.map { () async throws -> ChallengeTicket in
                try await sessions.sendLoginCode(transactionID: body.transactionId, factor: body.factor)
            }
            return JSONReply(ChallengeTicketReply(ticket, exposeID: false), status: .accepted)
        }
        v1.post("code/login/complete") { request, context in
            let body = try await JSON.decode(CodeCompleteRequest.self, from: request, limit: limit)
            let stepUp = try Self.bearer(request, required: false)
            let method = body.factor.method.rawValue
            let started = DispatchTime.now()
            do {
                let issued = try await Blocking.run {
                    try sessions.completeCodeLogin(transactionID: body.transactionId, factor: body.factor, code: body.code,
                                                   source: context.peer, stepUpToken: stepUp)
                }
                Self.audit(login: "ok", method: method, started: started,
                           metadata: ["session": "\(issued.session.id)", "loa": "\(issued.session.level.fasLevel)", "stepUp": "\(stepUp != nil)"])
                return JSONReply(IssuedReply(issued), status: .created)
            } catch let error as APIError {
                Self.audit(login: error.code, method: method, started: started, metadata: ["status": "\(error.status.code)"])
                throw error
            }
        }

        // MARK: the person's own keys

        v1.get("keys") { request, _ in
            let token = try Self.bearer(request)
            let keys = try await Blocking.run { () throws -> [CredentialSummary] in
                let session = try sessions.authenticate(token: token)
                guard let person = session.person else { return [] }
                return try codes.credentials(person: person)
            }
            return JSONReply(KeysReply(keys: keys.map(KeySummaryReply.init)))
        }
        v1.post("keys/totp") { request, _ in
            let token = try Self.bearer(request)
            let body = try await JSON.decode(TOTPEnrollRequest.self, from: request, limit: limit)
            guard let algorithm = OTPAlgorithm(rawValue: (body.algorithm ?? "SHA1").uppercased()) else {
                throw APIError.badRequest("algorithm must be SHA1, SHA256 or SHA512")
            }
            let account = body.account ?? "sleutel"
            guard (1...128).contains(account.count), account.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw APIError.badRequest("account must be 1 to 128 printable characters")
            }
            let parameters = TOTPParameters(algorithm: algorithm, digits: body.digits ?? 6, period: body.period ?? 30)
            let enrollment = try await Blocking.run {
                let authority = try Self.authority(sessions.authenticate(token: token))
                return try codes.enrollTOTP(authority: authority, parameters: parameters, account: account)
            }
            return JSONReply(TOTPEnrollReply(enrollment), status: .created)
        }
        v1.post("keys/totp/confirm") { request, _ in
            let token = try Self.bearer(request)
            let body = try await JSON.decode(TOTPConfirmRequest.self, from: request, limit: limit)
            try await Blocking.run {
                let authority = try Self.authority(sessions.authenticate(token: token))
                try codes.confirmTOTP(person: authority.person, credentialID: body.credentialId, code: body.code)
            }
            return Response(status: .noContent)
        }
        v1.post("keys/destination") { request, _ in
            let token = try Self.bearer(request)
            let body = try await JSON.decode(DestinationRequest.self, from: request, limit: limit)
            let authority = try await Blocking.run { try Self.authority(sessions.authenticate(token: token)) }
            let ticket = try await ErrorMapping.map { () async throws -> ChallengeTicket in
                try await codes.enrollDestination(authority: authority, channel: body.channel, destination: body.destination)
            }
            return JSONReply(ChallengeTicketReply(ticket, exposeID: true), status: .accepted)
        }
        v1.post("keys/destination/confirm") { request, _ in
            let token = try Self.bearer(request)
            let body = try await JSON.decode(DestinationConfirmRequest.self, from: request, limit: limit)
            try await Blocking.run {
                let session = try sessions.authenticate(token: token)
                guard let person = session.person else { throw Self.noLinkedIdentity }
                try codes.confirmDestination(person: person, challengeID: body.challengeId, code: body.code)
            }
            return Response(status: .noContent)
        }
        v1.put("keys/password") { request, _ in
            let token = try Self.bearer(request)
            try passwords.admitOrRefuse()
            let body = try await JSON.decode(PasswordRequest.self, from: request, limit: limit)
            try await passwords.run {
                let authority = try Self.authority(sessions.authenticate(token: token))
                try codes.setPassword(username: body.username, password: body.password, authority: authority)
            }
            return Response(status: .noContent)
        }
        v1.delete("keys/:id") { request, context in
            let token = try Self.bearer(request)
            let id = try context.parameters.require("id")
            try await Blocking.run {
                let authority = try Self.authority(sessions.authenticate(token: token))
                try codes.disable(credentialID: id, authority: authority)
            }
            return Response(status: .noContent)
        }

        // MARK: service validation (username or serial + TOTP code, for relying services; privacyIDEA's /validate/check)

        v1.post("otp/validate") { request, context in
            guard let key = try Self.bearer(request, required: false) else {
                throw APIError(.unauthorized, code: "otp.serviceKeyInvalid", message: "a valid service key is needed")
            }
            guard let expected = configuration.validateKeySHA256 else {
                throw APIError(.notFound, code: "otp.validateDisabled", message: "this server has no validation key configured")
            }
            guard Self.isServiceKey(key, sha256: expected) else {
                throw APIError(.unauthorized, code: "otp.serviceKeyInvalid", message: "a valid service key is needed")
            }
            let body = try await JSON.decode(ValidateRequest.self, from: request, limit: limit)
            guard (body.username == nil) != (body.serial == nil) else { throw APIError.badRequest("give either username or serial") }
            // The service key authenticates the caller, so its word on the user's address is taken.
            if let client = body.client, !Self.isIPAddress(client) {
                throw APIError.badRequest("client must be an IPv4 or IPv6 address")
            }
            let source = body.client ?? context.peer
            let accepted = try await Blocking.run { () throws -> Bool in
                do {
                    if let serial = body.serial {
                        _ = try codes.verifyTOTP(credentialID: serial, code: body.code, source: source)
                    } else {
                        guard let person = try codes.person(username: body.username ?? "") else { return false }
                        _ = try codes.verifyTOTP(person: person, code: body.code, source: source)
                    }
                    return true
                } catch let error as OneTimeCodesError where error.code == .rejected {
                    return false
                }
            }
            return JSONReply(ValidateReply(accepted: accepted))
        }
    }

    /// Whether `text` is an IPv4 or IPv6 address literal.
    static func isIPAddress(_ text: String) -> Bool {
        guard text.utf8.count <= 45 else { return false }
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }

    static let noLinkedIdentity = APIError(.forbidden, code: "otp.noLinkedIdentity",
                                           message: "keys belong to a person: log in with the eID card first")

    /// The activation authority of a session: its person and its last card login, whatever
    /// step-ups came since. OneTimeCodes decides whether it suffices (level 450, within 10 minutes).
    static func authority(_ session: Session) throws -> ActivationAuthority {
        guard session.person != nil else { throw noLinkedIdentity }
        guard let authority = session.activationAuthority else {
            throw OneTimeCodesError(.activationNotAllowed, "keys are activated, replaced and removed within 10 minutes of an eID card login")
        }
        return authority
    }
}
