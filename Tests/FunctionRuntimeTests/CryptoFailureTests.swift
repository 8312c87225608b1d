import Testing
import FunctionRuntime

/// Without a usable libcrypto an operation fails like any other internal error: the event gets
/// its error object and exit 70, and a stream goes on with the next event (the process is never
/// ended from inside the library bridge).
@Suite struct CryptoFailureTests {
    static let missing = ["BUNDLE_LIBCRYPTO": "/nonexistent/libcrypto.so.3"]

    @Test func aFailedLibcryptoIsAnErrorObjectWithExit70() throws {
        let r = try ProcessRunner.run("test-echo", environment: Self.missing, stdin: #"{"hmac":"text"}"#)
        #expect(r.status == 70)
        let out = try JSON.parse(r.stdout)
        #expect(out["error"]["code"] == "internal")
        #expect(out["error"]["message"].string?.contains("libcrypto") == true, "\(r.stdout)")
    }

    @Test func aStreamGoesOnAfterALibcryptoFailure() throws {
        let r = try ProcessRunner.run(
            "test-echo", arguments: ["--stream"], environment: Self.missing,
            stdin: "{\"hmac\":\"a\"}\n{\"hello\":\"b\"}\n")
        let lines = r.stdout.split(separator: "\n").map { try? JSON.parse(String($0)) }
        #expect(lines.count == 2, "\(r.stdout)")
        #expect(lines.first??["error"]["code"] == "internal")
        #expect(lines.last??["outcome"] == "echoed")
    }

    @Test func theNamedLibraryIsUsedWhenItExists() throws {
        let r = try ProcessRunner.run(
            "test-echo", environment: ["BUNDLE_LIBCRYPTO": "libcrypto.so.3"], stdin: #"{"hmac":"text"}"#)
        #expect(r.status == 0)
        #expect(try JSON.parse(r.stdout)["outcome"] == "hmac")
    }
}
