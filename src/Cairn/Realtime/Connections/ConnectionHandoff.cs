using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Cairn.Realtime.Connections;

/// <summary>
/// Lets an endpoint take its HTTP/1.1 connection over from Kestrel once the request has been answered, so that a
/// realtime connection held open for hours keeps none of the HTTP request's state.
/// </summary>
/// <remarks>
/// Why: an idle realtime connection held inside the request pipeline keeps Kestrel's whole per-request state alive
/// (the HTTP/1.1 parser, header collections, the HttpContext and every middleware's suspended frame), about 15 KiB
/// each against a 10 KB goal (bench/RESULTS.md, run N). Kestrel has no "hijack", so this connection middleware puts a
/// thin wrapper between the socket's pipes and the HTTP layer: every request runs through the normal pipeline
/// (auth, rate limits, CORS, logs), and an endpoint that has written its handshake calls <see cref="TakeOver"/>.
/// From then on the wrapper tells the HTTP layer the connection ended (its reads complete, its writes are dropped),
/// Kestrel finishes the request and lets go of it, and the new owner's loop continues on the socket's own pipes.
/// Kestrel registers its per-connection timer callback once and never removes it; the heartbeat wrapper below
/// forgets it at the handoff, or the callback would keep the HTTP state alive.
/// </remarks>
public sealed class ConnectionHandoff : IDuplexPipe, IConnectionHeartbeatFeature
{
    private readonly ConnectionContext _connection;
    private readonly IDuplexPipe _transport;
    private readonly IConnectionHeartbeatFeature? _heartbeat;
    private List<(Action<object> Action, object State)>? _heartbeatHandlers;
    private RealtimeWriter? _owner;
    private volatile bool _handedOff;
    private PipeReader? _input;
    private PipeWriter? _output;

    private ConnectionHandoff(ConnectionContext connection)
    {
        _connection = connection;
        _transport = connection.Transport;
        _heartbeat = connection.Features.Get<IConnectionHeartbeatFeature>();
        _input = new HttpReader(this);
        _output = new HttpWriter(this);
    }

    /// <summary>Installed on every Kestrel endpoint (<c>ListenOptions.Use</c>).</summary>
    public static ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        var handoff = new ConnectionHandoff(connection);
        connection.Transport = handoff;
        connection.Features.Set(handoff); // a request finds it in HttpContext.Features (Kestrel falls back to the connection's)
        connection.Features.Set<IConnectionHeartbeatFeature>(handoff);
        await next(connection);
        if (handoff._owner is not { } owner) return;
        // The HTTP layer is done with the connection: what it saw of it is not kept for the hours the owner may hold it.
        connection.Transport = handoff._transport;
        (handoff._input, handoff._output) = (null, null);
        await owner.RunAsync();
    };

    /// <summary>The socket's own pipes, for the code that takes the connection over.</summary>
    public IDuplexPipe Transport => _transport;

    /// <summary>Closes the socket at once.</summary>
    public void Abort() => _connection.Abort();

    /// <summary>
    /// Takes the connection over after the current request: the response written so far must have been flushed, and
    /// nothing more may be written through the request. <paramref name="owner"/> holds the connection until its
    /// <see cref="RealtimeWriter.RunAsync"/> returns.
    /// </summary>
    public void TakeOver(RealtimeWriter owner)
    {
        _owner = owner;
        _handedOff = true;
        lock (this) _heartbeatHandlers = null;
    }

    // What the HTTP layer sees.
    public PipeReader Input => _input ?? _transport.Input;
    public PipeWriter Output => _output ?? _transport.Output;

    void IConnectionHeartbeatFeature.OnHeartbeat(Action<object> action, object state)
    {
        lock (this)
        {
            if (_handedOff) return;
            var first = _heartbeatHandlers is null;
            (_heartbeatHandlers ??= []).Add((action, state));
            if (first) _heartbeat?.OnHeartbeat(static self => ((ConnectionHandoff)self).Tick(), this);
        }
    }

    private void Tick()
    {
        List<(Action<object> Action, object State)>? handlers;
        lock (this) handlers = _heartbeatHandlers;
        if (handlers is null) return;
        foreach (var (action, state) in handlers) action(state);
    }

    /// <summary>The HTTP layer's reads: the socket's until the handoff, then "the client closed".</summary>
    private sealed class HttpReader(ConnectionHandoff owner) : PipeReader
    {
        private PipeReader Inner => owner._transport.Input;
        private static ReadResult Ended => new(default, isCanceled: false, isCompleted: true);

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
            owner._handedOff ? new(Ended) : Inner.ReadAsync(cancellationToken);

        protected override ValueTask<ReadResult> ReadAtLeastAsyncCore(int minimumSize, CancellationToken cancellationToken) =>
            owner._handedOff ? new(Ended) : Inner.ReadAtLeastAsync(minimumSize, cancellationToken);

        public override bool TryRead(out ReadResult result)
        {
            if (!owner._handedOff) return Inner.TryRead(out result);
            result = Ended;
            return true;
        }

        // A read handed out before the handoff is still returned to the socket's pipe, which stays consistent.
        public override void AdvanceTo(SequencePosition consumed) { if (!owner._handedOff) Inner.AdvanceTo(consumed); }
        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) { if (!owner._handedOff) Inner.AdvanceTo(consumed, examined); }
        public override void CancelPendingRead() { if (!owner._handedOff) Inner.CancelPendingRead(); }
        public override void Complete(Exception? exception = null) { if (!owner._handedOff) Inner.Complete(exception); }
    }

    /// <summary>The HTTP layer's writes: the socket's until the handoff, then dropped (a final chunk, for one).</summary>
    private sealed class HttpWriter(ConnectionHandoff owner) : PipeWriter
    {
        private PipeWriter Inner => owner._transport.Output;

        public override Memory<byte> GetMemory(int sizeHint = 0) => owner._handedOff ? new byte[Math.Max(sizeHint, 64)] : Inner.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => owner._handedOff ? new byte[Math.Max(sizeHint, 64)] : Inner.GetSpan(sizeHint);
        public override void Advance(int bytes) { if (!owner._handedOff) Inner.Advance(bytes); }
        public override bool CanGetUnflushedBytes => Inner.CanGetUnflushedBytes;
        public override long UnflushedBytes => owner._handedOff ? 0 : Inner.UnflushedBytes;

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
            owner._handedOff ? new(new FlushResult(isCanceled: false, isCompleted: false)) : Inner.WriteAsync(source, cancellationToken);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
            owner._handedOff ? new(new FlushResult(isCanceled: false, isCompleted: false)) : Inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() { if (!owner._handedOff) Inner.CancelPendingFlush(); }
        public override void Complete(Exception? exception = null) { if (!owner._handedOff) Inner.Complete(exception); }
    }
}
