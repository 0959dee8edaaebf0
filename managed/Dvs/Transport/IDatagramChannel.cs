namespace Dvs.Transport;

/// <summary>
/// An unreliable datagram channel between node hosts (UDP, TCP, raw Ethernet, an in-memory network
/// in tests; <see cref="ChannelFactory"/> opens the one a node is configured with).
/// Datagrams may be lost, duplicated or reordered; <see cref="ReliableSession"/> makes up for it.
/// Send and Receive may run on two different threads; neither is safe to call from two threads
/// at once.
/// </summary>
internal interface IDatagramChannel : IDisposable
{
    /// <summary>Where datagrams for <paramref name="node"/> go. Call before traffic starts (not
    /// thread-safe with Send / Receive).</summary>
    void SetPeer(int node, System.Net.IPEndPoint address);

    /// <summary>Where datagrams for <paramref name="peer"/> go, by the address kind this channel
    /// uses (IP endpoint by default; a MAC address for raw Ethernet). Call before traffic starts.</summary>
    void SetPeer(PeerOptions peer) => SetPeer(peer.NodeId, peer.Address);

    /// <summary>Whether <see cref="Receive"/> tags each datagram with the node whose configured
    /// address it came from (-1: none). The node host drops authentic frames whose tag is not the
    /// node they name.</summary>
    bool NamesSenders => true;

    /// <summary>The local IP address and port, when the channel has one (not raw Ethernet).</summary>
    System.Net.IPEndPoint? LocalEndPoint => null;

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
