import Storage

/// Placeholder: the Rights module is being written.
enum RightsPlaceholder {}
