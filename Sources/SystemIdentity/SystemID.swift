import Foundation

/// This computer's system ID as license keys bind to it (SPEC §1, §6): `Eth_` and the MAC
/// address of its first non-loopback network interface, lower case, colon-separated.
public enum SystemID {
    /// This computer's system ID, from `/sys/class/net`.
    public static func current() throws(SystemIDError) -> String {
        try ethernet(networkClassDirectory: "/sys/class/net")
    }

    /// The system ID from a `/sys/class/net`-shaped folder: the interface with the lowest
    /// index that is not loopback and has a non-zero hardware address.
    public static func ethernet(networkClassDirectory directory: String) throws(SystemIDError) -> String {
        guard let interfaces = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw SystemIDError("cannot list network interfaces in \(directory)")
        }
        func read(_ interface: String, _ file: String) -> String? {
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(interface)/\(file)") else { return nil }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let candidates: [(index: Int, address: String)] = interfaces.compactMap { interface in
            // ARPHRD_LOOPBACK is 772.
            guard interface != "lo", read(interface, "type") != "772",
                  let address = read(interface, "address")?.lowercased(), isMACAddress(address),
                  address != "00:00:00:00:00:00" else { return nil }
            return (Int(read(interface, "ifindex") ?? "") ?? Int.max, address)
        }
        guard let first = candidates.min(by: { $0.index < $1.index }) else {
            throw SystemIDError("no network interface with a hardware address")
        }
        return "Eth_" + first.address
    }

    private static func isMACAddress(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 && parts.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
    }
}

/// This computer's system ID cannot be found.
public struct SystemIDError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
