using System.Text.Json.Nodes;
using Cairn.Collections;
using Cairn.Query;
using Cairn.Records;
using Record = Cairn.Records.Record;
using FsCheck;
using FsCheck.Fluent;

namespace Cairn.Tests.Query;

/// <summary>
/// Random well-formed filters over a random schema and data set, shared by <see cref="FilterPropertyTests"/> (SQL
/// against the <see cref="ReferenceEvaluator"/>) and <see cref="EngineDifferentialTests"/> (SQLite against PostgreSQL):
/// fields, single and multiple relations, back-relations, <c>:each</c>, <c>:length</c>, <c>:lower</c>,
/// <c>@collection</c> with aliases, null and empty values, every operator in plain and <c>?</c> form, and flat
/// <c>&amp;&amp;</c>/<c>||</c> precedence. With <c>engineOnly</c> they also use what only the databases evaluate
/// (JSON paths, <c>geoDistance</c>, <c>strftime</c>) and mix types. The seed is printed; CAIRN_PROPERTY_SEED replays a run.
/// </summary>
internal static class FilterCases
{
    public const int ExpressionsPerDataSet = 12;

    public sealed record Case(DataSet Data, string[] Expressions)
    {
        public override string ToString() => $"{Data}\nexpressions:\n  {string.Join("\n  ", Expressions)}";
    }

    /// <summary>The schema varies too: owner single or multiple, notes.item single, uniquely indexed (a single-valued back-relation) or multiple.</summary>
    public sealed record DataSet(bool NotesMultiple, bool NotesUnique, bool OwnerMultiple, int AuthPerson, string[][] People, string[][] Items, string[][] Notes)
    {
        /// <summary>Items also have <see cref="EngineOnlyFields"/>, for operands only the database evaluates.</summary>
        public bool EngineOnly => Items[0].Length > 8;

        public override string ToString() =>
            $"notes.item multiple: {NotesMultiple}, unique: {NotesUnique}; owner multiple: {OwnerMultiple}; auth: {AuthPerson}\npeople: {Dump(People)}\nitems: {Dump(Items)}\nnotes: {Dump(Notes)}";

        private static string Dump(string[][] rows) => string.Join(" | ", rows.Select(r => string.Join(",", r)));
    }

    /// <summary>A data set as collections, records and the request the filters are evaluated for.</summary>
    public sealed record World(Collection People, Collection Items, Collection Notes, Dictionary<string, List<Record>> Records, RequestData Request, TimeProvider Clock)
    {
        public Collection[] Collections => [People, Items, Notes];

        public Collection? Find(string idOrName) => Collections.FirstOrDefault(x => x.Id == idOrName || x.Name == idOrName);
    }

    /// <summary>The seed of this run: CAIRN_PROPERTY_SEED when set, else a random one (printed by the caller).</summary>
    public static ulong Seed() =>
        Environment.GetEnvironmentVariable("CAIRN_PROPERTY_SEED") is { Length: > 0 } s ? ulong.Parse(s) : (ulong)Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>Runs <paramref name="check"/> on <paramref name="count"/> cases; any odd gamma gives a full-period stream, so the seed alone replays the run.</summary>
    public static void Check(ulong seed, int count, bool engineOnly, Action<Case> check)
    {
        var config = Config.QuickThrowOnFailure.WithMaxTest(count).WithReplay(seed, 0x9E3779B97F4A7C15UL);
        Prop.ForAll(Arb.From(CaseGen(engineOnly)), check).Check(config);
    }

    public static void Log(string message)
    {
        TestContext.Current.SendDiagnosticMessage(message);
        TestContext.Current.TestOutputHelper?.WriteLine(message);
    }

    private static readonly string[] Texts = ["", "a", "b", "ab", "A", "a%", "x_y", "B a"];
    // Text that reads as a number, and letters SQLite's LOWER and LIKE do not fold (ASCII only).
    private static readonly string[] EngineOnlyTexts = [.. Texts, "1", "1.5", " 2 ", "-1", "1e1", "10", "É", "é"];
    private static readonly string[] PeopleIds = ["p00000000000001", "p00000000000002", "p00000000000003"];

    private static Gen<T> Pick<T>(params T[] items) => Gen.Elements(items);

    private static Gen<T[]> All<T>(IEnumerable<Gen<T>> gens) =>
        gens.Aggregate(Gen.Constant(Array.Empty<T>()), (acc, g) => from a in acc from x in g select a.Append(x).ToArray());

    private static Gen<string> Subset(string[] pool) =>
        from mask in Gen.Choose(0, (1 << pool.Length) - 1)
        select "[" + string.Join(",", pool.Where((_, i) => (mask & (1 << i)) != 0).Select(v => "\"" + v + "\"")) + "]";

    private static Gen<DataSet> DataSetGen(bool engineOnly) =>
        from notesMultiple in Gen.Elements(true, false)
        from notesUnique in Gen.Elements(true, false)
        from ownerMultiple in Gen.Elements(true, false)
        from authPerson in Gen.Choose(-1, PeopleIds.Length - 1)
        from people in All(PeopleIds.Select(id =>
            from name in Pick(engineOnly ? EngineOnlyTexts : Texts) from age in Pick("0", "1", "2", "-1", "1.5") select new[] { id, name, age }))
        from itemCount in Gen.Choose(1, 5)
        from items in All(Enumerable.Range(0, itemCount).Select(i =>
            from t1 in Pick(engineOnly ? EngineOnlyTexts : Texts) from t2 in Pick(Texts) from n in Pick("0", "1", "2", "-1", "1.5")
            from b in Pick("true", "false") from tags in Subset(["a", "b", "c"])
            from owner in Pick(["", .. PeopleIds]) from owners in Subset(PeopleIds) from friends in Subset(PeopleIds)
            from extra in engineOnly ? EngineOnlyValues : Gen.Constant(Array.Empty<string>())
            select new[] { $"i{i:D14}", t1, t2, n, b, tags, ownerMultiple ? owners : owner, friends }.Concat(extra).ToArray()))
        from noteCount in Gen.Choose(0, 5)
        from notes in All(Enumerable.Range(0, noteCount).Select(i =>
            from item in Pick(Enumerable.Range(0, itemCount).Select(k => $"i{k:D14}").ToArray())
            from other in Pick(Enumerable.Range(0, itemCount).Select(k => $"i{k:D14}").ToArray())
            from body in Pick(Texts)
            select new[] { $"n{i:D14}", item, other, body }))
        select new DataSet(notesMultiple, notesUnique && !notesMultiple, ownerMultiple, authPerson, people.ToArray(), items.ToArray(),
            // A unique index on notes.item allows one note per item.
            notesUnique && !notesMultiple ? notes.DistinctBy(n => n[1]).ToArray() : notes.ToArray());

    private static readonly string[] TextOperands =
        ["t1", "t2", "owner", "owner.id", "owner.name", "friends.name", "friends.id", "friends:each", "notes_via_item.body", "tags:each", "t1:lower",
         "owner.name:lower", "@collection.people.name", "@collection.people:p.name", "@request.query.q", "@request.method",
         "@request.auth.id", "@request.auth.name", "@request.query.q:lower", "@request.auth.collectionName"];
    private static readonly string[] TextValues = ["''", "'a'", "'b'", "'A'", "'a%'", "'%'", "'_'", "'x_y'", "null", "t1", "t2", "owner.name", "'ab'", "\"b a\"", "@request.auth.id"];
    private static readonly string[] NumberOperands =
        ["n", "owner.age", "friends.age", "tags:length", "friends:length", "owner:length", "@collection.people.age", "notes_via_item.item:length", "@request.auth.age"];
    private static readonly string[] NumberValues = ["0", "1", "2", "-1", "1.5", "null", "n", "owner.age", "''"];
    // Operands the reference evaluator leaves to SQL (JSON paths, geoDistance, strftime), compared between engines only:
    // a JSON field, a geo point and a date, with values around the fixed clock of World.Clock.
    private static readonly string[] EngineOnlyFields = ["meta", "loc", "d"];
    private static readonly string[] ItemFields = ["id", "t1", "t2", "n", "b", "tags", "owner", "friends", .. EngineOnlyFields];
    private static readonly string[] MetaValues =
        ["null", "1", "0", "1.5", "\"1\"", "\"a\"", "\"\"", "true", "false", "[1,\"a\"]", "{\"k\":1}", "{\"k\":\"a\"}", "{\"k\":\"A\"}", "{\"k\":\"É\"}",
         "{\"k\":null}", "{\"k\":true}", "{\"k\":1.5}", "{\"k\":\"1\"}", "{\"k\":[1,2]}", "{\"k\":{\"x\":\"a\"}}", "{\"k\":\"\"}"];
    private static readonly string[] Dates =
        ["", "2024-06-15 12:30:45.000Z", "2024-06-15 00:00:00.000Z", "2024-06-14 23:59:59.999Z", "2024-06-01 08:00:00.000Z", "2023-12-31 10:00:00.000Z", "2024-07-01 00:00:00.000Z"];

    private static Gen<string[]> EngineOnlyValues =>
        from meta in Pick(MetaValues) from loc in Pick("{\"lon\":0,\"lat\":0}", "{\"lon\":10,\"lat\":10}", "{\"lon\":-1.5,\"lat\":2}") from d in Pick(Dates)
        select new[] { meta, loc, d };

    private static readonly string[] JsonOperands = ["meta.k", "meta.0", "meta.k.x", "meta.k:lower", "meta.1"];
    private static readonly string[] JsonValues = ["1", "1.5", "0", "'1'", "'a'", "'A'", "''", "null", "true", "false", "n", "t1", "b", "'1.5'", "'é'"];
    private static readonly string[] DateOperands = ["d", "strftime('%Y-%m-%d', d)", "strftime('%Y', d)", "strftime('%H', d, '+1 hour')", "d:lower"];
    private static readonly string[] DateValues =
        ["@now", "@todayStart", "@todayEnd", "@yesterday", "@tomorrow", "@monthStart", "@monthEnd", "@yearStart", "@yearEnd", "''", "null", "'2024'",
         "'2024-06-15'", "2024", "@year", "@hour", "@day", "strftime('%Y-%m-%d', @now)", "'13'", "13"];
    private static readonly string[] GeoOperands = ["geoDistance(loc.lon, loc.lat, 0, 0)", "geoDistance(n, n, loc.lon, loc.lat)"];
    private static readonly string[] GeoValues = ["0", "1000", "1572.5", "n", "''", "null", "'1000'"];

    // Values of different types meet: SQLite converts toward a column's affinity, expressions and constants have none.
    private static readonly string[] MixedOperands = ["n", "b", "tags:length", "owner.age", "t1", "t1:lower", "friends:each", "meta.k", "strftime('%d', d)", "owner.name"];
    private static readonly string[] MixedValues = ["t1", "n", "b", "owner.name", "owner.age", "'1'", "' 1'", "'1.5'", "1", "10", "1.5", "true", "'abc'", "tags:length", "meta.k", "'é'", "'É'"];

    private static Gen<string> EngineOnlyComparisonGen =>
        Gen.OneOf(
            from l in Pick(MixedOperands) from s in Pick(Signs) from r in Pick(MixedValues) select $"{l} {s} {r}",
            from l in Pick(JsonOperands) from s in Pick(Signs) from r in Pick(JsonValues) select $"{l} {s} {r}",
            from l in Pick(DateOperands) from s in Pick(Signs) from r in Pick(DateValues) select $"{l} {s} {r}",
            from l in Pick(GeoOperands) from s in Pick(Signs) from r in Pick(GeoValues) select $"{l} {s} {r}");

    private static readonly string[] Signs = ["=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?>", "?>=", "?<", "?<=", "?~", "?!~"];

    private static Gen<string> ComparisonGen(bool engineOnly) => engineOnly
        ? Gen.Frequency((3, ComparisonGen(false)), (1, EngineOnlyComparisonGen))
        : Gen.OneOf(
            from l in Pick(TextOperands) from s in Pick(Signs) from r in Pick(TextValues) from swap in Gen.Elements(false, false, true)
            select swap && !r.Contains('.') && r != "null" ? $"{r} {s} {l}" : $"{l} {s} {r}",
            from l in Pick(NumberOperands) from s in Pick(Signs) from r in Pick(NumberValues) select $"{l} {s} {r}",
            from s in Pick("=", "!=", "?=") from r in Pick("true", "false", "null", "TRUE", "b") select $"b {s} {r}");

    private static Gen<string> ExpressionGen(int depth, bool engineOnly) => depth == 0
        ? ComparisonGen(engineOnly)
        : Gen.Frequency(
            (3, ComparisonGen(engineOnly)),
            (2, from l in ExpressionGen(depth - 1, engineOnly) from op in Pick("&&", "||") from r in ExpressionGen(depth - 1, engineOnly) select $"{l} {op} {r}"),
            (1, from e in ExpressionGen(depth - 1, engineOnly) select $"({e})"));

    private static Gen<Case> CaseGen(bool engineOnly) =>
        from data in DataSetGen(engineOnly)
        from expressions in All(Enumerable.Range(0, ExpressionsPerDataSet).Select(_ => ExpressionGen(3, engineOnly)))
        select new Case(data, expressions.ToArray());

    public static World Build(DataSet data)
    {
        var (people, items, notes) = Schema(data);
        var records = new Dictionary<string, List<Record>>
        {
            [people.Id] = data.People.Select(p => Make(people, ("id", p[0]), ("name", p[1]), ("age", p[2]))).ToList(),
            [items.Id] = data.Items.Select(i => Make(items, ItemFields.Zip(i).ToArray())).ToList(),
            [notes.Id] = data.Notes.Select(n => Make(notes, ("id", n[0]), ("item", data.NotesMultiple ? $"[\"{n[1]}\",\"{n[2]}\"]" : n[1]), ("body", n[3]))).ToList(),
        };
        var request = new RequestData
        {
            Query = new Dictionary<string, string> { ["q"] = "A" },
            Auth = data.AuthPerson < 0 ? null : records[people.Id][data.AuthPerson],
        };
        return new World(people, items, notes, records, request, Clock);
    }

    private static (Collection People, Collection Items, Collection Notes) Schema(DataSet data)
    {
        var people = new Collection { Id = "pbc_people", Name = "people" };
        people.Fields.AddRange([CollectionScaffolds.IdField(), Field("name", FieldTypes.Text), Field("age", FieldTypes.Number)]);
        var items = new Collection { Id = "pbc_items", Name = "items" };
        items.Fields.AddRange([
            CollectionScaffolds.IdField(), Field("t1", FieldTypes.Text), Field("t2", FieldTypes.Text), Field("n", FieldTypes.Number), Field("b", FieldTypes.Bool),
            Field("tags", FieldTypes.Select, new JsonObject { ["maxSelect"] = 3, ["values"] = new JsonArray("a", "b", "c") }),
            Field("owner", FieldTypes.Relation, new JsonObject { ["collectionId"] = people.Id, ["maxSelect"] = data.OwnerMultiple ? 3 : 1 }),
            Field("friends", FieldTypes.Relation, new JsonObject { ["collectionId"] = people.Id, ["maxSelect"] = 3 }),
        ]);
        var notes = new Collection { Id = "pbc_notes", Name = "notes" };
        notes.Fields.AddRange([
            CollectionScaffolds.IdField(),
            Field("item", FieldTypes.Relation, new JsonObject { ["collectionId"] = items.Id, ["maxSelect"] = data.NotesMultiple ? 2 : 1 }),
            Field("body", FieldTypes.Text),
        ]);
        if (data.EngineOnly) items.Fields.AddRange([Field("meta", FieldTypes.Json), Field("loc", FieldTypes.GeoPoint), Field("d", FieldTypes.Date)]);
        if (data.NotesUnique) notes.Indexes.Add("CREATE UNIQUE INDEX idx_notes_item ON notes (item)");
        return (people, items, notes);
    }

    private static Field Field(string name, string type, JsonObject? options = null)
    {
        var field = new Field { Name = name, Type = type, Options = FieldTypes.DefaultOptions(type) };
        foreach (var (key, value) in options ?? []) field.Options[key] = value?.DeepClone();
        return field;
    }

    // Date macros and strftime read this clock, the same for every engine and the oracle.
    private static readonly TimeProvider Clock = new FixedClock(new DateTimeOffset(2024, 6, 15, 12, 30, 45, TimeSpan.Zero));

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static Record Make(Collection collection, params (string Field, string Value)[] values)
    {
        var record = RecordForm.NewRecord(collection);
        foreach (var (name, value) in values)
        {
            var field = collection.FindField(name)!;
            JsonNode? node = value.StartsWith('[') || field.Type is FieldTypes.Number or FieldTypes.Bool or FieldTypes.Json or FieldTypes.GeoPoint
                ? JsonNode.Parse(value) : JsonValue.Create(value);
            record[name] = FieldValues.Normalize(field, node);
        }
        return record;
    }
}
