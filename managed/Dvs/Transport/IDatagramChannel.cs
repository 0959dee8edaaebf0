namespace Dvs.Transport;

/// <summary>
/// An unreliable datagram channel between node hosts (UDP, an in-memory network in tests).
/// Datagrams may be lost, duplicated or reordered; <see cref="ReliableSession"/> makes up for it.
/// Send and Receive may run on two different threads; neither is safe to call from two threads
/// at once.
/// </summary>
internal interface IDatagramChannel : IDisposable
{
    /// <summary>
    /// Sends every datagram of <paramref name="batch"/> to the node its slot names. Does not block
    /// for long (a full kernel buffer drops the datagram). Returns how many went out; datagrams to
    /// unknown nodes or refused by the kernel are skipped and counted by the channel.
    /// </summary>
    int Send(DatagramBatch batch);

    /// <summary>
    /// Clears <paramref name="batch"/> and fills it with received datagrams, blocking up to
    /// <paramref name="timeoutMilliseconds"/> (-1 forever, 0 not at all) when none is waiting.
    /// Returns the count, 0 on timeout. A datagram longer than the batch's slots is truncated to
    /// the slot size: give slots one byte more than the largest valid frame so it is dropped as
    /// too long.
    /// </summary>
    int Receive(DatagramBatch batch, int timeoutMilliseconds);
}
