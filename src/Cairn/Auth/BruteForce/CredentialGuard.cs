using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cairn.Api;
using Cairn.Collections;
using Microsoft.AspNetCore.Http;

namespace Cairn.Auth.BruteForce;

/// <summary>
/// The brute-force guard every credential check goes through (password now; one-time codes, OAuth2 and
/// the others call it the same way):
/// <code>
/// using var attempt = await guard.BeginAsync(context, collection, identity); // 429 when locked; waits when slowed
/// if (!valid) { attempt.Fail(); throw …; }
/// attempt.Succeed();
/// </code>
/// The account is the identity string as the client typed it (trimmed, case-folded), never the record it
/// may name, so an unknown account is counted, delayed and locked exactly like a real one and the answers
/// do not tell them apart. Attempts in flight count as failures until they end, so a burst of parallel
/// guesses cannot all slip in under the limit.
/// </summary>
public sealed class CredentialGuard(BruteForceOptions options, TimeProvider clock)
{
    private readonly BruteForceOptions _options = options;
    private readonly AttemptCounter _failures = new(clock);
    private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts an attempt: refuses it with 429 and <c>Retry-After</c> when the account or the client IP is
    /// locked, else waits the account's progressive delay. End it with <see cref="CredentialAttempt.Fail"/>
    /// or <see cref="CredentialAttempt.Succeed"/>, and dispose it (an attempt that ends in neither, say a
    /// validation error, is not counted).
    /// </summary>
    public async Task<CredentialAttempt> BeginAsync(HttpContext context, Collection collection, string identity, CancellationToken cancellationToken = default)
    {
        var account = AccountKey(collection, identity);
        var ip = "ip:" + ClientIp.Of(context);
        var accountTaken = Take(account);
        var ipTaken = Take(ip);
        var attempt = new CredentialAttempt(this, account, ip);
        var accountLocked = _options.AccountMaxFailures > 0 && _failures.Count(account) + accountTaken >= _options.AccountMaxFailures;
        var ipLocked = _options.IpMaxFailures > 0 && _failures.Count(ip) + ipTaken >= _options.IpMaxFailures;
        if (accountLocked || ipLocked)
        {
            attempt.Dispose();
            var ends = new[] { accountLocked ? _failures.WindowEnds(account) : null, ipLocked ? _failures.WindowEnds(ip) : null }.Max();
            // Ends is null only when the failures' window passed during this check; the client may retry at once.
            var seconds = ends is { } end ? Math.Max(1, (long)Math.Ceiling((end - clock.GetUtcNow()).TotalSeconds)) : 1;
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            throw new ApiException(429, "Too Many Requests.");
        }

        var delay = Delay(_failures.Count(account));
        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, clock, cancellationToken);
            }
            catch
            {
                attempt.Dispose();
                throw;
            }
        }
        return attempt;
    }

    /// <summary>The wait before an attempt on an account with <paramref name="failures"/> failures in its window.</summary>
    public TimeSpan Delay(int failures)
    {
        if (_options.DelayBase <= TimeSpan.Zero || failures < _options.DelayAfter) return TimeSpan.Zero;
        var doublings = Math.Min(failures - _options.DelayAfter, 30);
        var delay = _options.DelayBase * Math.Pow(2, doublings);
        return delay < _options.DelayMax ? delay : _options.DelayMax;
    }

    // Keyed by a hash: an identity can be as long as a request body, and the table should not hold what users typed.
    private static string AccountKey(Collection collection, string identity)
    {
        var folded = identity.Trim().Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        return "account:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(collection.Id + "\n" + folded)));
    }

    // Returns how many attempts on the key were already in flight.
    private int Take(string key) => _inFlight.AddOrUpdate(key, 1, (_, n) => n + 1) - 1;

    private void Release(string key)
    {
        var left = _inFlight.AddOrUpdate(key, 0, (_, n) => n - 1);
        if (left <= 0) _inFlight.TryRemove(new KeyValuePair<string, int>(key, left));
    }

    /// <summary>One credential check in progress; see <see cref="BeginAsync"/>.</summary>
    public sealed class CredentialAttempt : IDisposable
    {
        private readonly CredentialGuard _guard;
        private readonly string _account, _ip;
        private int _ended, _released;

        internal CredentialAttempt(CredentialGuard guard, string account, string ip)
        {
            _guard = guard;
            _account = account;
            _ip = ip;
        }

        /// <summary>The credential was wrong (or the account unknown): one failure for the account and for the IP.</summary>
        public void Fail()
        {
            if (Interlocked.Exchange(ref _ended, 1) != 0) return;
            _guard._failures.Increment(_account, _guard._options.Window);
            _guard._failures.Increment(_ip, _guard._options.Window);
            Dispose();
        }

        /// <summary>
        /// The credential was right: the account's failures are forgotten. The IP's are not, or an attacker
        /// could clear them by signing in to an account of their own between guesses.
        /// </summary>
        public void Succeed()
        {
            if (Interlocked.Exchange(ref _ended, 1) != 0) return;
            _guard._failures.Reset(_account);
            Dispose();
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            _guard.Release(_account);
            _guard.Release(_ip);
        }
    }
}
