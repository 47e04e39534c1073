namespace Ffn.Actors.Cluster;

/// <summary>The roles a cluster member can have (`ffn node --role`), and the singleton's names.</summary>
public static class ClusterRoles
{
    public const string Coordinator = "coordinator";
    public const string Worker = "worker";
    public const string Submitter = "submitter";
    public static readonly string[] NodeRoles = [Coordinator, Worker];

    public const string ManagerName = "run-manager";
    public const string SingletonName = "singleton";
    public const string ProxyName = "run-manager-proxy";
}
