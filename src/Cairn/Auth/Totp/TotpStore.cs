using Cairn.Api;
using Cairn.Collections;
using Cairn.Records;

namespace Cairn.Auth.Totp;

/// <summary>
/// Enrolments in <c>_totps</c>, one per auth record: the secret, whether it is confirmed (<c>active</c>), the last
/// time step a code was accepted for, and the recovery-code hashes. Every change re-reads the row inside the write
/// unit, so two requests racing with the same code or recovery code cannot both win.
/// </summary>
internal sealed class TotpStore(OwnedRows rows)
{
    /// <summary>The field holding the shared key (RFC 6238's K), base32.</summary>
    public const string SecretField = "sharedKey";

    private Collection Totps => rows.Collection(SystemCollections.TotpsName);

    public Task<Record?> FindAsync(Record owner, CancellationToken cancellationToken = default) =>
        rows.Database.ReadAsync(c => rows.FindByOwner(c, null, Totps, owner).FirstOrDefault(), cancellationToken);

    /// <summary>Whether the record has a confirmed authenticator app, which makes every sign-in of it need a TOTP code too.</summary>
    public async Task<bool> IsActiveAsync(Record owner, CancellationToken cancellationToken = default) =>
        (await FindAsync(owner, cancellationToken))?.GetBool("active") == true;

    /// <summary>Starts (or restarts) an enrolment with a new secret; an active one must be disabled first.</summary>
    public Task BeginAsync(Record owner, string secret, CancellationToken cancellationToken = default) =>
        rows.Database.WriteAsync(context =>
        {
            var existing = rows.FindByOwner(context.Connection, context.Transaction, Totps, owner).FirstOrDefault();
            if (existing is null)
            {
                rows.Insert(context, rows.New(Totps, owner, new Dictionary<string, object?> { [SecretField] = secret }));
                return true;
            }
            if (existing.GetBool("active")) throw ApiException.BadRequest("An authenticator app is already enabled; disable it first.");
            existing[SecretField] = secret;
            existing["lastStep"] = 0d;
            existing["recoveryCodes"] = "";
            rows.Update(context, existing, SecretField, "lastStep", "recoveryCodes");
            return true;
        }, cancellationToken);

    /// <summary>
    /// Marks the step of an accepted code as used, and applies <paramref name="change"/> in the same write. False when the
    /// enrolment changed meanwhile (another secret) or the step is not newer than the last one used: a replayed code.
    /// </summary>
    public Task<bool> UseStepAsync(Record owner, string secret, long step, Action<Record>? change = null, CancellationToken cancellationToken = default) =>
        rows.Database.WriteAsync(context =>
        {
            var row = rows.FindByOwner(context.Connection, context.Transaction, Totps, owner).FirstOrDefault();
            if (row is null || row.GetString(SecretField) != secret || step <= (long)(row["lastStep"] as double? ?? 0)) return false;
            row["lastStep"] = (double)step;
            change?.Invoke(row);
            rows.Update(context, row, "lastStep", "active", "recoveryCodes");
            return true;
        }, cancellationToken);

    /// <summary>Removes one recovery-code hash; false when it is gone already (used by a request that won the race).</summary>
    public Task<bool> UseRecoveryCodeAsync(Record owner, string hash, CancellationToken cancellationToken = default) =>
        rows.Database.WriteAsync(context =>
        {
            var row = rows.FindByOwner(context.Connection, context.Transaction, Totps, owner).FirstOrDefault();
            if (row is null || !row.GetBool("active")) return false;
            var hashes = RecoveryCodes.Parse(row.GetString("recoveryCodes"));
            if (!hashes.Remove(hash)) return false;
            row["recoveryCodes"] = RecoveryCodes.Serialize(hashes);
            rows.Update(context, row, "recoveryCodes");
            return true;
        }, cancellationToken);

    public Task<bool> DeleteAsync(Record owner, CancellationToken cancellationToken = default) =>
        rows.Database.WriteAsync(context =>
        {
            var found = rows.FindByOwner(context.Connection, context.Transaction, Totps, owner);
            foreach (var row in found) rows.Delete(context, row);
            return found.Count > 0;
        }, cancellationToken);
}
