import Contracts
import DeadLetters
import Testing

@Suite("show --redact: fields the contract marks x-sensitive")
struct SensitiveFieldsTests {
    @Test("marked properties are masked at any depth; others stay")
    func redact() throws {
        let schema = try JSONValue(
            parsing: """
                {"type":"object","properties":{
                  "email":{"type":"string","x-sensitive":true},
                  "name":{"type":"string"},
                  "cards":{"type":"array","items":{"type":"object","properties":{"number":{"x-sensitive":true},"brand":{}}}}}}
                """)
        let data = try JSONValue(
            parsing: #"{"email":"a@b.c","name":"Ann","cards":[{"number":"4111","brand":"visa"}]}"#)
        let redacted = SensitiveFields.redact(data, schema: schema)
        #expect(redacted["email"] == SensitiveFields.mask)
        #expect(redacted["name"]?.stringValue == "Ann")
        #expect(redacted["cards"]?.arrayValue?.first?["number"] == SensitiveFields.mask)
        #expect(redacted["cards"]?.arrayValue?.first?["brand"]?.stringValue == "visa")
    }
}
