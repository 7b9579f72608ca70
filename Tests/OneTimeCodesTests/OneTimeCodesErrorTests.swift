import OneTimeCodes
import Testing

@Suite("OneTimeCodesError")
struct OneTimeCodesErrorTests {
    @Test("codes are stable strings for APIs; equality is by code")
    func codes() {
        let error = OneTimeCodesError(.rejected, "wrong code for credential 7")
        #expect(error.code.description == "otp.rejected")
        #expect(error.description == "OneTimeCodesError.otp.rejected: wrong code for credential 7")
        #expect(error == OneTimeCodesError(.rejected, "replayed"))
        #expect(error != OneTimeCodesError(.quotaExceeded, "wrong code for credential 7"))
    }
}
