using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Mail;

/// <summary>Collection mail templates: placeholders, HTML encoding of inserted values, hidden fields kept out.</summary>
public sealed class MailTemplateTests
{
    [Fact]
    public async Task Render_Placeholders_AreFilledAndValuesHtmlEncoded()
    {
        await using var server = await TestServer.StartAsync(o => o with { AppName = "Acme & Co", AppUrl = "https://app.example.com" });
        await server.CreateCollectionAsync(new JsonObject
        {
            ["name"] = "users", ["type"] = "auth", ["createRule"] = "",
            ["fields"] = JsonNode.Parse("""[{"name":"name","type":"text"}]"""),
            ["verificationTemplate"] = new JsonObject
            {
                ["subject"] = "Welcome to {APP_NAME}, {RECORD:name}",
                ["body"] = "<p>Hi {RECORD:name} ({RECORD:email}) {RECORD:password}{RECORD:tokenKey}</p><a href=\"{APP_URL}/verify?t={TOKEN}\">{APP_NAME}</a>",
            },
        });
        await server.CreateRecordAsync("users", """{"email":"me@example.com","name":"<script>x</script>","password":"password123","passwordConfirm":"password123"}""");

        await server.SendAsync(HttpMethod.Post, "/api/collections/users/request-verification", TestCollections.Json("""{"email":"me@example.com"}"""));

        var mail = Assert.Single(await server.MailsAsync());
        Assert.Equal("Welcome to Acme & Co, <script>x</script>", mail.Subject); // the subject is plain text, not HTML
        Assert.Contains("<p>Hi &lt;script&gt;x&lt;/script&gt; (me@example.com) </p>", mail.Html); // hidden fields render empty
        Assert.Contains(">Acme &amp; Co</a>", mail.Html);
        Assert.StartsWith("https://app.example.com/verify?t=ey", mail.Link);
        Assert.DoesNotContain("$2", mail.Html);
    }
}
