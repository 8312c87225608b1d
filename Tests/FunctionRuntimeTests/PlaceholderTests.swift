import Testing
import FunctionRuntime

@Test func formDecodingPlusIsSpace() {
    #expect(FormDecoding.decode(Array("a+b%2Bc".utf8)) == "a b+c")
}
