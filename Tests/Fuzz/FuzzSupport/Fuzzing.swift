import CFuzzer
#if canImport(Glibc)
import Glibc
#endif

/// Runs libFuzzer over `body` with this program's arguments, and exits with its status. A
/// property that does not hold is a trap (`check`), which libFuzzer reports as a crash.
public func runFuzzer(_ body: @escaping ([UInt8]) -> Void) -> Never {
    Fuzzing.body = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        Fuzzing.body?(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
    exit(status)
}

/// A property of the code under fuzzing: false stops the run as a crash, with `message`.
public func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        let line = Array("property failed: \(message())\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        abort()
    }
}

enum Fuzzing {
    /// The one input handler of this process; libFuzzer calls it from one thread.
    nonisolated(unsafe) static var body: (([UInt8]) -> Void)?
}
