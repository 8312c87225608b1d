import FoundationEssentials
import FunctionRuntime
import InvokerKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The `invoker` process itself: readiness line, SIGTERM/SIGINT drain, exit status.
@Suite struct DrainTests {
    static let config = """
        {"server": {"drain_ms": 8000},
         "defaults": {"env": {"ALLOW_UNSIGNED": "1"}},
         "routes": [{"method": "POST", "path": "/echo", "function": "test-echo"}]}
        """

    @Test(arguments: [SIGTERM, SIGINT])
    func signalDrainsInFlightRequestsThenExitsZero(signal: Int32) throws {
        let dir = TempDir(); defer { dir.remove() }
        let (invoker, port) = try startInvokerProcess(config: Self.config, in: dir)
        #expect(try send("GET", "/healthz", port: port).status == 200)

        let inFlight = try TestConnection(port: port)
        inFlight.request(
            "POST", "/echo", headers: [("Content-Type", "application/json")],
            body: Array(#"{"sleep_ms":1500,"n":1}"#.utf8))
        Clock.sleep(0.4)
        kill(invoker.pid, signal)
        #expect(invoker.waitForStderr("draining 1 request(s)"), "\(invoker.stderr)")

        // No new connections once draining.
        var refused = false
        do { _ = try TestConnection(port: port) } catch TestClientError.connect(let e) { refused = e == ECONNREFUSED }
        #expect(refused)

        // The request in flight still completes.
        let r = try inFlight.readResponse()
        #expect(r.status == 200)
        #expect(r.json["event"]["n"] == 1)
        #expect(r.header("Connection") == "close")
        #expect(invoker.waitForExit() == 0)
        #expect(invoker.stderr.contains("invoker: stopped"))
        // One access-log line for each of the two requests.
        let logLines = invoker.stderr.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }.filter {
            !$0["status"].isNull
        }
        #expect(logLines.map { $0["status"] } == [200, 200])
    }
}
