#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-level substring search over UTF-8.
///
/// Searching UTF-8 bytes is equivalent to searching Unicode scalars because UTF-8
/// is self-synchronizing: a valid UTF-8 needle can only match a valid UTF-8
/// haystack at a scalar boundary. The search uses the C library's `memmem`
/// (glibc's two-way implementation, resolved once at run time with `dlsym`
/// because Swift's Glibc module does not export the GNU extension); if the symbol
/// is unavailable a portable `memchr` + `memcmp` loop is used instead.
public enum SubstringSearch {
    /// Returns whether `needle` occurs as a contiguous byte sequence in `haystack`.
    ///
    /// An empty needle is contained in every haystack (including an empty one).
    ///
    /// - Parameters:
    ///   - haystack: The bytes to search in.
    ///   - needle: The bytes to search for.
    /// - Returns: `true` if `needle` is a substring of `haystack`.
    public static func contains(haystack: UnsafeRawBufferPointer, needle: UnsafeRawBufferPointer) -> Bool {
        let n = needle.count
        if n == 0 { return true }
        let h = haystack.count
        if n > h { return false }
        guard let hBase = haystack.baseAddress, let nBase = needle.baseAddress else { return false }
        if let memmem = MemmemSymbol.function {
            return memmem(hBase, h, nBase, n) != nil
        }
        return fallbackContains(hBase, h, nBase, n)
    }

    /// Returns whether `needle` occurs as a contiguous byte sequence in `haystack`.
    ///
    /// - Parameters:
    ///   - haystack: The bytes to search in.
    ///   - needle: The bytes to search for.
    /// - Returns: `true` if `needle` is a substring of `haystack`; always `true`
    ///   for an empty needle.
    public static func contains(haystack: [UInt8], needle: [UInt8]) -> Bool {
        haystack.withUnsafeBytes { h in
            needle.withUnsafeBytes { n in contains(haystack: h, needle: n) }
        }
    }

    /// Returns whether the UTF-8 bytes of `needle` occur in `haystack`'s UTF-8.
    ///
    /// No case folding or normalization is applied.
    ///
    /// - Parameters:
    ///   - haystack: The string to search in.
    ///   - needle: The UTF-8 bytes to search for.
    /// - Returns: `true` if the bytes occur in the haystack.
    public static func contains(haystack: String, needle: [UInt8]) -> Bool {
        var h = haystack
        return h.withUTF8 { hb in
            needle.withUnsafeBytes { nb in contains(haystack: UnsafeRawBufferPointer(hb), needle: nb) }
        }
    }

    private static func fallbackContains(
        _ h: UnsafeRawPointer, _ hCount: Int, _ n: UnsafeRawPointer, _ nCount: Int
    ) -> Bool {
        let first = Int32(n.load(as: UInt8.self))
        var offset = 0
        let lastStart = hCount - nCount
        while offset <= lastStart {
            guard let hit = memchr(h + offset, first, lastStart - offset + 1) else { return false }
            let pos = h.distance(to: UnsafeRawPointer(hit))
            if memcmp(h + pos, n, nCount) == 0 { return true }
            offset = pos + 1
        }
        return false
    }
}

/// The C `memmem` function resolved once through the dynamic linker.
private enum MemmemSymbol {
    typealias Function = @convention(c) (
        UnsafeRawPointer?, Int, UnsafeRawPointer?, Int
    ) -> UnsafeMutableRawPointer?

    /// Holder so the resolved C function pointer can live in a global constant.
    struct Box: @unchecked Sendable {
        let function: Function?
    }

    static let box: Box = {
        #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, "memmem") else {
            return Box(function: nil)
        }
        return Box(function: unsafeBitCast(sym, to: Function.self))
        #else
        return Box(function: nil)
        #endif
    }()

    static var function: Function? { box.function }
}

/// A search term lowercased the way JavaScript's `toLowerCase()` does it, kept as
/// UTF-8 bytes ready for ``SubstringSearch``.
///
/// The list endpoint's `q` filter matches an event when
/// `lowercase(externalEventRef + "\n" + sourceRevisionRef)` contains
/// `lowercase(q)`; `q` is expected to be trimmed already.
public struct LowercasedNeedle: Sendable, Hashable {
    /// The UTF-8 bytes of the JavaScript-lowercased query.
    public let bytes: [UInt8]

    /// Creates a needle from a (trimmed) query string.
    ///
    /// - Parameter q: The query; it is lowercased with ``JavaScriptCase/lowercase(_:)``.
    public init(_ q: String) {
        self.bytes = JavaScriptCase.lowercaseUTF8(q)
    }

    /// Whether the needle is empty (an empty needle matches everything).
    public var isEmpty: Bool { bytes.isEmpty }

    /// Returns whether the needle occurs in already-lowercased UTF-8 bytes.
    ///
    /// - Parameter lowercasedHaystack: UTF-8 bytes produced by
    ///   ``JavaScriptCase/lowercase(_:)``.
    /// - Returns: `true` if the needle is a substring of the haystack.
    public func isContained(in lowercasedHaystack: UnsafeRawBufferPointer) -> Bool {
        bytes.withUnsafeBytes { SubstringSearch.contains(haystack: lowercasedHaystack, needle: $0) }
    }

    /// Returns whether an event with these references matches the query.
    ///
    /// Builds `externalEventRef + "\n" + sourceRevisionRef` (a `nil` reference
    /// counts as the empty string), lowercases it JavaScript-style and searches
    /// for the needle.
    ///
    /// - Parameters:
    ///   - externalEventRef: The event's external reference, if any.
    ///   - sourceRevisionRef: The event's source revision reference, if any.
    /// - Returns: `true` if the event matches the `q` filter.
    public func matches(externalEventRef: String?, sourceRevisionRef: String?) -> Bool {
        if bytes.isEmpty { return true }
        let combined = (externalEventRef ?? "") + "\n" + (sourceRevisionRef ?? "")
        return SubstringSearch.contains(haystack: JavaScriptCase.lowercase(combined), needle: bytes)
    }
}
