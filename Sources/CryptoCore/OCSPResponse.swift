import COpenSSL
import Foundation

final class OCSPResponseBox: @unchecked Sendable {
    let response: OpaquePointer
    /// The BasicOCSPResponse, present when the response status is `successful`.
    let basic: OpaquePointer?
    init(response: OpaquePointer, basic: OpaquePointer?) {
        self.response = response
        self.basic = basic
    }
    deinit {
        if let basic { OCSP_BASICRESP_free(basic) }
        OCSP_RESPONSE_free(response)
    }
}

/// Who signed an OCSP response, once ``OCSPResponse/verifySigner(issuer:at:clockSkew:)`` accepted it.
public enum OCSPSigner: Sendable {
    /// The issuing CA signed the response itself.
    case issuer
    /// A delegated responder certificate, issued by the CA and carrying id-kp-OCSPSigning.
    case delegated(Certificate)
}

/// How an OCSP response's nonce is checked against the request's.
public enum OCSPNoncePolicy: Sendable, Equatable {
    /// The response must echo the request's nonce (default; what the `openssl ocsp` responder does).
    case required
    /// When the response carries a nonce it must match; a response without one is accepted
    /// (for responders that serve pre-signed answers).
    case ifPresent
    /// The nonce is not checked.
    case ignored
}

/// The checks ``OCSPResponse/validate(for:issuer:at:options:)`` applies besides the signature.
public struct OCSPValidationOptions: Sendable, Equatable {
    /// Allowed difference between our clock and the responder's, in seconds, applied to
    /// thisUpdate, nextUpdate and the responder certificate's validity.
    public var clockSkew: TimeInterval
    /// When the answer has no nextUpdate: the longest accepted age of thisUpdate, in seconds.
    public var maxAgeWithoutNextUpdate: TimeInterval
    /// The nonce rule.
    public var nonce: OCSPNoncePolicy

    /// - Parameters:
    ///   - clockSkew: seconds of tolerated clock difference (default 5 minutes).
    ///   - maxAgeWithoutNextUpdate: maximum age of an answer without nextUpdate (default 1 hour).
    ///   - nonce: the nonce rule (default ``OCSPNoncePolicy/required``).
    public init(clockSkew: TimeInterval = 300, maxAgeWithoutNextUpdate: TimeInterval = 3600, nonce: OCSPNoncePolicy = .required) {
        self.clockSkew = clockSkew
        self.maxAgeWithoutNextUpdate = maxAgeWithoutNextUpdate
        self.nonce = nonce
    }
}

/// The answer about one certificate inside an OCSP response.
public struct OCSPSingleResponse: Sendable, Equatable {
    /// The certificate's status as the responder states it.
    public enum CertStatus: Sendable, Equatable {
        case good
        case revoked(at: Date, reason: CRLReason?)
        case unknown
    }

    public let certStatus: CertStatus
    /// When the status was known to be correct.
    public let thisUpdate: Date
    /// When newer information will be available; nil when the responder always has newer information.
    public let nextUpdate: Date?
    /// When the response was signed.
    public let producedAt: Date

    /// Builds a single response (``OCSPResponse/singleResponse(for:)`` does this from the DER).
    public init(certStatus: CertStatus, thisUpdate: Date, nextUpdate: Date?, producedAt: Date) {
        self.certStatus = certStatus
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.producedAt = producedAt
    }

    /// Checks thisUpdate ≤ `time` + skew, and `time` ≤ nextUpdate + skew (or, without nextUpdate,
    /// `time` − thisUpdate ≤ `maxAgeWithoutNextUpdate`).
    /// - Throws: ``OCSPError`` with code `notYetValid` or `stale`.
    public func checkFreshness(at time: Date, clockSkew: TimeInterval = 300, maxAgeWithoutNextUpdate: TimeInterval = 3600) throws {
        guard thisUpdate.timeIntervalSince(time) <= clockSkew else {
            throw OCSPError(.notYetValid, "thisUpdate \(thisUpdate) is after the validation time \(time)")
        }
        if let nextUpdate {
            guard time.timeIntervalSince(nextUpdate) <= clockSkew else {
                throw OCSPError(.stale, "nextUpdate \(nextUpdate) is before the validation time \(time)")
            }
        } else {
            guard time.timeIntervalSince(thisUpdate) <= maxAgeWithoutNextUpdate else {
                throw OCSPError(.stale, "no nextUpdate and thisUpdate \(thisUpdate) is older than \(Int(maxAgeWithoutNextUpdate)) s")
            }
        }
    }
}

/// An OCSP response (RFC 6960) as returned by a responder. Parsing checks only the encoding;
/// ``validate(for:issuer:at:options:)`` does every check before the status may be trusted.
public struct OCSPResponse: Sendable {
    /// OCSPResponseStatus.
    public struct ResponseStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let successful = ResponseStatus(rawValue: 0)
        public static let malformedRequest = ResponseStatus(rawValue: 1)
        public static let internalError = ResponseStatus(rawValue: 2)
        public static let tryLater = ResponseStatus(rawValue: 3)
        public static let sigRequired = ResponseStatus(rawValue: 5)
        public static let unauthorized = ResponseStatus(rawValue: 6)
        public var description: String {
            switch rawValue {
            case 0: "successful"
            case 1: "malformedRequest"
            case 2: "internalError"
            case 3: "tryLater"
            case 5: "sigRequired"
            case 6: "unauthorized"
            default: "status \(rawValue)"
            }
        }
    }

    let box: OCSPResponseBox
    /// The DER bytes the response was read from.
    public let derEncoded: [UInt8]
    /// The responder's status. Only `successful` responses carry certificate statuses.
    public let responseStatus: ResponseStatus

    /// Parses a DER OCSPResponse; for a successful one also its BasicOCSPResponse.
    /// - Throws: ``OCSPError`` with code `malformed` on anything else (trailing bytes included).
    public init(der: [UInt8]) throws {
        let response: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            guard let r = d2i_OCSP_RESPONSE(nil, &p, buf.count) else { return nil }
            if let p, let base = buf.baseAddress, p - base != buf.count {
                OCSP_RESPONSE_free(r)
                return nil
            }
            return r
        }
        guard let response else { throw OCSPError(.malformed, "not a DER OCSPResponse: \(drainOpenSSLErrors())") }
        let status = ResponseStatus(rawValue: Int(OCSP_response_status(response)))
        var basic: OpaquePointer?
        if status == .successful {
            basic = OCSP_response_get1_basic(response)
            if basic == nil {
                OCSP_RESPONSE_free(response)
                throw OCSPError(.malformed, "successful response without a BasicOCSPResponse: \(drainOpenSSLErrors())")
            }
        }
        box = OCSPResponseBox(response: response, basic: basic)
        derEncoded = der
        responseStatus = status
    }

    private func basic() throws -> OpaquePointer {
        guard let basic = box.basic else {
            throw OCSPError(.unsuccessful, "responder answered \(responseStatus)")
        }
        return basic
    }

    /// producedAt of the BasicOCSPResponse; nil for unsuccessful responses.
    public var producedAt: Date? { box.basic.flatMap { asn1Date(OCSP_resp_get0_produced_at($0)) } }

    /// The certificates carried in the response (e.g. a delegated responder's). Not trusted by themselves.
    public var certificates: [Certificate] {
        guard let basic = box.basic, let stack = OCSP_resp_get0_certs(basic) else { return [] }
        return (0..<COpenSSL_sk_X509_num(stack)).compactMap { i in
            guard let x = COpenSSL_sk_X509_value(stack, i),
                let der = try? derEncode("i2d_X509", { i2d_X509(x, $0) })
            else { return nil }
            return try? Certificate(der: der)
        }
    }

    /// The nonce the response carries, or nil when it has none.
    /// - Throws: ``OCSPError`` `unsuccessful` for unsuccessful responses, `malformed` for an oversized nonce.
    public func nonce() throws -> [UInt8]? {
        let basic = try basic()
        var out = [UInt8](repeating: 0, count: 256)
        let n = COpenSSL_OCSP_basic_nonce(basic, &out, Int32(out.count))
        guard n >= 0 else { throw OCSPError(.malformed, "nonce extension longer than \(out.count) bytes") }
        return n == 0 ? nil : Array(out.prefix(Int(n)))
    }

    /// Finds who signed the response and verifies the signature. Accepted signers:
    /// the issuer itself (ResponderID names the issuer, signature verifies with its key), or a
    /// certificate carried in the response that the ResponderID names, whose issuer name is
    /// the issuer's subject, whose signature verifies with the issuer's key, that carries
    /// id-kp-OCSPSigning in its extended key usage, and that is valid at `time` (± skew).
    /// No other certificate from the response is trusted, and no chain is built. The delegated
    /// responder's own revocation status is not checked (responder certificates carry
    /// id-pkix-ocsp-nocheck).
    /// - Throws: ``OCSPError`` `signerNotFound`, `unauthorizedSigner`, `badSignature`, `unsuccessful`.
    @discardableResult
    public func verifySigner(issuer: Certificate, at time: Date, clockSkew: TimeInterval = 300) throws -> OCSPSigner {
        let basic = try basic()
        if COpenSSL_OCSP_respid_matches(basic, issuer.box.x509) == 1 {
            try verifySignature(basic, with: issuer, what: "the issuer's key")
            return .issuer
        }
        var refusal: OCSPError?
        for candidate in certificates where COpenSSL_OCSP_respid_matches(basic, candidate.box.x509) == 1 {
            do {
                try Self.checkDelegated(candidate, issuer: issuer, at: time, clockSkew: clockSkew)
                try verifySignature(basic, with: candidate, what: "the delegated responder's key")
                return .delegated(candidate)
            } catch let error as OCSPError {
                refusal = refusal ?? error
            }
        }
        throw refusal ?? OCSPError(.signerNotFound, "ResponderID names neither the issuer nor a certificate in the response")
    }

    private static func checkDelegated(_ responder: Certificate, issuer: Certificate, at time: Date, clockSkew: TimeInterval) throws {
        guard responder.issuerNameMatches(subjectOf: issuer), responder.isSignedBy(issuer) else {
            throw OCSPError(.unauthorizedSigner, "responder certificate is not issued by the certificate's issuer")
        }
        guard let eku = responder.extendedKeyUsage, eku.contains(.ocspSigning) else {
            throw OCSPError(.unauthorizedSigner, "responder certificate lacks id-kp-OCSPSigning")
        }
        guard responder.notBefore.timeIntervalSince(time) <= clockSkew, time.timeIntervalSince(responder.notAfter) <= clockSkew else {
            throw OCSPError(.unauthorizedSigner, "responder certificate is not valid at \(time)")
        }
    }

    private func verifySignature(_ basic: OpaquePointer, with signer: Certificate, what: String) throws {
        let key: PublicKey
        do { key = try signer.publicKey() } catch { throw OCSPError(.badSignature, "\(what) is unreadable") }
        guard COpenSSL_OCSP_verify_signature(basic, key.box.pkey) == 1 else {
            throw OCSPError(.badSignature, "signature does not verify with \(what): \(drainOpenSSLErrors())")
        }
    }

    /// The SingleResponse for the request's CertID (hash algorithm, issuer hashes and serial must all match).
    /// - Throws: ``OCSPError`` `responseNotFound`, `unsuccessful` or `malformed`.
    public func singleResponse(for request: OCSPRequest) throws -> OCSPSingleResponse {
        let basic = try basic()
        let index = OCSP_resp_find(basic, request.box.certID, -1)
        guard index >= 0, let single = OCSP_resp_get0(basic, index) else {
            throw OCSPError(.responseNotFound, "no SingleResponse for the requested CertID")
        }
        var reason: Int32 = -1
        var revoked: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        let status = OCSP_single_get0_status(single, &reason, &revoked, &thisUpdate, &nextUpdate)
        guard let this = asn1Date(thisUpdate), let produced = producedAt else {
            throw OCSPError(.malformed, "SingleResponse without a readable thisUpdate or producedAt")
        }
        let next: Date?
        if let nextUpdate {
            guard let date = asn1Date(nextUpdate) else { throw OCSPError(.malformed, "unreadable nextUpdate") }
            next = date
        } else {
            next = nil
        }
        let certStatus: OCSPSingleResponse.CertStatus
        switch status {
        case V_OCSP_CERTSTATUS_GOOD:
            certStatus = .good
        case V_OCSP_CERTSTATUS_REVOKED:
            guard let at = asn1Date(revoked) else { throw OCSPError(.malformed, "revoked without a readable revocationTime") }
            certStatus = .revoked(at: at, reason: reason >= 0 ? CRLReason(rawValue: Int(reason)) : nil)
        case V_OCSP_CERTSTATUS_UNKNOWN:
            certStatus = .unknown
        default:
            throw OCSPError(.malformed, "unreadable certStatus")
        }
        return OCSPSingleResponse(certStatus: certStatus, thisUpdate: this, nextUpdate: next, producedAt: produced)
    }

    /// Checks the response's nonce against the request's under `policy`.
    /// - Throws: ``OCSPError`` `nonceMismatch` or `nonceMissing`.
    public func checkNonce(of request: OCSPRequest, policy: OCSPNoncePolicy = .required) throws {
        guard policy != .ignored else { return }
        let echoed = try nonce()
        switch (request.nonce, echoed) {
        case (nil, _):
            return
        case (let sent?, let got?):
            guard sent == got else { throw OCSPError(.nonceMismatch, "response nonce differs from the request's") }
        case (_?, nil):
            if policy == .required { throw OCSPError(.nonceMissing, "response carries no nonce") }
        }
    }

    /// Every check, in order: status `successful`, signer and signature
    /// (``verifySigner(issuer:at:clockSkew:)``), nonce, the SingleResponse for the request's
    /// CertID, freshness at `time`.
    /// - Returns: the SingleResponse, whose status may now be trusted.
    /// - Throws: ``OCSPError``.
    public func validate(
        for request: OCSPRequest,
        issuer: Certificate,
        at time: Date,
        options: OCSPValidationOptions = OCSPValidationOptions()
    ) throws -> OCSPSingleResponse {
        guard responseStatus == .successful else { throw OCSPError(.unsuccessful, "responder answered \(responseStatus)") }
        try verifySigner(issuer: issuer, at: time, clockSkew: options.clockSkew)
        try checkNonce(of: request, policy: options.nonce)
        let single = try singleResponse(for: request)
        try single.checkFreshness(at: time, clockSkew: options.clockSkew, maxAgeWithoutNextUpdate: options.maxAgeWithoutNextUpdate)
        return single
    }
}
