import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`; a bare address is
/// one host). IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) count as their IPv4 address.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The network's address bytes (4 or 16), host bits cleared.
    let bytes: [UInt8]
    /// The prefix length in bits.
    let prefix: Int

    /// Parses `text`; nil when it is not an address or CIDR network.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPNetwork.address(String(parts[0])) else { return nil }
        let bits = address.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...bits).contains(value), parts[1].allSatisfy(\.isASCII) else { return nil }
            prefix = value
        }
        self.prefix = prefix
        bytes = address.enumerated().map { index, byte in byte & IPNetwork.mask(prefix: prefix, byte: index) }
    }

    /// Whether `address` (4 or 16 bytes, as ``address(_:)`` gives) lies in the network.
    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        return (0..<bytes.count).allSatisfy { address[$0] & IPNetwork.mask(prefix: prefix, byte: $0) == bytes[$0] }
    }

    /// The network bits of byte `index` under a `prefix`-bit mask.
    private static func mask(prefix: Int, byte index: Int) -> UInt8 {
        let keep = max(0, min(8, prefix - index * 8))
        return UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
    }

    public var description: String { "\(IPNetwork.text(bytes))/\(prefix)" }

    /// The bytes of an IPv4 (4) or IPv6 (16) address in text, IPv4-mapped IPv6 as IPv4; nil otherwise.
    static func address(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= 45, text.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, text, &bytes) == 1 { return Array(bytes.prefix(4)) }
        guard inet_pton(AF_INET6, text, &bytes) == 1 else { return nil }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }

    /// The canonical text of a 4- or 16-byte address.
    static func text(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        return ok ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
    }
}

/// The reverse proxies whose word on the client's address is taken, and the header they write.
///
/// Behind a proxy every request comes from the proxy's address. When the peer is a trusted
/// proxy, the client is the right-most address of the forwarding chain that is not itself a
/// trusted proxy (each proxy appends the address it received the request from, so everything to
/// the left of that point was written by the client and may be forged). Without trusted proxies
/// the headers are ignored.
public struct TrustedProxies: Sendable {
    /// The header the trusted proxies write. Only that one is read: a proxy that writes one header
    /// passes the other on as the client sent it, forged or not.
    public enum Header: String, Sendable, CaseIterable {
        /// `X-Forwarded-For: client, proxy1` (nginx `$proxy_add_x_forwarded_for`, haproxy `option forwardfor`).
        case xForwardedFor = "x-forwarded-for"
        /// RFC 7239 `Forwarded: for=client;proto=https, for="[2001:db8::1]:4711"`.
        case forwarded
    }

    /// The trusted networks (empty: no proxy, headers ignored).
    public let networks: [IPNetwork]
    public let header: Header
    /// HTTP's optional white space around list elements and parameters.
    fileprivate static let blanks = CharacterSet(charactersIn: " \t")
    /// Forwarding entries read from the right; a longer chain's left part is never reached.
    static let maximumHops = 32

    public init(_ networks: [IPNetwork] = [], header: Header = .xForwardedFor) {
        self.networks = networks
        self.header = header
    }

    func isTrusted(_ address: [UInt8]) -> Bool { networks.contains { $0.contains(address) } }

    /// The client address for a request from `peer` carrying `values` of ``header`` (in order).
    /// - Returns: canonical address text; `peer` itself when it is not a trusted proxy.
    public func client(peer: String, headerValues values: [String]) -> String {
        guard !networks.isEmpty, let peerBytes = IPNetwork.address(peer), isTrusted(peerBytes) else { return peer }
        let entries = values.flatMap { header == .forwarded ? Self.forwardedFor($0) : Self.commaList($0) }
        var client = peerBytes
        for entry in entries.suffix(Self.maximumHops).reversed() {
            // An entry that is no address ("unknown", an obfuscated name, garbage) ends the walk:
            // the proxy that wrote it is the closest address known.
            guard let address = Self.hostAddress(entry) else { break }
            client = address
            if !isTrusted(address) { break }
        }
        return IPNetwork.text(client)
    }

    /// The elements of a comma-separated list, trimmed.
    static func commaList(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmedBlanks }.filter { !$0.isEmpty }
    }

    /// The `for=` value of each element of an RFC 7239 `Forwarded` field value (commas inside
    /// quoted strings do not split); an element without `for` gives "".
    static func forwardedFor(_ value: String) -> [String] {
        var elements: [String] = [], current = "", quoted = false, escaped = false
        for character in value {
            if escaped { current.append(character); escaped = false; continue }
            if quoted, character == "\\" { escaped = true; continue }
            if character == "\"" { quoted.toggle(); continue }
            if character == ",", !quoted { elements.append(current); current = ""; continue }
            current.append(character)
        }
        elements.append(current)
        return elements.map { element in
            for pair in element.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmedBlanks.lowercased() == "for" {
                    return parts[1].trimmedBlanks
                }
            }
            return ""
        }
    }

    /// The address of a forwarding entry: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`.
    static func hostAddress(_ entry: String) -> [UInt8]? {
        if entry.hasPrefix("[") {
            guard let close = entry.firstIndex(of: "]") else { return nil }
            let rest = entry[entry.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isNumber)) else { return nil }
            return IPNetwork.address(String(entry[entry.index(after: entry.startIndex)..<close]))
        }
        if let v4 = IPNetwork.address(entry) { return v4 }
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, !parts[1].isEmpty, parts[1].allSatisfy(\.isNumber), parts[0].contains(".") {
            return IPNetwork.address(String(parts[0]))
        }
        return nil
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional white space).
    fileprivate var trimmedBlanks: String { trimmingCharacters(in: TrustedProxies.blanks) }
}
