import Testing
import Transport

/// Runs `body`, expects a ``TransportError`` and returns it.
@discardableResult
func expectTransportError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> TransportError? {
    do {
        try body()
        Issue.record("expected a TransportError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as TransportError {
        return error
    } catch {
        Issue.record("expected a TransportError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
