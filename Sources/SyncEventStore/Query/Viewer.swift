/// Who is asking: the store never returns or reveals an event outside the viewer's visible set.
///
/// The embedding server resolves the caller; the store only applies the result (BEHAVIOUR.md §4).
public enum Viewer: Sendable, Hashable {
    /// An owner or admin of the organization: sees every event of it.
    case admin(organization: TypeID)
    /// Any other member: sees the events of these connector instances (possibly none).
    case member(organization: TypeID, visibleInstances: Set<TypeID>)

    /// The organization the viewer belongs to.
    public var organization: TypeID {
        switch self {
        case .admin(let org), .member(let org, _): return org
        }
    }

    /// Whether events of `instance` are visible to the viewer.
    public func canSee(instance: TypeID) -> Bool {
        switch self {
        case .admin: return true
        case .member(_, let visible): return visible.contains(instance)
        }
    }
}
