using System.Data.Common;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Query;
using Cairn.Records;
using Cairn.Storage;
using Microsoft.AspNetCore.Http;

namespace Cairn.Rules;

/// <summary>
/// The one place collection rules are evaluated (POCKETBASE_API.md 2.5), for every door that lets data
/// in or out: list and view, create, update and delete, batch, sign-in, and later expand and realtime.
/// <c>null</c> is superusers only (403), <c>""</c> is everyone, an expression is compiled by
/// <see cref="FilterCompiler"/> and run by the database against the row; superusers bypass every rule.
/// </summary>
public sealed class RecordRules(CollectionRegistry registry, IDatabase db, RecordStore store, TimeProvider clock)
{
    /// <summary>The alias of the tested row in every statement built here.</summary>
    public const string RowAlias = "_m";

    // The would-be record of a create. The leading underscore keeps it apart from user collections,
    // so "@collection.<same collection>" still reads the real table.
    private const string NewRowTable = "_cairn_new_record";

    private SqlDialect Dialect => db.Dialect;

    public QueryContext Context(Collection collection, RequestData request, string alias = RowAlias) =>
        new(collection, alias, registry.Find, request, Dialect, clock);

    /// <summary>
    /// The SQL condition a rule adds to a statement over <paramref name="collection"/> (at <paramref name="alias"/>),
    /// or null when it adds nothing (a superuser, or <c>""</c>). A <c>null</c> rule is 403 for everyone else.
    /// </summary>
    public string? Condition(Collection collection, string? rule, RequestAuth auth, RequestData request, QueryBindings bindings, string alias = RowAlias)
    {
        RuleGuard.Require(rule, auth);
        if (auth.IsSuperuser || rule!.Trim().Length == 0) return null;
        try
        {
            return FilterCompiler.Compile(rule, Context(collection, request, alias), bindings);
        }
        catch (QueryException e)
        {
            // Rules are compiled when a collection is saved, so this is a rule a later schema change broke: deny.
            throw ApiException.BadRequest($"The collection rule cannot be evaluated: {e.Message}");
        }
    }

    /// <summary>Whether the stored record <paramref name="id"/> satisfies <paramref name="rule"/>; false means 404 for view, update and delete.</summary>
    public bool Matches(DbConnection connection, DbTransaction? transaction, Collection collection, string? rule, string id, RequestAuth auth, RequestData request)
    {
        var bindings = new QueryBindings();
        var condition = Condition(collection, rule, auth, request, bindings);
        if (condition is null) return true;
        using var command = connection.CreateCommand(
            $"SELECT 1 FROM {Dialect.Quote(collection.Name)} AS {RowAlias} WHERE {RowAlias}.{Dialect.Quote("id")} = @p0 AND {condition} LIMIT 1", id);
        command.Transaction = transaction;
        Bind(command, bindings);
        return store.QueryScalar(command) is not null;
    }

    /// <summary>
    /// Whether a record that is not stored yet satisfies <paramref name="rule"/> (the create rule, and the
    /// manage rule on create). The record is bound as a one-row CTE, each value cast to its column type
    /// so that it compares as the stored row would; PocketBase 0.24+ works the same way, without a dry insert.
    /// </summary>
    public bool MatchesNew(DbConnection connection, DbTransaction? transaction, Collection collection, string? rule, Record record, RequestAuth auth, RequestData request)
    {
        var bindings = new QueryBindings();
        var condition = Condition(collection, rule, auth, request, bindings);
        if (condition is null) return true;
        using var command = connection.CreateCommand(
            $"{RowOf(record, bindings, isNew: true)} SELECT 1 FROM {NewRowTable} AS {RowAlias} WHERE {condition}");
        command.Transaction = transaction;
        Bind(command, bindings);
        return store.QueryScalar(command) is not null;
    }

    /// <summary>
    /// <paramref name="record"/> as a one-row CTE named <see cref="NewRowTable"/>, each value cast to its column
    /// type so that it compares as the stored row would.
    /// </summary>
    private string RowOf(Record record, QueryBindings bindings, bool isNew)
    {
        var columns = record.Collection.Fields.Select(f =>
            $"{Dialect.Cast(bindings.Add(isNew ? NewRowValue(f, record) : RecordStore.ToDbValue(f, record[f.Name])), FieldTypes.ColumnKind(f))} AS {Dialect.Quote(f.Name)}");
        return $"WITH {NewRowTable} AS (SELECT {string.Join(", ", columns)})";
    }

    // Before autogeneration a missing id is a placeholder, and a new auth record is never verified yet (POCKETBASE_API.md 2.5).
    private static object? NewRowValue(Field field, Record record)
    {
        if (field.Name == "id" && record.Id.Length == 0) return "__temp_id__";
        if (record.Collection.IsAuth && field.Name == "verified") return false;
        return RecordStore.ToDbValue(field, record[field.Name]);
    }

    /// <summary>The alias of the caller's row when one statement checks a rule for many callers (<see cref="Admitted"/>).</summary>
    public const string CallerAlias = "_a";

    /// <summary>
    /// Which callers a rule and a client filter admit for one record as it was at an event (realtime delivery):
    /// the ids of <paramref name="callerIds"/> in the auth collection <paramref name="callers"/>, or, with
    /// <paramref name="callers"/> null, <c>[""]</c> when a guest is admitted. The record is bound as a one-row CTE
    /// (so a delete is checked against the row as it was), and <c>@request.auth.*</c> reads a joined caller row,
    /// so one statement answers for all of them instead of one query per caller.
    /// <paramref name="rule"/> is a rule the callers do not bypass (<c>""</c> for superusers, who only meet the filter);
    /// a rule or filter that does not compile admits nobody.
    /// </summary>
    public HashSet<string> Admitted(DbConnection connection, Record record, string rule, QueryExpr? filter,
        Collection? callers, IReadOnlyCollection<string> callerIds, RequestData request)
    {
        var bindings = new QueryBindings();
        var context = Context(record.Collection, request with { Auth = null }) with { AuthRow = callers is null ? null : (callers, CallerAlias) };
        var conditions = new List<string>();
        try
        {
            if (rule.Trim().Length > 0) conditions.Add(FilterCompiler.Compile(rule, context, bindings));
            if (filter is not null) conditions.Add(FilterCompiler.Compile(filter, context with { ClientFilter = true }, bindings));
        }
        catch (QueryException)
        {
            return [];
        }
        if (conditions.Count == 0) return callers is null ? [""] : [.. callerIds];
        var where = string.Join(" AND ", conditions.Select(c => $"({c})"));
        var row = RowOf(record, bindings, isNew: false);
        if (callers is null)
        {
            using var guest = connection.CreateCommand($"{row} SELECT 1 FROM {NewRowTable} AS {RowAlias} WHERE {where}");
            Bind(guest, bindings);
            return store.QueryScalar(guest) is null ? [] : [""];
        }
        // The callers' ids travel as one JSON array parameter, however many there are: one statement, one plan.
        var ids = bindings.Add(System.Text.Json.JsonSerializer.Serialize(callerIds));
        var idColumn = $"{CallerAlias}.{Dialect.Quote("id")}";
        using var command = connection.CreateCommand(
            $"{row} SELECT {idColumn} FROM {NewRowTable} AS {RowAlias}, {Dialect.Quote(callers.Name)} AS {CallerAlias} " +
            $"WHERE {idColumn} IN (SELECT {Dialect.JsonEachValue("_ids")} FROM {Dialect.JsonEach(ids)} AS _ids) AND {where}");
        Bind(command, bindings);
        return store.QueryIds(command);
    }

    /// <summary>Whether the caller may manage <paramref name="record"/> (auth collections): a superuser, or one the manage rule admits.</summary>
    public bool CanManage(DbConnection connection, DbTransaction? transaction, Record record, bool isNew, RequestAuth auth, RequestData request)
    {
        if (auth.IsSuperuser) return true;
        if (!record.Collection.IsAuth || ManageRule(record.Collection) is not { } rule || rule.Trim().Length == 0) return false;
        return isNew
            ? MatchesNew(connection, transaction, record.Collection, rule, record, auth, request)
            : Matches(connection, transaction, record.Collection, rule, record.Id, auth, request);
    }

    /// <summary>
    /// Marks the auth records the caller manages (<see cref="Record.CallerManages"/>), with one query for the
    /// whole page, so their emails are shown to it.
    /// </summary>
    public void MarkManaged(DbConnection connection, IReadOnlyList<Record> records, RequestAuth auth, RequestData request)
    {
        if (records.Count == 0 || auth.IsSuperuser || auth.IsGuest) return;
        var collection = records[0].Collection;
        if (!collection.IsAuth || ManageRule(collection) is not { } rule || rule.Trim().Length == 0) return;
        var bindings = new QueryBindings();
        var condition = Condition(collection, rule, auth, request, bindings)!;
        var ids = string.Join(", ", records.Select(r => bindings.Add(r.Id)));
        using var command = connection.CreateCommand(
            $"SELECT {RowAlias}.{Dialect.Quote("id")} FROM {Dialect.Quote(collection.Name)} AS {RowAlias} WHERE {RowAlias}.{Dialect.Quote("id")} IN ({ids}) AND {condition}");
        Bind(command, bindings);
        var managed = store.QueryIds(command);
        foreach (var record in records) record.CallerManages = managed.Contains(record.Id);
    }

    public static string? ManageRule(Collection collection) => collection.AuthOptions["manageRule"]?.GetValue<string>();

    public static string? AuthRule(Collection collection) => collection.AuthOptions["authRule"]?.GetValue<string>();

    public static void Bind(DbCommand command, QueryBindings bindings)
    {
        foreach (var (name, value) in bindings.Parameters) command.AddParameter(name, value);
    }

    /// <summary>
    /// The <c>@request.*</c> data of an HTTP request. <paramref name="body"/> is filled by the record service
    /// once modifiers are resolved; headers are keyed in snake_case and only their first value is kept.
    /// </summary>
    public static RequestData Request(HttpContext http, RequestAuth auth, string context = RequestData.DefaultContext) => new()
    {
        Auth = auth.Record,
        Method = http.Request.Method,
        Context = context,
        Query = http.Request.Query.ToDictionary(q => q.Key, q => q.Value.FirstOrDefault() ?? ""),
        Headers = Headers(http.Request.Headers.Select(h => (h.Key, h.Value.FirstOrDefault() ?? ""))),
    };

    public static Dictionary<string, string> Headers(IEnumerable<(string Name, string Value)> headers)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers) result.TryAdd(RequestData.HeaderKey(name), value);
        return result;
    }
}
