import Foundation

/// Debian's `chromium`, headless (installed by `./invoke test`): what a person's browser makes of
/// a page — the DOM after parsing, a screenshot, and what the page wrote to the browser console.
public enum Chromium {
    public static let path = "/usr/bin/chromium"

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    public struct Run: Sendable {
        public var status: Int32
        public var stdout: String
        /// Chromium's own log, with the page's console messages (`CONSOLE(…)`, `Uncaught …`).
        public var log: String

        /// Console messages the page produced at level error, and script errors.
        public var consoleErrors: [String] {
            log.split(separator: "\n").map(String.init).filter {
                ($0.contains(":CONSOLE") && ($0.contains("ERROR") || $0.contains("\"error\"")))
                    || $0.contains("Uncaught") || $0.contains("Refused to")
            }
        }
    }

    /// Runs headless Chromium on `url` with `arguments` (a fresh profile each time).
    public static func run(_ url: String, _ arguments: [String], timeout: Double = 60) throws -> Run {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        // --no-sandbox: the tests run as root in CI; --disable-gpu: no display.
        p.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
            ] + arguments + [url]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let killer = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        killer.cancel()
        return Run(
            status: p.terminationStatus, stdout: String(decoding: data, as: UTF8.self),
            log: String(decoding: errBox.data, as: UTF8.self))
    }

    /// The page's DOM as Chromium built it, parsed, and the run (for its console messages).
    public static func dom(_ url: String, extraHeaders: [String] = []) throws -> (document: HTMLNode, run: Run) {
        let run = try Self.run(url, ["--dump-dom", "--virtual-time-budget=2000"] + extraHeaders)
        return (HTMLDocument.parse(run.stdout), run)
    }

    /// Saves a PNG of the page at `width`×`height` to `file`; true when it was written.
    @discardableResult
    public static func screenshot(_ url: String, to file: String, width: Int = 1280, height: Int = 1400) throws -> Bool
    {
        try? FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: file)
        _ = try run(url, ["--screenshot=\(file)", "--window-size=\(width),\(height)"])
        return FileManager.default.fileExists(atPath: file)
    }

    /// Where tests keep their screenshots: `$SCREENSHOT_DIR`, else `.build/artifacts/screenshots`
    /// beside the test bundle's build folder.
    public static var artifactDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["SCREENSHOT_DIR"], !dir.isEmpty { return dir }
        let build = URL(fileURLWithPath: Exec.directory).deletingLastPathComponent().deletingLastPathComponent()
        return build.appendingPathComponent("artifacts/screenshots").path
    }
}
