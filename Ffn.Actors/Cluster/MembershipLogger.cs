using Akka.Actor;
using Akka.Cluster;
using Ffn.Actors.Messages;

namespace Ffn.Actors.Cluster;

/// <summary>Logs cluster membership changes (joins, unreachable, removed) as one line each, to this node's <see cref="LineLog"/>.</summary>
public sealed class MembershipLogger : ReceiveActor
{
    public MembershipLogger(IActorRef lineLog)
    {
        void log(string line) => lineLog.Tell(new LogLine(line));
        Receive<ClusterEvent.MemberUp>(m => log($"cluster: {m.Member.Address} up [{string.Join(",", m.Member.Roles)}]"));
        Receive<ClusterEvent.UnreachableMember>(m => log($"cluster: {m.Member.Address} unreachable"));
        Receive<ClusterEvent.ReachableMember>(m => log($"cluster: {m.Member.Address} reachable again"));
        Receive<ClusterEvent.MemberRemoved>(m => log($"cluster: {m.Member.Address} removed (was {m.PreviousStatus})"));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
    }

    public static Props Props(IActorRef log) => Akka.Actor.Props.Create(() => new MembershipLogger(log));

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
}
