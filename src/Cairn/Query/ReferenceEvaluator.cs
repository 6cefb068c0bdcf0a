using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;

namespace Cairn.Query;

/// <summary>
/// Evaluates a filter over records in memory with the semantics the SQL compiler gives it: the same
/// operator forms (null and empty alike for <c>=</c>, JSON compared with <c>IS</c>), SQLite's three-valued
/// logic and type affinity, joins shared by path where some combination of joined rows must satisfy the
/// joined terms, "any" for <c>?</c> operators and "all" for plain ones over multi-valued paths, and an
/// empty set read as one NULL. It is written apart from <see cref="FilterCompiler"/> so that the property
/// test can use it as an oracle, and it serves filters over data that is not in a table (the collections
/// list). <c>geoDistance</c>, <c>strftime</c>, JSON paths and paths below <c>@request.auth.*</c> are left
/// to SQL and refused here. One file of about 400 lines on purpose: it mirrors the resolver and the
/// operator forms side by side, so a difference between the two is easy to spot.
/// </summary>
public sealed class ReferenceEvaluator(Func<string, Collection?> findCollection, Func<Collection, IReadOnlyList<Record>> rows, RequestData request, TimeProvider clock)
{
    private enum Affinity { None, Text, Numeric }

    /// <summary>A SQL value: null, long, double or string, with the affinity of the column it came from.</summary>
    private readonly record struct Val(object? Value, Affinity Affinity = Affinity.None)
    {
        public static readonly Val Null = new(null);
    }

    /// <summary>One LEFT JOIN of a scope: its rows given the rows chosen for the joins before it.</summary>
    private sealed record JoinSpec(string Key, Func<Dictionary<string, object?>, List<object?>> Candidates);

    private sealed class Scope
    {
        public readonly List<JoinSpec> Joins = [];
        public readonly List<Func<Dictionary<string, object?>, bool?>> Guards = [];
        public bool Touched;

        public string Join(string key, Func<Dictionary<string, object?>, List<object?>> candidates)
        {
            Touched = true;
            if (Joins.All(j => j.Key != key)) Joins.Add(new JoinSpec(key, candidates));
            return key;
        }

        /// <summary>Every combination of joined rows (a NULL row where a join matches nothing), as SQL's LEFT JOINs produce them.</summary>
        public IEnumerable<Dictionary<string, object?>> Assignments() => Expand(0, new Dictionary<string, object?>());

        private IEnumerable<Dictionary<string, object?>> Expand(int index, Dictionary<string, object?> env)
        {
            if (index == Joins.Count) { yield return env; yield break; }
            var candidates = Joins[index].Candidates(env);
            if (candidates.Count == 0) candidates = [null];
            foreach (var candidate in candidates)
            {
                var next = new Dictionary<string, object?>(env) { [Joins[index].Key] = candidate };
                foreach (var result in Expand(index + 1, next)) yield return result;
            }
        }
    }

    /// <summary>An operand: a constant, or a value read from the tested row and the joined rows.</summary>
    private sealed record Operand(Func<Dictionary<string, object?>, Val> Read, bool IsConstant, object? Constant, bool Multi, bool NoCoalesce)
    {
        public bool IsEmptyConstant => IsConstant && Constant is null or "";
        public bool IsKnownNonEmpty => IsConstant && !IsEmptyConstant;
    }

    private Record _row = null!;
    private Collection _collection = null!;

    /// <summary>Whether <paramref name="row"/> of <paramref name="collection"/> matches <paramref name="expression"/>.</summary>
    public bool Matches(QueryExpr expression, Collection collection, Record row)
    {
        _row = row;
        _collection = collection;
        var scope = new Scope();
        var direct = new List<Func<Dictionary<string, object?>, bool?>>();
        var joined = new List<Func<Dictionary<string, object?>, bool?>>();
        foreach (var term in Conjuncts(expression))
        {
            scope.Touched = false;
            var compiled = Node(term, scope);
            (scope.Touched ? joined : direct).Add(compiled);
        }
        var empty = new Dictionary<string, object?>();
        if (direct.Any(d => d(empty) != true)) return false;
        if (joined.Count == 0) return true;
        return scope.Assignments().Any(env => scope.Guards.Concat(joined).All(c => c(env) == true));
    }

    private static IEnumerable<QueryExpr> Conjuncts(QueryExpr e) => e is LogicalExpr { Op: LogicalOp.And } and ? Conjuncts(and.Left).Concat(Conjuncts(and.Right)) : [e];

    private Func<Dictionary<string, object?>, bool?> Node(QueryExpr e, Scope scope)
    {
        switch (e)
        {
            case LogicalExpr l:
                var left = Node(l.Left, scope);
                var right = Node(l.Right, scope);
                return l.Op == LogicalOp.And ? env => And(left(env), right(env)) : env => Or(left(env), right(env));
            case ComparisonExpr c:
                return Comparison(c, scope);
            default:
                throw new ArgumentOutOfRangeException(nameof(e));
        }
    }

    private static bool? And(bool? a, bool? b) => a == false || b == false ? false : a == true && b == true ? true : null;
    private static bool? Or(bool? a, bool? b) => a == true || b == true ? true : a == false && b == false ? false : null;
    private static bool? Not(bool? a) => a is null ? null : !a;

    private Func<Dictionary<string, object?>, bool?> Comparison(ComparisonExpr c, Scope scope)
    {
        var left = Resolve(c.Left, scope);
        var right = Resolve(c.Right, scope);
        var condition = Condition(c.Sign.Op, left, right);
        if (c.Sign.Any || !(left.Multi || right.Multi)) return condition;
        // "All must match": no combination of the values, walked again on their own, may fail the condition.
        var each = new Scope();
        var eachCondition = Condition(c.Sign.Op, Resolve(c.Left, each), Resolve(c.Right, each));
        return env =>
        {
            var any = condition(env);
            if (any == false) return false;
            var failing = each.Assignments().Any(sub => And(each.Guards.Aggregate((bool?)true, (a, g) => And(a, g(Merge(env, sub)))), Not(eachCondition(Merge(env, sub)))) == true);
            return And(any, !failing);
        };
    }

    private static Dictionary<string, object?> Merge(Dictionary<string, object?> outer, Dictionary<string, object?> inner)
    {
        var merged = new Dictionary<string, object?>(outer);
        foreach (var (k, v) in inner) merged[k] = v;
        return merged;
    }

    // The operator forms of ComparisonSql, evaluated.
    private static Func<Dictionary<string, object?>, bool?> Condition(CompareOp op, Operand left, Operand right)
    {
        switch (op)
        {
            case CompareOp.Equal or CompareOp.NotEqual:
                var equal = op == CompareOp.Equal;
                if (left.NoCoalesce || right.NoCoalesce) return env => Is(left.Read(env), right.Read(env)) == equal;
                if (left.IsEmptyConstant && right.IsEmptyConstant) return _ => equal;
                Func<Val, Val, bool?> test = equal ? (a, b) => Compare(a, b) is { } r ? r == 0 : null : (a, b) => !Is(a, b);
                var emptyText = new Val("");
                if (left.IsKnownNonEmpty || right.IsKnownNonEmpty)
                    return env => test(left.IsEmptyConstant ? emptyText : left.Read(env), right.IsEmptyConstant ? emptyText : right.Read(env));
                if (left.IsEmptyConstant)
                    return env => { var r = right.Read(env); return equal ? Or(test(emptyText, r), r.Value is null) : And(test(emptyText, r), r.Value is not null); };
                if (right.IsEmptyConstant)
                    return env => { var l = left.Read(env); return equal ? Or(test(l, emptyText), l.Value is null) : And(test(l, emptyText), l.Value is not null); };
                return env => test(Coalesce(left.Read(env)), Coalesce(right.Read(env)));
            case CompareOp.Greater: return env => Compare(left.Read(env), right.Read(env)) is { } r ? r > 0 : null;
            case CompareOp.GreaterOrEqual: return env => Compare(left.Read(env), right.Read(env)) is { } r ? r >= 0 : null;
            case CompareOp.Less: return env => Compare(left.Read(env), right.Read(env)) is { } r ? r < 0 : null;
            case CompareOp.LessOrEqual: return env => Compare(left.Read(env), right.Read(env)) is { } r ? r <= 0 : null;
            default:
                var negate = op == CompareOp.NotLike;
                return env =>
                {
                    var value = left.Read(env);
                    var pattern = right.IsConstant ? new Val(LikePattern.Wrap(LikePattern.ToText(right.Constant))) : Concat(right.Read(env));
                    if (value.Value is null || pattern.Value is null) return null;
                    var match = Like(Text(value.Value), Text(pattern.Value));
                    return negate ? !match : match;
                };
        }
    }

    private static Val Coalesce(Val v) => v.Value is null ? new Val("") : v with { Affinity = Affinity.None };

    private static Val Concat(Val v) => v.Value is null ? Val.Null : new Val("%" + Text(v.Value) + "%");

    /// <summary>SQLite's comparison: affinity first, then NULL (unknown) &lt; numbers &lt; text (byte order).</summary>
    private static int? Compare(Val a, Val b)
    {
        (a, b) = (ApplyAffinity(a, b), ApplyAffinity(b, a));
        if (a.Value is null || b.Value is null) return null;
        var an = IsNumber(a.Value);
        var bn = IsNumber(b.Value);
        if (an && bn) return ToDouble(a.Value).CompareTo(ToDouble(b.Value));
        if (an) return -1;
        if (bn) return 1;
        return Math.Sign(Encoding.UTF8.GetBytes((string)a.Value).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes((string)b.Value)));
    }

    private static bool Is(Val a, Val b) => a.Value is null || b.Value is null ? a.Value is null && b.Value is null : Compare(a, b) == 0;

    private static Val ApplyAffinity(Val value, Val other)
    {
        if (value.Value is null) return value;
        if (other.Affinity == Affinity.Numeric && value.Affinity != Affinity.Numeric && value.Value is string s
            && double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && s.Trim().Length > 0 && !s.Contains("Infinity") && !s.Contains('∞'))
            return new Val(d == Math.Floor(d) && Math.Abs(d) < 9e15 ? (object)(long)d : d, value.Affinity);
        if (other.Affinity == Affinity.Text && value.Affinity == Affinity.None && IsNumber(value.Value))
            return new Val(Text(value.Value), value.Affinity);
        return value;
    }

    private static bool IsNumber(object v) => v is long or double;

    private static double ToDouble(object v) => v is long l ? l : (double)v;

    private static string Text(object v) => v switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => d.ToString("0.0", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>SQLite's LIKE with <c>\</c> as escape: <c>%</c> any run, <c>_</c> one character, ASCII case ignored.</summary>
    public static bool Like(string value, string pattern)
    {
        var v = value.EnumerateRunes().ToArray();
        var p = pattern.EnumerateRunes().ToArray();
        return Like(v, 0, p, 0);
    }

    private static bool Like(Rune[] v, int vi, Rune[] p, int pi)
    {
        while (pi < p.Length)
        {
            var c = p[pi];
            if (c.Value == '%')
            {
                while (pi < p.Length && p[pi].Value == '%') pi++;
                if (pi == p.Length) return true;
                for (var k = vi; k <= v.Length; k++)
                    if (Like(v, k, p, pi)) return true;
                return false;
            }
            if (vi == v.Length) return false;
            if (c.Value == '_') { vi++; pi++; continue; }
            if (c.Value == '\\')
            {
                pi++;
                if (pi == p.Length) return false;
                c = p[pi];
            }
            if (Fold(c) != Fold(v[vi])) return false;
            vi++;
            pi++;
        }
        return vi == v.Length;
    }

    private static int Fold(Rune r) => r.Value is >= 'A' and <= 'Z' ? r.Value + 32 : r.Value;

    // ---- operands ----

    private Operand Constant(object? value) => new(_ => new Val(value is bool b ? (b ? 1L : 0L) : value), true, value, false, false);

    private Operand Resolve(Query.Operand operand, Scope scope) => operand switch
    {
        TextOperand t => Constant(t.Value),
        NumberOperand n => Constant(n.Value),
        IdentifierOperand i => Identifier(i.Name, scope),
        FunctionOperand f => throw new QueryResolveException($"The function {f.Name} is only evaluated by the database."),
        _ => throw new ArgumentOutOfRangeException(nameof(operand)),
    };

    private Operand Identifier(string name, Scope scope)
    {
        var segments = name.Split('.');
        string? modifier = null;
        if (segments[^1].IndexOf(':') is var colon and >= 0)
        {
            modifier = segments[^1][(colon + 1)..];
            segments[^1] = segments[^1][..colon];
        }
        if (name.StartsWith('@'))
        {
            if (segments[0] == "@collection" && segments.Length >= 3)
            {
                var parts = segments[1].Split(':');
                var target = findCollection(parts[0]) ?? throw new QueryResolveException($"Unknown collection \"{parts[0]}\".");
                var key = "@collection." + target.Id + ":" + (parts.Length == 2 ? parts[1] : "");
                scope.Join(key, _ => rows(target).Cast<object?>().ToList());
                return Walk(target, env => env.GetValueOrDefault(key) as Record, true, key, segments, 2, modifier, scope);
            }
            if (segments[0] == "@request") return RequestValue(segments, modifier);
            if (segments.Length == 1 && modifier is null && DateMacros.TryGet(name, clock.GetUtcNow(), out var macro)) return Constant(macro);
            throw new QueryResolveException($"Unknown identifier \"{name}\".");
        }
        if (segments.Length == 1 && modifier is null && _collection.FindField(name) is null)
            switch (name.ToLowerInvariant())
            {
                case "null": return Constant(null);
                case "true": return Constant(true);
                case "false": return Constant(false);
            }
        var row = _row;
        return Walk(_collection, _ => row, false, "", segments, 0, modifier, scope);
    }

    private Operand RequestValue(string[] segments, string? modifier)
    {
        object? value;
        var present = true;
        switch (segments.Length >= 2 ? segments[1] : "")
        {
            case "method" when segments.Length == 2: value = request.Method; break;
            case "context" when segments.Length == 2: value = request.Context; break;
            case "query" when segments.Length == 3: present = request.Query.TryGetValue(segments[2], out var q); value = q; break;
            case "headers" when segments.Length == 3: present = request.Headers.TryGetValue(segments[2], out var h); value = h; break;
            case "auth" when segments.Length == 3:
                var auth = request.Auth;
                value = auth is null ? null : segments[2] switch
                {
                    "collectionId" => auth.Collection.Id,
                    "collectionName" => auth.Collection.Name,
                    _ => auth.Collection.FindField(segments[2]) is { } f ? RecordStore.ToDbValue(f, auth[f.Name]) switch { bool b => b ? 1L : 0L, var v => v } : null,
                };
                break;
            default: throw new QueryResolveException($"The reference evaluator does not read \"{string.Join('.', segments)}\".");
        }
        return modifier switch
        {
            null => Constant(value),
            "lower" => Constant(value is string s ? OperandResolver.AsciiLower(s) : value),
            "isset" => Constant(present),
            _ => throw new QueryResolveException($"The modifier :{modifier} does not apply here."),
        };
    }

    private Operand Walk(Collection collection, Func<Dictionary<string, object?>, Record?> current, bool multi, string key, string[] segments, int i, string? modifier, Scope scope)
    {
        var segment = segments[i];
        var last = i == segments.Length - 1;
        var via = segment.LastIndexOf("_via_", StringComparison.Ordinal);
        if (via > 0)
        {
            var other = findCollection(segment[..via]);
            var relation = other?.FindField(segment[(via + 5)..]);
            if (other is null || relation is not { Type: FieldTypes.Relation } || relation.RelationCollectionId != collection.Id || (last && modifier == "length"))
                throw new QueryResolveException($"Invalid back-relation \"{segment}\".");
            var unique = !relation.IsMultiple && CollectionValidator.UniqueColumns(other).Contains(relation.Name);
            var joinKey = key + "." + segment;
            scope.Join(joinKey, env => current(env) is { } parent
                ? rows(other).Where(r => r.GetList(relation.Name).Contains(parent.Id)).Cast<object?>().ToList()
                : []);
            Record? Next(Dictionary<string, object?> env) => env.GetValueOrDefault(joinKey) as Record;
            return last
                ? Final(other, Next, multi || !unique, joinKey, other.FindField("id")!, modifier, scope)
                : Walk(other, Next, multi || !unique, joinKey, segments, i + 1, modifier, scope);
        }
        var field = collection.FindField(segment) ?? throw new QueryResolveException($"Unknown field \"{segment}\".");
        if (last) return Final(collection, current, multi, key, field, modifier, scope);
        if (field.Type != FieldTypes.Relation) throw new QueryResolveException($"\"{segment}\" is not a relation.");
        var target = findCollection(field.RelationCollectionId) ?? throw new QueryResolveException("Missing relation target.");
        if (!field.IsMultiple && i + 2 == segments.Length && segments[i + 1].Equals("id", StringComparison.OrdinalIgnoreCase) && modifier is null or "lower")
            return Final(collection, current, multi, key, field, modifier, scope);
        var path = key + "." + field.Name;
        string? eachKey = null;
        if (field.IsMultiple)
        {
            eachKey = scope.Join(path + ":each", env => current(env) is { } parent ? parent.GetList(field.Name).Cast<object?>().ToList() : []);
        }
        scope.Join(path, env =>
        {
            var id = eachKey is null ? (current(env) is { } parent ? ColumnValue(field, parent).Value : null) : env.GetValueOrDefault(eachKey);
            return id is string s ? rows(target).Where(r => r.Id == s).Cast<object?>().ToList() : [];
        });
        return Walk(target, env => env.GetValueOrDefault(path) as Record, multi || field.IsMultiple, path, segments, i + 1, modifier, scope);
    }

    private Operand Final(Collection collection, Func<Dictionary<string, object?>, Record?> current, bool multi, string key, Field field, string? modifier, Scope scope)
    {
        var isJson = field.Type is FieldTypes.Json or FieldTypes.GeoPoint;
        switch (modifier)
        {
            case null:
                return new Operand(env => current(env) is { } r ? ColumnValue(field, r) : Val.Null, false, null, multi, isJson);
            case "lower":
                return new Operand(env => current(env) is { } r && ColumnValue(field, r).Value is { } v ? new Val(OperandResolver.AsciiLower(Text(v))) : Val.Null, false, null, multi, isJson);
            case "length":
                if (!FieldTypes.CanBeMultiple(field.Type)) throw new QueryResolveException(":length needs a select, relation or file field.");
                // The SQL form is a CASE that reads a missing joined row as 0 items.
                return new Operand(env => new Val((long)(current(env)?.GetList(field.Name).Count ?? 0)), false, null, multi, false);
            case "each":
                if (!field.IsMultiple) throw new QueryResolveException(":each needs a multiple field.");
                var eachKey = scope.Join(key + "." + field.Name + ":each", env => current(env) is { } parent ? parent.GetList(field.Name).Cast<object?>().ToList() : []);
                return new Operand(env => new Val(env.GetValueOrDefault(eachKey)), false, null, true, false);
            default:
                throw new QueryResolveException($"The modifier :{modifier} does not apply here.");
        }
    }

    /// <summary>A field as SQLite holds it: numbers and bools with NUMERIC affinity (integral values as integers), the rest as text.</summary>
    private static Val ColumnValue(Field field, Record record)
    {
        var db = RecordStore.ToDbValue(field, record[field.Name]);
        return db switch
        {
            null => Val.Null,
            double d => new Val(d == Math.Floor(d) && Math.Abs(d) < 9e15 ? (object)(long)d : d, Affinity.Numeric),
            long l => new Val(l, Affinity.Numeric),
            bool b => new Val(b ? 1L : 0L, Affinity.Numeric),
            string s => new Val(s, Affinity.Text),
            _ => new Val(Convert.ToString(db, CultureInfo.InvariantCulture), Affinity.Text),
        };
    }
}
