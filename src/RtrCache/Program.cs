using System.CommandLine;
using RtrCache.Host.Cli;
using RtrCache.Host.Cli.Configuration;

// `serve` also takes its options from a JSON file (--config / RTRCACHE_CONFIG) and RTRCACHE__* variables;
// the provenance lets its start-up errors name the file line or variable a bad value came from.
var provenance = new ConfigurationProvenance();
var serve = ServeCommand.Create(provenance);
var root = new RootCommand("RtrCache: RPKI relying party and RTR cache server")
{
    serve,
    InspectCommand.Create(),
    ValidateCommand.Create(),
    AspaVerifyCommand.Create(),
};
return await ServeConfiguration.Parse(root, serve, args, ServeConfiguration.ProcessEnvironment(), provenance).InvokeAsync(Console.Error).ConfigureAwait(false);
