// swift-tools-version:6.0
import PackageDescription

/// FoundationEssentials' static archive needs its helper archives named explicitly, inside one
/// link group, whenever the Swift runtime is linked statically.
let foundationEssentialsGroup = [
    "-Xlinker", "--start-group",
    "-Xlinker", "-lFoundationEssentials",
    "-Xlinker", "-l_FoundationCollections",
    "-Xlinker", "-l_FoundationCShims",
    "-Xlinker", "-lswiftSynchronization",
    "-Xlinker", "-lswiftCore",
    "-Xlinker", "--end-group",
]
/// Function executables are fully static: a per-request process must start in about a
/// millisecond (see README, "Process start").
let staticExecutable: [LinkerSetting] = [.unsafeFlags(["-static-executable"] + foundationEssentialsGroup)]
/// Tools link glibc dynamically but carry the Swift runtime, so they run without a toolchain.
let staticStdlib: [LinkerSetting] = [.unsafeFlags(["-static-stdlib"] + foundationEssentialsGroup)]

let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

func library(_ name: String, _ deps: [Target.Dependency]) -> Target {
    .target(name: name, dependencies: deps, swiftSettings: swift6)
}

func executable(_ name: String, _ deps: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name, dependencies: deps, path: "Sources/\(name)",
        swiftSettings: swift6, linkerSettings: staticExecutable)
}

/// Long-running tools (invoker, sandbox, setup) start rarely and serve many requests on many
/// threads: they link dynamically, so libcurl and libcrypto run on any thread.
func tool(_ name: String, _ deps: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name, dependencies: deps, path: "Sources/\(name)", swiftSettings: swift6, linkerSettings: staticStdlib)
}

func tests(_ name: String, _ deps: [Target.Dependency]) -> Target {
    .testTarget(name: name, dependencies: deps, swiftSettings: swift6)
}

let package = Package(
    name: "zendesk-klaviyo-bundle",
    products: [
        .executable(name: "sms-inbound", targets: ["sms-inbound"]),
        .executable(name: "agent-reply", targets: ["agent-reply"]),
        .executable(name: "ticket-metrics", targets: ["ticket-metrics"]),
        .executable(name: "survey-dispatch", targets: ["survey-dispatch"]),
        .executable(name: "brand-filter", targets: ["brand-filter"]),
        .executable(name: "invoker", targets: ["invoker"]),
        .executable(name: "sandbox", targets: ["sandbox"]),
        .executable(name: "bundle-setup", targets: ["bundle-setup"]),
        .executable(name: "bundle-demo", targets: ["bundle-demo"]),
        .executable(name: "bundle-history", targets: ["bundle-history"]),
        .executable(name: "test-echo", targets: ["test-echo"]),
    ],
    targets: [
        // C libraries, both loaded with dlopen on first use (headers only at build time): libcurl
        // for outbound HTTP, libcrypto for HMAC and hashes (one shared OpenSSL per process).
        .systemLibrary(
            name: "CCurl", path: "Sources/CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CCrypto", path: "Sources/CCrypto",
            providers: [.apt(["libssl-dev"])]),
        // The bridge to them: loading, fixed-signature entry points, and the thread they run on.
        .target(
            name: "CShims", dependencies: ["CCurl", "CCrypto"], path: "Sources/CShims",
            linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),

        // The bottom module, no C libraries: JSON, time, locks, form encoding, the error and
        // exit-status vocabulary, phone-number format. Everything else builds on it.
        .target(name: "BundleCore", swiftSettings: swift6),
        // The shared function runtime: input modes, config, logging, HTTP client, signatures.
        library("FunctionRuntime", ["BundleCore", "CShims"]),
        // Typed clients of Zendesk, Klaviyo, Twilio and 2listen on top of the runtime's HTTP client.
        library("ServiceClients", ["FunctionRuntime"]),
        // A small strict HTTP/1.1 server on POSIX sockets (invoker and sandbox).
        library("HTTPServer", ["BundleCore"]),

        // Integration functions: pure rules + orchestration, one module each.
        library("SMSCore", ["FunctionRuntime"]),
        library("SMSInbound", ["FunctionRuntime", "ServiceClients", "SMSCore"]),
        library("AgentReply", ["FunctionRuntime", "ServiceClients", "SMSCore"]),
        library("TicketMetrics", ["FunctionRuntime", "ServiceClients"]),
        library("BrandFilter", ["FunctionRuntime", "ServiceClients"]),
        library("SurveyDispatch", ["FunctionRuntime", "ServiceClients"]),

        // `./invoke setup` / `./invoke check`: wiring a real account (webhooks, automations, views).
        library("SetupKit", ["FunctionRuntime", "ServiceClients", "SMSCore"]),

        // `./invoke backfill` / `./invoke report`: the account's history through one paced export reader.
        library("HistoryKit", ["FunctionRuntime", "ServiceClients", "TicketMetrics", "HTTPServer"]),

        library("InvokerKit", ["FunctionRuntime", "HTTPServer", "CShims"]),
        // `./invoke serve` on the built-in sandbox, and `./invoke demo`.
        library("DemoKit", ["FunctionRuntime", "HTTPServer", "SandboxKit", "SetupKit", "InvokerKit"]),
        library("SandboxKit", ["FunctionRuntime", "HTTPServer"]),

        executable("sms-inbound", ["SMSInbound"]),
        executable("agent-reply", ["AgentReply"]),
        executable("ticket-metrics", ["TicketMetrics"]),
        executable("survey-dispatch", ["SurveyDispatch"]),
        executable("brand-filter", ["BrandFilter"]),
        tool("invoker", ["InvokerKit"]),
        tool("sandbox", ["SandboxKit"]),
        tool("bundle-setup", ["SetupKit"]),
        tool("bundle-demo", ["DemoKit"]),
        tool("bundle-history", ["HistoryKit"]),
        // Test-only function used to exercise the runtime and the invoker.
        executable("test-echo", ["FunctionRuntime"]),

        // What several test targets share: running a built executable of the package.
        .target(
            name: "TestSupport", dependencies: ["BundleCore", "HTTPServer"], path: "Tests/TestSupport",
            swiftSettings: swift6),
        tests("FunctionRuntimeTests", ["TestSupport", "FunctionRuntime", "HTTPServer"]),
        tests("InvokerTests", ["TestSupport", "InvokerKit", "FunctionRuntime", "HTTPServer"]),
        tests("SandboxTests", ["SandboxKit", "FunctionRuntime", "HTTPServer"]),
        tests(
            "SMSTests",
            [
                "TestSupport", "SMSCore", "SMSInbound", "AgentReply", "SandboxKit", "FunctionRuntime", "InvokerKit",
                "HTTPServer",
            ]),
        tests("DemoTests", ["TestSupport", "DemoKit", "SandboxKit", "InvokerKit", "FunctionRuntime", "HTTPServer"]),
        tests(
            "HistoryTests",
            ["TestSupport", "HistoryKit", "ServiceClients", "SandboxKit", "InvokerKit", "FunctionRuntime", "HTTPServer"]),
        tests("SetupTests", ["SetupKit", "SMSCore", "SandboxKit", "FunctionRuntime", "HTTPServer"]),
        tests(
            "MetricsSurveyTests",
            ["TestSupport", "TicketMetrics", "BrandFilter", "SurveyDispatch", "SandboxKit", "FunctionRuntime"]),
    ]
)
