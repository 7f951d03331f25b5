#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `license_last_error()`: the message of the calling thread's last failing call, kept in a
/// thread-specific slot (a C string this library owns, freed when replaced or when the thread ends).
enum LastError {
    private static let slot: pthread_key_t = {
        var key = pthread_key_t()
        // The destructor frees a thread's message when the thread ends.
        pthread_key_create(&key) { pointer in free(pointer) }
        return key
    }()

    /// Made once, never written: shared read-only.
    nonisolated(unsafe) private static let empty: UnsafeMutablePointer<CChar> = strdup("")!

    static func set(_ message: String) {
        let previous = pthread_getspecific(slot)
        pthread_setspecific(slot, strdup(message))
        free(previous)
    }

    static var current: UnsafePointer<CChar> {
        guard let pointer = pthread_getspecific(slot) else { return UnsafePointer(empty) }
        return UnsafePointer(pointer.assumingMemoryBound(to: CChar.self))
    }
}
