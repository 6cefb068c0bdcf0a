using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;

namespace Cairn.Query;

/// <summary>
/// Turns an operand into SQL (POCKETBASE_API.md 2.2): literals, macros and request values become bound
/// constants; field paths are checked against the schema and walked through joins (relations up to
/// <see cref="MaxRelationDepth"/> levels, back-relations, JSON paths, <c>@collection</c>). Every table and
/// column name written into SQL comes from the schema, never from the expression's text.
/// </summary>
internal sealed class OperandResolver(QueryContext context, QueryBindings bindings)
{
    public const int MaxRelationDepth = 6;

    private readonly HashSet<string> _rowGuards = [];

    /// <summary>Join-free conditions the tested row itself must meet (email visibility on the main collection).</summary>
    public IEnumerable<string> RowGuards => _rowGuards;

    private SqlDialect Dialect => context.Dialect;

    private string Q(string name) => Dialect.Quote(name);

    /// <summary>Where a path stands: a row at a table alias, or in-memory values (the auth record, the body).</summary>
    private sealed record Cursor(Collection Collection, string? Alias, IReadOnlyDictionary<string, object?>? Values, bool Multi, string Key, int Depth)
    {
        public bool FromRequest => Key.StartsWith("@request", StringComparison.Ordinal);
    }

    public SqlOperand Resolve(Operand operand, JoinScope scope) => operand switch
    {
        TextOperand t => SqlOperand.Constant(t.Value),
        NumberOperand n => SqlOperand.Constant(n.Value),
        IdentifierOperand i => Identifier(i.Name, scope),
        FunctionOperand f => Function(f, scope),
        _ => throw new ArgumentOutOfRangeException(nameof(operand)),
    };

    private SqlOperand Identifier(string name, JoinScope scope)
    {
        var segments = name.Split('.');
        var last = segments[^1];
        string? modifier = null;
        var colon = last.IndexOf(':');
        if (colon >= 0)
        {
            modifier = last[(colon + 1)..];
            segments[^1] = last[..colon];
            if (modifier.Contains(':')) throw new QueryResolveException($"\"{name}\" has more than one modifier.");
        }
        for (var i = 0; i < segments.Length - 1; i++)
            if (segments[i].Contains(':') && !(i == 1 && segments[0] == "@collection"))
                throw new QueryResolveException($"\"{name}\": modifiers go after the last segment of a path.");
        if (segments.Any(s => s.Length == 0)) throw new QueryResolveException($"Invalid identifier \"{name}\".");

        if (name.StartsWith('@')) return Special(name, segments, modifier, scope);
        if (segments.Length == 1 && modifier is null && context.Collection.FindField(segments[0]) is null)
        {
            switch (segments[0].ToLowerInvariant())
            {
                case "null": return SqlOperand.Null;
                case "true": return SqlOperand.Constant(true);
                case "false": return SqlOperand.Constant(false);
            }
        }
        return Walk(new Cursor(context.Collection, context.Alias, null, false, "", 0), segments, 0, modifier, scope);
    }

    private SqlOperand Special(string name, string[] segments, string? modifier, JoinScope scope)
    {
        switch (segments[0])
        {
            case "@request" when segments.Length >= 2:
                return segments[1] switch
                {
                    "auth" => Auth(segments, modifier, scope),
                    "body" => Body(segments, modifier, scope),
                    "query" => KeyValue(context.Request.Query, segments, modifier, name),
                    "headers" => KeyValue(context.Request.Headers, segments, modifier, name),
                    "method" when segments.Length == 2 => Scalar(SqlOperand.Constant(context.Request.Method), modifier, isset: null),
                    "context" when segments.Length == 2 => Scalar(SqlOperand.Constant(context.Request.Context), modifier, isset: null),
                    _ => throw Unknown(name),
                };
            case "@collection":
                return CollectionJoin(name, segments, modifier, scope);
            case "@random" or "@rowid" when segments.Length == 1:
                throw new QueryResolveException($"{name} may only be used in sort.");
        }
        if (segments.Length == 1 && modifier is null && DateMacros.TryGet(name, context.Clock.GetUtcNow(), out var value))
            return SqlOperand.Constant(value);
        throw Unknown(name);
    }

    private static QueryResolveException Unknown(string name) => new($"Unknown identifier \"{name}\".");

    private SqlOperand Auth(string[] segments, string? modifier, JoinScope scope)
    {
        if (segments.Length < 3) throw Unknown(string.Join('.', segments));
        if (context.AuthRow is var (authCollection, authAlias))
        {
            if (segments.Length == 3 && segments[2] == "collectionId") return Scalar(SqlOperand.Constant(authCollection.Id), modifier, isset: null);
            if (segments.Length == 3 && segments[2] == "collectionName") return Scalar(SqlOperand.Constant(authCollection.Name), modifier, isset: null);
            return Walk(new Cursor(authCollection, authAlias, null, false, "@request.auth", 0), segments, 2, modifier, scope);
        }
        // With no auth every @request.auth.* is NULL (POCKETBASE_API.md 2.2).
        if (context.Request.Auth is not { } auth) return SqlOperand.Null;
        if (segments.Length == 3 && segments[2] == "collectionId") return Scalar(SqlOperand.Constant(auth.Collection.Id), modifier, isset: null);
        if (segments.Length == 3 && segments[2] == "collectionName") return Scalar(SqlOperand.Constant(auth.Collection.Name), modifier, isset: null);
        // The auth record was loaded for this request, so its values are bound directly instead of joining its table again.
        var values = auth.Collection.Fields.ToDictionary(f => f.Name, f => auth[f.Name], StringComparer.OrdinalIgnoreCase);
        return Walk(new Cursor(auth.Collection, null, values, false, "@request.auth", 0), segments, 2, modifier, scope);
    }

    private SqlOperand Body(string[] segments, string? modifier, JoinScope scope)
    {
        if (segments.Length < 3) throw Unknown(string.Join('.', segments));
        var body = context.Request.Body;
        var key = segments[2];
        var present = body.ContainsKey(key);
        var field = context.Collection.FindField(key);
        if (segments.Length == 3 && modifier == "isset") return SqlOperand.Constant(present);
        if (segments.Length == 3 && modifier == "changed")
        {
            if (field is null) throw new QueryResolveException($":changed needs a field of {context.Collection.Name}; \"{key}\" is not one.");
            if (!present) return SqlOperand.Constant(false);
            var stored = $"{context.Alias}.{Q(field.Name)}";
            var submitted = Dialect.Parameter(bindings.Add(DbValue(field, body[key])), FieldTypes.ColumnKind(field));
            return SqlOperand.Column(Dialect.Same(submitted, stored, equal: false), ColumnKind.Bool, noCoalesce: true);
        }
        if (field is null)
        {
            // A key that is not a field (passwordConfirm, custom keys) is a plain value with no sub-paths.
            if (segments.Length > 3) return SqlOperand.Null;
            return Scalar(SqlOperand.Constant(present ? PlainValue(body[key]) : null), modifier, isset: null);
        }
        return Walk(new Cursor(context.Collection, null, body, false, "@request.body", 0), segments, 2, modifier, scope);
    }

    private static SqlOperand KeyValue(IReadOnlyDictionary<string, string> values, string[] segments, string? modifier, string name)
    {
        if (segments.Length < 3) throw Unknown(name);
        var present = values.TryGetValue(segments[2], out var value) || values.TryGetValue(segments[2].ToLowerInvariant(), out value);
        if (segments.Length > 3) return SqlOperand.Null;
        return Scalar(SqlOperand.Constant(present ? value : null), modifier, isset: present);
    }

    /// <summary>A plain value with its modifier: <c>:lower</c>, or <c>:isset</c> where the value can be absent.</summary>
    private static SqlOperand Scalar(SqlOperand value, string? modifier, bool? isset) => modifier switch
    {
        null => value,
        "lower" => value.IsConstant ? SqlOperand.Constant(value.Value is string s ? AsciiLower(s) : value.Value) : value,
        "isset" when isset is { } set => SqlOperand.Constant(set),
        _ => throw new QueryResolveException($"The modifier :{modifier} does not apply here."),
    };

    /// <summary>SQLite's LOWER folds ASCII letters only; a constant is folded the same way.</summary>
    public static string AsciiLower(string value) => string.Create(value.Length, value, (span, s) =>
    {
        for (var i = 0; i < s.Length; i++) span[i] = char.IsAsciiLetterUpper(s[i]) ? (char)(s[i] + 32) : s[i];
    });

    private SqlOperand CollectionJoin(string name, string[] segments, string? modifier, JoinScope scope)
    {
        if (segments.Length < 3) throw new QueryResolveException($"\"{name}\" must name a collection and a field: @collection.name.field.");
        var parts = segments[1].Split(':');
        if (parts.Length > 2 || parts.Any(p => p.Length == 0)) throw Unknown(name);
        var target = context.FindCollection(parts[0]) ?? throw new QueryResolveException($"Unknown collection \"{parts[0]}\" in \"{name}\".");
        if (!scope.AllowMulti) throw new QueryResolveException("@collection cannot be used in sort.");
        var key = "@collection." + target.Id + ":" + (parts.Length == 2 ? parts[1] : "");
        // No join condition: the rule itself relates the rows (multi-match semantics).
        var alias = scope.Join(key, "c", a => $"LEFT JOIN {Q(target.Name)} AS {a} ON 1 = 1");
        return Walk(new Cursor(target, alias, null, true, key, 0), segments, 2, modifier, scope);
    }

    private SqlOperand Walk(Cursor cursor, string[] segments, int i, string? modifier, JoinScope scope)
    {
        var segment = segments[i];
        var last = i == segments.Length - 1;
        var via = segment.LastIndexOf("_via_", StringComparison.Ordinal);
        if (via > 0)
        {
            if (last && modifier == "length") throw new QueryResolveException($"Unknown field \"{segment}:length\": back-relations have no :length.");
            var back = BackRelation(cursor, segment, via, scope);
            if (back is null) return SqlOperand.Null;
            return last ? Final(back, back.Collection.FindField("id")!, modifier, scope) : Walk(back, segments, i + 1, modifier, scope);
        }

        var field = cursor.Collection.FindField(segment);
        if (field is null)
        {
            // A missing @request.* key is NULL, not an error (POCKETBASE_API.md 2.2).
            if (cursor.FromRequest) return SqlOperand.Null;
            throw new QueryResolveException($"Unknown field \"{segment}\" in collection {cursor.Collection.Name}.");
        }
        CheckVisible(cursor, field, scope);
        if (last) return Final(cursor, field, modifier, scope);
        if (field.Type is FieldTypes.Json or FieldTypes.GeoPoint) return JsonPath(cursor, field, segments[(i + 1)..], modifier);
        if (field.Type != FieldTypes.Relation)
            throw new QueryResolveException($"Cannot read \"{segments[i + 1]}\" of \"{segment}\": it is neither a relation nor a JSON field.");
        var target = context.FindCollection(field.RelationCollectionId)
                     ?? throw new QueryResolveException($"The relation \"{segment}\" points at a missing collection.");
        // rel.id on a single relation is the stored id: no join needed.
        if (!field.IsMultiple && i + 2 == segments.Length && segments[i + 1].Equals("id", StringComparison.OrdinalIgnoreCase) && modifier is null or "lower")
            return Final(cursor, field, modifier, scope);
        return Walk(Follow(cursor, field, target, scope), segments, i + 1, modifier, scope);
    }

    private Cursor Follow(Cursor cursor, Field field, Collection target, JoinScope scope)
    {
        if (cursor.Depth + 1 > MaxRelationDepth) throw new QueryResolveException($"Relation paths may be at most {MaxRelationDepth} levels deep.");
        var key = cursor.Key + "." + field.Name;
        var isNew = !scope.Has(key);
        string alias;
        if (field.IsMultiple)
        {
            if (!scope.AllowMulti) throw new QueryResolveException($"Cannot sort by \"{field.Name}\": it holds several values.");
            var each = scope.Join(key + ":each", "e", a => $"LEFT JOIN {Dialect.JsonEach(Column(cursor, field))} AS {a} ON 1 = 1");
            alias = scope.Join(key, "j", a => $"LEFT JOIN {Q(target.Name)} AS {a} ON {a}.{Q("id")} = {Dialect.JsonEachValue(each)}");
        }
        else alias = scope.Join(key, "j", a => $"LEFT JOIN {Q(target.Name)} AS {a} ON {a}.{Q("id")} = {Column(cursor, field)}");
        if (isNew) GuardCrossed(target, alias, scope);
        return new Cursor(target, alias, null, cursor.Multi || field.IsMultiple, key, cursor.Depth + 1);
    }

    private Cursor? BackRelation(Cursor cursor, string segment, int via, JoinScope scope)
    {
        var other = context.FindCollection(segment[..via]);
        var relation = other?.FindField(segment[(via + "_via_".Length)..]);
        if (other is null || relation is not { Type: FieldTypes.Relation } || relation.RelationCollectionId != cursor.Collection.Id)
        {
            // Only under @request.* does a broken back-relation resolve to NULL instead of failing.
            if (cursor.FromRequest) return null;
            throw new QueryResolveException($"Invalid back-relation \"{segment}\": expected collection_via_relationField pointing at {cursor.Collection.Name}.");
        }
        if (cursor.Depth + 1 > MaxRelationDepth) throw new QueryResolveException($"Relation paths may be at most {MaxRelationDepth} levels deep.");
        // Single-valued only when the relation field is single and uniquely indexed (POCKETBASE_API.md 3.4).
        var unique = !relation.IsMultiple && CollectionValidator.UniqueColumns(other).Contains(relation.Name);
        if (!unique && !scope.AllowMulti) throw new QueryResolveException($"Cannot sort by \"{segment}\": it holds several values.");
        var key = cursor.Key + "." + segment;
        var isNew = !scope.Has(key);
        var id = cursor.Collection.FindField("id")!;
        var alias = scope.Join(key, "b", a =>
        {
            var column = $"{a}.{Q(relation.Name)}";
            var condition = relation.IsMultiple ? Dialect.ArrayContains(column, Column(cursor, id)) : $"{column} = {Column(cursor, id)}";
            return $"LEFT JOIN {Q(other.Name)} AS {a} ON {condition}";
        });
        if (isNew) GuardCrossed(other, alias, scope);
        return new Cursor(other, alias, null, cursor.Multi || !unique, key, cursor.Depth + 1);
    }

    private SqlOperand Final(Cursor cursor, Field field, string? modifier, JoinScope scope)
    {
        var isJson = field.Type is FieldTypes.Json or FieldTypes.GeoPoint;
        var kind = FieldTypes.ColumnKind(field);
        switch (modifier)
        {
            case null:
                if (cursor.Values is not null)
                    return SqlOperand.Constant(DbValue(field, cursor.Values.GetValueOrDefault(field.Name)), SqlOperand.Normalize(kind)) with { NoCoalesce = isJson };
                // A bare multiple field is compared as its stored JSON text (POCKETBASE_API.md 2.3), as SQLite holds it.
                return (kind == ColumnKind.JsonArray
                    ? SqlOperand.Column(Dialect.Convert(Column(cursor, field), kind, ColumnKind.Text), ColumnKind.Text, cursor.Multi)
                    : SqlOperand.Column(Column(cursor, field), kind, cursor.Multi, isJson)) with { HasAffinity = !isJson };
            case "lower":
                return SqlOperand.Column(Dialect.Lower(Column(cursor, field), kind), ColumnKind.Text, cursor.Multi, isJson);
            case "length":
                if (!FieldTypes.CanBeMultiple(field.Type)) throw new QueryResolveException($":length applies to select, relation and file fields; \"{field.Name}\" is {field.Type}.");
                if (cursor.Values is not null)
                    return SqlOperand.Constant((double)(cursor.Values.GetValueOrDefault(field.Name) switch { List<string> l => l.Count, string { Length: > 0 } => 1, _ => 0 }));
                var column = Column(cursor, field);
                return SqlOperand.Column(field.IsMultiple ? Dialect.ArrayLength(column) : $"(CASE WHEN {column} = '' OR {column} IS NULL THEN 0 ELSE 1 END)", ColumnKind.Number, cursor.Multi);
            case "each":
                if (!field.IsMultiple) throw new QueryResolveException($":each applies to multiple select, relation and file fields; \"{field.Name}\" is single.");
                if (!scope.AllowMulti) throw new QueryResolveException($"Cannot sort by \"{field.Name}:each\": it holds several values.");
                var each = scope.Join(cursor.Key + "." + field.Name + ":each", "e", a => $"LEFT JOIN {Dialect.JsonEach(Column(cursor, field))} AS {a} ON 1 = 1");
                return SqlOperand.Column(Dialect.JsonEachValue(each), ColumnKind.Text, multi: true);
            case "isset" or "changed":
                throw new QueryResolveException($":{modifier} applies only to @request.body fields.");
            default:
                throw new QueryResolveException($"Unknown modifier :{modifier}.");
        }
    }

    private SqlOperand JsonPath(Cursor cursor, Field field, string[] path, string? modifier)
    {
        // Segments are identifier characters only; the path is still bound rather than written into SQL.
        var jsonPath = "$" + string.Concat(path.Select(s => s.Length <= 9 && s.All(char.IsAsciiDigit) ? $"[{s}]" : $".\"{s}\""));
        var sql = Dialect.JsonExtract(Column(cursor, field), bindings.Add(jsonPath));
        return modifier switch
        {
            null => SqlOperand.Column(sql, ColumnKind.Json, cursor.Multi, noCoalesce: true),
            "lower" => SqlOperand.Column(Dialect.Lower(sql, ColumnKind.Json), ColumnKind.Text, cursor.Multi, noCoalesce: true),
            _ => throw new QueryResolveException($"The modifier :{modifier} does not apply to a JSON path."),
        };
    }

    private SqlOperand Function(FunctionOperand function, JoinScope scope)
    {
        switch (function.Name)
        {
            case "geoDistance":
            {
                if (function.Arguments.Count != 4) throw new QueryResolveException("geoDistance takes 4 arguments: lonA, latA, lonB, latB.");
                var args = function.Arguments.Select(a => Resolve(a, scope)).ToList();
                return SqlOperand.Column(Dialect.GeoDistance(args.Select(a => a.EmitAs(ColumnKind.Number, bindings, Dialect)).ToList()), ColumnKind.Number, args.Any(a => a.Multi), noCoalesce: true);
            }
            case "strftime":
            {
                if (function.Arguments.Count is < 1 or > QueryParser.MaxFunctionArguments)
                    throw new QueryResolveException($"strftime takes 1 to {QueryParser.MaxFunctionArguments} arguments: format, time value, modifiers.");
                var args = function.Arguments.Select(a => Resolve(a, scope)).ToList();
                return new SqlOperand { Sql = Dialect.Strftime(args.Select(a => a.EmitAs(ColumnKind.Text, bindings, Dialect)).ToList()), Kind = ColumnKind.Text, Multi = args.Any(a => a.Multi), MayBeEmpty = true };
            }
            default:
                throw new QueryResolveException($"Unknown function \"{function.Name}\"; the known ones are geoDistance and strftime.");
        }
    }

    /// <summary>The SQL of a field's value where the cursor stands: a column, or a bound in-memory value.</summary>
    private string Column(Cursor cursor, Field field) => cursor.Alias is not null
        ? $"{cursor.Alias}.{Q(field.Name)}"
        : bindings.Add(DbValue(field, cursor.Values!.GetValueOrDefault(field.Name)));

    private static object? DbValue(Field field, object? value) => value is null ? null : RecordStore.ToDbValue(field, value);

    /// <summary>A submitted value that is not a field, as SQL compares it.</summary>
    private static object? PlainValue(object? value) => value switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        JsonNode node => node.ToJsonString(),
        null => null,
        _ => value,
    };

    /// <summary>Client-filter restrictions on a field: hidden fields are refused, an auth email needs emailVisibility.</summary>
    private void CheckVisible(Cursor cursor, Field field, JoinScope scope)
    {
        if (!context.ClientFilter || cursor.Alias is null) return;
        if (field.Hidden || field.Type == FieldTypes.Password)
            throw new QueryResolveException($"The field \"{field.Name}\" is hidden and cannot be used in a filter or sort.");
        if (cursor.Collection.IsAuth && field.Name.Equals("email", StringComparison.OrdinalIgnoreCase))
        {
            var guard = $"{cursor.Alias}.{Q("emailVisibility")} = {bindings.Add(true)}";
            if (cursor.Alias == context.Alias) _rowGuards.Add(guard);
            else scope.Guards.Add(guard);
        }
    }

    /// <summary>
    /// A client filter may only cross collections the caller can list (POCKETBASE_API.md 1.1): a locked one
    /// fails the filter; another's list rule must hold for the joined row, or the row must be missing, so an
    /// empty relation does not make the whole filter false.
    /// </summary>
    private void GuardCrossed(Collection target, string alias, JoinScope scope)
    {
        if (!context.ClientFilter) return;
        if (target.ListRule is null) throw new QueryResolveException($"The filter or sort crosses the collection {target.Name}, which only superusers may list.");
        if (target.ListRule.Trim().Length == 0) return;
        var rule = FilterCompiler.Compile(QueryCache.Shared.Parse(target.ListRule), context.For(target, alias), bindings);
        scope.Guards.Add($"({alias}.{Q("id")} IS NULL OR ({rule}))");
    }
}
