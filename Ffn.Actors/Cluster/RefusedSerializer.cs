using Akka.Actor;
using Akka.Configuration;
using System.Runtime.Serialization;
using Akka.Serialization;

namespace Ffn.Actors.Cluster;

/// <summary>
/// Takes the place of Akka's JSON serializer (id 1) on cluster members. That one builds whatever .NET type a message's
/// "$type" names, so a crafted message could make any object on a node; ffn's messages never use it (they are bound
/// to Hyperion, limited by <see cref="MessageTypeAllowList"/>). Anything that arrives for it is refused, and a message
/// with no binding of its own fails on the sending side instead of falling back to it.
/// </summary>
public sealed class RefusedSerializer : Serializer
{
    public RefusedSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    // Akka passes the settings under serialization-settings.json when there are any.
    public RefusedSerializer(ExtendedActorSystem system, Config _) : base(system)
    {
    }

    public override int Identifier => 1;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) =>
        throw new SerializationException($"{obj.GetType()}: no serializer is bound to it; messages between ffn nodes implement IFfnMessage");

    public override object FromBinary(byte[] bytes, Type type) =>
        throw new SerializationException("refused a message for Akka's JSON serializer: ffn nodes accept only IFfnMessage types through Hyperion");
}
