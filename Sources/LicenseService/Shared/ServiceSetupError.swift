/// The service cannot start as configured: one line saying why.
public struct ServiceSetupError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
