import CryptoCore
import Foundation
import Testing

/// The byte-level PEM reader of `KeyReader` against Foundation's base64 and the openssl CLI's PEM.
@Suite("KeyReader PEM")
struct KeyReaderPEMTests {
    static let pki = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Hardware/test-pki")

    func modulus(_ keys: [ReadKey]) -> [String] {
        keys.compactMap { if case .rsa(let n, _) = $0.components { n.hexString } else { nil } }
    }

    @Test("a certificate bundle, CRLF line ends and surrounding text all read like the DER")
    func bundle() throws {
        let auth = try String(contentsOf: Self.pki.appendingPathComponent("persons/specimen-1.7/auth.crt"), encoding: .utf8)
        let ca = try String(contentsOf: Self.pki.appendingPathComponent("rsa/citizen-ca.crt"), encoding: .utf8)
        let keys = try KeyReader.read(Array(("Bag Attributes: x\n" + auth + "\n" + ca).utf8))
        #expect(keys.count == 2)
        let crlf = try KeyReader.read(Array(auth.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        let der = try Certificate(pem: auth).derEncoded
        #expect(modulus(crlf) == modulus(try KeyReader.read(der)))
        #expect(modulus(keys).first == modulus(crlf).first)
    }

    @Test("every body length (padding 0, 1, 2) decodes as Foundation decodes it", arguments: 1...40)
    func base64(length: Int) throws {
        // An RSAPublicKey whose modulus has `length` bytes; the PEM body then has every padding case.
        let n = [UInt8](repeating: 0xC5, count: length)
        let body: [UInt8] = [0x02, UInt8(length + 1), 0x00] + n + [0x02, 0x03, 0x01, 0x00, 0x01]
        let der: [UInt8] = [0x30, UInt8(body.count)] + body
        let pem = "-----BEGIN RSA PUBLIC KEY-----\n\(Data(der).base64EncodedString(options: .lineLength64Characters))\n-----END RSA PUBLIC KEY-----\n"
        let keys = try KeyReader.read(Array(pem.utf8))
        #expect(modulus(keys) == [BigNum(bigEndian: n).hexString])
    }

    @Test("missing END line, bad base64 and private keys are refused with CryptoError")
    func refused() {
        for text in [
            "-----BEGIN PUBLIC KEY-----\nMIIB\n",
            "-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----\n",
            "-----BEGIN PUBLIC KEY-----\n====\n-----END PUBLIC KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PUBLIC KEY",
        ] {
            #expect(throws: CryptoError.self, "\(text)") { try KeyReader.read(Array(text.utf8)) }
        }
    }
}
