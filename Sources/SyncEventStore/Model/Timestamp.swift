import Foundation

/// A point in time at millisecond precision, as the store keeps `startedAt`, `completedAt` and `nextAttemptAt`.
///
/// Written as `YYYY-MM-DDTHH:mm:ss.sssZ` (UTC, three fraction digits), the form of JavaScript's
/// `Date.prototype.toISOString()`.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var millisecondsSince1970: Int64

    /// The earliest timestamp a record may hold: 0001-01-01T00:00:00.000Z.
    public static let earliest = Timestamp(millisecondsSince1970: -62_135_596_800_000)
    /// The latest timestamp a record may hold: 9999-12-31T23:59:59.999Z.
    public static let latest = Timestamp(millisecondsSince1970: 253_402_300_799_999)

    /// Creates a timestamp from milliseconds since the Unix epoch.
    public init(millisecondsSince1970: Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    /// Creates a timestamp from a `Date`, truncated to the millisecond.
    public init(_ date: Date) {
        self.millisecondsSince1970 = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The current time, truncated to the millisecond.
    public static var now: Timestamp { Timestamp(Date()) }

    /// This timestamp as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: Double(millisecondsSince1970) / 1000) }

    /// Whether the timestamp lies in the years 0001–9999, the range a record may hold.
    public var isInRecordRange: Bool { self >= .earliest && self <= .latest }

    /// Compares two timestamps by time.
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millisecondsSince1970 < b.millisecondsSince1970 }

    /// The ISO 8601 text, `YYYY-MM-DDTHH:mm:ss.sssZ`.
    public var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        append(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the ISO 8601 text as UTF-8 bytes (24 bytes for years 0000–9999).
    public func append(to out: inout [UInt8]) {
        let ms = millisecondsSince1970
        var days = ms / 86_400_000
        var rem = ms % 86_400_000
        if rem < 0 {
            rem += 86_400_000
            days -= 1
        }
        let (y, m, d) = Timestamp.civil(fromDays: days)
        let millis = Int(rem % 1000)
        let secs = Int(rem / 1000)
        func two(_ v: Int) {
            out.append(UInt8(48 + v / 10))
            out.append(UInt8(48 + v % 10))
        }
        if y >= 0 && y <= 9999 {
            two(Int(y) / 100)
            two(Int(y) % 100)
        } else {
            // JavaScript's expanded years: ±YYYYYY.
            out.append(y < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let digits = Array(String(abs(y)).utf8)
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, 6 - digits.count)))
            out.append(contentsOf: digits)
        }
        out.append(UInt8(ascii: "-"))
        two(Int(m))
        out.append(UInt8(ascii: "-"))
        two(Int(d))
        out.append(UInt8(ascii: "T"))
        two(secs / 3600)
        out.append(UInt8(ascii: ":"))
        two(secs / 60 % 60)
        out.append(UInt8(ascii: ":"))
        two(secs % 60)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(48 + millis / 100))
        two(millis % 100)
        out.append(UInt8(ascii: "Z"))
    }

    /// Parses ISO 8601 / RFC 3339 text: `YYYY-MM-DDTHH:mm[:ss[.fraction]]` followed by `Z` or `±HH:mm`.
    /// Fractions beyond milliseconds are truncated. Returns `nil` for anything else.
    public init?(iso8601 text: String) {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
            i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ")
        else { return nil }
        i += 1
        guard let hour = digits(2), expect(":"), let minute = digits(2) else { return nil }
        var second = 0
        var millis = 0
        if expect(":") {
            guard let s = digits(2) else { return nil }
            second = s
            if expect(".") {
                var n = 0
                var frac = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if n < 3 { frac = frac * 10 + Int(b[i] - 48) }
                    n += 1
                    i += 1
                }
                guard n > 0 else { return nil }
                for _ in n..<max(n, 3) { frac *= 10 }
                millis = frac
            }
        }
        var offsetMinutes = 0
        if expect("Z") || expect("z") {
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = digits(2), expect(":"), let om = digits(2), oh < 24, om < 60 else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
        } else {
            return nil
        }
        guard i == b.count, (1...12).contains(month), day >= 1,
            day <= Timestamp.daysInMonth(year: year, month: month), hour < 24, minute < 60, second < 60
        else { return nil }
        let days = Timestamp.days(fromCivil: Int64(year), Int64(month), Int64(day))
        let ms =
            ((days * 24 + Int64(hour)) * 60 + Int64(minute) - Int64(offsetMinutes)) * 60_000 + Int64(second) * 1000
            + Int64(millis)
        self.init(millisecondsSince1970: ms)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's civil calendar algorithms.
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
