import CryptoCore
import Foundation
import Rights
import Sessions
import Storage

extension OIDCProvider {
    // MARK: - Authorization endpoint

    /// Where the browser goes after an authorization request.
    public enum AuthorizeOutcome: Sendable, Equatable {
        /// Redirect to the client with `code` and `state`, or with `error`.
        case redirect(String)
        /// No session satisfies the request: show the login page for it.
        case login(LoginPrompt)
        /// The person may act for several organisations in the application: show the choice.
        case chooseOrganisation(OrganisationPrompt)
        /// The person may not log in to the application: show `message` (the seeds' refusal text);
        /// `back` returns to the client with `error=access_denied`.
        case refused(message: String, back: String)
    }

    /// The organisations a person chooses from for one pending authorization request.
    public struct OrganisationPrompt: Sendable, Equatable {
        /// One organisation the person may act for: the enterprise number and its name.
        public struct Choice: Sendable, Equatable {
            public let number: String
            public let name: String?
        }

        /// The pending request; ``choose(interaction:organisation:sessionToken:)`` finishes it.
        public let interaction: String
        public let clientID: String
        /// The application's name as people know it (the id when it has none).
        public let applicationName: String
        public let organisations: [Choice]
        /// Back to the client with `error=access_denied` (the person cancels).
        public let cancel: String
    }

    /// What the login page of one pending authorization request offers.
    public struct LoginPrompt: Sendable, Equatable {
        /// The pending request; the login forms carry it and ``resume(interaction:sessionToken:)`` finishes it.
        public let interaction: String
        public let clientID: String
        public let application: String
        /// The application's name as people know it (the id when it has none).
        public let applicationName: String
        /// The lowest level the request and the application accept.
        public let minimumLevel: AssuranceLevel
        /// The keys offered, strongest first: `eid`, `totp`, `sms`, `email`, `password`.
        public let keys: [String]
        /// The session's level when it exists but is too weak or too old (a step-up).
        public let currentLevel: AssuranceLevel?
        /// Back to the client with `error=access_denied` (the person cancels).
        public let cancel: String
        /// The client's `login_hint` when it is no enterprise number: the username to fill in.
        public let usernameHint: String?
    }

    /// Handles an authorization request (OpenID Connect Core §3.1.2: `prompt`, `max_age`,
    /// `acr_values`, `login_hint`, `nonce`, PKCE S256 required).
    /// - Parameters:
    ///   - query: the request's query parameters.
    ///   - sessionToken: the Sleutel session token (cookie or bearer header), nil when absent.
    /// - Returns: the redirect to the client, the login page to show, or the refusal page.
    /// - Throws: ``OIDCError`` when the client or redirect URI is unknown: then nothing is
    ///   redirected (RFC 6749 §4.1.2.1).
    public func authorize(query: [String: String], sessionToken: String?) throws -> AuthorizeOutcome {
        try authorize(query: query, sessionToken: sessionToken, loggedInAt: nil)
    }

    /// Finishes the pending request `interaction` after the login page opened or raised the
    /// session of `sessionToken`. The interaction is single use.
    /// - Throws: ``OIDCError`` `invalid_request` when the interaction is unknown or expired.
    public func resume(interaction: String, sessionToken: String) throws -> AuthorizeOutcome {
        let now = sessions.clock.now()
        guard let pending = try database.write({ db in try OIDCInteractionRecord.take(id: interaction, at: now, in: db) }),
              let query = try? JSONDecoder().decode([String: String].self, from: Data(pending.request.utf8))
        else {
            throw OIDCError(.invalidRequest, "the login request is unknown or expired; start again at the application")
        }
        return try authorize(query: query, sessionToken: sessionToken, loggedInAt: pending.createdAt)
    }

    /// Finishes the pending request `interaction` for the organisation the person chose on the
    /// choice page. The interaction is single use; the choice is checked against the person's
    /// rights like a `login_hint`, so only an organisation offered can be chosen.
    /// - Throws: ``OIDCError`` `invalid_request` when the interaction is unknown or expired, or
    ///   the organisation is not an enterprise number.
    public func choose(interaction: String, organisation: String, sessionToken: String) throws -> AuthorizeOutcome {
        guard let number = try? KBONumber(organisation) else { throw OIDCError(.invalidRequest, "organisation is not an enterprise number") }
        let now = sessions.clock.now()
        guard let pending = try database.write({ db in try OIDCInteractionRecord.take(id: interaction, at: now, in: db) }),
              var query = try? JSONDecoder().decode([String: String].self, from: Data(pending.request.utf8))
        else {
            throw OIDCError(.invalidRequest, "the login request is unknown or expired; start again at the application")
        }
        query["login_hint"] = number.digits
        return try authorize(query: query, sessionToken: sessionToken, loggedInAt: pending.createdAt)
    }

    /// The organisation choice of the pending request `interaction` for the session of
    /// `sessionToken`, without taking the request (to show the choice page again); nil when the
    /// request is unknown, expired or no longer needs a choice.
    public func organisationPrompt(interaction: String, sessionToken: String) throws -> OrganisationPrompt? {
        let now = sessions.clock.now()
        guard let pending = try database.read({ db in try OIDCInteractionRecord.find(id: interaction, at: now, in: db) }),
              let query = try? JSONDecoder().decode([String: String].self, from: Data(pending.request.utf8)),
              case .chooseOrganisation(let prompt) = try authorize(query: query, sessionToken: sessionToken, loggedInAt: pending.createdAt,
                                                                   interaction: interaction, issueCode: false)
        else { return nil }
        return prompt
    }

    /// The pending request of `interaction`, without taking it (to render its pages again).
    public func prompt(interaction: String) throws -> LoginPrompt? {
        let now = sessions.clock.now()
        guard let pending = try database.read({ db in try OIDCInteractionRecord.find(id: interaction, at: now, in: db) }),
              let query = try? JSONDecoder().decode([String: String].self, from: Data(pending.request.utf8)),
              case .login(let prompt) = try authorize(query: query, sessionToken: nil, loggedInAt: nil, interaction: interaction)
        else { return nil }
        return prompt
    }

    /// - Parameters:
    ///   - loggedInAt: set when resuming after a login made for this request (it satisfies
    ///     `prompt=login`); a request stored again keeps it as its start.
    ///   - interaction: reuses a stored request instead of storing it again.
    ///   - issueCode: false to only evaluate the request: where a code would be issued, an empty redirect.
    func authorize(query: [String: String], sessionToken: String?, loggedInAt: Date?, interaction: String? = nil,
                   issueCode: Bool = true) throws -> AuthorizeOutcome {
        guard let clientID = query["client_id"], let client = client(clientID) else {
            throw OIDCError(.invalidClient, "unknown client_id")
        }
        guard let redirectURI = query["redirect_uri"], client.redirectUris.contains(redirectURI) else {
            throw OIDCError(.invalidRequest, "redirect_uri is not registered for this client")
        }
        let state = query["state"]
        let cancel = Self.append([("error", OIDCError.Code.accessDenied.rawValue), ("error_description", "the login was cancelled")]
                                     + (state.map { [("state", $0)] } ?? []), to: redirectURI)
        func fail(_ code: OIDCError.Code, _ description: String) -> AuthorizeOutcome {
            var items = [("error", code.rawValue), ("error_description", description)]
            if let state { items.append(("state", state)) }
            return .redirect(Self.append(items, to: redirectURI))
        }
        guard query["response_type"] == "code" else { return fail(.unsupportedResponseType, "only response_type=code is supported") }
        guard let scope = query["scope"], scope.split(separator: " ").contains("openid") else {
            return fail(.invalidScope, "scope must contain openid")
        }
        guard let challenge = query["code_challenge"], Self.isPKCEValue(challenge), challenge.count == 43 else {
            return fail(.invalidRequest, "PKCE is required: code_challenge (S256, 43 characters)")
        }
        guard query["code_challenge_method"] == "S256" else { return fail(.invalidRequest, "code_challenge_method must be S256") }
        if let nonce = query["nonce"], nonce.utf8.count > 512 { return fail(.invalidRequest, "nonce too long") }
        if let state, state.utf8.count > 1024 { return fail(.invalidRequest, "state too long") }
        let prompts = Set((query["prompt"] ?? "").split(separator: " ").map(String.init))
        guard prompts.isSubset(of: ["none", "login", "consent", "select_account"]), !(prompts.contains("none") && prompts.count > 1) else {
            return fail(.invalidRequest, "prompt must be none, or any of login, consent, select_account")
        }
        var maxAge: TimeInterval?
        if let text = query["max_age"] {
            guard let seconds = Int(text), seconds >= 0 else { return fail(.invalidRequest, "max_age must be a number of seconds") }
            maxAge = TimeInterval(seconds)
        }

        // What the request and the application accept.
        let rule: AccessRule
        do { rule = try sessions.rule(for: client.application) } catch { return fail(.accessDenied, "the application policy cannot be read") }
        var minimum = rule.minimumLevel
        if let wanted = query["acr_values"] {
            let levels = wanted.split(separator: " ").compactMap { Self.level(ofACR: String($0)) }
            if let lowest = levels.min(), lowest > minimum { minimum = lowest }
        }
        let keys = AuthMethod.keys.filter { key in
            AuthMethod.methods(forKey: key).contains { method in
                method.isLinkedToPerson && method.defaultLevel >= minimum && (rule.acceptedMethods?.contains(method) ?? true)
            }
        }

        // The session, if it satisfies the request.
        let now = sessions.clock.now()
        var current: Session?
        if let sessionToken { current = try? sessions.authenticate(token: sessionToken) }
        let fresh = loggedInAt.map { at in current.map { $0.authenticatedAt >= at.addingTimeInterval(-1) } ?? false } ?? false
        var satisfied = current.map { session in
            session.level >= minimum && (rule.acceptedMethods?.contains(session.method) ?? true)
                && (maxAge.map { now.timeIntervalSince(session.authenticatedAt) <= $0 } ?? true)
        } ?? false
        if prompts.contains("login"), !fresh { satisfied = false }
        // id_token_hint names the person the client knows: a session of someone else does not
        // satisfy the request (prompt=none then answers login_required).
        var otherPerson = false
        if let text = query["id_token_hint"], !text.isEmpty, let session = current, !fresh {
            guard let hint = verifiedHint(text) else { return fail(.invalidRequest, "id_token_hint is not an ID token of this provider") }
            if hint.clientID != client.clientId { return fail(.invalidRequest, "id_token_hint was issued to another client") }
            if hint.subject != pairwiseSubject(client: client, session: session) {
                otherPerson = true
                satisfied = false
            }
        }
        guard satisfied, let session = current, let sessionToken else {
            if prompts.contains("none") {
                return fail(current == nil || otherPerson ? .loginRequired : .interactionRequired, "no Sleutel session satisfies this request")
            }
            guard !keys.isEmpty else { return fail(.accessDenied, "no key Sleutel offers reaches \(minimum.acr) for this application") }
            let id = try interaction ?? storeInteraction(query, client: client, startedAt: loggedInAt ?? now, now: now)
            return .login(LoginPrompt(interaction: id, clientID: client.clientId, application: client.application,
                                      applicationName: applicationName(client.application), minimumLevel: minimum,
                                      keys: keys, currentLevel: current?.level, cancel: cancel,
                                      usernameHint: query["login_hint"].flatMap { (try? KBONumber($0)) == nil && $0.utf8.count <= 128 ? $0 : nil }))
        }

        var organisation: OrganisationClaims?
        if !client.claims.isDisjoint(with: [.organisation, .roles, .rights]) {
            let hint = query["login_hint"].flatMap { try? KBONumber($0) }?.digits
            let decision: LoginDecision
            do {
                decision = try sessions.chooseOrganisation(token: sessionToken, application: client.application,
                                                           organisation: hint ?? (prompts.contains("select_account") ? nil : session.organisation))
            } catch {
                return fail(.accessDenied, "the organisation could not be resolved")
            }
            switch decision {
            case .allowed(let chosen, let granted):
                organisation = OrganisationClaims(number: chosen.digits, name: organisationName(chosen), rights: granted)
            case .chooseOrganisation(let numbers):
                if prompts.contains("none") {
                    return fail(.interactionRequired, "choose the organisation to act for (login_hint or POST /v1/session/organisation)")
                }
                let id = try interaction ?? storeInteraction(query, client: client, startedAt: loggedInAt ?? now, now: now)
                return .chooseOrganisation(OrganisationPrompt(
                    interaction: id, clientID: client.clientId, applicationName: applicationName(client.application),
                    organisations: numbers.map { .init(number: $0.digits, name: organisationName($0)) }, cancel: cancel))
            case .stepUpRequired(let minimum):
                return fail(.unmetAuthenticationRequirements, "a stronger key is needed: \(AssuranceLevel(minimum).acr)")
            case .refused(_, let message):
                return .refused(message: message, back: Self.append(
                    [("error", OIDCError.Code.accessDenied.rawValue), ("error_description", "no rights for this application")]
                        + (state.map { [("state", $0)] } ?? []), to: redirectURI))
            }
        }

        guard issueCode else { return .redirect("") }
        let claims = claimSet(for: client, session: session, organisation: organisation, nonce: query["nonce"])
        let code = Self.randomToken()
        do {
            let snapshot = String(decoding: try ClaimSet.snapshotEncoder.encode(claims), as: UTF8.self)
            let record = OIDCCodeRecord(codeHash: Data(Self.hash(code)), clientID: client.clientId, redirectURI: redirectURI, sessionID: session.id,
                                        codeChallenge: challenge, claims: snapshot, expiresAt: now.addingTimeInterval(configuration.codeLifetime))
            let logout = client.backchannelLogoutUri.map { _ in
                OIDCSessionClientRecord(sessionID: session.id, clientID: client.clientId, subject: claims.sub, createdAt: now,
                                        nextAttemptAt: now.addingTimeInterval(configuration.logoutCheckInterval))
            }
            try database.write { db in
                try OIDCCodeRecord.insert(record, in: db)
                if let logout { try OIDCSessionClientRecord.insert(logout, in: db) }
            }
        } catch {
            return fail(.accessDenied, "the authorization could not be stored")
        }
        var items = [("code", code)]
        if let state { items.append(("state", state)) }
        return .redirect(Self.append(items, to: redirectURI))
    }

    /// Stores a pending request for the login or choice pages; `startedAt` is when the person
    /// began it (a later login satisfies `prompt=login`).
    private func storeInteraction(_ query: [String: String], client: OIDCClient, startedAt: Date, now: Date) throws -> String {
        let id = Self.randomToken()
        let request = String(decoding: try JSONEncoder().encode(query), as: UTF8.self)
        let record = OIDCInteractionRecord(id: id, clientID: client.clientId, request: request, createdAt: startedAt,
                                           expiresAt: now.addingTimeInterval(configuration.interactionLifetime))
        try database.write { db in try OIDCInteractionRecord.insert(record, in: db) }
        return id
    }
}
