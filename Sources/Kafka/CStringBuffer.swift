/// The text in a NUL-terminated C buffer that librdkafka filled (`errstr`), without
/// force-unwrapping the buffer's address; stops at the first NUL or the buffer's end.
func string(fromCBuffer buffer: [CChar]) -> String {
    let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
    return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
