// libFuzzer target: sms-inbound's event reader (normalized JSON, Twilio form fields, Klaviyo
// batches). Any input either reads or throws SMSError; it never crashes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInbound(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let settings = SMSSettings()
    var inputs: [JSON] = []
    if let json = try? JSON.parse(bytes) { inputs.append(json) }
    var form: [String: JSON] = [:]
    for (k, v) in FormDecoding.pairs(bytes) { form[k] = .string(v) }
    inputs.append(.object(form))
    for input in inputs {
        if let (items, _) = try? InboundInput.items(from: input, settings: settings) {
            for case .message(let m) in items { _ = settings.keywords.match(m.body, from: m.from) }
        }
    }
    return 0
}
