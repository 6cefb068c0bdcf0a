using System.Globalization;
using System.Text;

namespace Cairn.Query;

/// <summary>
/// Parses the filter and rule language (PocketBase's fexpr grammar, POCKETBASE_API.md 2.1) into a
/// <see cref="QueryExpr"/>. Written here rather than taken from a library because the grammar is the
/// product: it must match PocketBase's exactly, and its limits (2.4) are part of the security story.
/// Every failure is a <see cref="QuerySyntaxException"/> with a message fit for a 400.
/// </summary>
public sealed class QueryParser
{
    public const int MaxLength = 3500, MaxComparisons = 200, MaxFunctionDepth = 3, MaxFunctionArguments = 10, MaxGroupDepth = 64;

    private readonly string _text;
    private int _position;
    private int _comparisons;

    private QueryParser(string text) => _text = text;

    public static QueryExpr Parse(string text)
    {
        if (text.Length > MaxLength) throw new QuerySyntaxException($"The expression is longer than {MaxLength} characters.");
        // No stored text can hold NUL on PostgreSQL, so it is refused on every engine alike.
        if (text.Contains('\0')) throw new QuerySyntaxException("The expression contains a NUL character.");
        var parser = new QueryParser(text);
        parser.SkipSpace();
        if (parser.AtEnd) throw new QuerySyntaxException("The expression is empty.");
        var expr = parser.ParseOr(0);
        parser.SkipSpace();
        if (!parser.AtEnd) throw parser.Error("Unexpected character");
        return expr;
    }

    private bool AtEnd => _position >= _text.Length;

    private char Peek(int ahead = 0) => _position + ahead < _text.Length ? _text[_position + ahead] : '\0';

    private QuerySyntaxException Error(string message) =>
        new(AtEnd ? $"{message} at the end of the expression." : $"{message} at position {_position + 1} ('{_text[_position]}').");

    private QueryExpr ParseOr(int depth)
    {
        var left = ParseAnd(depth);
        while (TryJoin("||")) left = new LogicalExpr(left, LogicalOp.Or, ParseAnd(depth));
        return left;
    }

    private QueryExpr ParseAnd(int depth)
    {
        var left = ParseGroup(depth);
        while (TryJoin("&&")) left = new LogicalExpr(left, LogicalOp.And, ParseGroup(depth));
        return left;
    }

    private bool TryJoin(string join)
    {
        SkipSpace();
        if (Peek() != join[0] || Peek(1) != join[1]) return false;
        _position += 2;
        return true;
    }

    private QueryExpr ParseGroup(int depth)
    {
        SkipSpace();
        if (Peek() != '(') return ParseComparison();
        if (depth >= MaxGroupDepth) throw new QuerySyntaxException($"Parentheses are nested deeper than {MaxGroupDepth} levels.");
        _position++;
        SkipSpace();
        if (Peek() == ')') throw Error("Empty group");
        var inner = ParseOr(depth + 1);
        SkipSpace();
        if (Peek() != ')') throw Error("Missing closing parenthesis");
        _position++;
        return inner;
    }

    private ComparisonExpr ParseComparison()
    {
        if (++_comparisons > MaxComparisons) throw new QuerySyntaxException($"The expression has more than {MaxComparisons} comparisons.");
        var left = ParseOperand(0);
        SkipSpace();
        var sign = ParseSign();
        var right = ParseOperand(0);
        return new ComparisonExpr(left, sign, right);
    }

    private Sign ParseSign()
    {
        var any = false;
        if (Peek() == '?') { any = true; _position++; }
        CompareOp op;
        switch (Peek(), Peek(1))
        {
            case ('!', '='): op = CompareOp.NotEqual; _position += 2; break;
            case ('!', '~'): op = CompareOp.NotLike; _position += 2; break;
            case ('>', '='): op = CompareOp.GreaterOrEqual; _position += 2; break;
            case ('<', '='): op = CompareOp.LessOrEqual; _position += 2; break;
            case ('=', _): op = CompareOp.Equal; _position++; break;
            case ('>', _): op = CompareOp.Greater; _position++; break;
            case ('<', _): op = CompareOp.Less; _position++; break;
            case ('~', _): op = CompareOp.Like; _position++; break;
            default: throw Error("Expected a comparison operator");
        }
        return new Sign(op, any);
    }

    private Operand ParseOperand(int functionDepth)
    {
        SkipSpace();
        var c = Peek();
        if (c is '"' or '\'') return new TextOperand(ParseText(c));
        if (char.IsAsciiDigit(c) || (c == '-' && char.IsAsciiDigit(Peek(1)))) return ParseNumber();
        if (IsIdentifierStart(c)) return ParseIdentifierOrFunction(functionDepth);
        throw Error("Expected a field, text, number or function");
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c is '_' or '@' or '#';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or ':';

    private Operand ParseIdentifierOrFunction(int functionDepth)
    {
        var start = _position;
        _position++;
        while (IsIdentifierPart(Peek())) _position++;
        var name = _text[start.._position];
        if (name.EndsWith('.') || name.EndsWith(':')) throw new QuerySyntaxException($"Invalid identifier \"{name}\": it may not end with '.' or ':'.");
        if (name is "@" or "_" or "#") throw new QuerySyntaxException($"Invalid identifier \"{name}\".");
        if (Peek() != '(') return new IdentifierOperand(name);

        if (functionDepth >= MaxFunctionDepth) throw new QuerySyntaxException($"Functions are nested deeper than {MaxFunctionDepth} levels.");
        _position++;
        var arguments = new List<Operand>();
        for (;;)
        {
            SkipSpace();
            if (Peek() == ')') { _position++; break; }
            if (AtEnd) throw Error("Missing closing parenthesis of function " + name);
            arguments.Add(ParseOperand(functionDepth + 1));
            if (arguments.Count > MaxFunctionArguments) throw new QuerySyntaxException($"Function {name} has more than {MaxFunctionArguments} arguments.");
            SkipSpace();
            if (Peek() == ',') _position++;          // a trailing comma is allowed
            else if (Peek() != ')') throw Error("Expected ',' or ')' in function " + name);
        }
        return new FunctionOperand(name, arguments);
    }

    private NumberOperand ParseNumber()
    {
        var start = _position;
        if (Peek() == '-') _position++;
        while (char.IsAsciiDigit(Peek())) _position++;
        if (Peek() == '.')
        {
            _position++;
            if (!char.IsAsciiDigit(Peek())) throw Error("Invalid number");
            while (char.IsAsciiDigit(Peek())) _position++;
        }
        if (Peek() == '.' || IsIdentifierStart(Peek())) throw Error("Invalid number");
        var text = _text[start.._position];
        var value = double.Parse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        if (!double.IsFinite(value)) throw new QuerySyntaxException("The number is out of range.");
        return new NumberOperand(value, text);
    }

    /// <summary>
    /// Quoted text. A backslash escapes the quote and decodes the JSON escapes (<c>\\</c>, <c>\n</c>,
    /// <c>\t</c>, <c>\uXXXX</c>, …) so that a value quoted by the SDK's <c>pb.filter</c> (JSON.stringify)
    /// reaches the database unchanged, as PocketBase 0.39.9+ does; an unknown escape keeps its backslash.
    /// </summary>
    private string ParseText(char quote)
    {
        _position++;
        var value = new StringBuilder();
        for (;;)
        {
            if (AtEnd) throw new QuerySyntaxException("Unterminated quoted text.");
            var c = _text[_position++];
            if (c == quote) return value.ToString();
            if (c != '\\' || AtEnd) { value.Append(c); continue; }
            var e = _text[_position++];
            switch (e)
            {
                case '"' or '\'' or '\\' or '/': value.Append(e); break;
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case 'u' when _position + 4 <= _text.Length && ushort.TryParse(_text.AsSpan(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                    value.Append((char)code);
                    _position += 4;
                    break;
                default: value.Append('\\').Append(e); break;
            }
        }
    }

    private void SkipSpace()
    {
        while (!AtEnd)
        {
            var c = Peek();
            if (c is ' ' or '\t' or '\n' or '\r') _position++;
            else if (c == '/' && Peek(1) == '/')
                while (!AtEnd && Peek() != '\n') _position++;
            else break;
        }
    }
}

/// <summary>A malformed or over-limit expression; the API answers 400.</summary>
public sealed class QuerySyntaxException(string message) : QueryException(message);
