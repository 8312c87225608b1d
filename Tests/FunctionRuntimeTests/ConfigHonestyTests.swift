import Testing
import FunctionRuntime

/// Configuration mistakes are reported as what they are, and stream stages do not misread each
/// other's error lines.
@Suite struct ConfigHonestyTests {
    @Test func aSecretFileThatCannotBeReadIsNamed() throws {
        let r = try ProcessRunner.run(
            "test-echo", environment: ["ZENDESK_WEBHOOK_SECRET_FILE": "/nonexistent/secret"], stdin: #"{"a":1}"#)
        #expect(r.status == 78)
        let error = try JSON.parse(r.stdout)["error"]
        #expect(error["detail"] == "unreadable_file")
        #expect(error["message"].string?.contains("/nonexistent/secret") == true, "\(error)")
        #expect(error["message"].string?.contains("is not set") == false)
    }

    @Test func otherProgramsFileVariablesAreNotTheBundlesBusiness() throws {
        let r = try ProcessRunner.run(
            "test-echo", environment: ["TF_CLI_CONFIG_FILE": "/nonexistent/terraformrc"], stdin: #"{"a":1}"#)
        #expect(r.status == 0, "\(r.stdout)")
    }

    @Test func aURLNeedsItsScheme() throws {
        let config = Config(environment: ["ZENDESK_URL": "acme.zendesk.com", "KLAVIYO_URL": "https://a.klaviyo.com/"])
        #expect(throws: RuntimeError.self) { try config.url("ZENDESK_URL", for: "Zendesk") }
        do { _ = try config.url("ZENDESK_URL", for: "Zendesk") } catch let e as RuntimeError {
            #expect(e.code == .configMissing && e.detail == .urlWithoutScheme)
        }
        #expect(try config.url("KLAVIYO_URL", for: "Klaviyo") == "https://a.klaviyo.com")
        #expect(
            try config.url("TWILIO_URL", default: "https://api.twilio.com", for: "Twilio") == "https://api.twilio.com")
        #expect(throws: RuntimeError.self) { try config.url("SURVEY_URL", for: "survey") }
        #expect(throws: RuntimeError.self) {
            try Config(environment: ["SURVEY_URL": "https://"]).url("SURVEY_URL", for: "survey")
        }
    }

    @Test func anEarlierStagesErrorLinePassesThroughAStream() throws {
        let upstream =
            #"{"error":{"code":"invalid_event","message":"the event must be a JSON object"},"function":"brand-filter","outcome":"error"}"#
        let r = try ProcessRunner.run("test-echo", arguments: ["--stream"], stdin: upstream + "\n" + #"{"n":2}"# + "\n")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first == upstream, "untouched")
        #expect(try JSON.parse(lines.last ?? "")["outcome"] == "echoed")
        // A line that only looks like one is an event like any other.
        let lookalike = try ProcessRunner.run("test-echo", arguments: ["--stream"], stdin: #"{"error":{"x":1}}"# + "\n")
        #expect(try JSON.parse(lookalike.stdout.trimmed())["outcome"] == "echoed")
    }
}
