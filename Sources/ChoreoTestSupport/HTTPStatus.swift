import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `GET http://127.0.0.1:<port><path>` → its status code, or `nil` when nothing answers
/// (for probing a process's operations endpoint: `/health/live`, `/health/ready`).
public func httpStatus(port: Int, _ path: String) async -> Int? {
    guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { return nil }
    var request = URLRequest(url: url)
    request.timeoutInterval = 10
    guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
    return (response as? HTTPURLResponse)?.statusCode
}
