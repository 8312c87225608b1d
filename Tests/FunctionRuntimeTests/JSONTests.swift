import Testing
import FunctionRuntime

@Suite struct JSONTests {
    @Test func parsesAndWritesEveryKindOfValue() throws {
        let text =
            #"{"a":[1,-2.5,"x\u00e9\n\"q\"",null,true,false,{"b":1e2}],"big":9007199254740993,"emoji":"\ud83d\ude00"}"#
        let v = try JSON.parse(text)
        #expect(v["a"][0] == JSON.int(1))
        #expect(v["a"][1] == .double(-2.5))
        #expect(v["a"][2].string == "xé\n\"q\"")
        #expect(v["a"][3].isNull)
        #expect(v["a"][6]["b"].double == 100)
        #expect(v["big"].int == 9_007_199_254_740_993)  // beyond Double's exact range: kept exact
        #expect(v["emoji"].string == "😀")
        // Round trip through the writer gives the same value; keys come out sorted.
        #expect(try JSON.parse(v.serialized()) == v)
        let unordered: JSON = ["b": 1, "a": "/"]
        #expect(unordered.serialized() == #"{"a":"/","b":1}"#)
    }

    @Test func escapesControlCharacters() {
        #expect(JSON.string("a\u{01}b\tc").serialized() == #""a\u0001b\tc""#)
    }

    @Test(arguments: [
        "", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "tru", "01", "1.", "\"\u{01}\"", "{} x", "[\"\\x\"]", "2e555",
        "[-1e400]",
    ])
    func rejectsInvalidDocuments(_ text: String) {
        #expect(throws: RuntimeError.self) { try JSON.parse(text) }
        do { _ = try JSON.parse(text) } catch let e as RuntimeError { #expect(e.code == .invalidEvent) } catch {}
    }

    @Test func readsIdsGivenAsStringsOrNumbers() throws {
        let v = try JSON.parse(#"{"id":"123","n":123,"f":1.5,"flag":"true","path":{"to":[{"x":7}]}}"#)
        #expect(v["id"].int == 123)
        #expect(v["n"].string == "123")
        #expect(v["f"].int == nil)
        #expect(v["flag"].bool == true)
        #expect(v.at("path.to.0.x").int == 7)
    }
}

@Suite struct FormDecodingTests {
    @Test func decodesTwilioStyleBodies() {
        let pairs = FormDecoding.pairs(
            Array("From=%2B15551230000&Body=Hello+there%21+%F0%9F%98%80&NumMedia=0&Empty=&Flag".utf8))
        #expect(pairs.count == 5)
        #expect(pairs[0] == ("From", "+15551230000"))
        #expect(pairs[1].1 == "Hello there! 😀")
        #expect(pairs[3] == ("Empty", ""))
        #expect(pairs[4] == ("Flag", ""))
    }

    @Test func keepsMalformedEscapesLiterally() {
        #expect(FormDecoding.decode(Array("100%25+%zz%4".utf8)) == "100% %zz%4")
    }

    @Test func encodeThenDecodeIsIdentity() {
        let s = "+1 555 & = ? é 😀"
        #expect(FormDecoding.decode(Array(FormDecoding.encode(s).utf8)) == s)
        #expect(FormDecoding.encode("+1") == "%2B1")
    }
}
