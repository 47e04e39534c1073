using Akka.Actor;
using Ffn.Actors.Messages;

namespace Ffn.Actors;

/// <summary>This node's log: workers and the run manager tell it <see cref="LogLine"/>s; it prints them, one at a time.</summary>
public sealed class LineLog : ReceiveActor
{
    public LineLog(IProgress<string> output) => Receive<LogLine>(m => output.Report(m.Text));

    public static IActorRef Start(IActorRefFactory system, IProgress<string> output) =>
        system.ActorOf(Props.Create(() => new LineLog(output)), "log");
}
