// libFuzzer target: the JSON codec and form decoding (bench/fuzz.sh builds it with the runtime's
// sources). A document that parses must survive being written and read back unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let document = try? JSON.parse(bytes) {
        precondition((try? JSON.parse(document.serializedBytes())) == document, "a parsed document did not survive a round trip")
    }
    let pairs = FormDecoding.pairs(bytes)
    precondition(FormDecoding.pairs(Array(FormDecoding.body(pairs).utf8)).map { $0.0 + "=" + $0.1 } == pairs.map { $0.0 + "=" + $0.1 },
                 "form pairs did not survive a round trip")
    return 0
}
