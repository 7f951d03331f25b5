import Foundation
import LicenseCore
import StoreBoundary

/// What the in-memory store throws when told to fail like an unreachable database.
public enum InMemorySeatStoreFailure {
    public static let down = StoreError(kind: .unavailable, message: "the in-memory store is down")
}

/// A `SeatStoring` in memory, for the handler's tests and its fuzzer: it follows rule 9 in the
/// plainest way and records what the handler asked of it. It proves nothing about SQL,
/// admission under concurrency or leases in PostgreSQL; the service tests do that.
public final class InMemorySeatStore: SeatStoring {
    private struct Seat: Hashable {
        let license: LicenseIdentity
        let scope: String
        let user: SeatHash
        let instance: SeatHash
        let computer: SeatHash
    }

    private struct Binding: Hashable {
        let license: LicenseIdentity
        let computer: SeatHash
    }

    /// Registrations asked for, in order.
    public private(set) var registrations: [(license: LicenseIdentity, fingerprint: String)] = []
    /// License ids and key fingerprints revoked (in every realm).
    public var revokedLicenseIDs: Set<String> = []
    public var revokedFingerprints: Set<String> = []
    /// When set, every call throws it (a store that is down or at fault).
    public var failure: StoreError?
    /// Whether `seat` should answer "not registered" once more, as after a database reset.
    public var forgetsRegistrationOnce = false

    private var registered: Set<LicenseIdentity> = []
    private var seats: Set<Seat> = []
    /// The debit of each seat (SPEC §2's rights= line).
    private var debits: [Seat: Int] = [:]
    /// The seats admitted past a limit, within their scope's overdraft (SPEC §15).
    private var overdrafts: Set<Seat> = []
    private var bindings: Set<Binding> = []
    /// When each license's unbindings happened, for the limit per 30 days.
    private var unbindings: [LicenseIdentity: [UTCTimestamp]] = [:]

    /// The leases it counts with, in seconds, as the database's `leases` row holds them.
    public var seatLeaseSeconds: Int64 = 86_400
    public var instanceLeaseSeconds: Int64 = 900
    private let now: () -> UTCTimestamp

    public init(now: @escaping () -> UTCTimestamp = { UTCTimestamp(secondsSince1970: Int64(Date().timeIntervalSince1970)) }) {
        self.now = now
    }

    public func isHealthy() -> Bool { failure == nil }

    public func register(_ key: LicenseKey, as license: LicenseIdentity, fingerprint: String) throws(StoreError) {
        if let failure { throw failure }
        registrations.append((license, fingerprint))
        registered.insert(license)
    }

    public func isRevoked(_ license: LicenseIdentity, fingerprint: String) throws(StoreError) -> Bool {
        if let failure { throw failure }
        return revokedLicenseIDs.contains(license.id) || revokedFingerprints.contains(fingerprint)
    }

    public func seat(_ request: SeatRequest) throws(StoreError) -> SeatOutcome {
        if try isRevoked(request.license, fingerprint: request.fingerprint) { return .revoked }
        if forgetsRegistrationOnce {
            forgetsRegistrationOnce = false
            registered.remove(request.license)
        }
        guard registered.contains(request.license) else { return .unregistered }
        if request.computerMustBeBound, !bindings.contains(Binding(license: request.license, computer: request.computer)) {
            return .computerNotBound
        }
        let leaseSeconds = request.scopes.contains { $0.limits.rights != nil } ? instanceLeaseSeconds : seatLeaseSeconds
        // A borrow holds the seat past its lease (SPEC §14); seats here never lapse, so only `until` shows it.
        let heldSeconds = max(leaseSeconds, Int64(request.borrowSeconds ?? 0))
        let until = UTCTimestamp(secondsSince1970: now().secondsSince1970 + heldSeconds)
        let wanted = request.scopes.map { seat(request, scope: $0.name) }
        if wanted.allSatisfy({ seats.contains($0) && debits[$0] == request.rights }) {
            return .seated(until: until, leaseSeconds: leaseSeconds,
                           overdraftScopes: request.scopes.map(\.name).filter { overdrafts.contains(seat(request, scope: $0)) })
        }
        var pastLimit: [String] = []
        for (scope, limits) in request.scopes.map({ ($0.name, $0.limits) }) {
            let active = seats.filter { $0.license == request.license && $0.scope == scope }
            let new = seat(request, scope: scope)
            let withIt = active.union([new])
            let allowance = limits.overdraft ?? 0
            let counts: [(CheckReason, Int?, Int)] = [
                (.users, limits.users, Set(withIt.map(\.user)).count),
                (.hosts, limits.hosts, Set(withIt.map(\.computer)).count),
                (.rights, limits.rights, active.subtracting([new]).map { debits[$0] ?? 1 }.reduce(0, +) + request.rights),
            ]
            for (reason, limit, count) in counts {
                guard let limit else { continue }
                // A key may say users=9223372036854775807 with an overdraft: no room past Int.max.
                let (room, overflow) = limit.addingReportingOverflow(allowance)
                if !overflow, count > room { return .refused(reason, scope: scope) }
                if count > limit, !pastLimit.contains(scope) { pastLimit.append(scope) }
            }
        }
        seats.formUnion(wanted)
        for seat in wanted {
            debits[seat] = request.rights
            if pastLimit.contains(seat.scope) { overdrafts.insert(seat) } else { overdrafts.remove(seat) }
        }
        return .seated(until: until, leaseSeconds: leaseSeconds, overdraftScopes: pastLimit, admitted: true)
    }

    public func usage(_ request: SeatRequest) throws(StoreError) -> [String: ScopeUsage] {
        if let failure { throw failure }
        var usage: [String: ScopeUsage] = [:]
        for scope in request.scopes.map(\.name) {
            let active = seats.filter { $0.license == request.license && $0.scope == scope }
            let limit = ScopeUsage.countLimit + 1
            usage[scope] = ScopeUsage(rights: min(active.map { debits[$0] ?? 1 }.reduce(0, +), limit), users: min(Set(active.map(\.user)).count, limit),
                                      hosts: min(Set(active.map(\.computer)).count, limit))
        }
        return usage
    }

    public func release(_ license: LicenseIdentity, user: SeatHash, instance: SeatHash) throws(StoreError) {
        if let failure { throw failure }
        seats = seats.filter { !($0.license == license && $0.user == user && $0.instance == instance) }
    }

    public func bind(_ license: LicenseIdentity, fingerprint: String, computer: SeatHash, limit: Int) throws(StoreError) -> BindingOutcome {
        if try isRevoked(license, fingerprint: fingerprint) { return .revoked }
        guard registered.contains(license) else { return .unregistered }
        let binding = Binding(license: license, computer: computer)
        let bound = bindings.filter { $0.license == license }.count
        if bindings.contains(binding) { return .done(bound: bound) }
        guard bound < limit else { return .refused(.binding, bound: bound) }
        bindings.insert(binding)
        return .done(bound: bound + 1)
    }

    public func unbind(_ license: LicenseIdentity, fingerprint: String, computer: SeatHash, limit: Int) throws(StoreError) -> BindingOutcome {
        if try isRevoked(license, fingerprint: fingerprint) { return .revoked }
        guard registered.contains(license) else { return .unregistered }
        let binding = Binding(license: license, computer: computer)
        if bindings.contains(binding) {
            let monthAgo = now().secondsSince1970 - 30 * 86_400
            let recent = unbindings[license, default: []].filter { $0.secondsSince1970 > monthAgo }
            guard recent.count < limit else { return .refused(.unbindLimit, bound: bindings.filter { $0.license == license }.count) }
            bindings.remove(binding)
            unbindings[license, default: []].append(now())
        }
        return .done(bound: bindings.filter { $0.license == license }.count)
    }

    public func isBound(_ license: LicenseIdentity, computer: SeatHash) throws(StoreError) -> Bool {
        if let failure { throw failure }
        return bindings.contains(Binding(license: license, computer: computer))
    }

    /// How many seats (of every scope) the store holds.
    public var seatCount: Int { seats.count }

    private func seat(_ request: SeatRequest, scope: String) -> Seat {
        Seat(license: request.license, scope: scope, user: request.user, instance: request.instance, computer: request.computer)
    }
}
