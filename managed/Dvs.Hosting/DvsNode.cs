namespace Dvs.Hosting;

/// <summary>
/// The Dvs node of this application, from dependency injection: set when the application has
/// started (its hosted services are constructed before any starts, so a constructor cannot take
/// the <see cref="Dvs.Node"/> itself). A background service awaits <see cref="Started"/>.
/// Thread-safe.
/// </summary>
public sealed class DvsNode
{
    private readonly TaskCompletionSource<Node> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Node? _node;

    /// <summary>The attached node; throws before start-up attached it.</summary>
    /// <exception cref="InvalidOperationException">The application has not started the node yet.</exception>
    public Node Node => Volatile.Read(ref _node)
        ?? throw new InvalidOperationException("the Dvs node is not started yet: use it once the host has started (await DvsNode.Started)");

    /// <summary>The node host when this process runs it (AddDvsNodeHost); null when it attaches to one running elsewhere (AddDvsNode).</summary>
    public NodeHost? Host { get; private set; }

    /// <summary>Completes with the node once the application started it; fails if start-up failed.</summary>
    public Task<Node> Started => _started.Task;

    /// <summary>Whether the node is attached and not stopped yet.</summary>
    public bool IsStarted => Volatile.Read(ref _node) is not null;

    internal void Set(Node node, NodeHost? host)
    {
        Host = host;
        Volatile.Write(ref _node, node);
        _started.TrySetResult(node);
    }

    internal void Fail(Exception failure) => _started.TrySetException(failure);

    internal void Clear()
    {
        Volatile.Write(ref _node, null);
        Host = null;
    }
}
