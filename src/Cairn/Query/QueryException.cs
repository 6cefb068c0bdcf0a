namespace Cairn.Query;

/// <summary>An expression that cannot be used: malformed, over a limit, or not valid for the schema. The API answers 400.</summary>
public abstract class QueryException(string message) : Exception(message);

/// <summary>
/// A well-formed expression that does not fit the schema: an unknown field, a modifier where it does not
/// apply, a relation path too deep, a hidden field in a client filter, a function with the wrong arguments.
/// </summary>
public sealed class QueryResolveException(string message) : QueryException(message);
