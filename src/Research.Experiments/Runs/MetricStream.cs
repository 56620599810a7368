namespace Research.Experiments;

/// <summary>
/// A hot stream of <see cref="MetricPoint"/>s: subscribers (a live loss curve, a progress bar) see every point
/// published after they subscribe. Also available as a plain .NET event.
/// </summary>
public sealed class MetricStream : IObservable<MetricPoint>
{
    private readonly List<IObserver<MetricPoint>> _observers = new();
    private readonly Lock _lock = new();

    /// <summary>Raised for every published point.</summary>
    public event Action<MetricPoint>? Published;

    /// <summary>Sends a point to every subscriber.</summary>
    public void Publish(MetricPoint point)
    {
        IObserver<MetricPoint>[] observers;
        lock (_lock) observers = _observers.ToArray();
        foreach (var o in observers) o.OnNext(point);
        Published?.Invoke(point);
    }

    /// <summary>Tells every subscriber that no more points will come.</summary>
    public void Complete()
    {
        IObserver<MetricPoint>[] observers;
        lock (_lock) observers = _observers.ToArray();
        foreach (var o in observers) o.OnCompleted();
    }

    /// <summary>Subscribes; dispose the result to unsubscribe.</summary>
    public IDisposable Subscribe(IObserver<MetricPoint> observer)
    {
        lock (_lock) _observers.Add(observer);
        return new Subscription(this, observer);
    }

    /// <summary>Subscribes a callback; dispose the result to unsubscribe.</summary>
    public IDisposable Subscribe(Action<MetricPoint> onNext) => Subscribe(new ActionObserver(onNext));

    private sealed class Subscription(MetricStream stream, IObserver<MetricPoint> observer) : IDisposable
    {
        public void Dispose()
        {
            lock (stream._lock) stream._observers.Remove(observer);
        }
    }

    private sealed class ActionObserver(Action<MetricPoint> onNext) : IObserver<MetricPoint>
    {
        public void OnCompleted() { }
        public void OnError(Exception error) { }
        public void OnNext(MetricPoint value) => onNext(value);
    }
}
