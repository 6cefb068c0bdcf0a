using System.Globalization;
using Cairn.Query;

namespace Cairn.Tests.Query;

/// <summary>The fexpr grammar of POCKETBASE_API.md 2.1 and the limits of 2.4, as <see cref="QueryParser"/> parses them.</summary>
public sealed class QueryParserTests
{
    /// <summary>A compact rendering of a tree: every join in parentheses, so precedence is visible.</summary>
    private static string Show(QueryExpr expr) => expr switch
    {
        LogicalExpr l => $"({Show(l.Left)} {(l.Op == LogicalOp.And ? "&&" : "||")} {Show(l.Right)})",
        ComparisonExpr c => $"{Show(c.Left)} {c.Sign} {Show(c.Right)}",
        _ => throw new ArgumentOutOfRangeException(nameof(expr)),
    };

    private static string Show(Operand operand) => operand switch
    {
        IdentifierOperand i => i.Name,
        TextOperand t => "'" + t.Value + "'",
        NumberOperand n => "#" + n.Value.ToString(CultureInfo.InvariantCulture),
        FunctionOperand f => f.Name + "(" + string.Join(",", f.Arguments.Select(Show)) + ")",
        _ => throw new ArgumentOutOfRangeException(nameof(operand)),
    };

    [Theory]
    [InlineData("a = 1", "a = #1")]
    [InlineData("a=1", "a = #1")]
    [InlineData("a != 'x'", "a != 'x'")]
    [InlineData("a > 1", "a > #1")]
    [InlineData("a >= 1", "a >= #1")]
    [InlineData("a < 1", "a < #1")]
    [InlineData("a <= 1", "a <= #1")]
    [InlineData("a ~ 'x'", "a ~ 'x'")]
    [InlineData("a !~ 'x'", "a !~ 'x'")]
    [InlineData("a ?= 1", "a ?= #1")]
    [InlineData("a ?!= 1", "a ?!= #1")]
    [InlineData("a ?> 1", "a ?> #1")]
    [InlineData("a ?>= 1", "a ?>= #1")]
    [InlineData("a ?< 1", "a ?< #1")]
    [InlineData("a ?<= 1", "a ?<= #1")]
    [InlineData("a ?~ 'x'", "a ?~ 'x'")]
    [InlineData("a ?!~ 'x'", "a ?!~ 'x'")]
    public void Parse_EachOperator_GivesItsSign(string text, string expected) => Assert.Equal(expected, Show(QueryParser.Parse(text)));

    [Theory]
    [InlineData("a = 1 || b = 2 && c = 3", "(a = #1 || (b = #2 && c = #3))")]
    [InlineData("a = 1 && b = 2 || c = 3", "((a = #1 && b = #2) || c = #3)")]
    [InlineData("(a = 1 || b = 2) && c = 3", "((a = #1 || b = #2) && c = #3)")]
    [InlineData("a = 1 && b = 2 && c = 3", "((a = #1 && b = #2) && c = #3)")]
    [InlineData("a = 1 || b = 2 || c = 3", "((a = #1 || b = #2) || c = #3)")]
    [InlineData("((a = 1))", "a = #1")]
    [InlineData("a = 1 || (b = 2 || c = 3) && d = 4", "(a = #1 || ((b = #2 || c = #3) && d = #4))")]
    public void Parse_Joins_AndBindsTighterThanOr(string text, string expected) => Assert.Equal(expected, Show(QueryParser.Parse(text)));

    [Theory]
    [InlineData("title = 'x'", "title")]
    [InlineData("author.name = 'x'", "author.name")]
    [InlineData("@request.auth.id = 'x'", "@request.auth.id")]
    [InlineData("tags:length = 'x'", "tags:length")]
    [InlineData("tags:each = 'x'", "tags:each")]
    [InlineData("@collection.posts:p.title = 'x'", "@collection.posts:p.title")]
    [InlineData("_a1 = 'x'", "_a1")]
    [InlineData("#x = 'x'", "#x")]
    [InlineData("comments_via_post.message = 'x'", "comments_via_post.message")]
    public void Parse_Identifiers_KeepTheirName(string text, string name) =>
        Assert.Equal(name, Assert.IsType<IdentifierOperand>(Assert.IsType<ComparisonExpr>(QueryParser.Parse(text)).Left).Name);

    [Theory]
    [InlineData("0", 0)]
    [InlineData("-3", -3)]
    [InlineData("1.25", 1.25)]
    [InlineData("-0.5", -0.5)]
    [InlineData("007", 7)]
    public void Parse_Numbers(string number, double expected)
    {
        var right = Assert.IsType<NumberOperand>(Assert.IsType<ComparisonExpr>(QueryParser.Parse("a = " + number)).Right);
        Assert.Equal(expected, right.Value);
        Assert.Equal(number, right.Text);
    }

    [Theory]
    [InlineData("""a = "x\"y" """, "x\"y")]
    [InlineData("""a = 'x\'y'""", "x'y")]
    [InlineData("""a = "x\\y" """, "x\\y")]
    [InlineData("""a = "x\ny" """, "x\ny")]
    [InlineData("""a = "x\ty" """, "x\ty")]
    [InlineData("""a = "\u00e9" """, "é")]
    [InlineData("""a = "\/" """, "/")]
    [InlineData("""a = "x\qy" """, "x\\qy")]
    [InlineData("""a = "it's" """, "it's")]
    [InlineData("""a = 'say "hi"'""", "say \"hi\"")]
    [InlineData("""a = "" """, "")]
    [InlineData("""a = "%_\\" """, "%_\\")]
    [InlineData("""a = "日本語 🙂" """, "日本語 🙂")]
    [InlineData("""a = "// not a comment" """, "// not a comment")]
    public void Parse_Text_DecodesEscapes(string text, string expected) =>
        Assert.Equal(expected, Assert.IsType<TextOperand>(Assert.IsType<ComparisonExpr>(QueryParser.Parse(text)).Right).Value);

    [Fact]
    public void Parse_JsonStringifiedValue_RoundTrips()
    {
        // What the SDK's pb.filter("title = {:v}", {v}) sends: the value quoted by JSON.stringify.
        const string value = "a \"quoted\" \\ back\nslash \t tab é 🙂";
        var text = "title = " + System.Text.Json.JsonSerializer.Serialize(value);
        Assert.Equal(value, Assert.IsType<TextOperand>(Assert.IsType<ComparisonExpr>(QueryParser.Parse(text)).Right).Value);
    }

    [Theory]
    [InlineData("a = 1 // trailing comment", "a = #1")]
    [InlineData("// leading\na = 1", "a = #1")]
    [InlineData("a = 1 // one\n&& b = 2 // two", "(a = #1 && b = #2)")]
    [InlineData("\t a\n=\n1 \t", "a = #1")]
    [InlineData("a = 1\r\n|| b = 2", "(a = #1 || b = #2)")]
    public void Parse_CommentsAndWhitespace_AreIgnored(string text, string expected) => Assert.Equal(expected, Show(QueryParser.Parse(text)));

    [Theory]
    [InlineData("geoDistance(lon, lat, 1.5, -2) < 10", "geoDistance(lon,lat,#1.5,#-2) < #10")]
    [InlineData("strftime('%Y', created,) = '2024'", "strftime('%Y',created) = '2024'")]
    [InlineData("strftime('%Y', strftime('%Y', strftime('%Y', created))) = '2024'", "strftime('%Y',strftime('%Y',strftime('%Y',created))) = '2024'")]
    [InlineData("f() = 1", "f() = #1")]
    public void Parse_Functions(string text, string expected) => Assert.Equal(expected, Show(QueryParser.Parse(text)));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("// only a comment", "empty")]
    [InlineData("a", "comparison operator")]
    [InlineData("a =", "Expected a field")]
    [InlineData("= 1", "Expected a field")]
    [InlineData("a == 1", "Expected a field")]
    [InlineData("a = 1 &&", "Expected a field")]
    [InlineData("a = 1 ||", "Expected a field")]
    [InlineData("&& a = 1", "Expected a field")]
    [InlineData("a = 1 & b = 2", "Unexpected character")]
    [InlineData("a = 1 | b = 2", "Unexpected character")]
    [InlineData("a = 1 b = 2", "Unexpected character")]
    [InlineData("(a = 1", "Missing closing parenthesis")]
    [InlineData("a = 1)", "Unexpected character")]
    [InlineData("()", "Empty group")]
    [InlineData("a = 'x", "Unterminated")]
    [InlineData("a = \"x\\\"", "Unterminated")]
    [InlineData("a = 1.", "Invalid number")]
    [InlineData("a = .5", "Expected a field")]
    [InlineData("a = 1.2.3", "Invalid number")]
    [InlineData("a = 12abc", "Invalid number")]
    [InlineData("a = -", "Expected a field")]
    [InlineData("a. = 1", "may not end")]
    [InlineData("a: = 1", "may not end")]
    [InlineData("@ = 1", "Invalid identifier")]
    [InlineData("_ = 1", "Invalid identifier")]
    [InlineData("# = 1", "Invalid identifier")]
    [InlineData("a === 1", "Expected a field")]
    [InlineData("a ?? 1", "comparison operator")]
    [InlineData("a =! 1", "Expected a field")]
    [InlineData("f(1,,2) = 1", "Expected a field")]
    [InlineData("f(1 = 1", "Expected ','")]
    [InlineData("f(1, = 1", "Expected a field")]
    [InlineData("a = 1 /", "Unexpected character")]
    [InlineData("a = 1\0", "NUL character")]
    [InlineData("a = é", "Expected a field")]
    public void Parse_Malformed_FailsWithAClearMessage(string text, string fragment)
    {
        var error = Assert.Throws<QuerySyntaxException>(() => QueryParser.Parse(text));
        Assert.Contains(fragment, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith(".", error.Message.TrimEnd(')'));
    }

    [Fact]
    public void Parse_HugeNumber_IsOutOfRange()
    {
        var error = Assert.Throws<QuerySyntaxException>(() => QueryParser.Parse("a = " + new string('9', 400)));
        Assert.Contains("out of range", error.Message);
    }

    [Fact]
    public void Parse_AtTheLengthLimit_Parses()
    {
        var text = "a = '" + new string('x', QueryParser.MaxLength - 6) + "'";
        Assert.Equal(QueryParser.MaxLength, text.Length);
        QueryParser.Parse(text);
    }

    [Fact]
    public void Parse_OverTheLengthLimit_NamesTheLimit()
    {
        var error = Assert.Throws<QuerySyntaxException>(() => QueryParser.Parse("a = '" + new string('x', QueryParser.MaxLength) + "'"));
        Assert.Contains("3500 characters", error.Message);
    }

    [Fact]
    public void Parse_200Comparisons_Parses() =>
        QueryParser.Parse(string.Join("||", Enumerable.Repeat("a=1", QueryParser.MaxComparisons)));

    [Fact]
    public void Parse_201Comparisons_NamesTheLimit()
    {
        var error = Assert.Throws<QuerySyntaxException>(() => QueryParser.Parse(string.Join("||", Enumerable.Repeat("a=1", QueryParser.MaxComparisons + 1))));
        Assert.Contains("200 comparisons", error.Message);
    }

    [Fact]
    public void Parse_FunctionsNestedThreeDeep_Parses() => QueryParser.Parse("f(f(f(1))) = 1");

    [Fact]
    public void Parse_FunctionsNestedFourDeep_NamesTheLimit()
    {
        var error = Assert.Throws<QuerySyntaxException>(() => QueryParser.Parse("f(f(f(f(1)))) = 1"));
        Assert.Contains("3 levels", error.Message);
    }

    [Fact]
    public void Parse_ElevenFunctionArguments_NamesTheLimit()
    {
        var error = Assert.Throws<QuerySyntaxException>(() => QueryParser.Parse("strftime(1,2,3,4,5,6,7,8,9,10,11) = 1"));
        Assert.Contains("10 arguments", error.Message);
    }

    [Fact]
    public void Parse_DeepParentheses_NamesTheLimitInsteadOfOverflowingTheStack()
    {
        var error = Assert.Throws<QuerySyntaxException>(() => QueryParser.Parse(new string('(', 1000) + "a=1" + new string(')', 1000)));
        Assert.Contains("64 levels", error.Message);
        QueryParser.Parse(new string('(', QueryParser.MaxGroupDepth) + "a=1" + new string(')', QueryParser.MaxGroupDepth));
    }

    [Fact]
    public void Cache_SameText_ReturnsTheSameTree()
    {
        var cache = new QueryCache();
        Assert.Same(cache.Parse("a = 1"), cache.Parse("a = 1"));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Cache_NeverHoldsMoreThan500()
    {
        var cache = new QueryCache();
        for (var i = 0; i < 1200; i++)
        {
            cache.Parse($"a = {i}");
            Assert.InRange(cache.Count, 1, QueryCache.Capacity);
        }
    }

    [Fact]
    public void Cache_ParseError_IsThrownAndNotCached()
    {
        var cache = new QueryCache();
        Assert.Throws<QuerySyntaxException>(() => cache.Parse("a ="));
        Assert.Equal(0, cache.Count);
    }
}
