using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

namespace Ffn.Actors.Cluster;

/// <summary>
/// Hyperion (same identifier, same bytes) with <see cref="MessageTypeAllowList"/> as its type filter: what
/// hocon/cluster.conf names as the serializer of ffn's messages. A subclass because Akka.Serialization.Hyperion
/// 1.5.73 builds its serializer from the settings it is constructed with and drops a HyperionSerializerSetup's filter,
/// and HOCON's allowed-types goes through Hyperion's own TypeFilter, which refuses every message on the sending side.
/// </summary>
public sealed class AllowListHyperionSerializer : HyperionSerializer
{
    public AllowListHyperionSerializer(ExtendedActorSystem system) : base(system, Limited(HyperionSerializerSettings.Default))
    {
    }

    // Akka passes serialization-settings.hyperion when there is any.
    public AllowListHyperionSerializer(ExtendedActorSystem system, Config config) : base(system, Limited(HyperionSerializerSettings.Create(config)))
    {
    }

    private static HyperionSerializerSettings Limited(HyperionSerializerSettings s) =>
        s.WithDisallowUnsafeType(true).WithTypeFilter(MessageTypeAllowList.Filter());
}
