// The C ABI of liblicense-client.so (clients/c/include/license-client.h), over the Swift client
// library. No Swift type crosses it: handles are retained objects passed as opaque pointers,
// statuses and verdicts are the header's integers, strings are C strings the objects own.
// Every entry checks its pointers and text first: NULL and text that is not UTF-8 are errors
// with a message, never a trap (a pointer the library did not hand out is C's undefined behaviour).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LicenseClient
import LicenseCore

/// license_status's values (license-client.h); only ever added to.
enum Status: Int32 {
    case ok = 0, argument, configuration, userIDFile, tls, rejected, unexpectedAnswer, unavailable

    init(_ code: LicenseClientError.Code) {
        switch code {
        case .configuration: self = .configuration
        case .userIDFile: self = .userIDFile
        case .tls: self = .tls
        case .rejected: self = .rejected
        case .unexpectedAnswer: self = .unexpectedAnswer
        case .unavailable: self = .unavailable
        }
    }
}

/// What `license_client *` points to.
final class ClientHandle {
    let client: LicenseClient
    init(_ client: LicenseClient) { self.client = client }
}

/// A C caller's callback and its context, called on the heartbeat thread.
struct InvalidCallback: @unchecked Sendable {
    let function: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Void
    let context: UnsafeMutableRawPointer?
}

/// Records a failure for `license_last_error()` and returns its status.
private func failure(_ status: Status, _ message: String) -> Int32 {
    LastError.set(message)
    return status.rawValue
}

private func failure(_ error: any Error) -> Int32 {
    switch error {
    case let error as LicenseClientError: failure(Status(error.code), error.message)
    case let error as ClientSettings.ArgumentError: failure(.argument, error.message)
    default: failure(.configuration, "\(error)")
    }
}

private func retained(_ object: AnyObject) -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(object).toOpaque())
}

private func borrowed<Object: AnyObject>(_ pointer: OpaquePointer, as type: Object.Type) -> Object {
    Unmanaged<Object>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
}

@_cdecl("license_client_create")
public func license_client_create(_ settings: UnsafePointer<CChar>?, _ client: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guard let client else { return failure(.argument, "license_client_create: client is NULL") }
    client.pointee = nil
    guard let settings else { return failure(.argument, "license_client_create: settings is NULL") }
    guard let text = String(validatingCString: settings) else {
        return failure(.argument, "license_client_create: the settings are not UTF-8")
    }
    do {
        client.pointee = retained(ClientHandle(try ClientSettings(text).client()))
        return Status.ok.rawValue
    } catch {
        return failure(error)
    }
}

@_cdecl("license_client_free")
public func license_client_free(_ client: OpaquePointer?) {
    guard let client else { return }
    Unmanaged<ClientHandle>.fromOpaque(UnsafeRawPointer(client)).release()
}

/// A call that makes a result from the client: its pointers checked, `outcome`'s result handed
/// out, or its error recorded.
private func resultCall(_ name: String, _ client: OpaquePointer?, _ result: UnsafeMutablePointer<OpaquePointer?>?,
                        _ outcome: (LicenseClient) throws -> CheckResult) -> Int32 {
    guard let result else { return failure(.argument, name + ": result is NULL") }
    result.pointee = nil
    guard let client else { return failure(.argument, name + ": client is NULL") }
    do {
        result.pointee = retained(try outcome(borrowed(client, as: ClientHandle.self).client))
        return Status.ok.rawValue
    } catch {
        return failure(error)
    }
}

@_cdecl("license_check")
public func license_check(_ client: OpaquePointer?, _ result: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    resultCall("license_check", client, result) { CheckResult(try $0.check()) }
}

@_cdecl("license_release")
public func license_release(_ client: OpaquePointer?, _ result: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    resultCall("license_release", client, result) { CheckResult(try $0.release()) }
}

@_cdecl("license_session_start")
public func license_session_start(_ client: OpaquePointer?,
                                  _ onInvalid: (@convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Void)?,
                                  _ context: UnsafeMutableRawPointer?, _ session: UnsafeMutablePointer<OpaquePointer?>?,
                                  _ result: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guard let session, let result else { return failure(.argument, "license_session_start: session or result is NULL") }
    session.pointee = nil
    result.pointee = nil
    guard let client else { return failure(.argument, "license_session_start: client is NULL") }
    let callback = onInvalid.map { InvalidCallback(function: $0, context: context) }
    do {
        let started = try LicenseSession(client: borrowed(client, as: ClientHandle.self).client) { outcome in
            guard let callback else { return }
            let invalid = CheckResult(outcome)
            withExtendedLifetime(invalid) {
                callback.function(OpaquePointer(Unmanaged.passUnretained(invalid).toOpaque()), callback.context)
            }
        }
        let outcome = try started.start()
        session.pointee = retained(started)
        result.pointee = retained(CheckResult(outcome))
        return Status.ok.rawValue
    } catch {
        return failure(error)
    }
}

@_cdecl("license_session_close")
public func license_session_close(_ session: OpaquePointer?) {
    guard let session else { return }
    let unmanaged = Unmanaged<LicenseSession>.fromOpaque(UnsafeRawPointer(session))
    unmanaged.takeUnretainedValue().close()
    unmanaged.release()
}

@_cdecl("license_result_verdict")
public func license_result_verdict(_ result: OpaquePointer?) -> Int32 {
    guard let result else { return CheckResult.Verdict.invalid.rawValue }
    return borrowed(result, as: CheckResult.self).verdict.rawValue
}

@_cdecl("license_result_allows_running")
public func license_result_allows_running(_ result: OpaquePointer?) -> Int32 {
    guard let result else { return 0 }
    return borrowed(result, as: CheckResult.self).allowsRunning ? 1 : 0
}

@_cdecl("license_result_reason")
public func license_result_reason(_ result: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let result else { return nil }
    return borrowed(result, as: CheckResult.self).reason.map { UnsafePointer($0) }
}

@_cdecl("license_result_text")
public func license_result_text(_ result: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let result else { return nil }
    return UnsafePointer(borrowed(result, as: CheckResult.self).text)
}

@_cdecl("license_result_explanation")
public func license_result_explanation(_ result: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let result else { return nil }
    return borrowed(result, as: CheckResult.self).explanation.map { UnsafePointer($0) }
}

@_cdecl("license_result_free")
public func license_result_free(_ result: OpaquePointer?) {
    guard let result else { return }
    Unmanaged<CheckResult>.fromOpaque(UnsafeRawPointer(result)).release()
}

@_cdecl("license_last_error")
public func license_last_error() -> UnsafePointer<CChar> {
    LastError.current
}

/// Made once, never written: the pointer is shared read-only.
nonisolated(unsafe) private let libraryVersion: UnsafeMutablePointer<CChar> = strdup(ProductVersion.current)!

@_cdecl("license_library_version")
public func license_library_version() -> UnsafePointer<CChar> {
    UnsafePointer(libraryVersion)
}
