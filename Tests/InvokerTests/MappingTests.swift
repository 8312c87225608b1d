import FunctionRuntime
import HTTPServer
import InvokerKit
import Testing

/// The pure parts: the CGI environment, reading a CGI response, exit status → HTTP.
@Suite struct MappingTests {
    @Test func headersBecomeVariablesMergedInOrderWithoutProxy() {
        let vars = CGIEnvironment.headerVariables([
            ("Host", "example.test"), ("X-Multi", "a"), ("Proxy", "http://evil:3128"), ("x-multi", "b"),
            ("X_Multi", "spoof"), ("Content-Type", "application/json"), ("Content-Length", "2"),
            ("Accept-Encoding", "gzip"),
        ])
        #expect(vars.map(\.0) == ["HTTP_HOST", "HTTP_X_MULTI", "HTTP_ACCEPT_ENCODING"])
        #expect(vars.first { $0.0 == "HTTP_X_MULTI" }?.1 == "a, b")
        #expect(!vars.contains { $0.0 == "HTTP_PROXY" })
    }

    @Test func metaVariablesFollowRFC3875() {
        let request = ServerRequest(
            method: "POST", target: "/sms/inbound?x=1&y=2", version: "HTTP/1.1",
            headerList: [("Host", "hooks.example.test:8443"), ("Content-Type", "application/x-www-form-urlencoded")],
            body: Array("a=b".utf8), remoteAddress: "10.1.2.3", remotePort: 40001)
        let route = Route(method: "POST", path: "/sms/inbound", stages: ["sms-inbound"], isPipeline: false)
        let env = CGIEnvironment.metaVariables(
            for: request, route: route, executable: "/opt/fn/sms-inbound",
            server: .init(host: "127.0.0.1", port: 8080))
        #expect(env["GATEWAY_INTERFACE"] == "CGI/1.1")
        #expect(env["REQUEST_METHOD"] == "POST")
        #expect(env["REQUEST_URI"] == "/sms/inbound?x=1&y=2")
        #expect(env["SCRIPT_NAME"] == "/sms/inbound")
        #expect(env["PATH_INFO"] == "")
        #expect(env["SCRIPT_FILENAME"] == "/opt/fn/sms-inbound")
        #expect(env["QUERY_STRING"] == "x=1&y=2")
        #expect(env["CONTENT_LENGTH"] == "3")
        #expect(env["CONTENT_TYPE"] == "application/x-www-form-urlencoded")
        #expect(env["HTTP_CONTENT_TYPE"] == nil)
        #expect(env["SERVER_NAME"] == "hooks.example.test")
        #expect(env["SERVER_PORT"] == "8080")
        #expect(env["SERVER_PROTOCOL"] == "HTTP/1.1")
        #expect(env["SERVER_SOFTWARE"] == CGIEnvironment.serverSoftware)
        #expect(env["REMOTE_ADDR"] == "10.1.2.3")
        #expect(env["REMOTE_PORT"] == "40001")
        #expect(env["HTTP_HOST"] == "hooks.example.test:8443")
        // Every name the invoker sets is reserved against configuration.
        for name in env.keys where !name.hasPrefix("HTTP_") {
            #expect(CGIEnvironment.metaVariables.contains(name), "\(name)")
        }
    }

    @Test func onlyAllowlistedVariablesPass() {
        let base = CGIEnvironment.base([
            "PATH": "/bin", "LANG": "C.UTF-8", "TZ": "UTC", "HOME": "/root",
            "ZENDESK_URL": "u", "ZENDESK_API_TOKEN_FILE": "/run/secrets/z", "KLAVIYO_API_KEY": "k",
            "TWILIO_AUTH_TOKEN": "t",
            "SURVEY_TAG": "s", "SMS_PROVIDER": "twilio", "PUBLIC_URL": "https://x", "PUBLIC_URL_FILE": "/p",
            "ALLOW_UNSIGNED": "1", "FUNCTION_BUDGET_MS": "8000",
            "HTTP_PROXY": "http://evil", "LD_PRELOAD": "/x.so", "AWS_SECRET_ACCESS_KEY": "no",
            "ZENDESK_": "bare prefix",
            "PUBLIC_URLX": "no", "SHELL": "/bin/sh",
        ])
        #expect(
            Set(base.keys) == [
                "PATH", "LANG", "TZ", "HOME", "ZENDESK_URL", "ZENDESK_API_TOKEN_FILE", "KLAVIYO_API_KEY",
                "TWILIO_AUTH_TOKEN", "SURVEY_TAG", "SMS_PROVIDER", "PUBLIC_URL", "PUBLIC_URL_FILE",
                "ALLOW_UNSIGNED", "FUNCTION_BUDGET_MS",
            ])
    }

    @Test func cgiResponsesAreRead() throws {
        let r = try #require(
            CGIResponse.parse(
                Array(
                    "Status: 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 7\r\nConnection: keep-alive\r\n\r\n{\"a\":1}\n"
                        .utf8)))
        #expect(r.status == 503)
        #expect(r.header("retry-after") == "7")
        #expect(r.header("connection") == nil)  // the server owns connection management
        #expect(r.body == Array("{\"a\":1}\n".utf8))

        let lf = try #require(CGIResponse.parse(Array("Content-Type: text/plain\n\nhello".utf8)))
        #expect(lf.status == 200 && lf.body == Array("hello".utf8))
        let redirect = try #require(CGIResponse.parse(Array("Location: /elsewhere\r\n\r\n".utf8)))
        #expect(redirect.status == 302)
        let empty = try #require(CGIResponse.parse(Array("Status: 200 OK\r\n\r\n".utf8)))
        #expect(empty.status == 200 && empty.body.isEmpty)

        #expect(CGIResponse.parse(Array("{\"not\":\"cgi\"}\n".utf8)) == nil)
        #expect(CGIResponse.parse(Array("Status: 200 OK\r\nno colon here\r\n\r\n".utf8)) == nil)
        #expect(CGIResponse.parse(Array("Status: abc\r\n\r\n".utf8)) == nil)
        #expect(CGIResponse.parse(Array("Status: 200 OK\r\n".utf8)) == nil)  // no end of the header block
    }

    @Test(arguments: [
        (Int32(0), 200), (64, 500), (65, 400), (70, 500), (75, 503), (77, 401), (78, 500), (1, 500), (2, 500),
    ])
    func bareExitStatusesMapToHTTP(exit: Int32, http: Int) {
        let r = Outcome.fromExitStatus(exit, body: [], function: "f")
        #expect(r.status == http)
        #expect(r.status == ExitStatus.httpStatus(for: exit))
        #expect(r.header("X-Function-Exit") == String(exit))
        #expect((r.header("Retry-After") != nil) == (exit == 75))
        let body = (try? JSON.parse(r.body)) ?? .null
        #expect(body["function"] == "f")
        #expect(body["outcome"] == (exit == 0 ? "done" : "error"))
        if exit != 0 {
            #expect(body["error"]["code"].string == (RuntimeError.Code(exitStatus: exit)?.rawValue ?? "internal"))
        }
    }

    @Test func retryAfterComesFromTheFunctionWhenItSaysSo() {
        let r = Outcome.fromExitStatus(75, body: Array(#"{"outcome":"error","retry_after":12}"#.utf8), function: "f")
        #expect(r.status == 503 && r.header("Retry-After") == "12")
        #expect(
            Outcome.fromExitStatus(75, body: [], function: "f").header("Retry-After")
                == String(Outcome.defaultRetryAfter))
    }

    @Test func accessLogMasksQueryValuesAndSecrets() throws {
        let log = AccessLog(redactor: Redactor(secrets: ["s3cr3t-token"]), write: { _ in })
        let line = log.line(
            method: "POST", target: "/sms/inbound?From=%2B15551234567&email=jane%40example.com&k=s3cr3t-token",
            status: 200, milliseconds: 3.14159, function: "sms-inbound", exit: 0)
        #expect(!line.contains("5551234567") && !line.contains("jane") && !line.contains("s3cr3t-token"), "\(line)")
        let json = try JSON.parse(line)
        #expect(
            json["method"] == "POST" && json["status"] == 200 && json["function"] == "sms-inbound" && json["exit"] == 0)
        #expect(json["ms"].double == 3.14)
        #expect(json["path"].string?.hasPrefix("/sms/inbound?From=") == true)
    }
}
