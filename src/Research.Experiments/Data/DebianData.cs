namespace Research.Experiments.Data;

/// <summary>Finds data files that Debian packages install, with errors that name the package to install.</summary>
public static class DebianData
{
    /// <summary>Where python3-sklearn installs its bundled data sets.</summary>
    public const string SklearnData = "/usr/lib/python3/dist-packages/sklearn/datasets/data";

    /// <summary>Where python3-sklearn installs its sample images.</summary>
    public const string SklearnImages = "/usr/lib/python3/dist-packages/sklearn/datasets/images";

    /// <summary>Where python3-scipy installs its sample signals and images.</summary>
    public const string ScipyMisc = "/usr/lib/python3/dist-packages/scipy/misc";

    /// <summary>Returns <paramref name="path"/> when it exists, else throws naming the Debian package that provides it.</summary>
    public static string Require(string path, string package)
    {
        if (File.Exists(path)) return path;
        throw new FileNotFoundException(
            $"{path} is missing. It is installed by the Debian package '{package}': run `apt-get install {package}` " +
            "(it is listed in environment/apt-packages.txt).", path);
    }

    /// <summary>Returns the full path of <paramref name="program"/> on PATH, else throws naming its Debian package.</summary>
    public static string RequireProgram(string program, string package)
    {
        if (Path.IsPathRooted(program) && File.Exists(program)) return program;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(
            $"the program '{program}' was not found on PATH. It is installed by the Debian package '{package}': run `apt-get install {package}`.", program);
    }
}
