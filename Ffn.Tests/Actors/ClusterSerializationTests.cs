using System.Collections.Concurrent;
using System.Runtime.Serialization;
using System.Security;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Ffn.Actors.Cluster;
using Ffn.Actors.Messages;
using Ffn.Model.Blocks;
using Ffn.Tests.Support;

namespace Ffn.Tests.Actors;

/// <summary>
/// What a cluster member does with a message another process crafted: the member's actor system is built as `ffn node`
/// builds it (hocon/cluster.conf, <see cref="ClusterSetup"/>), and deserializes as remoting does, by serializer id.
/// The crafted bytes come from an actor system without ffn's limits, which reads them back fine: the payloads are
/// valid, and only the member's allow-list refuses them.
/// </summary>
public sealed class ClusterSerializationTests : IDisposable
{
    private readonly ActorSystem _member;
    private readonly ActorSystem _crafter;

    public ClusterSerializationTests()
    {
        var local = ConfigurationFactory.ParseString("akka.actor.provider = local\nakka.loglevel = OFF\nakka.stdout-loglevel = OFF");
        var cluster = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(TestData.RepoRoot, "hocon", "cluster.conf")));
        _member = ActorSystem.Create("member", ClusterSetup.Create(local.WithFallback(cluster), null, _ => { }));
        _crafter = ActorSystem.Create("crafter", local);
    }

    private object Receive(byte[] bytes, int serializerId, string manifest) => _member.Serialization.Deserialize(bytes, serializerId, manifest);

    private static BlockCompleted Completed(IReadOnlyDictionary<string, long> counters) => new("r1", 3, 1, "w1", "/data/run/blocks/seg_0_0_0.npz", 7, counters, 0.5);

    [Fact]
    public void Ffn_messages_pass_and_crafted_types_are_refused()
    {
        // A real message, through the member's own bindings, as a peer member sends it.
        var sent = Completed(new Dictionary<string, long> { ["fov_steps"] = 12 });
        var ours = _member.Serialization.FindSerializerFor(sent);
        Assert.IsType<AllowListHyperionSerializer>(ours);
        var back = Assert.IsType<BlockCompleted>(Receive(ours.ToBinary(sent), ours.Identifier, ""));
        Assert.Equal(sent with { Counters = back.Counters }, back);
        Assert.Equal(12, back.Counters["fov_steps"]);

        var hyperion = new HyperionSerializer((ExtendedActorSystem)_crafter); // Hyperion's defaults: no allow-list
        // The same message with a collection type no ffn node ever sends in it, and an ffn type that is no message.
        object[] crafted = [Completed(new ConcurrentDictionary<string, long> { ["fov_steps"] = 12 }), new DataRoots([Path.GetTempPath()])];
        foreach (var message in crafted)
        {
            var bytes = hyperion.ToBinary(message);
            Exception refused = Assert.ThrowsAny<SerializationException>(() => Receive(bytes, hyperion.Identifier, ""));
            while (refused.InnerException is { } inner) refused = inner;
            Assert.IsAssignableFrom<SecurityException>(refused); // Hyperion's "unsafe type", raised before the type is loaded
            Assert.Contains("Unsafe Type Deserialization Detected", refused.Message);
            // A valid payload. Read back only now: Hyperion caches the types it loads process-wide, past any filter.
            Assert.IsType(message.GetType(), hyperion.FromBinary(bytes, null));
        }

        // Akka's JSON serializer would build whatever "$type" names; on a member its id refuses everything.
        var json = new NewtonSoftJsonSerializer((ExtendedActorSystem)_crafter);
        var jsonBytes = json.ToBinary(sent);
        Assert.IsType<BlockCompleted>(json.FromBinary(jsonBytes, typeof(BlockCompleted)));
        Assert.ThrowsAny<SerializationException>(() => Receive(jsonBytes, 1, ""));
        // ... and a message with no binding of its own is not sent that way either.
        Assert.ThrowsAny<SerializationException>(() => _member.Serialization.FindSerializerFor(new Version(1, 2)).ToBinary(new Version(1, 2)));
    }

    public void Dispose()
    {
        _member.Terminate().Wait();
        _crafter.Terminate().Wait();
    }
}
