using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth.Mfa;
using Cairn.Collections;
using Cairn.Mail;
using Cairn.Records;
using Microsoft.Extensions.Logging;

namespace Cairn.Auth.Otp;

/// <summary>
/// Email one-time codes kept in <c>_otps</c> (POCKETBASE_API.md 1.3): digits from a CSPRNG, stored only as a bcrypt
/// hash (cost 8, the <c>_otps.password</c> field), alive for <c>otp.duration</c>, single use, 5 tries per record
/// within 180 s. An unknown email gets the same answer, a random id, after the same bcrypt work, so the route
/// does not tell which addresses have accounts; the mail goes out in the background for the same reason.
/// </summary>
internal sealed partial class OneTimeCodes(OwnedRows rows, RecordStore store, RecordService records, IMailer mailer, AttemptCounter attempts,
    CairnOptions options, Settings.LiveSettings appSettings, TimeProvider clock, ILogger<OneTimeCodes> logger)
{
    public const int MaxOpenPerRecord = 10, MaxTries = 5;
    public static readonly TimeSpan TriesWindow = TimeSpan.FromSeconds(180);

    private const int HashCost = 8;

    private Collection Otps => rows.Collection(SystemCollections.OtpsName);

    /// <summary>Creates and mails a code for the record with <paramref name="email"/>; returns the id to redeem it with.</summary>
    public async Task<string> RequestAsync(Collection collection, string email, CancellationToken cancellationToken)
    {
        var settings = OtpSettings.Of(collection);
        var code = RandomNumberGenerator.GetString("0123456789", settings.Length);
        var hash = PasswordHasher.Hash(code, HashCost); // before the lookup, so both answers cost one hash
        var owner = await rows.Database.ReadAsync(c => store.FindByField(c, collection, "email", email), cancellationToken);
        if (owner is null) return CollectionIds.NewRecordId();

        var now = clock.GetUtcNow();
        var (otpId, created) = await rows.Database.WriteAsync(c =>
        {
            var existing = rows.FindByOwner(c.Connection, c.Transaction, Otps, owner);
            foreach (var expired in existing.Where(o => Expired(o, settings, now))) rows.Delete(c, expired);
            var open = existing.Where(o => !Expired(o, settings, now)).ToList();
            // A flood of requests must not become a flood of mails; dev mode skips the limit, as PocketBase does.
            if (open.Count >= MaxOpenPerRecord && !options.Dev) return (open[0].Id, false);
            var otp = rows.New(Otps, owner, new Dictionary<string, object?> { ["password"] = hash, ["sentTo"] = owner.GetString("email") });
            rows.Insert(c, otp);
            return (otp.Id, true);
        }, cancellationToken);
        if (created) SendInBackground(Mail(settings, appSettings.Current.Meta.AppName, owner.GetString("email"), code), otpId);
        return otpId;
    }

    /// <summary>
    /// Checks a code and uses it up; returns its record, marked verified when the code went to its current email.
    /// Every failure is the same 400, except the 6th try within the window, which is 429 before the code is even looked at.
    /// </summary>
    public async Task<Record> RedeemAsync(Collection collection, string otpId, string code, CancellationToken cancellationToken)
    {
        var settings = OtpSettings.Of(collection);
        var otp = await rows.Database.ReadAsync(c => rows.FindById(c, null, Otps, otpId), cancellationToken);
        if (otp is null || otp.GetString("collectionRef") != collection.Id)
        {
            PasswordHasher.VerifyDummy(code);
            throw Invalid();
        }
        if (attempts.Increment($"otp:{collection.Id}:{otp.GetString("recordRef")}", TriesWindow) > MaxTries)
            throw new ApiException(429, "Too many attempts, please try again later with a new OTP.");
        var now = clock.GetUtcNow();
        if (Expired(otp, settings, now) || !PasswordHasher.Verify(code, otp.GetString("password")))
        {
            if (Expired(otp, settings, now)) await DeleteAsync(otp, cancellationToken);
            throw Invalid();
        }
        // Single use: of two requests racing with the same code, only the one that deletes the row goes on.
        if (!await DeleteAsync(otp, cancellationToken)) throw Invalid();

        var owner = await rows.Database.ReadAsync(c => store.FindById(c, null, collection, otp.GetString("recordRef")), cancellationToken)
                    ?? throw Invalid();
        if (owner.GetBool("verified") || owner.GetString("email") != otp.GetString("sentTo")) return owner;

        // The code proved the mailbox. Without MFA a password set before that proof may be someone else's (an account
        // pre-registered with the victim's address), so it is replaced by a random one and the tokenKey rotates with it.
        var update = new JsonObject { ["verified"] = true };
        if (!MfaSettings.Of(collection).Enabled)
        {
            var password = CollectionIds.RandomAlphanumeric(30);
            update["password"] = password;
            update["passwordConfirm"] = password;
        }
        return await records.UpdateAsync(collection, owner.Id, update, RequestAuth.System, ifMatch: null, cancellationToken);
    }

    private Task<bool> DeleteAsync(Record otp, CancellationToken cancellationToken) =>
        rows.Database.WriteAsync(c =>
        {
            var row = rows.FindById(c.Connection, c.Transaction, otp.Collection, otp.Id);
            if (row is null) return false;
            rows.Delete(c, row);
            return true;
        }, cancellationToken);

    private static bool Expired(Record otp, OtpSettings settings, DateTimeOffset now) => OwnedRows.Created(otp) + settings.Duration <= now;

    private static ApiException Invalid() => ApiException.BadRequest("Invalid or expired OTP.");

    // Placeholders are replaced, nothing else: the template is the collection owner's HTML; the values are encoded into it.
    // The code goes into the body only: subjects end up in mail logs (ours included) and on lock screens.
    private static MailMessage Mail(OtpSettings settings, string appName, string to, string code) => new(
        to,
        settings.Subject.Replace("{APP_NAME}", appName),
        settings.Body.Replace("{APP_NAME}", WebUtility.HtmlEncode(appName)).Replace("{OTP}", WebUtility.HtmlEncode(code)));

    private void SendInBackground(MailMessage message, string otpId) =>
        _ = Task.Run(async () =>
        {
            try
            {
                await mailer.SendAsync(message, CancellationToken.None);
            }
            catch (Exception e)
            {
                // Nobody waits for this mail; the log is where a failure shows. The code itself is never logged.
                MailFailed(logger, e, otpId);
            }
        });

    [LoggerMessage(Level = LogLevel.Error, Message = "Sending the one-time code mail of OTP {OtpId} failed.")]
    private static partial void MailFailed(ILogger logger, Exception exception, string otpId);
}
