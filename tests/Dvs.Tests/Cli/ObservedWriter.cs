using System.Text;

namespace Dvs.Tests.Cli;

/// <summary>
/// A thread-safe capturing writer that can be awaited until some text appears, so a test waits
/// for "node ... running" instead of sleeping.
/// </summary>
internal sealed class ObservedWriter : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];

    public override Encoding Encoding => Encoding.UTF8;

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>Completes once <paramref name="text"/> has been written.</summary>
    public Task WhenWritten(string text)
    {
        lock (_text)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((text, seen));
            Check();
            return seen.Task;
        }
    }

    public override void Write(char value)
    {
        lock (_text)
        {
            _text.Append(value);
            Check();
        }
    }

    public override void Write(string? value)
    {
        lock (_text)
        {
            _text.Append(value);
            Check();
        }
    }

    private void Check()
    {
        string all = _text.ToString();
        _waiters.RemoveAll(w =>
        {
            bool found = all.Contains(w.Text, StringComparison.Ordinal);
            if (found)
            {
                w.Seen.TrySetResult();
            }

            return found;
        });
    }
}
