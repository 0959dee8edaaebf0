namespace Dvs.Ipc;

/// <summary>Small files a node host keeps beside its segment (incarnation, epochs): mode 0600, replaced whole.</summary>
internal static class PrivateFile
{
    /// <summary>
    /// Writes <paramref name="text"/> to a temporary file readable by this user only, then renames
    /// it over <paramref name="path"/>: a crash leaves the old content or the new, never a mix.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written or renamed.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission.</exception>
    public static void ReplaceWith(string path, string text)
    {
        string temporary = path + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var file = new StreamWriter(temporary, options))
        {
            file.Write(text);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
