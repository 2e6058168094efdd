#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The message printed when LMDB touches a damaged or vanished page of the mapped file.
private let damageMessage = Array("""
    Error: reading the store stopped on a bad memory access (SIGBUS or SIGSEGV inside the mapped data file): \
    the store's data.mdb is most likely damaged, or was truncated while in use. Run `syncevents verify --store DIR`, \
    and restore a backup if it reports problems.\n
    """.utf8)

/// Turns SIGBUS and SIGSEGV into a clear error and exit status 1. LMDB reads the store through a memory
/// map and trusts its pages; `open` checks the file against its meta pages, and every record carries a
/// checksum, but a damaged B-tree page can still send LMDB outside the map.
func installDamageSignalHandlers() {
    _ = damageMessage.count  // initialize the global now, not inside the handler
    for sig in [SIGBUS, SIGSEGV] {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in
            damageMessage.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
            _exit(1)
        }
        #else
        action.__sigaction_u.__sa_handler = { _ in
            damageMessage.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
            _exit(1)
        }
        #endif
        sigemptyset(&action.sa_mask)
        sigaction(sig, &action, nil)
    }
}
