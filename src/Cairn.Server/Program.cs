// The `cairn` program: the Cairn library with nothing added. See Cairn.Cli.CairnCli for the commands.
return await Cairn.Cli.CairnCli.RunAsync(args);
