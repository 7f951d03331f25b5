// swift-tools-version:6.0
import PackageDescription

// Layers, imports pointing down only (README "Layout"):
// 1. C modules (CFastCGI, CLibPQ, COpenSSL)
// 2. wrappers that own C handles, the only code that imports C (FastCGI, Postgres, LicenseCrypto, HTTPSClient)
// 3. the pure core (LicenseCore): no C, no I/O; what tools and service share over it (LicenseSigning, SystemIdentity)
// 4. the store boundary (StoreBoundary: the protocols, values and errors of stores), implemented over
//    PostgreSQL by LicenseStore
// 5. the service (LicenseService: routes, handlers, presenters over StoreBoundary), the executables,
//    the client library
let package = Package(
    name: "license-server",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "licensectl", targets: ["licensectl"]),
        .executable(name: "license-server", targets: ["license-server"]),
        .library(name: "LicenseCore", targets: ["LicenseCore"]),
        .library(name: "LicenseClient", targets: ["LicenseClient"]),
        // liblicense-client.so, the C library over LicenseClient (clients/c/, README "The C library").
        .library(name: "license-client", type: .dynamic, targets: ["LicenseClientC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // The console's HTML templates (escaping by default); no dependency of its own.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        // make docs: the client library's DocC reference (swift package generate-documentation).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFastCGI",
            pkgConfig: "fcgi",
            providers: [.apt(["libfcgi-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "LicenseCrypto", dependencies: ["COpenSSL"]),
        .target(name: "Postgres", dependencies: ["CLibPQ"]),
        .target(name: "FastCGI", dependencies: ["CFastCGI", "SystemCalls"]),
        .target(name: "HTTPSClient", dependencies: ["COpenSSL", "SystemCalls"]),
        .target(name: "SystemCalls"),
        .target(name: "LicenseCore"),
        .target(name: "LicenseSigning", dependencies: ["LicenseCore", "LicenseCrypto", "SystemCalls"]),
        .target(name: "SystemIdentity"),
        .target(name: "StoreBoundary", dependencies: ["LicenseCore"]),
        // license-server's settings, read and validated once (arguments, LICENSE_* environment).
        .target(name: "ServerConfiguration", dependencies: ["FastCGI", "LicenseCore", .product(name: "Logging", package: "swift-log")]),
        .target(name: "LicenseClient", dependencies: ["HTTPSClient", "LicenseCore", "LicenseCrypto", "LicenseSigning", "SystemCalls"]),
        // The C ABI of clients/c/include/license-client.h. The Swift runtime and Foundation are linked
        // in (-static-stdlib; static Foundation's own libraries named, as a shared object does not
        // pull them in by itself), only license_* is exported (the version script), and the
        // soname is liblicense-client.so.1: a C program needs nothing else (docs/clients.md).
        .target(
            name: "LicenseClientC",
            dependencies: ["LicenseClient", "LicenseCore"],
            linkerSettings: [
                .unsafeFlags([
                    "-static-stdlib",
                    "-Xlinker", "--start-group",
                    "-lFoundation", "-lFoundationInternationalization", "-lFoundationEssentials", "-lCoreFoundation",
                    "-l_FoundationICU", "-l_FoundationCollections", "-l_FoundationCShims", "-lswiftSynchronization",
                    "-lswiftDispatch", "-ldispatch", "-lBlocksRuntime",
                    "-Xlinker", "--end-group",
                    "-Xlinker", "--version-script=\(Context.packageDirectory)/clients/c/license-client.map",
                    "-Xlinker", "-soname=liblicense-client.so.1",
                ], .when(platforms: [.linux])),
            ]),
        .target(
            name: "LicenseService",
            dependencies: [
                "LicenseCore", "LicenseSigning", "StoreBoundary",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]),
        .target(name: "LicenseStore", dependencies: ["StoreBoundary", "LicenseCore", "Postgres"]),
        .executableTarget(
            name: "license-server",
            dependencies: [
                "LicenseService", "LicenseStore", "StoreBoundary", "ServerConfiguration", "FastCGI", "LicenseCore", "LicenseSigning",
                "SystemIdentity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "licensectl",
            dependencies: [
                "LicenseCore", "LicenseSigning", "SystemIdentity", "LicenseStore", "LicenseClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["HTTPSClient"], path: "Tests/TestSupport"),
        .target(name: "CTestSupport", path: "Tests/CTestSupport"),
        .target(name: "InMemorySeatStore", dependencies: ["StoreBoundary", "LicenseCore"], path: "Tests/InMemorySeatStore"),
        .testTarget(
            name: "CheckHandlerTests",
            dependencies: ["LicenseService", "StoreBoundary", "InMemorySeatStore", "LicenseCore", "LicenseSigning", "LicenseCrypto",
                           .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ServerConfigurationTests", dependencies: ["ServerConfiguration", "FastCGI"]),
        .testTarget(name: "LicenseCoreTests", dependencies: ["LicenseCore", "LicenseSigning", "LicenseCrypto"]),
        .testTarget(name: "LicenseCryptoTests", dependencies: ["LicenseCrypto", "TestSupport"]),
        .testTarget(name: "HTTPSClientTests", dependencies: ["HTTPSClient"]),
        .testTarget(name: "PackagingTests", dependencies: ["license-server", "licensectl", "LicenseCore", "TestSupport"]),
        .testTarget(
            name: "ServiceTests",
            dependencies: ["license-server", "licensectl", "LicenseCore", "LicenseService", "LicenseClient", "Postgres", "TestSupport", "CTestSupport"],
            // The browser tests' driver of headless Chromium (python3-selenium); the OpenAPI conformance check.
            exclude: ["Browser", "OpenAPI"]),
        // SPEC §11 on network namespaces made by the test (scripts/topology.sh).
        .testTarget(
            name: "AvailabilityTests",
            dependencies: ["license-server", "licensectl", "LicenseCore", "HTTPSClient", "TestSupport"]),
        .testTarget(
            name: "LicensectlTests",
            dependencies: ["licensectl", "LicenseCore", "LicenseSigning", "LicenseCrypto", "SystemIdentity", "TestSupport"]),
        // Fuzz targets (make fuzz; README "Fuzzing"): each an executable over libFuzzer's driver.
        .target(name: "CFuzzer", path: "Tests/Fuzz/CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer"], path: "Tests/Fuzz/FuzzSupport"),
        // make bench: one signed answer's cost, in process (scripts/bench.sh runs it).
        .executableTarget(name: "bench-answer-signing", dependencies: ["LicenseCore", "LicenseCrypto", "LicenseSigning"],
                          path: "Tests/Bench/bench-answer-signing"),
        .executableTarget(name: "fuzz-key", dependencies: ["FuzzSupport", "LicenseCore"], path: "Tests/Fuzz/fuzz-key"),
        .executableTarget(name: "fuzz-startup-code", dependencies: ["FuzzSupport", "LicenseCore"], path: "Tests/Fuzz/fuzz-startup-code"),
        .executableTarget(name: "fuzz-form", dependencies: ["FuzzSupport", "LicenseService"], path: "Tests/Fuzz/fuzz-form"),
        .executableTarget(name: "fuzz-offline-files", dependencies: ["FuzzSupport", "LicenseCore"], path: "Tests/Fuzz/fuzz-offline-files"),
        .executableTarget(name: "fuzz-https-answer", dependencies: ["FuzzSupport", "HTTPSClient", "LicenseCore"], path: "Tests/Fuzz/fuzz-https-answer"),
        .executableTarget(
            name: "fuzz-check-handler",
            dependencies: ["FuzzSupport", "InMemorySeatStore", "LicenseService", "StoreBoundary", "LicenseCore", "LicenseCrypto", "LicenseSigning",
                           .product(name: "Logging", package: "swift-log")],
            path: "Tests/Fuzz/fuzz-check-handler"),
    ],
    swiftLanguageModes: [.v6]
)
