namespace Cairn.Collections.Views;

/// <summary>
/// The lexical checks of a view query, before the database ever sees it: one statement, a SELECT (or a
/// WITH … SELECT), balanced parentheses, no <c>*</c> result column (POCKETBASE_API.md 3.3). The query is
/// superuser-written and trusted as PocketBase trusts it, but it must stay read-only: it is only ever run
/// wrapped as a subquery (<c>SELECT * FROM (query)</c>, <c>CREATE VIEW … AS SELECT * FROM (query)</c>), where
/// the SQL grammar itself admits nothing but a SELECT, and statement keywords such as ATTACH or PRAGMA
/// are refused here as well so that a mistake in one layer is caught by the other.
/// </summary>
internal static class ViewQuerySyntax
{
    private static readonly HashSet<string> StatementKeywords = new(
        ["ATTACH", "DETACH", "PRAGMA", "INSERT", "UPDATE", "DELETE", "DROP", "CREATE", "ALTER", "VACUUM", "REINDEX"],
        StringComparer.OrdinalIgnoreCase);

    public enum Kind { Word, Quoted, String, Number, Symbol }

    public readonly record struct Token(Kind Kind, int Start, int End, int Depth)
    {
        public string Text(string sql) => sql[Start..End];
    }

    /// <summary>A refusal: the validation code and message reported under <c>viewQuery</c>.</summary>
    public sealed record Problem(string Code, string Message);

    /// <summary>Checks the query; on success <paramref name="statement"/> is the query without trailing semicolons.</summary>
    public static Problem? Check(string query, out string statement, out List<Token> tokens)
    {
        statement = query;
        tokens = [];
        if (string.IsNullOrWhiteSpace(query)) return new("validation_required", "Cannot be blank.");
        var problem = Tokenize(query, tokens);
        if (problem is not null) return problem;
        while (tokens.Count > 0 && tokens[^1].Kind == Kind.Symbol && query[tokens[^1].Start] == ';') tokens.RemoveAt(tokens.Count - 1);
        if (tokens.Count == 0) return new("validation_required", "Cannot be blank.");
        statement = query[..tokens[^1].End];
        if (tokens.Any(t => t.Kind == Kind.Symbol && query[t.Start] == ';'))
            return new("validation_view_query_multiple_statements", "Only a single SELECT statement is allowed.");
        var first = tokens[0];
        if (first.Kind != Kind.Word || !(first.Text(query).Equals("SELECT", StringComparison.OrdinalIgnoreCase) || first.Text(query).Equals("WITH", StringComparison.OrdinalIgnoreCase)))
            return new("validation_view_query_not_select", "The query must be a single SELECT statement.");
        if (tokens.FirstOrDefault(t => t.Kind == Kind.Word && StatementKeywords.Contains(t.Text(query))) is { End: > 0 } keyword)
            return new("validation_view_query_not_select", $"The query must be a read-only SELECT; \"{keyword.Text(query).ToUpperInvariant()}\" is not allowed.");
        var columns = ResultColumns(query, tokens);
        if (columns.Any(c => c.Count > 0 && c[^1].Kind == Kind.Symbol && query[c[^1].Start] == '*'))
            return new("validation_view_query_wildcard", "Wildcard columns (* or alias.*) are not allowed; name each column.");
        return null;
    }

    /// <summary>
    /// The result columns of the outermost SELECT as token lists (the first SELECT at depth 0 of a compound
    /// query names its columns); empty when the list cannot be found.
    /// </summary>
    public static List<List<Token>> ResultColumns(string sql, List<Token> tokens)
    {
        var columns = new List<List<Token>>();
        var start = tokens.FindIndex(t => t.Depth == 0 && IsWord(sql, t, "SELECT"));
        if (start < 0) return columns;
        var i = start + 1;
        if (i < tokens.Count && (IsWord(sql, tokens[i], "DISTINCT") || IsWord(sql, tokens[i], "ALL"))) i++;
        var current = new List<Token>();
        for (; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Depth == 0 && t.Kind == Kind.Word && IsClauseEnd(t.Text(sql))) break;
            if (t.Depth == 0 && t.Kind == Kind.Symbol && sql[t.Start] == ',') { columns.Add(current); current = []; continue; }
            current.Add(t);
        }
        columns.Add(current);
        return columns;
    }

    /// <summary>The expression of a result column without its alias (<c>COUNT(x) AS n</c> → <c>COUNT(x)</c>).</summary>
    public static string Expression(string sql, List<Token> column)
    {
        if (column.Count == 0) return "";
        var end = column.Count;
        if (end >= 3 && IsWord(sql, column[end - 2], "AS")) end -= 2;
        // A bare alias follows a complete expression: a closing parenthesis, a string or a number.
        else if (end >= 2 && column[end - 1].Kind is Kind.Word or Kind.Quoted && column[end - 2] is var before
                 && (before.Kind is Kind.String or Kind.Number || (before.Kind == Kind.Symbol && sql[before.Start] == ')')))
            end -= 1;
        return sql[column[0].Start..column[end - 1].End].Trim();
    }

    private static bool IsClauseEnd(string word) =>
        word.Equals("FROM", StringComparison.OrdinalIgnoreCase) || word.Equals("WHERE", StringComparison.OrdinalIgnoreCase)
        || word.Equals("GROUP", StringComparison.OrdinalIgnoreCase) || word.Equals("ORDER", StringComparison.OrdinalIgnoreCase)
        || word.Equals("LIMIT", StringComparison.OrdinalIgnoreCase) || word.Equals("UNION", StringComparison.OrdinalIgnoreCase)
        || word.Equals("EXCEPT", StringComparison.OrdinalIgnoreCase) || word.Equals("INTERSECT", StringComparison.OrdinalIgnoreCase)
        || word.Equals("WINDOW", StringComparison.OrdinalIgnoreCase) || word.Equals("HAVING", StringComparison.OrdinalIgnoreCase);

    private static bool IsWord(string sql, Token t, string word) => t.Kind == Kind.Word && t.Text(sql).Equals(word, StringComparison.OrdinalIgnoreCase);

    // Comments are skipped (never tokens), so a "--" cannot comment out the wrapper's closing parenthesis.
    private static Problem? Tokenize(string sql, List<Token> tokens)
    {
        var depth = 0;
        for (var i = 0; i < sql.Length;)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '-' && At(sql, i + 1) == '-')
            {
                while (i < sql.Length && sql[i] != '\n') i++;
                continue;
            }
            if (c == '/' && At(sql, i + 1) == '*')
            {
                var close = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (close < 0) return new("validation_invalid_view_query", "Unterminated comment.");
                i = close + 2;
                continue;
            }
            var start = i;
            if (c is '\'' or '"' or '`' or '[')
            {
                var quote = c == '[' ? ']' : c;
                i++;
                while (true)
                {
                    if (i >= sql.Length) return new("validation_invalid_view_query", "Unterminated string or quoted identifier.");
                    if (sql[i] == quote)
                    {
                        if (quote != ']' && At(sql, i + 1) == quote) { i += 2; continue; }
                        i++;
                        break;
                    }
                    i++;
                }
                tokens.Add(new Token(c == '\'' ? Kind.String : Kind.Quoted, start, i, depth));
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] is '_' or '$')) i++;
                tokens.Add(new Token(Kind.Word, start, i, depth));
                continue;
            }
            if (char.IsDigit(c))
            {
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '.')) i++;
                tokens.Add(new Token(Kind.Number, start, i, depth));
                continue;
            }
            if (c == '(') { tokens.Add(new Token(Kind.Symbol, i, i + 1, depth)); depth++; i++; continue; }
            if (c == ')')
            {
                depth--;
                if (depth < 0) return new("validation_invalid_view_query", "Unbalanced parentheses.");
                tokens.Add(new Token(Kind.Symbol, i, i + 1, depth));
                i++;
                continue;
            }
            tokens.Add(new Token(Kind.Symbol, i, i + 1, depth));
            i++;
        }
        return depth == 0 ? null : new("validation_invalid_view_query", "Unbalanced parentheses.");
    }

    private static char At(string s, int i) => i < s.Length ? s[i] : '\0';
}
