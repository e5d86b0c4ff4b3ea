using System.Globalization;
using System.Runtime.InteropServices;

namespace RtrCache.Interop.Peers;

/// <summary>A process identified by PID plus its kernel start time, so a recycled PID is never mistaken for it.</summary>
internal readonly record struct ProcessIdentity(int Pid, ulong StartTime);

/// <summary>
/// Linux-only helpers to signal processes and walk a process tree through <c>/proc</c>.
/// Used to stop peers that fork (OpenBGPD runs a parent plus three engine processes).
/// </summary>
internal static class ProcessTree
{
    public const int SigHup = 1;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int NativeKill(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/> to <paramref name="process"/> if it is still the same, live process.</summary>
    public static bool Signal(ProcessIdentity process, int signal)
        => IsAlive(process) && NativeKill(process.Pid, signal) == 0;

    /// <summary>Reads PID, parent PID, state and start time from <c>/proc/PID/stat</c>; null if gone.</summary>
    private static (int Pid, int ParentPid, char State, ulong StartTime)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) S ppid ..." — comm may contain spaces and parentheses, so split after the last ')'.
        int close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        string[] fields = text[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state), fields[1] field 4 (ppid), fields[19] field 22 (starttime).
        if (fields.Length < 20)
        {
            return null;
        }

        return (pid, int.Parse(fields[1], CultureInfo.InvariantCulture), fields[0][0],
            ulong.Parse(fields[19], CultureInfo.InvariantCulture));
    }

    public static ProcessIdentity? Identify(int pid)
        => ReadStat(pid) is { } stat ? new ProcessIdentity(pid, stat.StartTime) : null;

    /// <summary>True while the process exists, is not a zombie and still has the recorded start time.</summary>
    public static bool IsAlive(ProcessIdentity process)
        => ReadStat(process.Pid) is { } stat && stat.StartTime == process.StartTime && stat.State != 'Z';

    /// <summary>The root and all its current descendants (root first).</summary>
    public static List<ProcessIdentity> Snapshot(int rootPid)
    {
        var result = new List<ProcessIdentity>();
        if (Identify(rootPid) is not { } root)
        {
            return result;
        }

        var children = new Dictionary<int, List<ProcessIdentity>>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            if (ReadStat(pid) is { } stat)
            {
                if (!children.TryGetValue(stat.ParentPid, out var list))
                {
                    children[stat.ParentPid] = list = [];
                }

                list.Add(new ProcessIdentity(pid, stat.StartTime));
            }
        }

        var queue = new Queue<ProcessIdentity>();
        queue.Enqueue(root);
        while (queue.Count > 0 && result.Count < 10_000)
        {
            var current = queue.Dequeue();
            result.Add(current);
            if (children.TryGetValue(current.Pid, out var list))
            {
                foreach (var child in list)
                {
                    queue.Enqueue(child);
                }
            }
        }

        return result;
    }
}
