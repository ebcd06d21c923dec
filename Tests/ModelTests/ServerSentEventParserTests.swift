import Foundation
import Testing
@testable import Model

@Suite struct ServerSentEventParserTests {
    @Test func eventsSplitAcrossChunksComeOutWhole() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.feed(Data("data: {\"a\"".utf8)) == [])
        #expect(try parser.feed(Data(":1}\n".utf8)) == [])
        #expect(try parser.feed(Data("\ndata: [DONE]\n\n".utf8)) == ["{\"a\":1}", "[DONE]"])
    }

    @Test func crlfCommentsAndOtherFieldsAreHandled() throws {
        var parser = ServerSentEventParser()
        let events = try parser.feed(Data(": keep-alive\r\nevent: message\r\nid: 7\r\ndata:one\r\ndata: two\r\n\r\n".utf8))
        #expect(events == ["one\ntwo"])
    }

    @Test func anEventPastTheLimitIsAnError() throws {
        var parser = ServerSentEventParser(maxEventBytes: 32)
        #expect(throws: ServerSentEventParser.EventTooLarge.self) {
            _ = try parser.feed(Data(("data: " + String(repeating: "x", count: 40)).utf8))
        }
    }

    @Test func chunksAreReadAsTheOpenAIStreamShapesThem() {
        #expect(ChatCompletionChunk.parse(#"{"choices":[{"delta":{"content":"Hi"},"finish_reason":null}]}"#)
                == .content("Hi", finished: false))
        #expect(ChatCompletionChunk.parse(#"{"choices":[{"delta":{},"finish_reason":"stop"}]}"#) == .content(nil, finished: true))
        #expect(ChatCompletionChunk.parse("[DONE]") == .done)
        #expect(ChatCompletionChunk.parse(#"{"error":{"message":"overloaded"}}"#) == .error("overloaded"))
        #expect(ChatCompletionChunk.parse("not json") == nil)
    }

    @Test func theRequestBodyStreamsAndCarriesTheSchema() throws {
        let request = ChatRequest(messages: [ChatMessage(.system, "s"), ChatMessage(.user, "u")], maxTokens: 12,
                                  jsonSchema: JSONSchemaFormat(name: "grade", schema: .object(["type": .string("object")])))
        let body = try #require(JSONSerialization.jsonObject(with: request.body(model: "m")) as? [String: Any])
        #expect(body["stream"] as? Bool == true)
        #expect(body["model"] as? String == "m")
        #expect(body["max_tokens"] as? Int == 12)
        #expect((body["messages"] as? [[String: String]])?.map { $0["role"] ?? "" } == ["system", "user"])
        let format = try #require(body["response_format"] as? [String: Any])
        #expect(format["type"] as? String == "json_schema")
        #expect(((format["json_schema"] as? [String: Any])?["schema"] as? [String: String]) == ["type": "object"])
    }
}

