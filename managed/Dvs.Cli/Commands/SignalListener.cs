using System.CommandLine;
using System.Runtime.InteropServices;

namespace Dvs.Cli.Commands;

/// <summary>
/// Turns Ctrl-C (SIGINT) and SIGTERM into a cancellation, from the moment it is created.
/// System.CommandLine does the same, but registers its handlers only once the command's action
/// first yields; <c>node run</c> starts its host and announces it before that, and a signal in
/// between would end the process the default way, leaving the node segment behind. Dispose it
/// before the token source it cancels.
/// </summary>
internal sealed class SignalListener : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;

    private SignalListener(PosixSignalRegistration[] registrations) => _registrations = registrations;

    /// <summary>
    /// Listens when this run handles signals at all (the real process; not an in-process test run,
    /// whose configuration has no termination timeout).
    /// </summary>
    public static SignalListener For(ParseResult parse, CancellationTokenSource stop)
    {
        if (parse.InvocationConfiguration.ProcessTerminationTimeout is null)
        {
            return new SignalListener([]);
        }

        void Handle(PosixSignalContext context)
        {
            context.Cancel = true; // we stop cleanly instead of the default exit
            stop.Cancel();
        }

        return new SignalListener(
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
        ]);
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
    }
}
