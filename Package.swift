// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Sleutel",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sleutel", targets: ["sleutel"]),
        .executable(name: "sleutel-dev", targets: ["sleutel-dev"]),
        .library(name: "BelgianEID", targets: ["BelgianEID"]),
        .library(name: "VirtualCard", targets: ["VirtualCard"]),
        .library(name: "Trust", targets: ["Trust"]),
        .library(name: "Rights", targets: ["Rights"]),
        .library(name: "OneTimeCodes", targets: ["OneTimeCodes"]),
        .library(name: "Sessions", targets: ["Sessions"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPCSC",
            pkgConfig: "libpcsclite",
            providers: [.apt(["libpcsclite-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CQREncode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CGMP",
            pkgConfig: "gmp",
            providers: [.apt(["libgmp-dev"])]
        ),
        .target(name: "CryptoCore", dependencies: ["COpenSSL", "CGMP"], swiftSettings: swiftSettings),
        .target(name: "PCSC", dependencies: ["CPCSC"], swiftSettings: swiftSettings),
        .target(name: "Transport", dependencies: ["CCurl"], swiftSettings: swiftSettings),
        .target(name: "BelgianEID", dependencies: ["PCSC", "CryptoCore"], swiftSettings: swiftSettings),
        .target(name: "VirtualCard", dependencies: ["CryptoCore"], swiftSettings: swiftSettings),
        .target(
            name: "Storage",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(name: "Rights", dependencies: ["CryptoCore", "Storage"], swiftSettings: swiftSettings),
        .target(name: "WebEID", dependencies: ["CryptoCore"], swiftSettings: swiftSettings),
        .target(
            name: "Sessions",
            dependencies: ["CryptoCore", "Trust", "Rights", "OneTimeCodes", "Storage", "WebEID"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OneTimeCodes",
            dependencies: ["CryptoCore", "Storage", "Transport", "CQREncode", "CZlib"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Trust",
            dependencies: ["CryptoCore", "Transport"],
            resources: [.copy("Roots")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OIDC",
            dependencies: [
                "CryptoCore", "Sessions", "Rights", "Storage", "Transport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Server",
            dependencies: [
                "Sessions", "Rights", "Trust", "OneTimeCodes", "Storage", "CryptoCore", "CardBinding", "OIDC", "WebEID",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("openapi.json"), .copy("Pages/Templates"), .copy("Pages/Assets")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CardBinding",
            dependencies: [
                "PCSC", "Sessions",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SleutelClient",
            dependencies: ["BelgianEID", "CryptoCore", "Transport", "WebEID"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CardAgent",
            dependencies: ["WebEID", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Kiosk",
            dependencies: [
                "PCSC", "BelgianEID", "CryptoCore", "Transport", "SleutelClient",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            resources: [.copy("kiosk.html")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sleutel-dev",
            dependencies: [
                "PCSC", "BelgianEID", "CryptoCore", "Trust", "Rights", "Storage", "Transport", "OneTimeCodes", "Sessions", "SleutelClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sleutel",
            dependencies: [
                "PCSC", "BelgianEID", "VirtualCard", "CryptoCore", "Trust", "Rights", "Storage", "Transport", "OneTimeCodes", "Sessions",
                "Server", "OIDC", "Kiosk", "CardBinding", "SleutelClient",
                "CardAgent", "WebEID",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RightsBench",
            dependencies: ["Rights", "Storage"],
            path: "Benchmarks/RightsBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CryptoCoreTests", dependencies: ["CryptoCore"], swiftSettings: swiftSettings),
        .testTarget(name: "PCSCTests", dependencies: ["PCSC"], swiftSettings: swiftSettings),
        .testTarget(name: "BelgianEIDTests", dependencies: ["BelgianEID", "PCSC", "CryptoCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "OneTimeCodesTests",
            dependencies: ["SleutelTestSupport", "OneTimeCodes", "CryptoCore", "Storage", "Transport"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SleutelTestSupport",
            dependencies: ["Sessions", "OneTimeCodes", "Trust", "Rights", "Storage", "CryptoCore", "Transport"],
            path: "Tests/SleutelTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SessionsTests",
            dependencies: ["SleutelTestSupport", "Sessions", "OneTimeCodes", "Trust", "Rights", "Storage", "CryptoCore", "Transport", "WebEID"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "SleutelTestSupport", "Server", "OIDC", "Sessions", "OneTimeCodes", "Trust", "Rights", "Storage", "CryptoCore", "SleutelClient", "WebEID",
                           .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AttackTests",
            dependencies: ["SleutelTestSupport", "Server", "OIDC", "Sessions", "OneTimeCodes", "Trust", "Rights", "Storage", "CryptoCore"],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TransportTests", dependencies: ["SleutelTestSupport", "Transport"], swiftSettings: swiftSettings),
        .testTarget(name: "StorageTests", dependencies: ["Storage"], swiftSettings: swiftSettings),
        .testTarget(name: "RightsTests", dependencies: ["Rights", "Storage", "CryptoCore"], swiftSettings: swiftSettings),
        .testTarget(name: "TrustTests", dependencies: ["Trust", "CryptoCore", "Transport", "SleutelTestSupport"], exclude: ["Fixtures"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "VirtualCardTests", dependencies: ["VirtualCard", "CryptoCore", "BelgianEID"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["PCSC", "BelgianEID", "VirtualCard", "CryptoCore", "Trust", "SleutelTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)

// libFuzzer targets (Fuzz/, built and run by Tools/fuzz.sh into .build-fuzz with -sanitize=fuzzer,address).
// Only present when SLEUTEL_FUZZ=1, so the normal build and test run never see them. Each target's
// @main hands its one-input function to libFuzzer's LLVMFuzzerRunDriver (Fuzz/FuzzSupport), since
// SwiftPM gives every executable its own renamed main.
if Context.environment["SLEUTEL_FUZZ"] == "1" {
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("FuzzEIDFiles", ["BelgianEID", "FuzzCardSupport"]),
        ("FuzzAPDU", ["BelgianEID", "PCSC", "FuzzCardSupport"]),
        ("FuzzCertificates", ["CryptoCore"]),
        ("FuzzPublicKeys", ["CryptoCore", "Trust"]),
        ("FuzzKBOCSV", ["Rights"]),
        ("FuzzVPCDFrames", ["VirtualCard", "FuzzCardSupport"]),
        ("FuzzHTTPBodies", ["Server"]),
        ("FuzzOTPAuthURI", ["OneTimeCodes"]),
    ]
    package.targets.append(.systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"))
    package.targets.append(
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Fuzz/FuzzSupport", swiftSettings: swiftSettings)
    )
    package.targets.append(
        .target(
            name: "FuzzCardSupport", dependencies: ["FuzzSupport", "BelgianEID", "PCSC", "VirtualCard"], path: "Fuzz/FuzzCardSupport",
            swiftSettings: swiftSettings
        )
    )
    for (name, dependencies) in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: name, dependencies: dependencies + ["FuzzSupport"], path: "Fuzz/Targets/\(name)", swiftSettings: swiftSettings
            )
        )
    }
}
