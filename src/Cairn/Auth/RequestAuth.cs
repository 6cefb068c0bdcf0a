using Cairn.Collections;
using Cairn.Records;
using Microsoft.AspNetCore.Http;

namespace Cairn.Auth;

/// <summary>Who is calling: a guest, a record of an auth collection, or a superuser.</summary>
public sealed record RequestAuth(Record? Record, string? Token = null, bool Refreshable = true)
{
    public static readonly RequestAuth Guest = new((Record?)null);

    /// <summary>The server acting on its own (the CLI, migrations): superuser rights without a record.</summary>
    public static readonly RequestAuth System = new((Record?)null) { IsSystem = true };

    private bool IsSystem { get; init; }

    public bool IsGuest => Record is null && !IsSystem;
    public bool IsSuperuser => IsSystem || Record?.Collection.Id == Collection.SuperusersId;

    public static RequestAuth Of(HttpContext context) =>
        context.Features.Get<RequestAuth>() ?? Guest;
}
