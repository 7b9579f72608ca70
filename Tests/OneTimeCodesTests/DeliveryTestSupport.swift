import OneTimeCodes
import Testing

/// Runs `body`, expects a ``OneTimeCodesError`` and returns it.
@discardableResult
func expectOTPError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> OneTimeCodesError? {
    do {
        try await body()
        Issue.record("expected a OneTimeCodesError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as OneTimeCodesError {
        return error
    } catch {
        Issue.record("expected a OneTimeCodesError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Synchronous variant of ``expectOTPError(_:sourceLocation:)``.
@discardableResult
func expectOTPErrorSync(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> OneTimeCodesError? {
    do {
        try body()
        Issue.record("expected a OneTimeCodesError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as OneTimeCodesError {
        return error
    } catch {
        Issue.record("expected a OneTimeCodesError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
