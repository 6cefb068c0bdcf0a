using Cairn.Api;
using Cairn.Collections;
using Cairn.Records;
using Microsoft.AspNetCore.Http;

namespace Cairn.Auth;

/// <summary>The checks every route under <c>/api/collections/{collection}/</c> for auth collections starts with (POCKETBASE_API.md 1.3).</summary>
internal static class AuthRoute
{
    public static Collection AuthCollection(CollectionRegistry registry, string idOrName) =>
        registry.Find(idOrName) is { IsAuth: true } c ? c : throw ApiException.NotFound("Missing or invalid auth collection context.");

    /// <summary>The signed-in record (by token or session cookie), which must belong to <paramref name="collection"/>: 401 for a guest, 403 otherwise.</summary>
    public static Record SignedIn(HttpContext context, Collection collection, string guestMessage = "The request requires valid record authorization token.")
    {
        var auth = RequestAuth.Of(context);
        if (auth.Record is null) throw ApiException.Unauthorized(guestMessage);
        if (auth.Record.Collection.Id != collection.Id) throw ApiException.Forbidden("The request requires valid record authorization token from this collection.");
        return auth.Record;
    }
}
