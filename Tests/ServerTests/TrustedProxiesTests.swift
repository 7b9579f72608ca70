import Server
import Testing

@Suite("Trusted proxies")
struct TrustedProxiesTests {
    let proxies = TrustedProxies([IPNetwork("10.0.0.0/8")!, IPNetwork("2001:db8:a::/48")!, IPNetwork("127.0.0.1")!])

    @Test("CIDR networks parse, bad ones are refused")
    func networks() {
        #expect(IPNetwork("10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(IPNetwork("2001:db8::1/32")?.description == "2001:db8::/32")
        #expect(IPNetwork("192.0.2.1")?.description == "192.0.2.1/32")
        #expect(IPNetwork("::ffff:192.0.2.1")?.description == "192.0.2.1/32")
        #expect(IPNetwork("0.0.0.0/0")?.description == "0.0.0.0/0")
        for bad in ["", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0/8", "example.org", "10.0.0.0/8/8", "::1/129", "10.0.0.0/ 8", "1.2.3.4 "] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }

    @Test("the client is the right-most address that is not a trusted proxy")
    func rightMost() {
        // No proxy configured, or the peer is none: the peer, whatever the header says.
        #expect(TrustedProxies().client(peer: "127.0.0.1", headerValues: ["198.51.100.1"]) == "127.0.0.1")
        #expect(proxies.client(peer: "192.0.2.9", headerValues: ["198.51.100.1"]) == "192.0.2.9")
        // One proxy; a chain of proxies; forged entries left of the real client.
        #expect(proxies.client(peer: "10.0.0.2", headerValues: ["198.51.100.1"]) == "198.51.100.1")
        #expect(proxies.client(peer: "10.0.0.2", headerValues: ["198.51.100.1, 10.9.9.9"]) == "198.51.100.1")
        #expect(proxies.client(peer: "10.0.0.2", headerValues: ["203.0.113.66, 198.51.100.1"]) == "198.51.100.1")
        #expect(proxies.client(peer: "10.0.0.2", headerValues: ["203.0.113.66", "198.51.100.1, 10.1.1.1"]) == "198.51.100.1")
        // A client inside the trusted set with nothing left of it: the left-most address.
        #expect(proxies.client(peer: "10.0.0.2", headerValues: ["10.0.0.3"]) == "10.0.0.3")
        // No header: the proxy itself.
        #expect(proxies.client(peer: "10.0.0.2", headerValues: []) == "10.0.0.2")
        // Garbage or "unknown" ends the walk at the proxy that wrote it.
        #expect(proxies.client(peer: "10.0.0.2", headerValues: ["198.51.100.1, unknown"]) == "10.0.0.2")
        #expect(proxies.client(peer: "10.0.0.2", headerValues: ["198.51.100.1, 10.0.0.7, <script>"]) == "10.0.0.2")
        // Ports, IPv6 and IPv4-mapped forms come out canonical.
        #expect(proxies.client(peer: "10.0.0.2", headerValues: ["198.51.100.1:4711"]) == "198.51.100.1")
        #expect(proxies.client(peer: "2001:db8:a::5", headerValues: ["2001:DB8:0:0::1"]) == "2001:db8::1")
        #expect(proxies.client(peer: "::ffff:10.0.0.2", headerValues: ["[2001:db8::7]:443"]) == "2001:db8::7")
        // A very long forged chain is read from the right only.
        let long = (0..<1000).map { "198.51.\($0 / 250).\($0 % 250 + 1)" }.joined(separator: ",")
        #expect(proxies.client(peer: "10.0.0.2", headerValues: [long + ", 192.0.2.44"]) == "192.0.2.44")
    }

    @Test("RFC 7239 Forwarded: for= of each element, quoted, bracketed, with other parameters")
    func forwarded() {
        let rfc = TrustedProxies(proxies.networks, header: .forwarded)
        #expect(rfc.client(peer: "10.0.0.2", headerValues: ["for=198.51.100.1;proto=https;by=10.0.0.2"]) == "198.51.100.1")
        #expect(rfc.client(peer: "10.0.0.2", headerValues: [#"for="[2001:db8::1]:4711", For=10.0.0.5"#]) == "2001:db8::1")
        #expect(rfc.client(peer: "10.0.0.2", headerValues: [#"for=203.0.113.9, for="198.51.100.1:80";proto=http"#]) == "198.51.100.1")
        #expect(rfc.client(peer: "10.0.0.2", headerValues: [#"for="a,b", for=198.51.100.1"#]) == "198.51.100.1")
        #expect(rfc.client(peer: "10.0.0.2", headerValues: ["for=_hidden, for=10.0.0.5"]) == "10.0.0.5")
        #expect(rfc.client(peer: "10.0.0.2", headerValues: ["proto=https"]) == "10.0.0.2")
        // The X-Forwarded-For proxy's server reads no Forwarded field, and the reverse.
        #expect(proxies.client(peer: "10.0.0.2", headerValues: []) == "10.0.0.2")
    }
}
