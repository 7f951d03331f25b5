import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection (`PGconn`), owned by one thread at a time: a worker keeps its own.
///
/// Not `Sendable`: libpq connections must not be used by two threads at once. Statements are
/// prepared once per connection and prepared again after a reconnect.
public final class PostgresConnection {
    private var handle: OpaquePointer?
    private let conninfo: String
    private let setupStatements: [String]
    /// Name → SQL of the statements prepared on this connection.
    private var prepared: [String: String] = [:]
    /// The deadline of prepared statements, when there is one, and the cancel request of this
    /// connection's backend it uses.
    private let deadline: StatementDeadline?
    private var cancelRequest: StatementDeadline.CancelRequest?

    /// Connects; `setupStatements` (such as `SET statement_timeout`) run after every (re)connect.
    /// With `statementDeadline`, a prepared statement still running after that many seconds is
    /// cancelled from another thread and fails as timed out (`StatementDeadline`).
    public init(conninfo: String, setupStatements: [String] = [], statementDeadline: Double? = nil) throws(PostgresError) {
        self.conninfo = conninfo
        self.setupStatements = setupStatements
        deadline = statementDeadline.map(StatementDeadline.init(seconds:))
        try connect()
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Whether the connection is up as far as libpq knows.
    public var isConnected: Bool {
        handle.map { PQstatus($0) == CONNECTION_OK } ?? false
    }

    private func connect() throws(PostgresError) {
        disconnect()
        // Defaults before the caller's conninfo, which may set its own: a database that does not
        // answer must not hold a request for long. connect_timeout bounds a connection attempt
        // (per host); tcp_user_timeout ends a connection whose sent data goes unacknowledged for
        // 4 s, and the keepalives one idle for 5 s whose host stopped answering (in 9 s), so that a
        // connection to a host that was cut off fails at its next statement instead of hanging
        // until TCP gives up, minutes later (SPEC §11: every worker finds the new primary).
        let keywords = ["connect_timeout", "tcp_user_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "dbname"]
        let values = ["3", "4000", "1", "5", "2", "2", conninfo]
        let keywordPointers = keywords.map { strdup($0) } + [nil]
        let valuePointers = values.map { strdup($0) } + [nil]
        defer {
            keywordPointers.forEach { free($0) }
            valuePointers.forEach { free($0) }
        }
        let opened = keywordPointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordBuffer in
            valuePointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { valueBuffer in
                PQconnectdbParams(keywordBuffer.baseAddress, valueBuffer.baseAddress, 1)
            }
        }
        guard let connection = opened else {
            throw PostgresError(code: nil, message: "out of memory allocating a libpq connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let error = PostgresError(code: nil, message: PostgresError.firstLine(PQerrorMessage(connection)))
            PQfinish(connection)
            throw error
        }
        handle = connection
        cancelRequest = deadline == nil ? nil : StatementDeadline.CancelRequest(connection: connection)
        let statements = prepared
        prepared = [:]
        for statement in setupStatements { try execute(statement) }
        for (name, sql) in statements { try prepare(name, sql) }
    }

    /// Closes the connection; the next statement connects anew.
    private func disconnect() {
        if let handle { PQfinish(handle) }
        handle = nil
        cancelRequest = nil
    }

    /// Reconnects when the connection is known to be lost (the server restarted, the network broke).
    public func reconnectIfNeeded() throws(PostgresError) {
        if !isConnected { try connect() }
    }

    /// Prepares `sql` as `name` on this connection (and again after every reconnect).
    public func prepare(_ name: String, _ sql: String) throws(PostgresError) {
        try perform { PQprepare($0, name, sql, 0, nil) }
        prepared[name] = sql
    }

    /// Runs one or more SQL statements without parameters.
    @discardableResult
    public func execute(_ sql: String) throws(PostgresError) -> PostgresRows {
        try perform { PQexec($0, sql) }
    }

    /// Runs the prepared statement `name` with `parameters` (`$1`, `$2`, …).
    @discardableResult
    public func run(_ name: String, _ parameters: [PostgresValue]) throws(PostgresError) -> PostgresRows {
        try perform(within: deadline) { handle in
            Self.withCStrings(parameters) { PQexecPrepared(handle, name, Int32(parameters.count), $0, nil, nil, 0) }
        }
    }

    /// Runs a statement with parameters, unprepared (for tools, not for the request path).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue]) throws(PostgresError) -> PostgresRows {
        try perform { handle in
            Self.withCStrings(parameters) { PQexecParams(handle, sql, Int32(parameters.count), nil, $0, nil, nil, 0) }
        }
    }

    /// Every call to the server goes through here. A connection that died while idle (the
    /// server restarted) is only noticed by the next statement: that statement reconnects
    /// and is sent once more. Only outside a transaction, where each statement commits on its
    /// own, so sending it again is safe for the idempotent statements this project runs; inside
    /// one, the error goes to the caller, whose transaction is lost anyway. A fault (a privilege,
    /// a missing table) is never retried: the connection is fine and the statement would fail again.
    ///
    /// A server that refuses writes (25006: this connection reached a standby, or its primary was
    /// demoted) is left at once and never used again: the next connection looks for the server
    /// that takes writes (`target_session_attrs=read-write` among several hosts).
    @discardableResult
    private func perform(within deadline: StatementDeadline? = nil,
                         _ call: (OpaquePointer) -> OpaquePointer?) throws(PostgresError) -> PostgresRows {
        try reconnectIfNeeded()
        guard let handle else { throw PostgresError(code: nil, message: "not connected") }
        let wasIdle = PQtransactionStatus(handle) == PQTRANS_IDLE
        func attempt(_ connection: OpaquePointer) throws(PostgresError) -> PostgresRows {
            try leavingReadOnlyServers { () throws(PostgresError) in
                guard let deadline else { return try check(call(connection), connection) }
                return try deadline.run(cancelling: cancelRequest) { () throws(PostgresError) in try check(call(connection), connection) }
            }
        }
        do {
            return try attempt(handle)
        } catch {
            guard wasIdle, error.kind == .unavailable, self.handle == nil || PQstatus(handle) == CONNECTION_BAD else { throw error }
            try connect()
            guard let fresh = self.handle else { throw error }
            return try attempt(fresh)
        }
    }

    /// `body`, after which a connection whose server refused a write (25006) is closed.
    private func leavingReadOnlyServers(_ body: () throws(PostgresError) -> PostgresRows) throws(PostgresError) -> PostgresRows {
        do {
            return try body()
        } catch {
            if error.code == .readOnlySQLTransaction { disconnect() }
            throw error
        }
    }

    /// Calls `body` with C strings of `parameters` in text format (NULL stays NULL), alive for the call only.
    private static func withCStrings<T>(_ parameters: [PostgresValue], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> T) -> T {
        let buffers: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.textFormat.map { strdup($0) } }
        defer { buffers.forEach { free($0) } }
        return buffers.map { UnsafePointer($0) }.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    /// Turns a `PGresult` into rows or a `PostgresError`, in one place.
    @discardableResult
    private func check(_ result: OpaquePointer?, _ handle: OpaquePointer) throws(PostgresError) -> PostgresRows {
        guard let result else {
            throw PostgresError(code: nil, message: PostgresError.firstLine(PQerrorMessage(handle)))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresRows(taking: result)
        default:
            let state = PQresultErrorField(result, CLibPQ_DIAG_SQLSTATE).map { String(cString: $0) }
            let message = PostgresError.firstLine(PQresultErrorMessage(result))
            PQclear(result)
            throw PostgresError(code: state.map(PostgresError.Code.init(rawValue:)), message: message)
        }
    }
}

extension PostgresConnection {
    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    public func transaction<T>(_ body: () throws(PostgresError) -> T) throws(PostgresError) -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }
}
