using RtrCache.Benchmarks;

// Benchmarks are console programs, never timed unit tests. Usage:
//   dotnet run -c Release --project tests/RtrCache.Benchmarks -- payload [--runs N]
string what = args.Length > 0 ? args[0] : "payload";
int runs = 7;
for (int i = 1; i < args.Length - 1; i++)
    if (args[i] == "--runs") runs = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);

return what switch
{
    "payload" => PayloadBenchmark.Run(runs),
    "persist" => PersistBenchmark.Run(runs),
    "keys" => KeySpeed(),
    "validate" => ValidatorBenchmark.Run(Enum.Parse<RtrCache.Testbed.TestbedScale>(Option(args, "--scale", "Medium"), ignoreCase: true), args.Contains("--rpki-client"), args.Contains("--warm")),
    "fetch" => await FetchBenchmark.RunAsync(Enum.Parse<RtrCache.Testbed.TestbedScale>(Option(args, "--scale", "Medium"), ignoreCase: true),
        (int)Number(args, "--https-port", FetchBenchmark.DefaultHttpsPort), (int)Number(args, "--rsync-port", FetchBenchmark.DefaultRsyncPort),
        // one round of the global shape takes minutes; smaller ones are cheap enough to repeat
        (int)Number(args, "--runs", Option(args, "--scale", "Medium").Equals("global", StringComparison.OrdinalIgnoreCase) ? 1 : 3),
        args.Contains("--generate-only"), args.Contains("--serve"),
        Enum.Parse<RtrCache.Testbed.Publishing.SnapshotOrder>(Option(args, "--snapshot-order", "sorted").Replace("-", "", StringComparison.Ordinal), ignoreCase: true),
        args.Contains("--in-place")),
    "rtr" => await RtrBenchmark.RunAsync(Concurrency(args), TimeSpan.FromSeconds(Seconds(args, 180)), Servers(args), (int)Number(args, "--routers", 100)),
    _ => Usage(),
};

static int KeySpeed()
{
    // How fast test-repository keys can be made here: plain RSA-2048 generation against the prime pool.
    Console.WriteLine(RtrCache.Testbed.KeyPool.MeasureSpeed(TimeSpan.FromSeconds(5)));
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: RtrCache.Benchmarks payload [--runs N]");
    Console.Error.WriteLine("       RtrCache.Benchmarks persist [--runs N]");
    Console.Error.WriteLine("       RtrCache.Benchmarks keys");
    Console.Error.WriteLine("       RtrCache.Benchmarks validate [--scale tiny|small|medium|global] [--rpki-client] [--warm]");
    Console.Error.WriteLine("       RtrCache.Benchmarks fetch [--scale tiny|small|medium|global] [--runs N] [--https-port 18443] [--rsync-port 18873] [--snapshot-order sorted|parents-first|shuffled] [--in-place] [--generate-only | --serve]");
    Console.Error.WriteLine("       RtrCache.Benchmarks rtr [--concurrency 1,10,100,1000] [--timeout SECONDS] [--servers rtrcache,stayrtr] [--routers 100]");
    return 2;
}

static int[] Concurrency(string[] args)
{
    int i = Array.IndexOf(args, "--concurrency");
    return i >= 0 && i + 1 < args.Length
        ? args[i + 1].Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
        : [1, 10, 100, 1000];
}

static string[] Servers(string[] args)
{
    int i = Array.IndexOf(args, "--servers");
    return i >= 0 && i + 1 < args.Length ? args[i + 1].Split(',') : ["rtrcache", "stayrtr"];
}

static double Seconds(string[] args, double fallback) => Number(args, "--timeout", fallback);

static double Number(string[] args, string name, double fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

static string Option(string[] args, string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
