import Foundation
import Glibc

/// The entry point behind `sleutel virtual-card run`: loads a profile, then keeps a virtual
/// card inserted in a vpcd reader.
public struct VirtualCardRunner: Sendable {
    /// The loaded card.
    public let image: CardImage
    /// Connection settings used by ``run(stopAfterRemoval:)``.
    public var options: VirtualCardConnection.Options

    /// Loads and checks the profile (keys against certificates, PIN format, fields).
    /// - Parameters:
    ///   - profileURL: a `Hardware/cards/*.json` profile.
    ///   - port: vpcd port (35963 = first virtual reader, 35964 = second).
    ///   - tamper: forge the card's data (``CardTamper``), with the other keys and certificates
    ///     taken from the folder above the profile's (`Hardware/`).
    /// - Throws: ``VirtualCardError``.
    public init(profileURL: URL, port: Int = 35963, tamper: CardTamper? = nil) throws(VirtualCardError) {
        let loaded = try CardImage.load(profileURL: profileURL)
        let hardware = profileURL.deletingLastPathComponent().deletingLastPathComponent()
        image = try tamper.map { tamper throws(VirtualCardError) in try tamper.apply(to: loaded, hardware: hardware) } ?? loaded
        options = VirtualCardConnection.Options(port: port, reconnect: true) { line in
            FileHandle.standardError.write(Data("virtual-card: \(line)\n".utf8))
        }
        if let tamper { options.log?("tampered card: \(tamper)") }
    }

    /// Builds a runner around an image made in code.
    public init(image: CardImage, options: VirtualCardConnection.Options) {
        self.image = image
        self.options = options
    }

    /// Inserts the card and serves it on a dedicated thread until the process gets SIGINT or
    /// SIGTERM (the card is then pulled cleanly). With `stopAfterRemoval`, also returns when the
    /// reader side closes the connection instead of reconnecting after a pcscd restart.
    /// - Throws: ``VirtualCardError`` `.connectFailed` when no vpcd answers in time.
    public func run(stopAfterRemoval: Bool = false) throws(VirtualCardError) {
        var options = options
        if stopAfterRemoval { options.reconnect = false }
        let connection = VirtualCardConnection(emulator: EIDCardEmulator(image: image), options: options)
        try connection.connect()
        options.log?("serving \(image.name) (applet \(image.applet.rawValue)) on port \(options.port)")

        let signals = Self.watchSignals { connection.remove() }
        defer { for signal in signals { signal.cancel() } }

        let serving = connection.serveInBackground()
        switch serving.wait() {
        case .success(let outcome)?: options.log?("stopped: \(outcome)")
        case .failure(let error)?: throw error
        case nil: break
        }
    }

    private static func watchSignals(_ handler: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }
}
