import SyncEventStore

/// The role a member holds on one connector instance, weakest first.
///
/// Any role makes the instance's events visible; retrying an event needs ``editor`` or above.
public enum GrantRole: String, Sendable, Hashable, CaseIterable, Comparable {
    /// May read the instance's events.
    case viewer
    /// May also retry them.
    case editor
    /// May do everything; owners and admins act as managers of every instance.
    case manager

    /// Orders roles `viewer` < `editor` < `manager`.
    public static func < (a: GrantRole, b: GrantRole) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A signed-in caller, as the embedding server resolved it from the request.
///
/// ```swift
/// let admin = Caller.admin(organization: org)
/// let member = Caller.member(organization: org, grants: [instance: .viewer])
/// ```
public struct Caller: Sendable, Hashable {
    /// What the caller may do in its organization.
    public enum Access: Sendable, Hashable {
        /// An owner or admin: sees and retries every event of the organization.
        case admin
        /// Any other member: acts on the instances it holds a grant on, with the grant's role.
        case member(grants: [TypeID: GrantRole])
    }

    /// The caller's organization: no event of another organization is ever visible.
    public var organization: TypeID
    /// Admin, or member with grants.
    public var access: Access

    /// Creates a caller.
    public init(organization: TypeID, access: Access) {
        self.organization = organization
        self.access = access
    }

    /// An owner or admin of `organization`.
    public static func admin(organization: TypeID) -> Caller {
        Caller(organization: organization, access: .admin)
    }

    /// A member of `organization` with `grants` (instance → role); a grant on an instance of another
    /// organization, or on none, shows nothing.
    public static func member(organization: TypeID, grants: [TypeID: GrantRole]) -> Caller {
        Caller(organization: organization, access: .member(grants: grants))
    }

    /// The store's view of the caller: every instance for an admin, the granted ones for a member.
    public var viewer: Viewer {
        switch access {
        case .admin: return .admin(organization: organization)
        case .member(let grants): return .member(organization: organization, visibleInstances: Set(grants.keys))
        }
    }

    /// The caller's role on `instance` (`manager` for an admin), or `nil` without a grant.
    public func role(on instance: TypeID) -> GrantRole? {
        switch access {
        case .admin: return .manager
        case .member(let grants): return grants[instance]
        }
    }
}
