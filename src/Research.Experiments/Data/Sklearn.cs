using System.Globalization;
using System.IO.Compression;

namespace Research.Experiments.Data;

/// <summary>The data sets bundled with scikit-learn, read from Debian's python3-sklearn install.</summary>
public static class Sklearn
{
    private const string Package = "python3-sklearn";

    /// <summary>8×8 handwritten digits: 1797 rows × 64 pixel intensities 0..16 (row-major image), labels 0..9.</summary>
    public static TabularDataset Digits()
    {
        var path = DebianData.Require(Path.Combine(DebianData.SklearnData, "digits.csv.gz"), Package);
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var rows = new List<string>();
        while (reader.ReadLine() is { } line) if (line.Length > 0) rows.Add(line);
        return Parse("digits", rows, 64, Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>Fisher's iris: 150 rows × 4 measurements (cm), 3 classes.</summary>
    public static TabularDataset Iris() => ReadWithHeader("iris", "iris.csv");

    /// <summary>Wine recognition: 178 rows × 13 chemical measurements, 3 classes.</summary>
    public static TabularDataset Wine() => ReadWithHeader("wine", "wine_data.csv");

    /// <summary>Wisconsin breast cancer: 569 rows × 30 features, classes malignant (0) and benign (1).</summary>
    public static TabularDataset BreastCancer() => ReadWithHeader("breast_cancer", "breast_cancer.csv");

    // These files start with "rows,columns,class names..." and then rows of features followed by the label.
    private static TabularDataset ReadWithHeader(string name, string file)
    {
        var path = DebianData.Require(Path.Combine(DebianData.SklearnData, file), Package);
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',');
        int rows = int.Parse(header[0], CultureInfo.InvariantCulture), columns = int.Parse(header[1], CultureInfo.InvariantCulture);
        var data = Parse(name, lines.Skip(1).ToList(), columns, header[2..]);
        if (data.Rows != rows) throw new InvalidDataException($"{path}: header says {rows} rows, found {data.Rows}");
        return data;
    }

    private static TabularDataset Parse(string name, List<string> lines, int columns, string[] classes)
    {
        var x = new float[lines.Count * columns];
        var y = new long[lines.Count];
        for (int i = 0; i < lines.Count; i++)
        {
            var cells = lines[i].Split(',');
            if (cells.Length != columns + 1) throw new InvalidDataException($"{name}: row {i} has {cells.Length} cells, expected {columns + 1}");
            for (int j = 0; j < columns; j++) x[i * columns + j] = float.Parse(cells[j], CultureInfo.InvariantCulture);
            y[i] = (long)double.Parse(cells[columns], CultureInfo.InvariantCulture);
        }
        return new TabularDataset(name, x, y, lines.Count, columns, classes);
    }
}
