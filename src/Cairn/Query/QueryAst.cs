namespace Cairn.Query;

/// <summary>
/// The syntax tree of a filter or rule expression. <c>&amp;&amp;</c> binds tighter than <c>||</c>, the
/// precedence PocketBase gets from emitting its flat join list as SQL, so one tree serves the SQL
/// compiler and the in-memory reference evaluator alike.
/// </summary>
public abstract record QueryExpr;

/// <summary><c>left &amp;&amp; right</c> or <c>left || right</c>.</summary>
public sealed record LogicalExpr(QueryExpr Left, LogicalOp Op, QueryExpr Right) : QueryExpr;

/// <summary><c>left OP right</c>, for example <c>title ~ "cairn"</c>.</summary>
public sealed record ComparisonExpr(Operand Left, Sign Sign, Operand Right) : QueryExpr;

public enum LogicalOp { And, Or }

/// <summary>The comparison operators of POCKETBASE_API.md 2.3.</summary>
public enum CompareOp { Equal, NotEqual, Greater, GreaterOrEqual, Less, LessOrEqual, Like, NotLike }

public abstract record Operand;

/// <summary>A field path, request value or macro: <c>author.name</c>, <c>@request.auth.id</c>, <c>tags:each</c>, <c>@now</c>.</summary>
public sealed record IdentifierOperand(string Name) : Operand;

/// <summary>Quoted text, escapes already decoded.</summary>
public sealed record TextOperand(string Value) : Operand;

/// <summary>A number literal, kept with its source text.</summary>
public sealed record NumberOperand(double Value, string Text) : Operand;

/// <summary><c>geoDistance(...)</c> or <c>strftime(...)</c>.</summary>
public sealed record FunctionOperand(string Name, IReadOnlyList<Operand> Arguments) : Operand;

/// <summary>A comparison operator with its "any" flag (<c>?=</c> and friends).</summary>
public readonly record struct Sign(CompareOp Op, bool Any)
{
    public override string ToString() => (Any ? "?" : "") + Op switch
    {
        CompareOp.Equal => "=",
        CompareOp.NotEqual => "!=",
        CompareOp.Greater => ">",
        CompareOp.GreaterOrEqual => ">=",
        CompareOp.Less => "<",
        CompareOp.LessOrEqual => "<=",
        CompareOp.Like => "~",
        _ => "!~",
    };
}
