/// A generated part of a hand-written document, between two marker lines:
///
/// ```
/// <!-- generated: choreo docs flow -->
/// …text the generator owns…
/// <!-- end generated -->
/// ```
///
/// The markers stay in the document; only the text between them is replaced.
public struct GeneratedSection: Sendable {
    public var begin: String
    public var end: String

    public init(begin: String, end: String = "<!-- end generated -->") {
        self.begin = begin
        self.end = end
    }

    /// The section of `choreo docs flow` in `docs/architecture.md`.
    public static let flow = GeneratedSection(begin: "<!-- generated: choreo docs flow -->")

    /// The text between the markers (each marker alone on its line), or nil if either is missing.
    public func extract(from document: String) -> String? {
        guard let range = contentRange(in: document) else { return nil }
        return String(document[range])
    }

    /// `document` with the text between the markers replaced by `content`.
    /// - Throws: `TopicError` when the markers are missing or out of order.
    public func replace(in document: String, with content: String) throws -> String {
        guard let range = contentRange(in: document) else {
            throw TopicError(
                file: "document", message: "needs the lines \(begin) and \(end), in that order, around the section")
        }
        let text = content.hasSuffix("\n") || content.isEmpty ? content : content + "\n"
        return document.replacingCharacters(in: range, with: text)
    }

    /// From the line after `begin` to the start of the `end` line.
    private func contentRange(in document: String) -> Range<String.Index>? {
        guard let opening = document.range(of: begin + "\n") else { return nil }
        let rest = opening.upperBound..<document.endIndex
        if document[rest].hasPrefix(end) { return opening.upperBound..<opening.upperBound }
        guard let closing = document.range(of: "\n" + end, range: rest) else { return nil }
        return opening.upperBound..<document.index(after: closing.lowerBound)
    }
}
