import CryptoCore
import Foundation
import Hummingbird
import Logging
import Rights
import Sessions
import Trust

extension SleutelServer {
    /// The eID login (challenge, signed answer, step-up), the session, the organisation choice,
    /// the access check of an application, rights and profile.
    func addSessionRoutes(to router: Router<ServerContext>) {
        let limit = configuration.maxBodySize
        let v1 = router.group("v1")
        v1.post("eid/challenge") { request, _ in
            let body = try await JSON.decode(ChallengeRequest.self, from: request, limit: limit)
            let challenge = try await Blocking.run { try sessions.beginEIDLogin(application: body.application, cardBinding: body.cardBinding) }
            return JSONReply(ChallengeReply(challenge), status: .created)
        }
        v1.post("eid/login") { request, _ in
            let body = try await JSON.decode(EIDLoginRequest.self, from: request, limit: limit)
            let stepUp = try Self.bearer(request, required: false)
            let started = DispatchTime.now()
            do {
                let issued = try await Blocking.run {
                    try sessions.completeEIDLogin(transactionID: body.transactionId, signature: Array(body.signature),
                                                  certificate: Array(body.certificate), intermediates: (body.intermediates ?? []).map { Array($0) },
                                                  stepUpToken: stepUp)
                }
                Self.audit(login: "ok", method: "eidPin", started: started,
                           metadata: ["session": "\(issued.session.id)", "loa": "\(issued.session.level.fasLevel)",
                                      "stepUp": "\(stepUp != nil)", "cardBound": "\(issued.session.cardBinding != nil)"])
                return JSONReply(IssuedReply(issued), status: .created)
            } catch let error as APIError {
                var metadata: Logger.Metadata = ["status": "\(error.status.code)"]
                if let trust = error.details["trustCode"] { metadata["trustCode"] = "\(trust)" }
                Self.audit(login: error.code, method: "eidPin", started: started, metadata: metadata)
                throw error
            }
        }
        v1.get("session") { request, _ in
            let token = try Self.bearer(request)
            let session = try await Blocking.run { try sessions.authenticate(token: token) }
            return JSONReply(SessionReply(session))
        }
        v1.delete("session") { request, _ in
            let token = try Self.bearer(request)
            _ = try await Blocking.run { try sessions.revoke(token: token) }
            return Response(status: .noContent)
        }
        v1.post("session/organisation") { request, _ in
            let token = try Self.bearer(request)
            let body = try await JSON.decode(OrganisationRequest.self, from: request, limit: limit)
            let (decision, names) = try await Blocking.run { () throws -> (LoginDecision, [KBONumber: String]) in
                let decision = try sessions.chooseOrganisation(token: token, application: body.application, organisation: body.organisation)
                // Names are for display: a failed lookup costs the names, not the decision.
                let names = (try? rights?.displayNames(of: DecisionReply.organisations(of: decision))) ?? [:]
                return (decision, names)
            }
            return JSONReply(DecisionReply(decision, names: names), status: DecisionReply.status(of: decision))
        }
        v1.get("session/access/:application") { request, context in
            let token = try Self.bearer(request)
            let application = try context.parameters.require("application")
            let session = try await Blocking.run { try sessions.requireAccess(token: token, application: application) }
            return JSONReply(SessionReply(session))
        }
        v1.get("rights") { request, _ in
            let token = try Self.bearer(request)
            guard let rights else { throw APIError(.notFound, code: "rights.notConfigured", message: "this server has no rights registry") }
            let reply = try await Blocking.run { () throws -> RightsReply in
                let session = try sessions.authenticate(token: token)
                guard let person = try Self.person(of: session) else { return RightsReply(at: sessions.clock.now(), organisations: []) }
                let resolution = try rights.resolve(person: person)
                return RightsReply(at: resolution.at, organisations: resolution.organisations)
            }
            return JSONReply(reply)
        }
        v1.get("profile") { request, _ in
            let token = try Self.bearer(request)
            guard let rights else { throw APIError(.notFound, code: "rights.notConfigured", message: "this server has no rights registry") }
            let profile = try await Blocking.run { () throws -> Profile? in
                let session = try sessions.authenticate(token: token)
                guard let person = try Self.person(of: session) else { return nil }
                return try rights.profile(person: person)
            }
            guard let profile else { throw APIError(.notFound, code: "rights.noLinkedIdentity", message: "the session has no national register number") }
            return JSONReply(profile)
        }
    }
}
