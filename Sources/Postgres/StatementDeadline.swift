import CLibPQ
import Dispatch
import Synchronization

/// Cancels a prepared statement still running at its deadline, from another thread.
///
/// For the one wait PostgreSQL does not time itself: a commit waiting for a synchronous standby
/// that does not confirm (`statement_timeout` is off by then). Cancelled there, the transaction
/// has committed locally but may not be replicated, so the statement counts as failed
/// (`.timedOut`), whatever PostgreSQL answered: the pool answers 503, and no lock is held for
/// longer than the deadline (SPEC §11).
final class StatementDeadline: Sendable {
    /// libpq's cancel request of one connection's backend (`PGcancel`), freed when the last
    /// holder lets go: a timer may still hold it after its connection was replaced.
    final class CancelRequest: @unchecked Sendable {
        // @unchecked: libpq documents PQcancel as safe from any thread.
        private let pointer: OpaquePointer

        init?(connection: OpaquePointer) {
            guard let pointer = PQgetCancel(connection) else { return nil }
            self.pointer = pointer
        }

        deinit { PQfreeCancel(pointer) }

        func send() {
            var message = [CChar](repeating: 0, count: 256)
            _ = PQcancel(pointer, &message, Int32(message.count))
        }
    }

    let seconds: Double
    private let queue = DispatchQueue(label: "postgres-statement-deadline")

    init(seconds: Double) {
        self.seconds = seconds
    }

    /// Runs `body` (the statement), cancelling it through `request` if it outlives the deadline.
    /// A statement that ran past it throws `.timedOut`, even when PostgreSQL then answered.
    func run<T>(cancelling request: CancelRequest?, _ body: () throws(PostgresError) -> T) throws(PostgresError) -> T {
        guard let request else { return try body() }
        let fired = Atomic<Bool>(false)
        let timer = DispatchWorkItem {
            fired.store(true, ordering: .sequentiallyConsistent)
            request.send()
        }
        queue.asyncAfter(deadline: .now() + seconds, execute: timer)
        defer { timer.cancel() }
        let result = try body()
        timer.cancel()
        if fired.load(ordering: .sequentiallyConsistent) {
            throw PostgresError(code: .queryCanceled, kind: .timedOut,
                                message: "the statement outlived its deadline of \(seconds) s and was cancelled (a synchronous standby that does not confirm?)")
        }
        return result
    }
}
