import CryptoCore
import Foundation

// MARK: - Internal helpers

/// Fields of a parsed TLV file, consumed tag by tag (shared by Identity and Address).
struct FieldSet {
    private var fields: [UInt8: EIDTLV.Element]
    private let file: String
    private(set) var emptyTags: Set<UInt8> = []

    init(_ elements: [EIDTLV.Element], file: String) {
        var map: [UInt8: EIDTLV.Element] = [:]
        for element in elements { map[element.tag] = element }
        fields = map
        self.file = file
    }

    mutating func take(_ tag: UInt8) -> EIDTLV.Element? { fields.removeValue(forKey: tag) }

    mutating func required(_ tag: UInt8) throws(EIDError) -> EIDTLV.Element {
        guard let element = take(tag) else {
            throw .invalidCardData("\(file) file lacks mandatory tag 0x\(Hex.byte(tag))")
        }
        return element
    }

    static func text(_ element: EIDTLV.Element) throws(EIDError) -> String {
        guard let text = String(validating: element.value, as: UTF8.self) else {
            throw .invalidValue("tag 0x\(Hex.byte(element.tag)) at offset \(element.offset) is not valid UTF-8")
        }
        return text
    }

    mutating func requiredText(_ tag: UInt8) throws(EIDError) -> String {
        try FieldSet.text(try required(tag))
    }

    mutating func requiredDate(_ tag: UInt8) throws(EIDError) -> EIDDate {
        let element = try required(tag)
        do throws(EIDError) {
            return try EIDDate(cardBytes: element.value)
        } catch {
            throw .invalidDate("tag 0x\(Hex.byte(tag)) at offset \(element.offset): \(error.reason)")
        }
    }

    /// Optional field: nil when absent; nil and recorded in `emptyTags` when empty.
    mutating func optionalBytes(_ tag: UInt8) -> [UInt8]? {
        guard let element = take(tag) else { return nil }
        if element.value.isEmpty {
            emptyTags.insert(tag)
            return nil
        }
        return element.value
    }

    mutating func optionalText(_ tag: UInt8) throws(EIDError) -> String? {
        guard let element = take(tag) else { return nil }
        if element.value.isEmpty {
            emptyTags.insert(tag)
            return nil
        }
        return try FieldSet.text(element)
    }

    mutating func optionalDate(_ tag: UInt8) throws(EIDError) -> EIDDate? {
        guard let element = take(tag) else { return nil }
        if element.value.isEmpty {
            emptyTags.insert(tag)
            return nil
        }
        do throws(EIDError) {
            return try EIDDate(cardBytes: element.value)
        } catch {
            throw .invalidDate("tag 0x\(Hex.byte(tag)) at offset \(element.offset): \(error.reason)")
        }
    }

    /// Everything not consumed yet.
    func remaining() -> [UInt8: [UInt8]] { fields.mapValues(\.value) }
}
