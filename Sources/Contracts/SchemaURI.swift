/// Just enough RFC 3986 reference resolution for `$id` and `$ref`.
enum SchemaURI {
    /// The default base of a document without `$id`.
    static let defaultBase = "https://choreo.invalid/schema.json"

    /// Splits `uri` into the part before `#` and the fragment (nil when there is none).
    static func split(_ uri: String) -> (base: String, fragment: String?) {
        guard let hash = uri.firstIndex(of: "#") else { return (uri, nil) }
        return (String(uri[..<hash]), String(uri[uri.index(after: hash)...]))
    }

    /// Resolves `reference` against `base` (a URI without fragment).
    static func resolve(_ reference: String, against base: String) -> String {
        if reference.isEmpty { return base }
        if reference.hasPrefix("#") { return base + reference }
        if hasScheme(reference) { return normalize(reference) }
        let (schemeAndAuthority, path) = splitAuthority(base)
        if reference.hasPrefix("//") {
            let scheme = base.prefix { $0 != ":" }
            return normalize(scheme + ":" + reference)
        }
        if reference.hasPrefix("/") { return normalize(schemeAndAuthority + reference) }
        // A URN or other opaque base: relative references replace nothing sensible;
        // treat them as fragments of nothing and keep them as given.
        if schemeAndAuthority.isEmpty && !base.contains("/") { return reference }
        let directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "/"
        return normalize(schemeAndAuthority + directory + reference)
    }

    static func hasScheme(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return false }
        let scheme = text[..<colon]
        guard let first = scheme.first, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
    }

    /// `scheme://authority` and the path (with query) of a hierarchical URI.
    private static func splitAuthority(_ uri: String) -> (String, String) {
        guard let range = uri.range(of: "://") else { return ("", uri) }
        let afterScheme = uri[range.upperBound...]
        let slash = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        return (String(uri[..<slash]), String(uri[slash...]))
    }

    /// Removes `.` and `..` segments from the path; drops an empty fragment.
    static func normalize(_ uri: String) -> String {
        var (base, fragment) = split(uri)
        if let range = base.range(of: "://") {
            let afterScheme = base[range.upperBound...]
            let slash = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
            let head = String(base[..<slash])
            var segments: [Substring] = []
            for segment in base[slash...].split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
                if segment == "." { continue }
                if segment == ".." {
                    if !segments.isEmpty { segments.removeLast() }
                    continue
                }
                segments.append(segment)
            }
            base = head + (segments.isEmpty ? "" : "/" + segments.joined(separator: "/"))
        }
        if fragment == "" { fragment = nil }
        return fragment.map { base + "#" + $0 } ?? base
    }
}
