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
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: RtrCache.Benchmarks payload [--runs N]");
    return 2;
}
