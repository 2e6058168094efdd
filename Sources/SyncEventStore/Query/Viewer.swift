/// Who is asking: the embedding server resolves the caller and passes a viewer (BEHAVIOUR.md §4).
///
/// - ``admin(organization:)``: an owner or admin of the organization sees every event of it.
/// - ``member(organization:visibleInstances:)``: any other member sees the events of the connector
///   instances they hold a grant on; with no grants, nothing.
public enum Viewer: Sendable, Hashable { case admin(organization: TypeID); case member(organization: TypeID, visibleInstances: Set<TypeID>) }
