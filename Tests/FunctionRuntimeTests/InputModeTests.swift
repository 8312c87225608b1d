import Testing
import Foundation
import FunctionRuntime
import HTTPServer

/// The four input modes, driven through the test-only `test-echo` executable.
@Suite struct InputModeTests {
    @Test func pipelineReadsOneDocument() throws {
        let r = try ProcessRunner.run("test-echo", stdin: #"{"hello":"world"}"#)
        #expect(r.status == 0)
        let out = try JSON.parse(r.stdout)
        #expect(out["function"] == "test-echo")
        #expect(out["outcome"] == "echoed")
        #expect(out["mode"] == "pipeline")
        #expect(out["event"]["hello"] == "world")
        // One structured log line on stderr.
        let log = try JSON.parse(r.stderr.trimmed())
        #expect(log["function"] == "test-echo")
        #expect(log["outcome"] == "echoed")
        #expect(log["duration_ms"].double != nil)
    }

    @Test func emptyInputIsNoEvent() throws {
        let r = try ProcessRunner.run("test-echo", stdin: " \n")
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty)
    }

    @Test func invalidJSONExits65WithAnErrorObject() throws {
        let r = try ProcessRunner.run("test-echo", stdin: "{nope")
        #expect(r.status == 65)
        let out = try JSON.parse(r.stdout)
        #expect(out["error"]["code"] == "invalid_event")
        #expect(out["error"]["message"].string?.isEmpty == false)
    }

    @Test func streamAnswersEachLineInOrderAndSurvivesABadLine() throws {
        let input = "{\"n\":1}\nnot json\n{\"n\":3}\n{\"filter\":true}\n{\"pass\":true,\"n\":5}\n"
        let r = try ProcessRunner.run("test-echo", arguments: ["--stream"], stdin: input)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)  // the filtered event produces no line
        #expect(try JSON.parse(lines[0])["event"]["n"] == 1)
        #expect(try JSON.parse(lines[1])["error"]["code"] == "invalid_event")
        #expect(try JSON.parse(lines[2])["event"]["n"] == 3)
        #expect(lines[3] == #"{"pass":true,"n":5}"#)  // passthrough: the input line byte for byte
        #expect(r.status == 65)  // the first failure's status
    }

    @Test func pipelineFormBodyIsDecoded() throws {
        let r = try ProcessRunner.run("test-echo", stdin: "From=%2B15551230000&Body=Hi+there")
        let out = try JSON.parse(r.stdout)
        #expect(out["event"]["From"] == "+15551230000")
        #expect(out["event"]["Body"] == "Hi there")
    }

    @Test func cgiWithValidZendeskSignature() throws {
        let body = #"{"ticket":1}"#
        let ts = Clock.iso8601(Date())
        let sig = try WebhookSignature.zendesk(secret: "s3cret-value", timestamp: ts, body: Array(body.utf8))
        let r = try ProcessRunner.run(
            "test-echo",
            environment: [
                "REQUEST_METHOD": "POST", "CONTENT_LENGTH": String(body.utf8.count), "CONTENT_TYPE": "application/json",
                "SCRIPT_NAME": "/zendesk/tickets", "QUERY_STRING": "a=1",
                "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE": sig, "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE_TIMESTAMP": ts,
                "ZENDESK_WEBHOOK_SECRET": "s3cret-value",
            ], stdin: body + "TRAILING BYTES BEYOND CONTENT_LENGTH")
        #expect(r.status == 0)  // CGI: the status travels in the header block
        let (status, headers, out) = try Self.splitCGI(r.stdout)
        #expect(status == 200)
        #expect(headers["content-type"] == "application/json")
        #expect(out["mode"] == "cgi")
        #expect(out["event"]["ticket"] == 1)
        #expect(out["path"] == "/zendesk/tickets")
        #expect(out["query"] == "a=1")
    }

    @Test func cgiAcceptsAnyOfSeveralSecrets() throws {
        let body = #"{"ticket":2}"#
        let ts = Clock.iso8601(Date())
        func status(secrets: String, signedWith: String) throws -> Int {
            let sig = try WebhookSignature.zendesk(secret: signedWith, timestamp: ts, body: Array(body.utf8))
            let r = try ProcessRunner.run(
                "test-echo",
                environment: [
                    "REQUEST_METHOD": "POST", "CONTENT_LENGTH": String(body.utf8.count),
                    "CONTENT_TYPE": "application/json",
                    "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE": sig, "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE_TIMESTAMP": ts,
                    "ZENDESK_WEBHOOK_SECRET": secrets,
                ], stdin: body)
            return try Self.splitCGI(r.stdout).0
        }
        #expect(try status(secrets: "first-secret, second-secret", signedWith: "second-secret") == 200)
        #expect(try status(secrets: "first-secret,second-secret", signedWith: "first-secret") == 200)
        #expect(try status(secrets: "first-secret,second-secret", signedWith: "third-secret") == 401)
    }

    @Test func cgiRejectsTamperedBodyWith401AndNoWork() throws {
        let body = #"{"fetch":"http://127.0.0.1:1/never"}"#
        let ts = Clock.iso8601(Date())
        let sig = try WebhookSignature.zendesk(secret: "s3cret-value", timestamp: ts, body: Array(#"{"other":1}"#.utf8))
        let r = try ProcessRunner.run(
            "test-echo",
            environment: [
                "REQUEST_METHOD": "POST", "CONTENT_LENGTH": String(body.utf8.count), "CONTENT_TYPE": "application/json",
                "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE": sig, "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE_TIMESTAMP": ts,
                "ZENDESK_WEBHOOK_SECRET": "s3cret-value",
            ], stdin: body)
        let (status, _, out) = try Self.splitCGI(r.stdout)
        #expect(status == 401)
        #expect(out["error"]["code"] == "bad_signature")
        #expect(!r.stderr.contains("\"service\":\"test\""))  // no outbound call was attempted
    }

    @Test func cgiWithoutSecretNeedsAllowUnsigned() throws {
        let body = #"{"x":1}"#
        let base = [
            "REQUEST_METHOD": "POST", "CONTENT_LENGTH": String(body.utf8.count), "CONTENT_TYPE": "application/json",
        ]
        let refused = try ProcessRunner.run("test-echo", environment: base, stdin: body)
        let (status, _, out) = try Self.splitCGI(refused.stdout)
        #expect(status == 500)
        #expect(out["error"]["code"] == "config_missing")
        #expect(out["error"]["message"].string?.contains("ZENDESK_WEBHOOK_SECRET") == true)

        var allowed = base
        allowed["ALLOW_UNSIGNED"] = "1"
        let ok = try ProcessRunner.run("test-echo", environment: allowed, stdin: body)
        #expect(try Self.splitCGI(ok.stdout).0 == 200)
        #expect(ok.stderr.contains("running unsigned"))
    }

    @Test func cgiTwilioFormSignedOverPublicURL() throws {
        let body = "Body=Hello&From=%2B15551230000&To=%2B15559870000"
        let params = FormDecoding.pairs(Array(body.utf8))
        let sig = try WebhookSignature.twilio(
            authToken: "tw-token", url: "https://bundle.example.com/sms/inbound", params: params)
        let env = [
            "REQUEST_METHOD": "POST", "CONTENT_LENGTH": String(body.utf8.count),
            "CONTENT_TYPE": "application/x-www-form-urlencoded", "REQUEST_URI": "/sms/inbound",
            "HTTP_X_TWILIO_SIGNATURE": sig, "TWILIO_AUTH_TOKEN": "tw-token",
            "PUBLIC_URL": "https://bundle.example.com/",
        ]
        let r = try ProcessRunner.run("test-echo", environment: env, stdin: body)
        let (status, _, out) = try Self.splitCGI(r.stdout)
        #expect(status == 200)
        #expect(out["event"]["From"] == "+15551230000")
        var wrongURL = env
        wrongURL["PUBLIC_URL"] = "https://attacker.example.com"
        #expect(
            try Self.splitCGI(try ProcessRunner.run("test-echo", environment: wrongURL, stdin: body).stdout).0 == 401)
    }

    @Test(arguments: [
        ("invalid_event", 400), ("upstream_unavailable", 503), ("config_missing", 500), ("internal", 500),
        ("bad_signature", 401),
    ])
    func cgiMapsErrorsToHTTPStatus(_ code: String, _ http: Int) throws {
        let body = #"{"fail":"\#(code)"}"#
        let r = try ProcessRunner.run(
            "test-echo",
            environment: [
                "REQUEST_METHOD": "POST", "CONTENT_LENGTH": String(body.utf8.count),
                "CONTENT_TYPE": "application/json", "ALLOW_UNSIGNED": "1",
            ], stdin: body)
        let (status, headers, out) = try Self.splitCGI(r.stdout)
        #expect(status == http)
        #expect(out["error"]["code"].string == code)
        #expect((headers["retry-after"] != nil) == (http == 503))
    }

    @Test func watchdogModeReadsHttpHeadersAndExitsWithStatus() throws {
        let body = #"{"fail":"invalid_event"}"#
        let r = try ProcessRunner.run(
            "test-echo",
            environment: [
                "Http_Method": "POST", "Http_Path": "/fn", "Http_Content_Type": "application/json",
                "Http_X_Custom": "v", "ALLOW_UNSIGNED": "1",
            ], stdin: body)
        #expect(r.status == 65)
        #expect(try JSON.parse(r.stdout)["error"]["code"] == "invalid_event")
        let ok = try ProcessRunner.run(
            "test-echo",
            environment: [
                "Http_Method": "POST", "Http_Path": "/fn", "Http_Content_Type": "application/json",
                "Http_X_Custom": "v", "ALLOW_UNSIGNED": "1",
            ], stdin: #"{"a":1}"#)
        let out = try JSON.parse(ok.stdout)
        #expect(ok.status == 0)
        #expect(out["mode"] == "watchdog")
        #expect(out["headers"]["x-custom"] == "v")
        #expect(out["path"] == "/fn")
    }

    @Test func hashingWorksInTheStaticExecutable() throws {
        let r = try ProcessRunner.run("test-echo", stdin: #"{"sha256":"abc"}"#)
        #expect(r.status == 0)
        #expect(
            try JSON.parse(r.stdout)["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func signedRequestThenOutboundCallInTheStaticExecutable() throws {
        // Regression: verifying the signature (libcrypto) and then calling out (libcurl, which
        // loads libssl) crashed the fully static executable; see CShims/foreign_thread.h.
        let server = try HTTPServer { _ in .respond(.json(200, ["ok": true])) }
        try server.start(port: 0)
        defer { server.stop(deadline: 0) }
        let body = #"{"fetch":"http://localhost:\#(server.port)/x"}"#
        let ts = Clock.iso8601(Date())
        let sig = try WebhookSignature.zendesk(secret: "s3cret", timestamp: ts, body: Array(body.utf8))
        let r = try ProcessRunner.run(
            "test-echo",
            environment: [
                "REQUEST_METHOD": "POST", "CONTENT_LENGTH": String(body.utf8.count), "CONTENT_TYPE": "application/json",
                "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE": sig, "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE_TIMESTAMP": ts,
                "ZENDESK_WEBHOOK_SECRET": "s3cret",
            ], stdin: body)
        #expect(r.status == 0)
        let (status, _, out) = try Self.splitCGI(r.stdout)
        #expect(status == 200)
        #expect(out["fetch_status"] == 200)
        let hmac = try ProcessRunner.run("test-echo", stdin: #"{"hmac":"msg"}"#)
        #expect(
            try JSON.parse(hmac.stdout)["hmac"] == "2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628")
    }

    @Test func fetchInPipelineMode() throws {
        let server = try HTTPServer { _ in .respond(.json(200, ["ok": true])) }
        try server.start(port: 0)
        defer { server.stop(deadline: 0) }
        let r = try ProcessRunner.run("test-echo", stdin: #"{"fetch":"http://127.0.0.1:\#(server.port)/"}"#)
        #expect(r.status == 0)
        #expect(try JSON.parse(r.stdout)["fetch_status"] == 200)
    }

    @Test func loadingLibcurlTurnsOffGnuTLSsImplicitInitUnlessTheOperatorSetIt() throws {
        // libcurl drags in GnuTLS (through librtmp and OpenLDAP) but is only used for http/https
        // over OpenSSL: the loader sets GnuTLS's documented switch before dlopen, once libcurl is
        // needed, and keeps a value the operator set.
        let server = HTTPServer { _ in .respond(.json(200, ["ok": true])) }
        try server.start(port: 0)
        defer { server.stop(deadline: 0) }
        let fetch = #"{"fetch":"http://127.0.0.1:\#(server.port)/","echo_env":["GNUTLS_NO_IMPLICIT_INIT"]}"#
        let loaded = try JSON.parse(ProcessRunner.run("test-echo", stdin: fetch).stdout)
        #expect(loaded["fetch_status"] == 200)
        #expect(loaded["env"]["GNUTLS_NO_IMPLICIT_INIT"] == "1")
        let kept = try JSON.parse(
            ProcessRunner.run("test-echo", environment: ["GNUTLS_NO_IMPLICIT_INIT": "0"], stdin: fetch).stdout)
        #expect(kept["fetch_status"] == 200)
        #expect(kept["env"]["GNUTLS_NO_IMPLICIT_INIT"] == "0")
        let noCall = try JSON.parse(
            ProcessRunner.run("test-echo", stdin: #"{"echo_env":["GNUTLS_NO_IMPLICIT_INIT"]}"#).stdout)
        #expect(noCall["env"]["GNUTLS_NO_IMPLICIT_INIT"] == .null)
    }

    @Test func helpAndUsage() throws {
        let help = try ProcessRunner.run("test-echo", arguments: ["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--stream"))
        #expect(help.stdout.contains("Exit status"))
        let bad = try ProcessRunner.run("test-echo", arguments: ["--bogus"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--bogus"))
    }

    @Test func dryRunReportsPlanWithoutWriting() throws {
        // A GET is a read and is performed even in dry-run; the result carries the (empty) plan.
        let r = try ProcessRunner.run("test-echo", arguments: ["--dry-run"], stdin: #"{"a":1}"#)
        let out = try JSON.parse(r.stdout)
        #expect(out["dry_run"] == true)
        #expect(out["plan"] == .array([]))
    }

    /// Splits a CGI response into status, lower-cased headers and the JSON body.
    static func splitCGI(_ text: String) throws -> (Int, [String: String], JSON) {
        guard let range = text.range(of: "\r\n\r\n") else {
            throw RuntimeError(.internal, "no CGI header block in \(text)")
        }
        var headers: [String: String] = [:]
        for line in text[..<range.lowerBound].components(separatedBy: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmed() }
        }
        let status = Int(headers["status"]?.split(separator: " ").first ?? "") ?? 0
        return (status, headers, try JSON.parse(String(text[range.upperBound...])))
    }
}
