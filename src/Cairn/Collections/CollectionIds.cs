using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace Cairn.Collections;

/// <summary>Ids the way PocketBase forms them, so that well-known ids such as <c>pbc_3142635823</c> match.</summary>
public static class CollectionIds
{
    private const string LowerAlphanumeric = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const string Alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    public static uint Crc32(string text) => System.IO.Hashing.Crc32.HashToUInt32(Encoding.UTF8.GetBytes(text));

    /// <summary><c>pbc_</c> plus CRC-32 (IEEE) of type + name.</summary>
    public static string ForCollection(string type, string name) => "pbc_" + Crc32(type + name);

    /// <summary><c>&lt;type&gt;&lt;crc32(name)&gt;</c>, for example <c>text3208210256</c> for <c>id</c>.</summary>
    public static string ForField(string type, string name) => type + Crc32(name);

    /// <summary>A new record id: 15 characters of [a-z0-9] from a cryptographic source.</summary>
    public static string NewRecordId() => Random(15);

    public static string Random(int length, string alphabet = LowerAlphanumeric) =>
        RandomNumberGenerator.GetString(alphabet, length);

    public static string RandomAlphanumeric(int length) => Random(length, Alphanumeric);
}
