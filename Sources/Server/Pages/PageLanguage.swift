import Foundation

/// The language of Sleutel's pages: Dutch by default, English on request (`lang=en`, or a
/// browser that prefers English over Dutch).
enum PageLanguage: String, Sendable, CaseIterable {
    case nl, en

    /// `lang` from a query or form if it names a language, else the first of Dutch or English in
    /// `Accept-Language`, else Dutch.
    init(parameter: String?, acceptLanguage: String?) {
        if let parameter, let chosen = PageLanguage(rawValue: parameter) {
            self = chosen
            return
        }
        for range in (acceptLanguage ?? "").split(separator: ",") {
            let tag = range.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            if tag.hasPrefix("nl") { self = .nl; return }
            if tag.hasPrefix("en") { self = .en; return }
        }
        self = .nl
    }

    /// The page texts, by key, in this language.
    var texts: [String: String] {
        switch self {
        case .nl: Self.dutch
        case .en: Self.english
        }
    }

    /// The other language, for the switch on every page.
    var other: PageLanguage { self == .nl ? .en : .nl }

    var name: String { self == .nl ? "Nederlands" : "English" }

    static let dutch: [String: String] = [
        "title": "Aanmelden",
        "heading": "Aanmelden bij %@",
        "choose": "Kies uw digitale sleutel",
        "eid": "Aanmelden met eID en pincode",
        "eidHelp": "Steek uw eID in de kaartlezer. U geeft uw pincode in op de kaartlezer of in het venster van de kaartlezer-app "
            + "op uw computer, nooit op deze pagina.",
        "eidButton": "Aanmelden met eID",
        "eidWaiting": "Wachten op uw kaartlezer… Geef uw pincode in waar de kaartlezer-app erom vraagt.",
        "eidNoAgent": "Geen kaartlezer-app gevonden. Start de Sleutel-kaartlezer (sleutel agent) of de Web eID-extensie en probeer opnieuw.",
        "eidFailed": "Aanmelden met eID is niet gelukt.",
        "code": "Aanmelden met gebruikersnaam, paswoord en beveiligingscode",
        "password": "Aanmelden met gebruikersnaam en paswoord",
        "username": "Gebruikersnaam",
        "passwordLabel": "Paswoord",
        "next": "Volgende",
        "login": "Aanmelden",
        "cancel": "Annuleren en terug naar de toepassing",
        "stepUp": "Deze toepassing vraagt een sterkere sleutel dan waarmee u nu aangemeld bent (niveau %@).",
        "levelNeeded": "Vereist niveau van beveiliging: %@.",
        "codeHeading": "Beveiligingscode",
        "codeChoose": "Kies hoe u uw beveiligingscode ontvangt",
        "totp": "Beveiligingscode via mobiele app",
        "sms": "Beveiligingscode via sms",
        "email": "Beveiligingscode via e-mail",
        "passwordOnly": "Enkel met paswoord (laag niveau)",
        "send": "Stuur mij een code",
        "resend": "Stuur de code opnieuw",
        "sentTo": "We stuurden een code naar %@. Ze is %@ minuten geldig.",
        "codeLabel": "Code",
        "codeHelp": "De code bestaat uit cijfers.",
        "wrongLogin": "Gebruikersnaam of paswoord is niet juist.",
        "wrongCode": "Deze code is niet juist of niet meer geldig.",
        "locked": "Te veel mislukte pogingen. Probeer het later opnieuw of meld u aan met uw eID.",
        "quota": "Er werden te veel codes verstuurd. Probeer het later opnieuw.",
        "delivery": "De code kon niet verstuurd worden. Probeer het later opnieuw.",
        "expired": "Deze aanmelding is verlopen. Ga terug naar de toepassing en begin opnieuw.",
        "noKey": "U hebt geen sleutel die deze toepassing aanvaardt. Activeer er een in Mijn Digitale Sleutels of meld u aan met uw eID.",
        "orgHeading": "Voor welke organisatie meldt u zich aan?",
        "orgHelp": "U kunt bij %@ optreden voor meer dan één organisatie. Kies de organisatie waarvoor u nu werkt.",
        "orgNumber": "ondernemingsnummer %@",
        "logoutHeading": "Afmelden",
        "logoutAsk": "Wilt u zich afmelden bij Sleutel? U wordt dan ook afgemeld bij %@ en de andere toepassingen waar u met deze aanmelding binnenkwam.",
        "logoutAskPlain": "Wilt u zich afmelden bij Sleutel? U wordt dan afgemeld bij alle toepassingen waar u met deze aanmelding binnenkwam.",
        "logoutConfirm": "Afmelden",
        "loggedOutHeading": "U bent afgemeld",
        "loggedOut": "U bent afgemeld bij Sleutel. Sluit uw browser als u een gedeelde computer gebruikt.",
        "logoutInvalid": "Dit afmeldverzoek is ongeldig.",
        "badLink": "Deze aanmeldlink is ongeldig: de toepassing is bij Sleutel niet gekend of vraagt een terugkeeradres dat niet geregistreerd is. "
            + "Meld dit aan de beheerder van de toepassing.",
        "refusedHeading": "Geen toegang",
        "back": "Terug naar de toepassing",
        "error": "Er ging iets mis",
        "switchLanguage": "English",
        "skip": "Naar de inhoud",
    ]

    static let english: [String: String] = [
        "title": "Log in",
        "heading": "Log in to %@",
        "choose": "Choose your digital key",
        "eid": "Log in with eID and PIN",
        "eidHelp": "Insert your eID in the card reader. You enter your PIN on the card reader or in the card reader app's window "
            + "on your computer, never on this page.",
        "eidButton": "Log in with eID",
        "eidWaiting": "Waiting for your card reader… Enter your PIN where the card reader app asks for it.",
        "eidNoAgent": "No card reader app found. Start the Sleutel card reader (sleutel agent) or the Web eID extension and try again.",
        "eidFailed": "Logging in with eID did not succeed.",
        "code": "Log in with username, password and security code",
        "password": "Log in with username and password",
        "username": "Username",
        "passwordLabel": "Password",
        "next": "Next",
        "login": "Log in",
        "cancel": "Cancel and return to the application",
        "stepUp": "This application asks for a stronger key than the one you are logged in with (level %@).",
        "levelNeeded": "Level of assurance required: %@.",
        "codeHeading": "Security code",
        "codeChoose": "Choose how you receive your security code",
        "totp": "Security code from a mobile app",
        "sms": "Security code by SMS",
        "email": "Security code by e-mail",
        "passwordOnly": "Password only (low level)",
        "send": "Send me a code",
        "resend": "Send the code again",
        "sentTo": "We sent a code to %@. It is valid for %@ minutes.",
        "codeLabel": "Code",
        "codeHelp": "The code consists of digits.",
        "wrongLogin": "The username or password is not correct.",
        "wrongCode": "This code is not correct or no longer valid.",
        "locked": "Too many failed attempts. Try again later or log in with your eID.",
        "quota": "Too many codes were sent. Try again later.",
        "delivery": "The code could not be sent. Try again later.",
        "expired": "This login has expired. Return to the application and start again.",
        "noKey": "You have no key this application accepts. Activate one in My Digital Keys or log in with your eID.",
        "orgHeading": "Which organisation do you log in for?",
        "orgHelp": "You may act for more than one organisation in %@. Choose the organisation you are working for now.",
        "orgNumber": "enterprise number %@",
        "logoutHeading": "Log out",
        "logoutAsk": "Do you want to log out of Sleutel? You are then also logged out of %@ and the other applications you entered with this login.",
        "logoutAskPlain": "Do you want to log out of Sleutel? You are then logged out of every application you entered with this login.",
        "logoutConfirm": "Log out",
        "loggedOutHeading": "You are logged out",
        "loggedOut": "You are logged out of Sleutel. Close your browser if you use a shared computer.",
        "logoutInvalid": "This logout request is not valid.",
        "badLink": "This login link is not valid: the application is not known to Sleutel or asks for a return address that is not registered. "
            + "Please tell the application's administrator.",
        "refusedHeading": "No access",
        "back": "Return to the application",
        "error": "Something went wrong",
        "switchLanguage": "Nederlands",
        "skip": "Skip to content",
    ]
}
