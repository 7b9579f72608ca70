import CryptoCore
import Foundation
import Hummingbird
import Trust

extension SleutelServer {
    /// `POST /v1/keys/check`: key strength, priced before checking and run on a pool of its own.
    func addKeyCheckRoutes(to router: Router<ServerContext>) {
        let limit = configuration.maxBodySize
        let v1 = router.group("v1")
        let keyBudget = RateLimiter(perSecond: configuration.keyCheckCostPerMinute / 60, burst: configuration.keyCheckCostPerMinute)
        let keyQueue = WorkerPool(name: "sleutel-keycheck", width: 1, backlog: Self.keyCheckBacklog)
        let perRequest = configuration.keyCheckCostPerRequest, serviceKey = configuration.validateKeySHA256
        v1.post("keys/check") { request, context in
            try keyQueue.admitOrRefuse()
            let body = try await JSON.decode(KeyCheckRequest.self, from: request, limit: limit)
            let checker = body.policy.map { name -> KeyStrengthChecker? in
                KeyStrengthPolicy.named(name).map { KeyStrengthChecker(policy: $0) }
            } ?? keyStrength
            guard let checker else { throw APIError.badRequest("unknown policy; use nist, bsi or anssi") }
            guard body.pem != nil || body.der != nil else { throw APIError.badRequest("give the key as pem (text) or der (base64)") }
            if body.pem?.isEmpty == true || body.der?.isEmpty == true { throw APIError.badRequest("pem and der must not be empty") }
            let input = Array((body.pem ?? "").utf8) + Array(body.der ?? Data())
            // Reading is cheap and bounded by the body size; the checks are what cost, so they are
            // priced first and run on a queue of their own, never on the one serving logins.
            let keys: [ReadKey]
            do { keys = try KeyStrengthChecker.readKeys(input, maximumKeys: Self.maximumKeysPerCheck) } catch let error as TrustError
                where error.code == .tooManyKeys {
                throw APIError.badRequest(error.reason)
            } catch let error as TrustError {
                return JSONReply(KeyCheckReply(acceptable: false, verdicts: [], problem: error.reason))
            }
            let cost = keys.reduce(0) { $0 + Self.checkCost($1.components, maximumBits: checker.options.maximumModulusBits) }
            let presented = (try? Self.bearer(request, required: false)) ?? nil
            if !Self.isServiceKey(presented, sha256: serviceKey) {
                guard cost <= perRequest else {
                    throw APIError(.contentTooLarge, code: "keys.costExceeded",
                                   message: "these keys cost \(Int(cost.rounded(.up))) units to check; "
                                       + "at most \(Int(perRequest)) per request without the service key",
                                   details: ["cost": String(Int(cost.rounded(.up))), "maximum": String(Int(perRequest))])
                }
                if let wait = keyBudget.take(context.peer, cost: cost) {
                    throw APIError(.tooManyRequests, code: "keys.budgetExceeded",
                                   message: "key checks from this address are over their budget of \(Int(configuration.keyCheckCostPerMinute)) units a minute",
                                   details: ["retryAfterSeconds": String(max(1, Int(wait.rounded(.up))))])
                }
            }
            let reply = try await keyQueue.run { () -> KeyCheckReply in
                let verdicts = checker.verdicts(for: keys.map(\.components))
                return KeyCheckReply(acceptable: !verdicts.isEmpty && verdicts.allSatisfy(\.isAcceptable), verdicts: verdicts, problem: nil)
            }
            return JSONReply(reply)
        }
    }

    /// Keys judged per `POST /v1/keys/check`: with RSA moduli up to 16384 bits (each about 0.4 s of
    /// CPU with the primality test), one request stays within a few seconds of one core.
    static let maximumKeysPerCheck = 16
    /// Whether `key` is the service key whose SHA-256 is `expected` (compared in constant time);
    /// false when either is missing.
    static func isServiceKey(_ key: String?, sha256 expected: [UInt8]?) -> Bool {
        guard let key, let expected else { return false }
        return constantTimeEquals(DigestAlgorithm.sha256.hash(Array(key.utf8)), expected)
    }

    /// Key-check requests waiting for the key-check thread before more are answered 503 at once.
    static let keyCheckBacklog = 8

    /// What checking `key` costs, in units of one RSA-2048 key: (bits/2048)³ for RSA (modular
    /// arithmetic grows with the cube of the size), a tenth of a unit for other keys. A modulus over
    /// the checker's limit is refused without checks and costs as little.
    static func checkCost(_ key: KeyComponents, maximumBits: Int) -> Double {
        guard case .rsa(let n, _) = key, n.bitCount <= maximumBits else { return 0.1 }
        return max(0.1, pow(Double(n.bitCount) / 2048, 3))
    }
}
