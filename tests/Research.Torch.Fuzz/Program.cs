using System.Diagnostics;
using System.Globalization;
using Research.Torch.Fuzz;

// Research.Torch.Fuzz — seeded random bad calls through the typed API, each batch in a child process so a crash is
// counted, not fatal.
//   dotnet Research.Torch.Fuzz.dll --cases 10000 [--seed 1] [--batch 250] [--timeout 60]   run and report
//   dotnet Research.Torch.Fuzz.dll --child --seed 1 --from 120 --cases 1                   run cases in this process
// The report gives outcomes per family and, for every crash, hang or untyped exception, a line that reproduces it.
// Exit code 0 only with no crash, hang or untyped exception.
var options = Options.Parse(args);
if (options.Child) return Child.Run(options.Seed, options.From, options.Cases);
return Parent.Run(options);

internal sealed record Options(bool Child, int Seed, int From, int Cases, int Batch, int TimeoutSeconds)
{
    public static Options Parse(string[] args)
    {
        int Int(string name, int fallback)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }
        return new(args.Contains("--child"), Int("--seed", 1), Int("--from", 0), Int("--cases", 300), Int("--batch", 250), Int("--timeout", 60));
    }
}

/// <summary>Runs cases one by one, announcing each before it runs ("begin i") and its outcome after ("end i outcome type").</summary>
internal static class Child
{
    public static int Run(int seed, int from, int cases)
    {
        // A libtorch warning is an exception here too (Torch.Warning) only when asked; the default keeps warnings quiet.
        for (int i = from; i < from + cases; i++)
        {
            var c = Cases.Make(seed, i);
            Console.WriteLine($"begin {i}");
            Console.Out.Flush();
            string outcome, type = "-";
            try
            {
                c.Call();
                outcome = nameof(Outcome.Returned);
            }
            catch (Exception e)
            {
                outcome = Outcomes.Of(e).ToString();
                type = e.GetType().Name;
                if (Environment.GetEnvironmentVariable("FUZZ_TRACE") is not null) Console.Error.WriteLine(e);
            }
            Console.WriteLine($"end {i} {outcome} {type}");
            Console.Out.Flush();
        }
        return 0;
    }
}

/// <summary>Runs batches in child processes and tallies outcomes; a child that dies or hangs is restarted after the case.</summary>
internal static class Parent
{
    public static int Run(Options o)
    {
        var tally = Cases.Families.ToDictionary(f => f, _ => new int[Enum.GetValues<Outcome>().Length]);
        var problems = new List<string>();
        var clock = Stopwatch.StartNew();
        int next = o.From, end = o.From + o.Cases;
        while (next < end)
        {
            int count = Math.Min(o.Batch, end - next);
            var (lines, exited) = RunChild(o.Seed, next, count, o.TimeoutSeconds);
            int lastBegun = -1;
            foreach (var line in lines)
            {
                var parts = line.Split(' ');
                if (parts[0] == "begin") lastBegun = int.Parse(parts[1], CultureInfo.InvariantCulture);
                if (parts[0] != "end" || parts.Length < 4) continue;
                int index = int.Parse(parts[1], CultureInfo.InvariantCulture);
                var outcome = Enum.Parse<Outcome>(parts[2]);
                var c = Cases.Make(o.Seed, index);
                tally[c.Family][(int)outcome]++;
                if (outcome == Outcome.Untyped) problems.Add($"untyped {parts[3]}: case {index} ({c.Family}): {c.Repro}");
                lastBegun = -1;
            }
            if (lastBegun >= 0)
            {
                var c = Cases.Make(o.Seed, lastBegun);
                var outcome = exited ? Outcome.Crash : Outcome.Hang;
                tally[c.Family][(int)outcome]++;
                problems.Add($"{outcome.ToString().ToLowerInvariant()}: case {lastBegun} ({c.Family}): {c.Repro}   " +
                             $"[rerun: --child --seed {o.Seed} --from {lastBegun} --cases 1]");
                next = lastBegun + 1;
            }
            else next += count;
        }
        Console.WriteLine($"fuzz: {o.Cases} cases, seed {o.Seed}, {clock.Elapsed.TotalSeconds:F0} s");
        Console.WriteLine($"{"family",-16}{"returned",10}{"typed",8}{"untyped",9}{"crash",7}{"hang",6}");
        foreach (var (family, counts) in tally)
            Console.WriteLine($"{family,-16}{counts[0],10}{counts[1],8}{counts[2],9}{counts[3],7}{counts[4],6}");
        int bad = tally.Values.Sum(c => c[2] + c[3] + c[4]);
        Console.WriteLine($"fuzz: {tally.Values.Sum(c => c[3])} crashes, {tally.Values.Sum(c => c[4])} hangs, {tally.Values.Sum(c => c[2])} untyped exceptions");
        foreach (var p in problems) Console.WriteLine("  " + p);
        return bad == 0 ? 0 : 1;
    }

    private static (List<string> Lines, bool Exited) RunChild(int seed, int from, int count, int timeoutSeconds)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(typeof(Parent).Assembly.Location);
        foreach (var a in new[] { "--child", "--seed", $"{seed}", "--from", $"{from}", "--cases", $"{count}" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var lines = new List<string>();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        bool exited = p.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds + count / 10.0));
        if (!exited) p.Kill(entireProcessTree: true);
        p.WaitForExit();
        lock (lines) return (lines.ToList(), exited);
    }
}
