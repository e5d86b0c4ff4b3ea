using System.CommandLine;
using RtrCache.Host.Cli;

var root = new RootCommand("RtrCache: RPKI relying party and RTR cache server")
{
    ServeCommand.Create(),
    InspectCommand.Create(),
    ValidateCommand.Create(),
};
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
