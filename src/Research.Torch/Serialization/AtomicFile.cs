using System.Runtime.InteropServices;

namespace Research.Torch.Serialization;

/// <summary>
/// Writes a file so that readers see either the old or the new content, never a torn one: a temporary
/// file in the same directory, flushed to disk, renamed over the target, then the directory synced.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> atomically with <paramref name="write"/>; the temporary file is removed on failure.</summary>
    public static void Write(string path, Action<FileStream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        var temp = TempPathFor(full);
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            SyncDirectory(dir);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>The temporary name used while writing <paramref name="fullPath"/> (hidden, same directory, unique).</summary>
    public static string TempPathFor(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath) ?? ".", $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    private static void SyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int fd = open(dir, 0);
        if (fd < 0) return;
        fsync(fd);
        close(fd);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)] private static partial int open(string path, int flags);
    [LibraryImport("libc")] private static partial int fsync(int fd);
    [LibraryImport("libc")] private static partial int close(int fd);
}
