namespace Cairn.Tests.Collections;

/// <summary>Who sends a scenario's request.</summary>
public enum Caller
{
    /// <summary>No Authorization header.</summary>
    Guest,

    /// <summary>A token that does not verify; the request continues as a guest (POCKETBASE_API.md 0.1).</summary>
    BadToken,

    /// <summary>A record of a regular auth collection (<c>users</c>), signed in with its password.</summary>
    User,

    /// <summary>The test server's superuser.</summary>
    Superuser,
}
