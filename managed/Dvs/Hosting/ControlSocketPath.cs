namespace Dvs.Hosting;

/// <summary>
/// Where a node host's control socket lives: <c>&lt;dir&gt;/&lt;node name&gt;.sock</c> in the first
/// usable folder of <c>$DVS_CONTROL_DIR</c> (when set, only it), <c>/run/dvs</c>,
/// <c>$XDG_RUNTIME_DIR/dvs</c>, <c>/tmp/dvs-&lt;user&gt;</c>. The folder is made mode 0700, so only its
/// owner reaches the sockets in it; a folder open to others that holds other files is not changed
/// but passed over (refused when it is the only candidate). Hosts and tools of one user in one environment resolve the
/// same path. Thread-safe; blocking file-system calls.
/// </summary>
public static class ControlSocketPath
{
    /// <summary>Environment variable that names the folder explicitly (tests, unusual set-ups).</summary>
    public const string DirectoryVariable = "DVS_CONTROL_DIR";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The candidate folders, in order of preference.</summary>
    public static IReadOnlyList<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } explicitDir)
        {
            return [Path.GetFullPath(explicitDir)];
        }
        var list = new List<string> { "/run/dvs" };
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime)
        {
            list.Add(Path.Combine(runtime, "dvs"));
        }
        list.Add(Path.Combine(Path.GetTempPath(), "dvs-" + Environment.UserName));
        return list;
    }

    /// <summary>
    /// The path a host of <paramref name="nodeName"/> should listen on; creates its folder (0700)
    /// when needed.
    /// </summary>
    /// <exception cref="DvsException">No candidate folder can be used (each reason is listed).</exception>
    public static string ForHost(string nodeName)
    {
        var reasons = new List<string>();
        foreach (string dir in Candidates())
        {
            if (TryPrepare(dir, out string? why))
            {
                return Path.Combine(dir, nodeName + ".sock");
            }
            reasons.Add($"{dir}: {why}");
        }
        throw new DvsException(DvsError.Access, "no folder for the control socket: " + string.Join("; ", reasons));
    }

    /// <summary>The socket of a running host of <paramref name="nodeName"/>, or null when none exists.</summary>
    public static string? Find(string nodeName) =>
        Candidates().Select(dir => Path.Combine(dir, nodeName + ".sock")).FirstOrDefault(File.Exists);

    /// <summary>Where <see cref="Find"/> looks, for messages.</summary>
    public static string Describe(string nodeName) =>
        string.Join(", ", Candidates().Select(dir => Path.Combine(dir, nodeName + ".sock")));

    private static bool TryPrepare(string dir, out string? why)
    {
        if (OperatingSystem.IsWindows())
        {
            why = "needs Linux (Unix file modes)";
            return false;
        }
        try
        {
            if (!Directory.Exists(dir))
            {
                Directory.CreateDirectory(dir, OwnerOnly);
            }
            // Sockets are reached through the folder: nobody but its owner may enter it. Fails
            // (not ours) for a folder someone else made. A folder that holds other files is
            // someone's on purpose: its mode is not ours to change.
            UnixFileMode mode = File.GetUnixFileMode(dir);
            if ((mode & ~OwnerOnly) != 0)
            {
                if (Directory.EnumerateFileSystemEntries(dir).Any(entry => !entry.EndsWith(".sock", StringComparison.Ordinal)))
                {
                    why = $"it is open to others (mode {Convert.ToString((int)mode, 8)}) and holds other files, so it cannot be made "
                        + "owner-only (0700) for the sockets; name an empty or new folder";
                    return false;
                }
                File.SetUnixFileMode(dir, OwnerOnly);
            }
            // Writable for us? A folder of another user is not, even at mode 0700.
            string probe = Path.Combine(dir, $".probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            why = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = e.Message;
            return false;
        }
    }
}
