import BelgianEID
import CryptoCore
import Dispatch
import Foundation
import PCSC
import SleutelClient

/// The kiosk's card side: waits for an eID in the reader, shows the holder's name and photo,
/// verifies the PIN on the card, logs in to the Sleutel server with the card's signature, lets
/// the person choose the organisation to act for, and ends the session the moment the card is
/// pulled. All PC/SC work runs on one serial queue; the web front reads ``state``.
///
/// Nothing personal outlives the card: on removal the name, photo, rights and token are dropped.
public final class KioskController: @unchecked Sendable {
    /// What the screen shows.
    public enum Phase: String, Sendable, Codable {
        case waitingForCard, readingCard, enterPIN, loggingIn, chooseOrganisation, loggedIn, refused, error, noReader
    }

    /// The screen's content. `photo` is a `data:` URI of the card's JPEG.
    public struct State: Sendable, Codable, Equatable {
        public var phase: Phase = .waitingForCard
        public var reader: String?
        public var name: String?
        public var photo: String?
        public var triesLeft: Int?
        public var message: String?
        public var organisations: [String]?
        public var organisation: String?
        /// Display names of the organisation(s) above, by number, where known.
        public var organisationNames: [String: String]?
        public var rights: [String]?
        public var level: Int?
        /// The error code of the last failure that ended the card session (`timeout`,
        /// `transport`, `notBelgianEID`, …), for the page and for monitoring; nil otherwise.
        public var error: String?
        /// Increases with every change, so the page can tell a new state from an old one.
        public var version = 0
    }

    private let client: SleutelClient
    private let application: String
    private let preferredReader: String?
    private let cardTimeout: Duration
    private let trustedRoots: [Certificate]
    private let queue = DispatchQueue(label: "be.sleutel.kiosk.card")
    private let lock = NSLock()
    private var current = State()

    // Owned by `queue`. The monitor and the card session use separate PC/SC contexts: a card
    // that stops answering blocks its context (see `PCSCContext`), never the reader watch.
    private var context: PCSCContext?
    private var monitor: MonitorBox?
    private var cardContext: PCSCContext?
    private var connection: CardConnection?
    private var card: EIDCard?
    private var token: String?
    private var started = false

    /// - Parameters:
    ///   - client: the Sleutel server.
    ///   - application: the application the kiosk logs people in to.
    ///   - reader: the reader to watch; nil for the first reader a card is inserted in.
    ///   - cardTimeout: the longest one card command may take before the card counts as hung.
    ///   - trustedRoots: the roots a card's root certificate must match (by key) for its data to
    ///     count as genuine: the public Belgium roots in production, the TEST roots in tests.
    public init(
        client: SleutelClient, application: String, reader: String? = nil, cardTimeout: Duration = .seconds(5),
        trustedRoots: [Certificate]
    ) {
        self.client = client
        self.application = application
        self.preferredReader = reader
        self.cardTimeout = cardTimeout
        self.trustedRoots = trustedRoots
    }

    /// The current screen.
    public var state: State { lock.withLock { current } }

    /// Starts watching the readers.
    public func start() {
        queue.async {
            guard !self.started else { return }
            self.started = true
            self.poll()
        }
    }

    /// Checks the PIN on the card and logs in. The PIN is passed to the card only.
    public func submitPIN(_ pin: String) async -> State {
        await onQueue { self.verifyAndLogIn(pin) }
    }

    /// Chooses one of the offered organisations.
    public func chooseOrganisation(_ organisation: String) async -> State {
        await onQueue {
            guard self.current.phase == .chooseOrganisation, let token = self.token,
                  self.current.organisations?.contains(organisation) == true else { return }
            self.apply(organisation: organisation, token: token)
        }
    }

    /// Ends the session while the card stays in (the person presses "log out").
    public func logout() async -> State {
        await onQueue {
            self.endSession()
            self.update { state in
                state = State(phase: .waitingForCard, reader: state.reader, message: "Afgemeld. Neem uw kaart uit de lezer.")
            }
        }
    }

    // MARK: - Card events

    private final class MonitorBox {
        var monitor: CardMonitor
        init(_ monitor: consuming CardMonitor) { self.monitor = monitor }
    }

    private func poll() {
        do {
            if context == nil {
                let context = try PCSCContext()
                self.context = context
                monitor = MonitorBox(CardMonitor(context: context))
            }
            guard let monitor else { return }
            for event in try monitor.monitor.next(timeoutMilliseconds: 200) { handle(event) }
            if current.phase == .noReader { update { $0.phase = .waitingForCard; $0.message = nil } }
        } catch {
            // pcscd gone or restarted: drop everything tied to the old context and retry.
            endSession()
            context = nil
            monitor = nil
            update { state in state = State(phase: .noReader, message: "Kaartlezer niet beschikbaar (\(error))") }
            queue.asyncAfter(deadline: .now() + 1) { self.poll() }
            return
        }
        queue.async { self.poll() }
    }

    private func handle(_ event: ReaderEvent) {
        switch event {
        case .cardInserted(let reader, let atr):
            guard connection == nil, preferredReader.map({ $0 == reader }) ?? true else { return }
            readCard(in: reader, atr: atr)
        case .cardRemoved(let reader), .readerDetached(let reader):
            guard current.reader == reader else { return }
            endSession()
            update { state in
                // A card that failed and left (pulled mid-read) keeps its error on the waiting
                // screen until the next card, so the person sees why; nothing personal stays.
                let failed = state.phase == .error
                state = State(phase: .waitingForCard, message: failed ? state.message : nil, error: failed ? state.error : nil)
            }
        case .readerAttached:
            break
        }
    }

    private func readCard(in reader: String, atr: [UInt8]) {
        update { state in state = State(phase: .readingCard, reader: reader) }
        guard EIDCard.atrLooksLikeEID(atr) else {
            update { $0.phase = .error; $0.error = EIDError.Code.notBelgianEID.description; $0.message = "Dit is geen Belgische eID-kaart." }
            return
        }
        do {
            let cardContext = try PCSCContext(cardTimeout: cardTimeout)
            self.cardContext = cardContext
            let connection = try cardContext.connect(reader: reader)
            self.connection = connection
            let card = try EIDCard(channel: connection)
            self.card = card
            let contents = try card.readAll(includePhoto: true)
            // Nothing from a card whose data is not genuine reaches the screen or the login.
            let report = try card.verifyIntegrity(of: contents, trustedRoots: trustedRoots)
            guard report.isValid else {
                endSession()
                update { state in
                    state = State(phase: .error, reader: reader,
                                  message: "De gegevens op deze kaart zijn niet echt (controle mislukt: \(report.failureNames)).",
                                  error: EIDError.Code.integrityFailed.description)
                }
                return
            }
            let status = try? card.pinStatus()
            let identity = contents.identity
            update { state in
                state.phase = status?.isBlocked == true ? .error : .enterPIN
                state.name = "\(identity.givenNames) \(identity.surname)"
                state.photo = contents.photo.map { "data:image/jpeg;base64," + Data($0).base64EncodedString() }
                state.triesLeft = status?.triesLeft
                state.message = status?.isBlocked == true ? "De PIN is geblokkeerd; alleen de gemeente kan hem deblokkeren." : nil
            }
        } catch {
            endSession()
            update { state in
                state = State(phase: .error, reader: reader, message: "De kaart kon niet gelezen worden: \(Self.describe(error))",
                              error: Self.code(error))
            }
        }
    }

    // MARK: - Login

    private func verifyAndLogIn(_ pin: String) {
        guard [.enterPIN, .error].contains(current.phase), let card, let reader = current.reader, token == nil else { return }
        do {
            try card.verifyPIN(PIN(pin))
        } catch let error as EIDError where error.code == .pinIncorrect {
            update { $0.phase = .enterPIN; $0.triesLeft = error.triesLeft; $0.message = "Verkeerde PIN." }
            return
        } catch let error as EIDError where error.code == .pinBlocked {
            update { $0.phase = .error; $0.triesLeft = 0; $0.message = "De PIN is geblokkeerd; alleen de gemeente kan hem deblokkeren." }
            return
        } catch let error as EIDError where error.code == .invalidPIN {
            update { $0.phase = .enterPIN; $0.message = "Ongeldige PIN: \(Self.describe(error))" }
            return
        } catch {
            // The card failed (hung, pulled, garbage): the card session is over.
            endSession()
            update { state in
                state = State(phase: .error, reader: reader, message: "De PIN kon niet gecontroleerd worden: \(Self.describe(error))",
                              error: Self.code(error))
            }
            return
        }
        update { $0.phase = .loggingIn; $0.message = nil }
        do {
            let binding = "\(reader)/\(card.cardData.serialNumberHex)"
            let issued = try client.login(application: application, cardBinding: binding, signer: CardSigner(card: card),
                                          afterSigning: { try? card.logOff() })
            token = issued.token
            update { $0.level = issued.session.level }
            apply(organisation: nil, token: issued.token)
        } catch let refusal as SleutelClient.Refusal {
            update { $0.phase = .error; $0.message = "Aanmelden geweigerd: \(refusal.message) [\(refusal.code)]" }
        } catch {
            endSession()
            update { state in
                state = State(phase: .error, reader: reader, message: "Aanmelden mislukt: \(Self.describe(error))", error: Self.code(error))
            }
        }
    }

    private func apply(organisation: String?, token: String) {
        do {
            let decision = try client.chooseOrganisation(token: token, application: application, organisation: organisation)
            update { state in
                state.message = nil
                switch decision.decision {
                case "allowed":
                    state.phase = .loggedIn
                    state.organisation = decision.organisation
                    state.organisations = nil
                    state.organisationNames = decision.organisationNames
                    state.rights = (decision.rights ?? []).map { right in right.context.map { "\(right.right) (\($0))" } ?? right.right }
                case "chooseOrganisation":
                    state.phase = .chooseOrganisation
                    state.organisations = decision.organisations
                    state.organisationNames = decision.organisationNames
                case "stepUpRequired":
                    state.phase = .refused
                    state.message = "Deze toepassing vraagt een sterkere sleutel (niveau \(decision.minimumLevel ?? 0))."
                default:
                    state.phase = .refused
                    state.message = decision.message ?? "U beschikt niet over de rechten om aan te melden op de toepassing"
                }
            }
        } catch {
            update { $0.phase = .error; $0.message = "De organisatie kon niet gekozen worden: \(Self.describe(error))" }
        }
    }

    /// Logs out at the server (best effort) and forgets the card.
    private func endSession() {
        if let token { try? client.logout(token: token) }
        token = nil
        card = nil
        connection?.disconnect(.reset)  // queued, not waited for, when the card hangs
        connection = nil
        cardContext = nil
    }

    // MARK: - Helpers

    private func update(_ change: (inout State) -> Void) {
        lock.withLock {
            let version = current.version
            change(&current)
            current.version = version + 1
        }
    }

    private func onQueue(_ work: @escaping @Sendable () -> Void) async -> State {
        await withCheckedContinuation { continuation in
            queue.async {
                work()
                continuation.resume(returning: self.state)
            }
        }
    }

    private static func code(_ error: any Error) -> String {
        if let error = error as? EIDError { return error.code.description }
        if let error = error as? PCSCError { return error.status.name }
        return "other"
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? EIDError { return "\(error.code) (\(error.reason))" }
        if let error = error as? PCSCError { return error.description }
        return "\(error)"
    }
}
