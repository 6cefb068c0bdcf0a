namespace Cairn.Records.Expand;

/// <summary>
/// The records one relation of a record expanded to: output as a single object for a single relation
/// (or a back-relation over a uniquely indexed field), else as an array. Never empty: a relation that
/// found nothing visible is left out of <see cref="Record.Expand"/>.
/// </summary>
public sealed record ExpandedRelation(bool Single, IReadOnlyList<Record> Records);
