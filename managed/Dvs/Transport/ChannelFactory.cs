namespace Dvs.Transport;

/// <summary>Opens the datagram channel a node's <see cref="NetworkOptions.Transport"/> asks for.
/// Thread-safe (no state).</summary>
internal static class ChannelFactory
{
    /// <summary>
    /// UDP or TCP on <see cref="NetworkOptions.Listen"/>, or raw Ethernet on
    /// <see cref="NetworkOptions.Interface"/>. Peers are not set: the caller does that with
    /// <see cref="IDatagramChannel.SetPeer(PeerOptions)"/>. Blocking, off the hot path.
    /// </summary>
    /// <exception cref="DvsException">The channel cannot be opened (address in use, no such
    /// interface, no permission, ...); the message says which and what to do.</exception>
    /// <param name="options">The transport, addresses and MTU.</param>
    /// <param name="authentication">For TCP: how accepted connections are admitted (null: all).</param>
    public static IDatagramChannel Open(NetworkOptions options, TcpAuthentication? authentication = null)
    {
        if (options.Transport != TransportKind.Raw)
        {
            foreach (PeerOptions peer in options.Peers)
            {
                if (peer.Address.Port == 0 || peer.Address.Address.Equals(System.Net.IPAddress.Broadcast))
                {
                    throw new DvsException(DvsError.BadValue,
                        $"peer node {peer.NodeId} ({peer.Name}) has no address: {options.Transport.ToString().ToLowerInvariant()} needs an IP address and port");
                }
            }
        }
        return OpenChannel(options, authentication);
    }

    private static IDatagramChannel OpenChannel(NetworkOptions options, TcpAuthentication? authentication) => options.Transport switch
    {
        TransportKind.Udp => UdpChannel.Open(options.Listen),
        TransportKind.Tcp => TcpChannel.Open(options.Listen, authentication),
        TransportKind.Raw => PacketChannel.Open(string.IsNullOrEmpty(options.Interface)
            ? throw new DvsException(DvsError.BadValue, "raw transport needs a network interface (NetworkOptions.Interface, [node] interface)")
            : options.Interface, options.Mtu),
        _ => throw new DvsException(DvsError.BadValue, $"unknown transport {options.Transport}"),
    };
}
