using System.Buffers;
using MemoryPack;

namespace Dvs.Services;

/// <summary>
/// A small key-value server, the service kind "kv" (demo, tests, benchmarks). Requests: type
/// <see cref="Get"/> (word 0 = key) replies word 0 = value; <see cref="Put"/> (key, value) replies
/// the old value; <see cref="Increment"/> (key) adds one and replies the new value, so a client
/// that increments its own key sees 1, 2, 3... exactly when nothing is lost or executed twice;
/// <see cref="Advance"/> (key, n), meant as a one-way Send numbered 1, 2, 3... by its sender, sets
/// the key to n and counts, under key <see cref="OutOfOrderKey"/>(key), every n that is not the
/// key's value + 1 (a message lost, repeated or reordered).
/// Word 6 of every reply is the number of requests executed so far. <see cref="Ballast"/> pads the
/// snapshot (a migration benchmark's state size). Deterministic: migrations pre-copy it.
/// </summary>
public sealed class KeyValueService : IMigratableService
{
    public const string KindName = "kv";
    public const int Get = 1;
    public const int Put = 2;
    public const int Increment = 3;
    public const int Advance = 4;

    /// <summary>The key under which <see cref="Advance"/> counts the out-of-order numbers of <paramref name="key"/>.</summary>
    public static long OutOfOrderKey(long key) => key | (1L << 48);

    private KeyValueState _state = new();

    /// <summary>Extra bytes carried in the snapshot.</summary>
    public int Ballast
    {
        get => _state.Ballast.Length;
        set => _state.Ballast = new byte[value];
    }

    public long Executed => _state.Executed;

    public int Count => _state.Values.Count;

    public long this[long key] => _state.Values.GetValueOrDefault(key);

    public Message Execute(in Message request)
    {
        _state.Executed++;
        long key = request[0];
        var reply = new Message(request.Type);
        switch (request.Type)
        {
            case Get:
                reply[0] = _state.Values.GetValueOrDefault(key);
                break;
            case Put:
                reply[0] = _state.Values.GetValueOrDefault(key);
                _state.Values[key] = request[1];
                break;
            case Increment:
                reply[0] = _state.Values[key] = _state.Values.GetValueOrDefault(key) + 1;
                break;
            case Advance:
                reply[0] = _state.Values.GetValueOrDefault(key);
                if (request[1] != reply[0] + 1)
                {
                    _state.Values[OutOfOrderKey(key)] = _state.Values.GetValueOrDefault(OutOfOrderKey(key)) + 1;
                }
                _state.Values[key] = request[1];
                break;
            default:
                reply.Type = (int)DvsError.BadRequest;
                break;
        }
        reply[6] = _state.Executed;
        return reply;
    }

    public byte[] Snapshot() => MemoryPackSerializer.Serialize(_state);

    public void Snapshot(IBufferWriter<byte> into) => MemoryPackSerializer.Serialize(into, _state);

    /// <summary>Every reply and change follows from the state and the request alone.</summary>
    public bool IsDeterministic => true;

    public void Restore(ReadOnlySpan<byte> snapshot) =>
        _state = MemoryPackSerializer.Deserialize<KeyValueState>(snapshot) ?? new KeyValueState();
}
