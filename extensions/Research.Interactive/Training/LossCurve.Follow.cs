using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;

namespace Research.Interactive;

/// <summary>Binding a curve to a metrics stream (e.g. Research.Experiments' <c>Trainer.Metrics</c>) without depending on it.</summary>
public sealed partial class LossCurve
{
    /// <summary>
    /// Adds every point <paramref name="source"/> publishes from now on (<c>curve.Follow(trainer.Metrics)</c>) and draws
    /// the final state when the source completes. Points are read by shape: a string <c>Name</c> (the series), a numeric
    /// <c>Step</c> and a numeric <c>Value</c>, properties or fields, as Research.Experiments' <c>MetricPoint</c> has.
    /// <paramref name="where"/> picks points (e.g. only losses); dispose the result to stop following.
    /// </summary>
    public IDisposable Follow<T>(IObservable<T> source, Func<T, bool>? where = null, string? run = null)
    {
        var read = MetricShape.Reader<T>();
        return source.Subscribe(new CurveObserver<T>(this, point =>
        {
            if (where is not null && !where(point)) return;
            var (name, step, value) = read(point);
            Add(name, step, value, run);
        }));
    }

    /// <summary>
    /// Adds the points <paramref name="source"/> publishes from now on through <paramref name="select"/>, which gives the
    /// series, x and value of a point, or null to skip it; draws the final state when the source completes.
    /// </summary>
    public IDisposable Follow<T>(IObservable<T> source, Func<T, (string series, double step, double value)?> select, string? run = null) =>
        source.Subscribe(new CurveObserver<T>(this, point =>
        {
            if (select(point) is var (series, step, value)) Add(series, step, value, run);
        }));

    /// <summary>
    /// Adds the points <paramref name="source"/> publishes from now on through <paramref name="select"/>, which places a
    /// point — its run (e.g. the seed), series, x and value — or returns null to skip it; draws the final state when the
    /// source completes. <c>curve.Follow(metrics, p =&gt; p.Name.EndsWith("/loss") ? new CurvePoint(...) : null)</c>.
    /// </summary>
    public IDisposable Follow<T>(IObservable<T> source, Func<T, CurvePoint?> select) =>
        source.Subscribe(new CurveObserver<T>(this, point =>
        {
            if (select(point) is { } p) Add(p.Series, p.X, p.Value, p.Run);
        }));

    /// <summary>
    /// Adds one point read by shape (string <c>Name</c>, numeric <c>Step</c> and <c>Value</c>): a handler for a metrics
    /// event, <c>trainer.Metrics.Published += curve.Observe;</c>.
    /// </summary>
    public void Observe<T>(T point)
    {
        var (name, step, value) = MetricShape.Reader<T>()(point);
        Add(name, step, value);
    }

    /// <summary>Adds recorded points read by shape, e.g. a finished run's <c>run.Metrics.Points</c>; <paramref name="where"/> picks points.</summary>
    public void AddRange<T>(IEnumerable<T> points, Func<T, bool>? where = null, string? run = null)
    {
        var read = MetricShape.Reader<T>();
        foreach (var point in points)
        {
            if (where is not null && !where(point)) continue;
            var (name, step, value) = read(point);
            Add(name, step, value, run);
        }
    }

    private sealed class CurveObserver<T>(LossCurve curve, Action<T> onNext) : IObserver<T>
    {
        public void OnNext(T value) => onNext(value);
        public void OnCompleted() => curve.Complete();
        public void OnError(Exception error) => curve.Complete();
    }

    /// <summary>Compiled readers of (Name, Step, Value) for metric point types, one per type.</summary>
    private static class MetricShape
    {
        private static readonly ConcurrentDictionary<Type, Delegate> Readers = new();

        public static Func<T, (string name, double step, double value)> Reader<T>() =>
            (Func<T, (string, double, double)>)Readers.GetOrAdd(typeof(T), static _ => Build<T>());

        private static Func<T, (string, double, double)> Build<T>()
        {
            var p = Expression.Parameter(typeof(T), "point");
            var name = Member(p, "Name", typeof(string));
            var step = Member(p, "Step", typeof(double));
            var value = Member(p, "Value", typeof(double));
            var ctor = typeof(ValueTuple<string, double, double>).GetConstructor([typeof(string), typeof(double), typeof(double)])!;
            return Expression.Lambda<Func<T, (string, double, double)>>(Expression.New(ctor, name, step, value), p).Compile();
        }

        private static Expression Member(ParameterExpression p, string name, Type wanted)
        {
            const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase;
            var type = p.Type;
            Expression? member = type.GetProperty(name, flags) is { CanRead: true } prop ? Expression.Property(p, prop)
                : type.GetField(name, flags) is { } field ? Expression.Field(p, field) : null;
            if (member is null)
                throw new ArgumentException($"{type.Name} has no public {name}: a metric point needs Name (string), Step and Value (numbers); pass a selector to Follow instead.");
            if (member.Type == wanted) return member;
            try
            {
                return Expression.Convert(member, wanted);
            }
            catch (InvalidOperationException)
            {
                throw new ArgumentException($"{type.Name}.{name} is a {member.Type.Name}, not convertible to {wanted.Name}; pass a selector to Follow instead.");
            }
        }
    }
}
