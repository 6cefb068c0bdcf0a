using Cairn.Records;
using Cairn.Storage;

namespace Cairn.Auth;

/// <summary>
/// Moves a password hash to the field's configured bcrypt cost at the only moment the plain password is
/// known: a successful sign-in. Raising the cost thereby strengthens every active account without a reset.
/// </summary>
internal static class PasswordRehash
{
    /// <summary>
    /// Re-hashes when the stored hash's cost differs from <paramref name="cost"/>. Only the hash is written:
    /// not <c>tokenKey</c> (the user stays signed in everywhere) and not <c>updated</c> (nothing the user
    /// sees changed). The write is conditional on the hash still being the one just verified, so a password
    /// changed meanwhile is never overwritten with the old one.
    /// </summary>
    public static async Task<bool> IfCostChangedAsync(IDatabase db, Caching.WriteGenerations? generations, Record record, string password, int cost, CancellationToken cancellationToken)
    {
        var stored = record.GetString("password");
        if (PasswordHasher.CostOf(stored) is not { } current || current == cost) return false;
        var rehashed = PasswordHasher.Hash(password, cost);
        var q = db.Dialect.Quote;
        var written = await db.WriteAsync(context =>
        {
            generations?.Wrote(context, record.Collection); // the version moves: a cached ETag would go stale
            using var command = context.Command(
                $"UPDATE {q(record.Collection.Name)} SET {q("password")} = @p0, {q(RecordsColumns.Version)} = {q(RecordsColumns.Version)} + 1 " +
                $"WHERE {q("id")} = @p1 AND {q("password")} = @p2",
                rehashed, record.Id, stored);
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);
        if (written)
        {
            record["password"] = rehashed;
            record.Version++;
        }
        return written;
    }
}
