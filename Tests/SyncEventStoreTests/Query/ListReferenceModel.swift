@testable import SyncEventStore

/// The slow, obviously correct model of the list endpoint: filter, visibility, `q`, sort, keyset paging.
struct ListReferenceModel {
    var events: [TypeID: SyncEvent] = [:]

    func matching(_ request: ListRequest, _ viewer: Viewer) -> [SyncEvent] {
        let needle = request.q.map { JavaScriptCase.lowercase($0) }
        return events.values.filter { e in
            guard e.organizationId == viewer.organization, viewer.canSee(instance: e.connectorInstanceId) else { return false }
            if let i = request.connectorInstanceId, e.connectorInstanceId != i { return false }
            if let t = request.connectorTargetId, e.connectorTargetId != t { return false }
            if let s = request.status, e.status != s { return false }
            if let t = request.eventType, e.eventType != t { return false }
            if let needle {
                let text = JavaScriptCase.lowercase((e.externalEventRef ?? "") + "\n" + (e.sourceRevisionRef ?? ""))
                if !needle.isEmpty && !text.contains(needle) { return false }
            }
            return true
        }.sorted(by: Self.listOrder)
    }

    static func listOrder(_ a: SyncEvent, _ b: SyncEvent) -> Bool {
        if a.startedAt != b.startedAt { return a.startedAt > b.startedAt }
        return a.id > b.id
    }

    /// The events after `(startedAt, id)` in list order.
    func after(_ list: [SyncEvent], _ last: SyncEvent?) -> [SyncEvent] {
        guard let last else { return list }
        return list.filter { Self.listOrder(last, $0) }
    }
}

/// Random stores and requests for differential tests.
struct ListScenario {
    var random: SeededRandomSource
    var orgs: [TypeID] = []
    var instances: [TypeID: [TypeID]] = [:]
    var targets: [TypeID: [TypeID]] = [:]
    var refs: [String] = []

    init(seed: UInt64, instancesPerOrganization: Int = 5) {
        random = SeededRandomSource(seed: seed)
        for _ in 0..<3 {
            let org = id(.organization)
            orgs.append(org)
            instances[org] = (0..<instancesPerOrganization).map { _ in id(.connectorInstance) }
            targets[org] = (0..<6).map { _ in id(.connectorTarget) }
        }
    }

    mutating func id(_ p: TypeID.Prefix) -> TypeID { TypeID(prefix: p, high: random.next() >> 4, low: random.next()) }
    mutating func pick<T>(_ a: [T]) -> T { a[Int(random.next() % UInt64(a.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }

    static let refPieces = ["Delivery", "abc", "ΑΣ", "straße", "İstanbul", "x%_*", "ÉCLAIR", "0f3e", "Σ", "deadBEEF", "z"]

    mutating func ref() -> String? {
        if chance(15) { return nil }
        var s = ""
        for _ in 0..<(1 + Int(random.next() % 3)) { s += pick(Self.refPieces) + (chance(50) ? "-" : "") }
        return s + String(random.next() % 50)
    }

    mutating func event(org: TypeID? = nil, now: Int64 = 1_000) -> SyncEvent {
        let org = org ?? pick(orgs)
        let ext = ref()
        let src = ref()
        return SyncEvent(
            id: id(.event), organizationId: org, connectorInstanceId: pick(instances[org]!),
            connectorTargetId: chance(20) ? nil : pick(targets[org]!), remoteId: chance(50) ? "acme/r" : nil,
            eventType: pick(EventType.allCases), externalEventRef: ext, sourceRevisionRef: src,
            status: pick(EventStatus.allCases), summaryJson: chance(50) ? ["n": .number(.integer(1))] : nil,
            startedAt: Timestamp(millisecondsSince1970: now + Int64(random.next() % 40)))
    }

    mutating func viewer() -> Viewer {
        let org = pick(orgs)
        if chance(40) { return .admin(organization: org) }
        var visible = Set<TypeID>()
        for i in instances[org]! where chance(50) { visible.insert(i) }
        if chance(20) { visible.insert(pick(instances[pick(orgs)]!)) }  // possibly another org's instance
        return .member(organization: org, visibleInstances: visible)
    }

    mutating func request(for viewer: Viewer) -> ListRequest {
        let org = chance(90) ? viewer.organization : pick(orgs)
        var r = ListRequest(limit: 1 + Int(random.next() % 7))
        if chance(35) { r.connectorInstanceId = pick(instances[org]!) }
        if chance(25) { r.connectorTargetId = pick(targets[org]!) }
        if chance(30) { r.status = pick(EventStatus.allCases) }
        if chance(25) { r.eventType = pick(EventType.allCases) }
        if chance(35) {
            let base = pick(Self.refPieces)
            r.q = chance(50) ? base.uppercased() : String(base.prefix(1 + Int(random.next() % 3)))
            if chance(10) { r.q = "\n" + String(random.next() % 50) }
            if chance(10) { r.q = "no such text" }
        }
        return r
    }
}
