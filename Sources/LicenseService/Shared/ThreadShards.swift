import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One lock-protected value per group of threads, so that the pool's workers, which all touch
/// the same few hot entries, do not queue on one lock: each worker mostly meets only itself on
/// its shard. A value that must be one for the pool (the count of verifications) lives beside
/// the shards, behind its own lock, and is reached only on a shard's miss.
final class ThreadShards<Value: Sendable>: Sendable {
    private final class Shard: Sendable {
        let value: Mutex<Value>
        init(_ value: sending Value) { self.value = Mutex(value) }
    }

    private let shards: [Shard]

    init(count: Int, _ makeValue: () -> Value) {
        shards = (0..<count).map { _ in Shard(makeValue()) }
    }

    /// Runs `body` with the calling thread's shard locked.
    func withCurrentShard<Result>(_ body: (inout sending Value) throws -> sending Result) rethrows -> sending Result {
        var hasher = Hasher()
        hasher.combine(UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))))
        let index = Int(UInt(bitPattern: hasher.finalize()) % UInt(shards.count))
        return try shards[index].value.withLock(body)
    }

    /// Runs `body` with every shard locked in turn.
    func forEachShard(_ body: (inout sending Value) -> Void) {
        for shard in shards { shard.value.withLock { value in body(&value) } }
    }
}
