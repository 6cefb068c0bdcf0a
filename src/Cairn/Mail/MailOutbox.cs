using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cairn.Mail;

/// <summary>
/// Sends mails in the background, after the request that asked for them has its answer. Auth flows answer the same
/// way whether or not an account exists; waiting for an SMTP round trip only when it does would tell the two apart
/// by timing, and a mail failure must not change the answer either, so failures are logged here, never thrown.
/// </summary>
public sealed partial class MailOutbox(IMailer mailer, ILogger<MailOutbox> logger) : IHostedService
{
    private readonly ConcurrentDictionary<Task, byte> _pending = new();

    /// <summary>Queues one mail; <paramref name="kind"/> names the flow in the log (verification, passwordReset, …).</summary>
    public void Send(MailMessage message, string kind)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                await mailer.SendAsync(message);
            }
            catch (Exception e)
            {
                // The exception message may name the server or recipient, never the body: the token stays out of the log.
                Failed(logger, kind, message.To, e.GetType().Name, e.Message);
            }
        });
        _pending.TryAdd(task, 0);
        task.ContinueWith(t => _pending.TryRemove(t, out _), TaskScheduler.Default);
    }

    /// <summary>Completes when every mail queued so far has been handed over or has failed (shutdown, tests).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_pending.Keys);

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // A graceful stop waits (within the host's shutdown timeout) for mails already promised to a user.
    Task IHostedService.StopAsync(CancellationToken cancellationToken) => WhenIdleAsync().WaitAsync(cancellationToken);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Kind} mail to {To} could not be sent: {Error}: {Reason}")]
    private static partial void Failed(ILogger logger, string kind, string to, string error, string reason);
}
