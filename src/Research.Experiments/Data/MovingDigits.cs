using Research.Torch;

namespace Research.Experiments.Data;

/// <summary>Which digit images a <see cref="MovingDigits"/> video is drawn from.</summary>
public enum DigitSplit
{
    /// <summary>Training digits.</summary>
    Train,

    /// <summary>Validation digits (learning-rate choice).</summary>
    Validation,

    /// <summary>Test digits, never trained or tuned on.</summary>
    Test,
}

/// <summary>
/// Moving-digits videos, a small Moving MNIST: scikit-learn's 8×8 digits (pixels scaled to [0, 1]) move on a dark
/// square canvas with constant velocities whose components are drawn from {−2, −1, 1, 2} pixels per frame, and bounce
/// (reflect) off the edges; where digits overlap the brighter pixel wins. The 1797 digits are split once, by
/// <c>seed</c>, into training (70 %), validation (10 %) and test (20 %) images, so test videos show digits (and draws of
/// positions and velocities) that training never saw. Every video is a pure function of (split, index stream bits).
/// </summary>
public sealed class MovingDigits
{
    /// <summary>Side of the sklearn digits.</summary>
    public const int DigitSize = 8;

    private readonly float[][][] _images;   // per split: images of 64 pixels in [0, 1]

    private MovingDigits(int canvas, int digits, float[][][] images) => (Canvas, DigitsPerVideo, _images) = (canvas, digits, images);

    /// <summary>Side of the square canvas in pixels.</summary>
    public int Canvas { get; }

    /// <summary>Digits per video.</summary>
    public int DigitsPerVideo { get; }

    /// <summary>Number of digit images in <paramref name="split"/>.</summary>
    public int Count(DigitSplit split) => _images[(int)split].Length;

    /// <summary>Splits the digits (seeded) for videos on a <paramref name="canvas"/>² canvas with <paramref name="digits"/> digits each.</summary>
    public static MovingDigits Create(int canvas = 16, int digits = 2, int seed = 0)
    {
        if (canvas < DigitSize) throw new ArgumentOutOfRangeException(nameof(canvas), canvas, $"the canvas must hold a digit ({DigitSize} pixels)");
        ArgumentOutOfRangeException.ThrowIfLessThan(digits, 1);
        var all = Sklearn.Digits();
        var order = Enumerable.Range(0, all.Rows).ToArray();
        new Random(seed).Shuffle(order);
        int train = (int)(all.Rows * 0.7), validation = (int)(all.Rows * 0.1);
        float[] Image(int row) => Enumerable.Range(0, DigitSize * DigitSize).Select(j => all.Features[row * all.Columns + j] / 16f).ToArray();
        float[][] Part(IEnumerable<int> rows) => rows.Select(Image).ToArray();
        return new MovingDigits(canvas, digits, [Part(order[..train]), Part(order[train..(train + validation)]), Part(order[(train + validation)..])]);
    }

    /// <summary>
    /// <paramref name="count"/> videos of <paramref name="frames"/> frames [count, frames, 1, canvas, canvas] (float32), drawn
    /// from <paramref name="split"/> by a generator seeded from <paramref name="bits"/> (the same bits give the same videos).
    /// </summary>
    public Tensor Videos(DigitSplit split, int count, int frames, ulong bits, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(frames, 1);
        var random = new Random((int)((bits ^ ((ulong)split << 40)) % int.MaxValue));
        var images = _images[(int)split];
        int side = Canvas, span = Canvas - DigitSize;
        int[] speeds = [-2, -1, 1, 2];
        var pixels = new float[(long)count * frames * side * side];
        for (int v = 0; v < count; v++)
            for (int k = 0; k < DigitsPerVideo; k++)
            {
                var image = images[random.Next(images.Length)];
                int x = random.Next(span + 1), y = random.Next(span + 1);
                int vx = speeds[random.Next(speeds.Length)], vy = speeds[random.Next(speeds.Length)];
                for (int t = 0; t < frames; t++)
                {
                    long frame = ((long)v * frames + t) * side * side;
                    for (int r = 0; r < DigitSize; r++)
                        for (int c = 0; c < DigitSize; c++)
                        {
                            long at = frame + (y + r) * side + x + c;
                            pixels[at] = Math.Max(pixels[at], image[r * DigitSize + c]);
                        }
                    (x, vx) = Bounce(x, vx, span);
                    (y, vy) = Bounce(y, vy, span);
                }
            }
        var videos = Tensor.From(pixels, count, frames, 1, side, side);
        return device is { } d && d != Device.CPU ? videos.To(d) : videos;
    }

    /// <summary>The next position and velocity on [0, span]: p + v, reflected at the edges (the velocity flips).</summary>
    public static (int Position, int Velocity) Bounce(int position, int velocity, int span)
    {
        int next = position + velocity;
        if (next < 0) return (-next, -velocity);
        if (next > span) return (2 * span - next, -velocity);
        return (next, velocity);
    }
}
