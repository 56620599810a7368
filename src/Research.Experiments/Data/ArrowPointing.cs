using Research.Torch;

namespace Research.Experiments.Data;

/// <summary>Where the objects of one <see cref="ArrowPointing"/> image are (rows, columns from the top left).</summary>
/// <param name="Tip">The arrow's tip.</param>
/// <param name="Direction">The arrow's direction (dy, dx), one of the 8 compass steps.</param>
/// <param name="Target">The marker the arrow points at.</param>
/// <param name="Distractor">The other marker (on a ray from the tip in another compass direction).</param>
/// <param name="Label">The colour of the target: 0 red, 1 blue.</param>
public sealed record ArrowScene((int Row, int Column) Tip, (int Dy, int Dx) Direction, (int Row, int Column) Target,
    (int Row, int Column) Distractor, int Label);

/// <summary>
/// The arrow-pointing task of the pLSTM paper (Pöppel et al., 2025), regenerated synthetically at any image size: a 3-pixel
/// arrow (channel 0: shaft 0.5 on the two pixels behind the tip, tip 1.0) in one of 8 compass directions, a red marker
/// (channel 1) and a blue marker (channel 2), one on the arrow's ray at distance ≥ 2 past the tip, the other on the ray
/// from the tip in another of the 8 directions (behind the arrow included) at distance ≥ 3. The label is the colour
/// the arrow points at, balanced. Positions and distances are uniform over what fits the canvas, so a larger canvas
/// has longer distances: test at twice the training size = extrapolation in distance and in image size.
/// </summary>
public static class ArrowPointing
{
    /// <summary>Image channels: arrow, red, blue.</summary>
    public const int Channels = 3;

    private static readonly (int Dy, int Dx)[] Compass = [(0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1)];

    /// <summary>Draws one scene on a <paramref name="size"/> × <paramref name="size"/> canvas; without diagonals, the arrow and the other marker's ray use only the 4 axis directions.</summary>
    public static ArrowScene Scene(int size, Random random, bool diagonals = true)
    {
        var compass = diagonals ? Compass : [Compass[0], Compass[2], Compass[4], Compass[6]];
        if (size < 8) throw new ArgumentOutOfRangeException(nameof(size), size, "the canvas must be at least 8 × 8");
        bool Inside(int r, int c) => r >= 0 && r < size && c >= 0 && c < size;
        int Reach(int r, int c, (int Dy, int Dx) d)                                              // largest t with tip + t d inside
        {
            int t = 0;
            while (Inside(r + (t + 1) * d.Dy, c + (t + 1) * d.Dx)) t++;
            return t;
        }
        while (true)
        {
            int r = random.Next(size), c = random.Next(size);
            int k = random.Next(compass.Length);
            var d = compass[k];
            var other = compass[(k + 1 + random.Next(compass.Length - 1)) % compass.Length];
            if (!Inside(r - 2 * d.Dy, c - 2 * d.Dx)) continue;
            int reach = Reach(r, c, d), otherReach = Reach(r, c, other);
            if (reach < 2 || otherReach < 3) continue;
            int t = 2 + random.Next(reach - 1), u = 3 + random.Next(otherReach - 2);
            int label = random.Next(2);
            return new ArrowScene((r, c), d, (r + t * d.Dy, c + t * d.Dx), (r + u * other.Dy, c + u * other.Dx), label);
        }
    }

    /// <summary>The pixels of a scene, [3, size, size] row-major.</summary>
    public static float[] Render(ArrowScene scene, int size)
    {
        var image = new float[Channels * size * size];
        void Set(int channel, (int Row, int Column) p, float value) => image[(channel * size + p.Row) * size + p.Column] = value;
        var (r, c) = scene.Tip;
        var (dy, dx) = scene.Direction;
        Set(0, (r - dy, c - dx), 0.5f);
        Set(0, (r - 2 * dy, c - 2 * dx), 0.5f);
        Set(0, scene.Tip, 1f);
        Set(1 + scene.Label, scene.Target, 1f);
        Set(2 - scene.Label, scene.Distractor, 1f);
        return image;
    }

    /// <summary>
    /// A batch of images <c>[batch, 3, size, size]</c> (float32) and labels <c>[batch]</c> (int64) from a generator seeded with
    /// <paramref name="seed"/>, with the scenes.
    /// </summary>
    public static (TaskBatch Batch, ArrowScene[] Scenes) Sample(int batch, int size, int seed, bool diagonals = true, Device? device = null)
    {
        var random = new Random(seed);
        var scenes = Enumerable.Range(0, batch).Select(_ => Scene(size, random, diagonals)).ToArray();
        var pixels = scenes.SelectMany(s => Render(s, size)).ToArray();
        var labels = scenes.Select(s => (long)s.Label).ToArray();
        Tensor Place(Tensor t) => device is { } d && d != Device.CPU ? t.To(d) : t;
        return (new TaskBatch(Place(Tensor.From(pixels, batch, Channels, size, size)).DetachFromScope(),
            Place(Tensor.From(labels)).DetachFromScope()), scenes);
    }
}
