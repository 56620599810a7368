using System.Reflection;
using Research.Cli;

// Experiments living in other Research.* assemblies next to this program register themselves on load.
foreach (var dll in Directory.GetFiles(AppContext.BaseDirectory, "Research.*.dll"))
{
    var name = AssemblyName.GetAssemblyName(dll);
    if (AppDomain.CurrentDomain.GetAssemblies().All(a => a.GetName().Name != name.Name)) Assembly.LoadFrom(dll);
}
return Commands.Execute(args, Console.Out, Console.Error);
