/// The look-ups a worker and the HTTP layer need, each one read transaction over an index.
extension Engine {
    /// The newest (`startedAt`, then `id`) `completed` event of `target`, from the `targetStatus` index.
    func latestCompleted(target: TypeID) throws -> SyncEvent? {
        try storage.read { txn in
            guard let id = try txn.targetEventIDs(target, .completed, limit: 1).first else { return nil }
            return try txn.loadEvent(id)
        }
    }

    /// Whether `target` has a `queued` or a `running` event.
    func hasActiveEvent(target: TypeID) throws -> Bool {
        try storage.read { txn in
            for status in [EventStatus.queued, .running]
            where try txn.hasKey(withPrefix: IndexKey.prefix(.targetStatus, target.bytes, [status.code])) {
                return true
            }
            return false
        }
    }

    /// One event as `viewer` may see it: not in the viewer's organization is ``EventLookup/notFound``,
    /// in it but on an instance the viewer holds no grant on is ``EventLookup/forbidden``.
    func event(id: TypeID, as viewer: Viewer) throws -> EventLookup {
        guard let event = try self.event(id: id), event.organizationId == viewer.organization else { return .notFound }
        return viewer.canSee(instance: event.connectorInstanceId) ? .found(event) : .forbidden
    }
}
