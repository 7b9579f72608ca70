import CryptoCore
import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OIDC
import OneTimeCodes
import Rights
import Sessions
import WebEID

extension SleutelServer {
    /// Sleutel's login pages behind `/oidc/authorize` (issue 21): the page offers the keys the
    /// client's application accepts at the requested level; the password + code forms and the eID
    /// card (Web eID token from the extension or the card agent) open or raise the session, set its
    /// cookie and finish the pending authorization request. Every form is CSRF-checked (a
    /// double-submitted token in a `SameSite=Strict` cookie, and the `Origin` of the request).
    func addLoginRoutes(to router: Router<ServerContext>, provider: OIDCProvider, pages: Pages, passwords: WorkerPool) {
        let cookies = LoginCookies(issuer: provider.configuration.issuer)
        let origin = Pages.origin(of: provider.configuration.issuer) ?? provider.configuration.issuer
        let agent = configuration.cardAgentURL
        let limit = 16 << 10

        /// The page of an authorization outcome (the redirect, the login page, the refusal page).
        /// - Parameter redirect: 302 for the authorization endpoint, 303 after a form.
        @Sendable func answer(_ outcome: OIDCProvider.AuthorizeOutcome, _ request: Request, language: PageLanguage, redirect: HTTPResponse.Status = .seeOther,
                              setting extra: [String] = [], error: String? = nil, username: String? = nil) -> Response {
            switch outcome {
            case .redirect(let location):
                var headers = HTTPFields()
                headers[.location] = location
                for cookie in extra { headers.append(HTTPField(name: .setCookie, value: cookie)) }
                Pages.secure(&headers)
                return Response(status: redirect, headers: headers)
            case .login(let prompt):
                let csrf = cookies.csrf(in: request) ?? Base64URL.encode(SecureRandom.bytes(32))
                var headers = HTTPFields()
                headers.append(HTTPField(name: .setCookie, value: cookies.setCSRF(csrf)))
                for cookie in extra { headers.append(HTTPField(name: .setCookie, value: cookie)) }
                let t = language.texts
                let codeKeys = prompt.keys.filter { ["totp", "sms", "email"].contains($0) }
                var values: [String: Any] = [
                    "heading": String(format: t["heading"]!, prompt.applicationName),
                    "levelNeeded": String(format: t["levelNeeded"]!, "\(prompt.minimumLevel.fasLevel)"),
                    "username": username ?? prompt.usernameHint ?? "",
                    "offersEID": prompt.keys.contains("eid"), "offersPassword": !codeKeys.isEmpty || prompt.keys.contains("password"),
                    "passwordHeading": codeKeys.isEmpty ? t["password"]! : t["code"]!,
                    "interaction": prompt.interaction, "csrf": csrf, "agent": agent, "cancel": prompt.cancel,
                    "languageLink": "/login/page?interaction=\(prompt.interaction)&lang=\(language.other.rawValue)",
                ]
                if let level = prompt.currentLevel { values["stepUp"] = String(format: t["stepUp"]!, "\(level.fasLevel)") }
                if let error { values["error"] = error }
                return pages.render("login", values, language: language, headers: headers, connect: [agent],
                                    formTargets: Self.formTargets(provider, prompt.clientID))
            case .chooseOrganisation(let prompt):
                var headers = HTTPFields()
                for cookie in extra { headers.append(HTTPField(name: .setCookie, value: cookie)) }
                return organisationPage(prompt, request, language: language, headers: headers)
            case .refused(let message, let back):
                let text = language == .nl ? message : RightsRefusal.text(.en)
                return pages.render("message", ["heading": language.texts["refusedHeading"]!, "message": text, "kind": "error", "alert": true,
                                                "back": back, "languageLink": "/login/refused?lang=\(language.other.rawValue)"],
                                    language: language, status: .forbidden)
            }
        }

        /// The choice of the organisation to act for: one button per organisation, named and numbered.
        @Sendable func organisationPage(_ prompt: OIDCProvider.OrganisationPrompt, _ request: Request, language: PageLanguage,
                                        headers: HTTPFields = [:]) -> Response {
            let t = language.texts
            let organisations = prompt.organisations.map { choice -> [String: Any] in
                let number = (try? KBONumber(choice.number).formatted) ?? choice.number
                return ["number": choice.number, "name": choice.name ?? number, "numberText": String(format: t["orgNumber"]!, number)]
            }
            return pages.render("organisation", [
                "help": String(format: t["orgHelp"]!, prompt.applicationName), "organisations": organisations, "interaction": prompt.interaction,
                "csrf": cookies.csrf(in: request) ?? "", "cancel": prompt.cancel,
                "languageLink": "/login/organisation?interaction=\(prompt.interaction)&lang=\(language.other.rawValue)",
            ], language: language, headers: headers, formTargets: Self.formTargets(provider, prompt.clientID))
        }

        @Sendable func message(_ key: String, _ language: PageLanguage, status: HTTPResponse.Status) -> Response {
            pages.render("message", ["heading": language.texts["error"]!, "message": language.texts[key]!, "kind": "error", "alert": true,
                                     "languageLink": "?lang=\(language.other.rawValue)"], language: language, status: status)
        }

        router.get("/oidc/authorize") { request, _ in
            let token = try Self.bearer(request, required: false) ?? cookies.session(in: request)
            let query: [String: String]
            let outcome: OIDCProvider.AuthorizeOutcome
            do {
                query = try FormEncoding.parse(request.uri.query ?? "")
                outcome = try await Blocking.run { try provider.authorize(query: query, sessionToken: token) }
            } catch let error as OIDCError {
                // Nothing may be redirected (an unknown client or redirect URI): the person, who
                // followed a broken link in a browser, gets a page, not a JSON error.
                let language = PageLanguage(parameter: Self.leniently("lang", in: request), acceptLanguage: request.headers[.acceptLanguage])
                var link = URLComponents()
                link.path = request.uri.path
                link.queryItems = (URLComponents(string: request.uri.description)?.queryItems ?? []).filter { $0.name != "lang" }
                    + [URLQueryItem(name: "lang", value: language.other.rawValue)]
                return pages.render("message", ["heading": language.texts["error"]!, "kind": "error", "alert": true,
                                                "message": "\(language.texts["badLink"]!) (\(error.code.rawValue): \(error.reason))",
                                                "languageLink": link.string ?? "?lang=\(language.other.rawValue)"],
                                    language: language, status: HTTPResponse.Status(code: error.httpStatus))
            }
            let language = PageLanguage(parameter: query["ui_locales"]?.split(separator: " ").first.map(String.init),
                                        acceptLanguage: request.headers[.acceptLanguage])
            return answer(outcome, request, language: language, redirect: .found)
        }
        router.get("/login/page") { request, _ in
            let query = try FormEncoding.parse(request.uri.query ?? "")
            let language = PageLanguage(parameter: query["lang"], acceptLanguage: request.headers[.acceptLanguage])
            guard let interaction = query["interaction"], let prompt = try await Blocking.run({ try provider.prompt(interaction: interaction) }) else {
                return message("expired", language, status: .gone)
            }
            return answer(.login(prompt), request, language: language)
        }
        router.get("/assets/{name}") { _, context in
            // An APIError, not HTTPError(.notFound): UnmatchedRouteMiddleware would answer that as a 405.
            guard let name = context.parameters.get("name"), let asset = pages.asset(name) else {
                throw APIError(.notFound, code: "request.notFound", message: "no such resource")
            }
            return asset
        }

        // MARK: password, then code

        router.post("/login/password") { request, context in
            var request = request
            let form = try await Self.form(&request, limit: limit)
            let language = PageLanguage(parameter: form["lang"], acceptLanguage: request.headers[.acceptLanguage])
            guard cookies.checkCSRF(request, sent: form["csrf"], origin: origin) else { return message("error", language, status: .forbidden) }
            guard let interaction = form["interaction"], let prompt = try await Blocking.run({ try provider.prompt(interaction: interaction) }) else {
                return message("expired", language, status: .gone)
            }
            let started = DispatchTime.now()
            let start: CodeLoginStart
            do {
                start = try await passwords.run {
                    try sessions.beginCodeLogin(application: prompt.application, username: form["username"] ?? "", password: form["password"] ?? "",
                                                source: context.peer)
                }
            } catch let error as APIError {
                Self.audit(login: error.code, method: "password", started: started,
                           metadata: ["status": "\(error.status.code)", "step": "password", "page": "1"])
                if error.status == .serviceUnavailable { throw error }
                return answer(.login(prompt), request, language: language, error: language.texts["wrongLogin"], username: form["username"])
            }
            let offered = start.factors.filter { $0.level >= prompt.minimumLevel && prompt.keys.contains($0.factor.rawValue) }
            if offered.isEmpty { return message("noKey", language, status: .forbidden) }
            if offered.count == 1, offered[0].factor == .password {
                return try await complete(interaction: interaction, transaction: start.transactionID, factor: .password, code: nil, request, context,
                                          language: language)
            }
            if offered.count == 1, offered[0].factor == .totp {
                return codePage(interaction: interaction, transaction: start.transactionID, factor: .totp, choices: [], sent: nil, error: nil,
                                csrf: form["csrf"] ?? "", prompt: prompt, language: language)
            }
            return codePage(interaction: interaction, transaction: start.transactionID, factor: nil, choices: offered.map(\.factor), sent: nil,
                            error: nil, csrf: form["csrf"] ?? "", prompt: prompt, language: language)
        }

        @Sendable func codePage(interaction: String, transaction: String, factor: CodeFactor?, choices: [CodeFactor], sent: String?, error: String?,
                                csrf: String, prompt: OIDCProvider.LoginPrompt, language: PageLanguage,
                                status: HTTPResponse.Status = .ok) -> Response {
            let t = language.texts
            let label: [CodeFactor: String] = [.totp: t["totp"]!, .sms: t["sms"]!, .email: t["email"]!, .password: t["passwordOnly"]!]
            var values: [String: Any] = [
                "interaction": interaction, "transaction": transaction, "csrf": csrf, "cancel": prompt.cancel,
                "hasChoices": !choices.isEmpty, "languageLink": "?lang=\(language.other.rawValue)",
                "choices": choices.map { choice -> [String: Any] in
                    let action = Self.isSent(choice) ? "/login/code/send" : (choice == .password ? "/login/code" : "/login/code/enter")
                    return ["factor": choice.rawValue, "label": label[choice]!, "action": action]
                },
            ]
            if let error { values["error"] = error }
            if let sent { values["sent"] = sent }
            if let factor {
                values["entry"] = ["factor": factor.rawValue, "label": "\(t["codeLabel"]!) (\(label[factor]!))", "resend": Self.isSent(factor)] as [String: Any]
            }
            // The code form's answer redirects to the client: form-action must allow its origin.
            return pages.render("code", values, language: language, status: status, formTargets: Self.formTargets(provider, prompt.clientID))
        }

        @Sendable func complete(interaction: String, transaction: String, factor: CodeFactor, code: String?, _ request: Request, _ context: ServerContext,
                                language: PageLanguage) async throws -> Response {
            let stepUp = cookies.session(in: request).flatMap { token in (try? sessions.authenticate(token: token)) != nil ? token : nil }
            let started = DispatchTime.now()
            let issued: IssuedSession
            do {
                issued = try await Blocking.run {
                    try sessions.completeCodeLogin(transactionID: transaction, factor: factor, code: code, source: context.peer, stepUpToken: stepUp)
                }
            } catch let error as APIError {
                Self.audit(login: error.code, method: factor.method.rawValue, started: started, metadata: ["status": "\(error.status.code)", "page": "1"])
                guard let prompt = try await Blocking.run({ try provider.prompt(interaction: interaction) }) else {
                    return message("expired", language, status: .gone)
                }
                if error.code == "session.challengeInvalid" { return answer(.login(prompt), request, language: language, error: language.texts["expired"]) }
                return codePage(interaction: interaction, transaction: transaction, factor: factor, choices: [], sent: nil,
                                error: language.texts["wrongCode"], csrf: cookies.csrf(in: request) ?? "", prompt: prompt, language: language,
                                status: .unauthorized)
            }
            Self.audit(login: "ok", method: factor.method.rawValue, started: started,
                       metadata: ["session": "\(issued.session.id)", "loa": "\(issued.session.level.fasLevel)", "stepUp": "\(stepUp != nil)", "page": "1"])
            return try await finish(interaction: interaction, issued: issued, request, language: language)
        }

        @Sendable func finish(interaction: String, issued: IssuedSession, _ request: Request, language: PageLanguage) async throws -> Response {
            let outcome: OIDCProvider.AuthorizeOutcome
            do {
                outcome = try await Blocking.run { try provider.resume(interaction: interaction, sessionToken: issued.token) }
            } catch {
                return message("expired", language, status: .gone)
            }
            return answer(outcome, request, language: language, setting: [cookies.setSession(issued.token)])
        }

        router.post("/login/code/enter") { request, _ in
            var request = request
            let form = try await Self.form(&request, limit: limit)
            let language = PageLanguage(parameter: form["lang"], acceptLanguage: request.headers[.acceptLanguage])
            guard cookies.checkCSRF(request, sent: form["csrf"], origin: origin) else { return message("error", language, status: .forbidden) }
            guard let interaction = form["interaction"], let transaction = form["transaction"], let factor = form["factor"].flatMap(CodeFactor.init),
                  let prompt = try await Blocking.run({ try provider.prompt(interaction: interaction) })
            else { return message("expired", language, status: .gone) }
            return codePage(interaction: interaction, transaction: transaction, factor: factor, choices: [], sent: nil, error: nil,
                            csrf: form["csrf"] ?? "", prompt: prompt, language: language)
        }
        router.post("/login/code/send") { request, _ in
            var request = request
            let form = try await Self.form(&request, limit: limit)
            let language = PageLanguage(parameter: form["lang"], acceptLanguage: request.headers[.acceptLanguage])
            guard cookies.checkCSRF(request, sent: form["csrf"], origin: origin) else { return message("error", language, status: .forbidden) }
            guard let interaction = form["interaction"], let transaction = form["transaction"], let factor = form["factor"].flatMap(CodeFactor.init),
                  Self.isSent(factor), let prompt = try await Blocking.run({ try provider.prompt(interaction: interaction) })
            else { return message("expired", language, status: .gone) }
            do {
                let ticket = try await ErrorMapping.map { () async throws -> ChallengeTicket in
                    try await sessions.sendLoginCode(transactionID: transaction, factor: factor)
                }
                let minutes = max(1, Int((ticket.expiresAt.timeIntervalSince(sessions.clock.now()) / 60).rounded()))
                return codePage(interaction: interaction, transaction: transaction, factor: factor, choices: [],
                                sent: String(format: language.texts["sentTo"]!, ticket.maskedDestination, "\(minutes)"), error: nil,
                                csrf: form["csrf"] ?? "", prompt: prompt, language: language)
            } catch let error as APIError {
                let key = error.code == "session.quotaExceeded" ? "quota" : error.code == "session.challengeInvalid" ? "expired" : "delivery"
                return codePage(interaction: interaction, transaction: transaction, factor: factor, choices: [], sent: nil,
                                error: language.texts[key], csrf: form["csrf"] ?? "", prompt: prompt, language: language,
                                status: error.status)
            }
        }
        router.post("/login/code") { request, context in
            var request = request
            let form = try await Self.form(&request, limit: limit)
            let language = PageLanguage(parameter: form["lang"], acceptLanguage: request.headers[.acceptLanguage])
            guard cookies.checkCSRF(request, sent: form["csrf"], origin: origin) else { return message("error", language, status: .forbidden) }
            guard let interaction = form["interaction"], let transaction = form["transaction"], let factor = form["factor"].flatMap(CodeFactor.init) else {
                return message("expired", language, status: .gone)
            }
            return try await complete(interaction: interaction, transaction: transaction, factor: factor, code: form["code"], request, context,
                                      language: language)
        }

        // MARK: eID (Web eID token)

        router.post("/login/eid/challenge") { request, _ in
            var request = request
            guard cookies.checkCSRF(request, sent: request.headers[HTTPField.Name("X-Sleutel-CSRF")!], origin: origin) else { throw APIError.csrf }
            let body = try await JSON.decode(WebEIDChallengeRequest.self, from: request, limit: limit)
            guard let prompt = try await Blocking.run({ try provider.prompt(interaction: body.interaction) }) else { throw APIError.interactionExpired }
            let challenge = try ErrorMapping.map { () throws -> WebEIDChallenge in
                try sessions.beginWebEIDLogin(application: prompt.application, origin: origin)
            }
            return JSONReply(WebEIDChallengeReply(transactionId: challenge.transactionID, nonce: challenge.nonce), status: .created)
        }
        router.post("/login/eid") { request, _ in
            var request = request
            guard cookies.checkCSRF(request, sent: request.headers[HTTPField.Name("X-Sleutel-CSRF")!], origin: origin) else { throw APIError.csrf }
            let body = try await JSON.decode(WebEIDLoginRequest.self, from: request, limit: limit)
            let stepUp = cookies.session(in: request).flatMap { token in (try? sessions.authenticate(token: token)) != nil ? token : nil }
            let started = DispatchTime.now()
            let issued: IssuedSession
            do {
                issued = try await Blocking.run {
                    try sessions.completeWebEIDLogin(transactionID: body.transactionId, token: body.token, origin: origin, stepUpToken: stepUp)
                }
            } catch let error as APIError {
                Self.audit(login: error.code, method: "eidPin", started: started, metadata: ["status": "\(error.status.code)", "page": "1"])
                throw error
            }
            Self.audit(login: "ok", method: "eidPin", started: started,
                       metadata: ["session": "\(issued.session.id)", "loa": "500", "stepUp": "\(stepUp != nil)", "page": "1"])
            let outcome: OIDCProvider.AuthorizeOutcome
            do {
                outcome = try await Blocking.run { try provider.resume(interaction: body.interaction, sessionToken: issued.token) }
            } catch {
                throw APIError.interactionExpired
            }
            let location: String
            switch outcome {
            case .redirect(let target): location = target
            case .login(let prompt): location = "/login/page?interaction=\(prompt.interaction)"  // still too weak: the page again
            case .chooseOrganisation(let prompt): location = "/login/organisation?interaction=\(prompt.interaction)"
            case .refused: location = "/login/refused"
            }
            var reply = Response(status: .ok, headers: [.contentType: "application/json"],
                                 body: .init(byteBuffer: ByteBuffer(bytes: try JSON.encoder.encode(["location": location]))))
            reply.headers.append(HTTPField(name: .setCookie, value: cookies.setSession(issued.token)))
            Pages.secure(&reply.headers)
            return reply
        }

        // MARK: the organisation to act for

        router.get("/login/organisation") { request, _ in
            let query = try FormEncoding.parse(request.uri.query ?? "")
            let language = PageLanguage(parameter: query["lang"], acceptLanguage: request.headers[.acceptLanguage])
            guard let interaction = query["interaction"], let token = cookies.session(in: request),
                  let prompt = try await Blocking.run({ try provider.organisationPrompt(interaction: interaction, sessionToken: token) })
            else { return message("expired", language, status: .gone) }
            return organisationPage(prompt, request, language: language)
        }
        router.post("/login/organisation") { request, _ in
            var request = request
            let form = try await Self.form(&request, limit: limit)
            let language = PageLanguage(parameter: form["lang"], acceptLanguage: request.headers[.acceptLanguage])
            guard cookies.checkCSRF(request, sent: form["csrf"], origin: origin) else { return message("error", language, status: .forbidden) }
            guard let interaction = form["interaction"], let organisation = form["organisation"], let token = cookies.session(in: request) else {
                return message("expired", language, status: .gone)
            }
            let outcome: OIDCProvider.AuthorizeOutcome
            do {
                outcome = try await Blocking.run { try provider.choose(interaction: interaction, organisation: organisation, sessionToken: token) }
            } catch {
                return message("expired", language, status: .gone)
            }
            return answer(outcome, request, language: language)
        }
        router.get("/login/refused") { request, _ in
            let language = PageLanguage(parameter: Self.leniently("lang", in: request), acceptLanguage: request.headers[.acceptLanguage])
            return pages.render("message", ["heading": language.texts["refusedHeading"]!, "message": RightsRefusal.text(language), "kind": "error",
                                            "alert": true, "languageLink": "?lang=\(language.other.rawValue)"], language: language, status: .forbidden)
        }
    }

    /// The origins the client's redirect URIs are on (the login forms' answers redirect there).
    static func formTargets(_ provider: OIDCProvider, _ clientID: String) -> [String] {
        (provider.client(clientID)?.redirectUris ?? []).compactMap(Pages.origin(of:))
    }

    /// The first value of query parameter `name`, read leniently (for the language of an error
    /// page whose query was refused).
    static func leniently(_ name: String, in request: Request) -> String? {
        URLComponents(string: request.uri.description)?.queryItems?.first { $0.name == name }?.value
    }

    /// Whether the factor's code is sent (SMS, e-mail) rather than read from an app.
    static func isSent(_ factor: CodeFactor) -> Bool { factor == .sms || factor == .email }

    /// The fields of an `application/x-www-form-urlencoded` body.
    /// - Throws: ``APIError`` 413 `request.tooLarge` when it is over `limit` bytes.
    static func form(_ request: inout Request, limit: Int) async throws -> [String: String] {
        let body = try await JSON.body(of: request, limit: limit)
        return (try? FormEncoding.parse(String(decoding: body.readableBytesView, as: UTF8.self))) ?? [:]
    }
}

/// The refusal text of the seeds, in the page's language.
enum RightsRefusal {
    static func text(_ language: PageLanguage) -> String {
        language == .nl ? RightsError.refusalText : "You do not have the rights to log in to this application."
    }
}

struct WebEIDChallengeRequest: Decodable {
    let interaction: String
}

struct WebEIDChallengeReply: Encodable {
    let transactionId: String
    let nonce: String
}

struct WebEIDLoginRequest: Decodable {
    let interaction: String
    let transactionId: String
    let token: WebEIDToken
}
