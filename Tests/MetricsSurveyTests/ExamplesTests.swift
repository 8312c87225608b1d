import Foundation
import FunctionRuntime
import Testing
import TestSupport

/// The events in `examples/` stay valid: each is read by its function as the input it documents
/// (never `invalid_event`), and brand-filter passes or drops it as README says.
@Suite struct ExamplesTests {
    static var examples: String {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/examples/"
    }

    static func example(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: examples + name)), as: UTF8.self)
    }

    @Test(arguments: [
        ("ticket-created.json", "ticket-metrics"), ("ticket-closed.json", "ticket-metrics"),
        ("comment-added.json", "agent-reply"), ("sms-inbound.json", "sms-inbound"),
        ("klaviyo-sent-sms.json", "sms-inbound"), ("survey-dispatch.json", "survey-dispatch"),
    ])
    func eachExampleIsReadByItsFunction(file: String, function: String) throws {
        let text = try Self.example(file)
        #expect(throws: Never.self) { try JSON.parse(text) }
        // Without an account the function stops at its configuration (78), after reading the event.
        let r = try Exec.run(function, env: [:], stdin: text)
        #expect(r.status == 78, "\(file): \(r.stdout)")
        #expect(r.json["error"]["code"] == "config_missing", "\(file): \(r.stdout)")
    }

    @Test func brandFilterExampleFromTheReadme() throws {
        let text = try Self.example("ticket-created.json")
        let passed = try Exec.run("brand-filter", env: ["ZENDESK_BRANDS": "360001"], stdin: text)
        #expect(passed.status == 0)
        #expect(
            passed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == text.trimmingCharacters(in: .whitespacesAndNewlines))
        let dropped = try Exec.run("brand-filter", env: ["ZENDESK_BRANDS": "999"], stdin: text)
        #expect(dropped.status == 0 && dropped.stdout.isEmpty)
    }

    /// `examples/lambda/package.sh` (what `./invoke package lambda` runs): one zip per function
    /// holding exactly the executable as an executable `bootstrap`, and the deploy commands.
    @Test func lambdaPackagesHoldTheExecutableAsBootstrap() throws {
        let out = NSTemporaryDirectory() + "lambda-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        let bin = Exec.directory
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.examples + "lambda/package.sh")
        p.arguments = [bin, out]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("--runtime provided.al2023") && text.contains("--handler bootstrap"))
        let check = """
            import sys, zipfile, hashlib
            out, bin = sys.argv[1], sys.argv[2]
            for f in ["ticket-metrics", "brand-filter", "sms-inbound", "agent-reply", "survey-dispatch"]:
                z = zipfile.ZipFile(f"{out}/{f}.zip")
                [info] = z.infolist()
                assert info.filename == "bootstrap", info.filename
                assert (info.external_attr >> 16) & 0o777 == 0o755, oct(info.external_attr >> 16)
                assert z.read("bootstrap") == open(f"{bin}/{f}", "rb").read(), f
            print("ok")
            """
        let py = Process()
        py.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        py.arguments = ["python3", "-c", check, out, bin]
        let result = Pipe()
        py.standardOutput = result
        try py.run()
        let verdict = String(decoding: result.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        py.waitUntilExit()
        #expect(py.terminationStatus == 0 && verdict.hasPrefix("ok"), "\(verdict)")
    }
}
