import ArgumentParser
import Foundation
import LicenseCore
import LicenseStore

/// SPEC §15: the vendor's staff see a license's seats and free those of a computer that died.
extension Licensectl {
    struct Seats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a license's active seats, per scope, by handle (no raw ID exists to show).",
            discussion: """
                A seat's handle (12 hex digits of its keyed hashes) is the same in every scope and from one listing to the \\
                next; licensectl free takes it. --json prints an array of {scope, seat, computer, rights, first_seen, \\
                last_seen, borrowed_until, overdraft}, times in RFC 3339 UTC.
                """)

        @Option(help: ArgumentHelp("libpq connection string.", valueName: "CONNINFO"))
        var database: String

        @Option(help: ArgumentHelp("The realm (default: every realm).", valueName: "NAME"))
        var realm: String?

        @Flag(help: "Print JSON.")
        var json = false

        @Argument(help: ArgumentHelp("The license's id= field, or its fingerprint.", valueName: "LICENSE_ID"))
        var licenseID: String

        func run() throws {
            let seats = try Administration(conninfo: database).seats(licenseID: licenseID, realm: realm)
            if json {
                print(Self.json(seats))
                return
            }
            guard !seats.isEmpty else {
                print("no active seat of \(licenseID)\(realm.map { " in realm \($0)" } ?? "")")
                return
            }
            let header = ["SCOPE", "SEAT", "COMPUTER", "RIGHTS", "FIRST SEEN", "LAST SEEN", "BORROWED UNTIL", "OVERDRAFT"]
            let rows = seats.map { seat in
                [seat.scope, seat.seat, seat.computer, String(seat.rights), seat.firstSeen, seat.lastSeen, seat.borrowedUntil ?? "-",
                 seat.overdraft ? "yes" : "no"]
            }
            let licenses = Set(seats.map { "\($0.product) in realm \($0.realm)" }).sorted().joined(separator: ", ")
            print("\(licenseID) (\(licenses)): \(Set(seats.map(\.seat)).count) seat(s) in use")
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            for row in [header] + rows {
                print(zip(row, widths).map { $0.0.padding(toLength: $0.1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces))
            }
        }

        static func json(_ seats: [SeatListing]) -> String {
            struct Entry: Encodable {
                let scope: String
                let seat: String
                let computer: String
                let rights: Int
                let firstSeen: String
                let lastSeen: String
                let borrowedUntil: String?
                let overdraft: Bool

                enum CodingKeys: String, CodingKey {
                    case scope, seat, computer, rights, overdraft
                    case firstSeen = "first_seen", lastSeen = "last_seen", borrowedUntil = "borrowed_until"
                }

                func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    try container.encode(scope, forKey: .scope)
                    try container.encode(seat, forKey: .seat)
                    try container.encode(computer, forKey: .computer)
                    try container.encode(rights, forKey: .rights)
                    try container.encode(firstSeen, forKey: .firstSeen)
                    try container.encode(lastSeen, forKey: .lastSeen)
                    // Absent: null, never left out.
                    try container.encode(borrowedUntil, forKey: .borrowedUntil)
                    try container.encode(overdraft, forKey: .overdraft)
                }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let entries = seats.map {
                Entry(scope: $0.scope, seat: $0.seat, computer: $0.computer, rights: $0.rights, firstSeen: $0.firstSeen,
                      lastSeen: $0.lastSeen, borrowedUntil: $0.borrowedUntil, overdraft: $0.overdraft)
            }
            // Strings, integers, booleans and nulls: encoding cannot fail.
            return (try? encoder.encode(entries)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        }
    }

    struct Free: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a license's seats by handle, or every one last seen longer ago than --older-than, in every scope.",
            discussion: """
                At once in every pool: the next check of a freed seat is an admission. A handle that names no seat of the \\
                license (another license's, a typo) frees nothing and exits 2.
                """)

        @Option(help: ArgumentHelp("libpq connection string.", valueName: "CONNINFO"))
        var database: String

        @Option(help: ArgumentHelp("The realm (default: every realm).", valueName: "NAME"))
        var realm: String?

        @Option(name: .customLong("older-than"), help: ArgumentHelp("Free every seat last seen longer ago than this: 90s, 15m, 24h, 7d.",
                                                                   valueName: "DURATION"))
        var olderThan: String?

        @Argument(help: ArgumentHelp("The license's id= field, or its fingerprint.", valueName: "LICENSE_ID"))
        var licenseID: String

        @Argument(help: ArgumentHelp("Seat handles, as licensectl seats prints them.", valueName: "HANDLE"))
        var handles: [String] = []

        func validate() throws {
            guard handles.isEmpty != (olderThan == nil) else {
                throw ValidationError("give either seat handles or --older-than DURATION")
            }
            if let olderThan, DurationText.seconds(olderThan) == nil {
                throw ValidationError("--older-than must be a duration: a number from 1 and a unit, 90s, 15m, 24h, 7d; not \(olderThan)")
            }
            if let bad = handles.first(where: { $0.count != 12 || !$0.allSatisfy { $0.isHexDigit && !$0.isUppercase } }) {
                throw ValidationError("\(bad) is not a seat handle: 12 lower-case hex digits, as licensectl seats prints them")
            }
        }

        func run() throws {
            let administration = try Administration(conninfo: database)
            let freed: Int
            if let olderThan, let seconds = DurationText.seconds(olderThan) {
                freed = try administration.freeSeats(licenseID: licenseID, realm: realm, olderThan: seconds)
            } else {
                switch try administration.freeSeats(licenseID: licenseID, realm: realm, handles: handles) {
                case .freed(let count): freed = count
                case .unknownHandles(let unknown):
                    throw CommandError("no seat of \(licenseID) has the handle \(unknown.joined(separator: ", ")); nothing was freed")
                }
            }
            print("freed \(freed) seat(s) of \(licenseID)")
        }
    }
}
