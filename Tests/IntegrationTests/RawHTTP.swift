import Foundation

/// One HTTP/1.1 exchange over a plain loopback socket, with the request written byte for byte by
/// the test: URLSession would fill in or refuse the header fields the kiosk tests forge (`Host`,
/// two `Host` fields, none at all, `Origin`).
enum RawHTTP {
    /// The header field the kiosk page sends its page token in.
    static let tokenHeader = "X-Sleutel-Kiosk-Token"

    struct Reply {
        let status: Int
        /// Header fields, names in lower case (the last one wins when a name repeats).
        let headers: [String: String]
        /// Every header field name, lower case, in order.
        let fieldNames: [String]
        let body: Data

        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        /// The stable code of a JSON error answer (`{"error": {"code": …}}`).
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Builds a request: `headers` in order (a name may repeat), `Content-Length` added for a body,
    /// `Connection: close` always.
    static func request(_ method: String, _ path: String, headers: [(String, String)], body: String? = nil) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "Connection: close\r\n\r\n"
        return text + (body ?? "")
    }

    /// Sends `request` to 127.0.0.1:`port` and reads the answer until the server closes.
    static func send(port: Int, _ request: String, timeoutSeconds: Int = 20) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to \(port): errno \(errno)") }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "write: errno \(errno)") }
            sent += n
        }
        var received = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw Failure(description: "read: errno \(errno)") }
            if n == 0 { break }
            received += chunk[..<n]
        }
        return try parse(received)
    }

    private static func parse(_ bytes: [UInt8]) throws -> Reply {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = (0...max(0, bytes.count - 4)).first(where: { bytes[$0..<min(bytes.count, $0 + 4)].elementsEqual(separator) }) else {
            throw Failure(description: "no header end in \(bytes.count) bytes")
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure(description: "no status line")
        }
        var headers: [String: String] = [:]
        var names: [String] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            names.append(name)
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Reply(status: status, headers: headers, fieldNames: names, body: Data(body))
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](), i = 0
        while i < bytes.count {
            guard let lineEnd = (i..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let size = Int(String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? "", radix: 16),
                  size > 0, lineEnd + 2 + size <= bytes.count else { break }
            out += bytes[(lineEnd + 2)..<(lineEnd + 2 + size)]
            i = lineEnd + 2 + size + 2
        }
        return out
    }
}
