import Foundation
import SystemIdentity
import TestSupport
import Testing

@Suite("This computer's system ID")
struct SystemIDTests {
    /// A `/sys/class/net` look-alike: interface name → (ifindex, type, address).
    static func networkClass(_ interfaces: [String: (Int, Int, String)]) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        for (name, (index, type, address)) in interfaces {
            let folder = directory.file(name)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try "\(index)\n".write(toFile: folder + "/ifindex", atomically: true, encoding: .utf8)
            try "\(type)\n".write(toFile: folder + "/type", atomically: true, encoding: .utf8)
            try "\(address)\n".write(toFile: folder + "/address", atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test("Eth_ and the MAC of the lowest-index interface that is not loopback, in lower case")
    func firstInterface() throws {
        let directory = try Self.networkClass([
            "lo": (1, 772, "00:00:00:00:00:00"), "wlan0": (3, 1, "AA:BB:CC:DD:EE:03"),
            "eth0": (2, 1, "08:00:2B:15:C7:D5"), "dummy": (4, 1, "00:00:00:00:00:00"),
        ])
        #expect(try SystemID.ethernet(networkClassDirectory: directory.path) == "Eth_08:00:2b:15:c7:d5")
    }

    @Test("no usable interface is an error")
    func none() throws {
        let directory = try Self.networkClass(["lo": (1, 772, "00:00:00:00:00:00"), "tun0": (2, 65534, "")])
        #expect(throws: SystemIDError.self) { try SystemID.ethernet(networkClassDirectory: directory.path) }
        #expect(throws: SystemIDError.self) { try SystemID.ethernet(networkClassDirectory: directory.file("missing")) }
    }
}
