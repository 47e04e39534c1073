namespace Ffn.Actors.Messages;

/// <summary>Marker of every message that may cross a process boundary (bound to one serializer in akka.conf).</summary>
public interface IFfnMessage;

/// <summary>Block messages carry run, block and attempt; replies echo all three so stale ones can be dropped.</summary>
public interface IWithBlockId : IFfnMessage
{
    string RunId { get; }
    int BlockId { get; }
    int Attempt { get; }
}
