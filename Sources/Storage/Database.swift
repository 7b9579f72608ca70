import GRDB

/// Placeholder: the Storage module's database service is being written.
enum StoragePlaceholder {}
