import Security

/// Resume tokens name the node that holds the parked session, `<node>.<secret>`: a parked session lives in this
/// node's memory only, and the node in the token is what lets a load balancer send the reconnect here
/// (clients add it as `?node=`; docs/DEPLOY.md).
enum ResumeToken {
    static func mint(node: String) -> String { "\(node).\(SecureRandom.token())" }
}
